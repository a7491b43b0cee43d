/**
 * The role-rules document: which role (and optional restricting policy) each instance should bear.
 * One schema for every path that takes it (`run --rules`, `sweep --rules`, the workflow input `rules`,
 * the timer payload `rules`, the event path's `ROLE_RULES`). Unknown keys are refused; every error
 * names the rule and the field; nothing is called before it passes.
 *
 * ```yaml
 * rules:                                   # first match wins
 *   - name: payments
 *     match: { tags: { app: payments }, resourceGroupId: rg-prod }
 *     role: PaymentsAppRole
 *     policy: '{"Version":"1","Statement":[...]}'   # optional, 1-1024 characters
 *     onConflict: replace                           # optional: skip | fail | replace
 *   - name: default
 *     match: {}
 *     role: EcsAppRole
 * acceptedRoles: [LegacyAppRole]
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { InvalidInputError } from '../engine/errors.js';
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  type RoleRule,
  type RoleRules,
  type RuleMatch,
} from '../engine/types.js';
import { INSTANCE_ID, REGION_ID, ROLE_NAME, ROLE_RULE } from './atoms.js';

/** Limits of the document, in one place. */
export const RULES_LIMITS = {
  /** @default 100 rules: every instance is tested against them in order. */
  rules: 100,
  /** @default 1024 characters: AttachInstanceRamRole's documented `Policy` length (1-1,024). */
  policyChars: 1024,
  /** @default 20 tags per rule (as many as one DescribeInstances call filters on). */
  tags: 20,
  /** @default 100 instance ids per rule */
  instanceIds: 100,
} as const;

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DOCUMENT_KEYS = ['rules', 'acceptedRoles'] as const;
const RULE_KEYS = ['name', 'match', 'role', 'policy', 'onConflict'] as const;
const MATCH_KEYS = ['tags', 'resourceGroupId', 'vpcId', 'vSwitchId', 'instanceIds', 'regionId'] as const;
const RESOURCE_GROUP_ID = /^rg-[A-Za-z0-9]+$/;
const VPC_ID = /^vpc-[A-Za-z0-9]+$/;
const VSWITCH_ID = /^vsw-[A-Za-z0-9]+$/;

/**
 * Parses YAML or JSON text (JSON is YAML) into a validated document. `source` names it in errors,
 * e.g. `--rules` or `ROLE_RULES`.
 */
export function parseRoleRulesText(text: string, source: string): RoleRules {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new InvalidInputError(
      source,
      `must be a YAML or JSON rules document (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
      text.length > 80 ? `${text.slice(0, 80)}…` : text,
    );
  }
  // YAML reads plain text as a string ("vm" is "vm"): that is no document, and parsing it again never ends.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(
      source,
      'must be a YAML or JSON rules document (an object with rules: [...])',
      text.length > 80 ? `${text.slice(0, 80)}…` : text,
    );
  }
  return parseRoleRules(value, source);
}

/**
 * A rules document (an object, or its JSON/YAML text) from the input named `source` (a flag, a variable),
 * with errors naming it before the document's own path: `--rules rules[1].role of rule "web" is required`,
 * `ROLE_RULES rules[0].policy ...`.
 */
export function parseRoleRulesAs(document: unknown, source: string): RoleRules {
  try {
    return parseRoleRules(document, 'rules');
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const rest = error.field.replace(/^rules\.?/, '');
    throw new InvalidInputError(rest ? `${source} ${rest}` : source, error.rule, error.value);
  }
}

/**
 * Validates a rules document (an object, or its JSON/YAML text).
 *
 * @param prefix names the document in error fields, e.g. `params.rules` -> `params.rules.rules[1].role`.
 * @throws {@link InvalidInputError} naming the rule and the field, e.g.
 *   `rules[2].policy of rule "payments" must be 1-1024 characters, got "…"; nothing was changed.`
 * @example
 * parseRoleRules({ rules: [{ name: 'default', match: {}, role: 'EcsAppRole' }] })
 */
export function parseRoleRules(raw: unknown, prefix = ''): RoleRules {
  if (typeof raw === 'string') return parseRoleRulesText(raw, prefix || 'rules');
  const at = (path: string) => (prefix ? `${prefix}.${path}` : path);
  const document = asObject(
    raw,
    prefix || 'rules document',
    'must be an object with "rules" (and optionally "acceptedRoles")',
  );
  rejectUnknownKeys(document, DOCUMENT_KEYS, (key) => at(key), 'is not a rules document key');
  const list = document['rules'];
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidInputError(at('rules'), 'must be a non-empty list of rules (first match wins)', list);
  }
  if (list.length > RULES_LIMITS.rules) {
    throw new InvalidInputError(at('rules'), `must hold at most ${RULES_LIMITS.rules} rules`, list.length);
  }
  const rules: RoleRule[] = [];
  const names = new Map<string, number>();
  list.forEach((entry, index) => {
    const rule = parseRule(entry, at(`rules[${index}]`));
    const earlier = names.get(rule.name);
    if (earlier !== undefined) {
      throw new InvalidInputError(
        at(`rules[${index}].name`),
        `must be unique: rules[${earlier}] is also named "${rule.name}"`,
        rule.name,
      );
    }
    names.set(rule.name, index);
    rules.push(rule);
  });
  rejectUnreachableRules(rules, at);
  return { rules, acceptedRoles: parseAcceptedRoles(document['acceptedRoles'], at('acceptedRoles')) };
}

function parseRule(raw: unknown, field: string): RoleRule {
  const entry = asObject(raw, field, 'must be a rule like {name, match, role}');
  const nameValue = entry['name'];
  if (typeof nameValue !== 'string' || !RULE_NAME.test(nameValue)) {
    throw new InvalidInputError(
      `${field}.name`,
      'is required: 1-64 letters, digits, "_", "." or "-", starting with a letter or digit',
      nameValue,
    );
  }
  const name = nameValue;
  const of = `of rule "${name}"`;
  rejectUnknownKeys(entry, RULE_KEYS, (key) => `${field}.${key}`, `${of} is not a rule key`);
  const role = entry['role'];
  if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
    const missing = role === undefined || role === '';
    throw new InvalidInputError(
      `${field}.role`,
      missing ? `${of} is required: ${ROLE_RULE.replace(/^must be /, '')}` : `${of} ${ROLE_RULE}`,
      role,
    );
  }
  if (entry['match'] === undefined) {
    throw new InvalidInputError(
      `${field}.match`,
      `${of} is required (use {} to match every instance)`,
      undefined,
    );
  }
  const rule: RoleRule = { name, match: parseMatch(entry['match'], `${field}.match`, of), role };
  const policy = parsePolicy(entry['policy'], `${field}.policy`, of);
  if (policy !== undefined) rule.policy = policy;
  const onConflict = entry['onConflict'];
  if (onConflict !== undefined) {
    if (typeof onConflict !== 'string' || !(CONFLICT_POLICIES as readonly string[]).includes(onConflict)) {
      throw new InvalidInputError(
        `${field}.onConflict`,
        `${of} must be one of ${CONFLICT_POLICIES.join(', ')}`,
        onConflict,
      );
    }
    rule.onConflict = onConflict as ConflictPolicy;
  }
  return rule;
}

function parseMatch(raw: unknown, field: string, of: string): RuleMatch {
  const entry = asObject(
    raw,
    field,
    `${of} must be an object of conditions (all must hold), e.g. {"tags":{"app":"web"}}`,
  );
  rejectUnknownKeys(
    entry,
    MATCH_KEYS,
    (key) => `${field}.${key}`,
    `${of} is not a match condition (allowed: ${MATCH_KEYS.join(', ')})`,
  );
  const match: RuleMatch = {};
  if (entry['tags'] !== undefined) {
    const tags = asObject(
      entry['tags'],
      `${field}.tags`,
      `${of} must map tag keys to values (or "*" for any value)`,
    );
    const keys = Object.keys(tags);
    if (keys.length === 0 || keys.length > RULES_LIMITS.tags) {
      throw new InvalidInputError(
        `${field}.tags`,
        `${of} must name 1-${RULES_LIMITS.tags} tags (omit it to match any tags)`,
        tags,
      );
    }
    match.tags = {};
    for (const key of keys) {
      const value = tags[key];
      if (key.length < 1 || key.length > 128) {
        throw new InvalidInputError(`${field}.tags`, `${of} must have tag keys of 1-128 characters`, key);
      }
      if (typeof value !== 'string' || value.length > 128) {
        throw new InvalidInputError(
          `${field}.tags.${key}`,
          `${of} must be a tag value of at most 128 characters, or "*" for any value (quote numbers in YAML)`,
          value,
        );
      }
      match.tags[key] = value;
    }
  }
  const ids: [
    key: 'resourceGroupId' | 'vpcId' | 'vSwitchId' | 'regionId',
    pattern: RegExp,
    example: string,
  ][] = [
    ['resourceGroupId', RESOURCE_GROUP_ID, 'a resource group id like "rg-acfm..."'],
    ['vpcId', VPC_ID, 'a VPC id like "vpc-bp1..."'],
    ['vSwitchId', VSWITCH_ID, 'a vSwitch id like "vsw-bp1..."'],
    ['regionId', REGION_ID, 'a region id like "cn-hangzhou"'],
  ];
  for (const [key, pattern, example] of ids) {
    const value = entry[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new InvalidInputError(`${field}.${key}`, `${of} must be ${example}`, value);
    }
    match[key] = value;
  }
  const instanceIds = entry['instanceIds'];
  if (instanceIds !== undefined) {
    if (
      !Array.isArray(instanceIds) ||
      instanceIds.length === 0 ||
      instanceIds.length > RULES_LIMITS.instanceIds
    ) {
      throw new InvalidInputError(
        `${field}.instanceIds`,
        `${of} must be a list of 1-${RULES_LIMITS.instanceIds} instance ids`,
        instanceIds,
      );
    }
    instanceIds.forEach((id, index) => {
      if (typeof id !== 'string' || !INSTANCE_ID.test(id)) {
        throw new InvalidInputError(
          `${field}.instanceIds[${index}]`,
          `${of} must be an instance id like "i-bp1abc"`,
          id,
        );
      }
    });
    match.instanceIds = [...new Set(instanceIds as string[])];
  }
  return match;
}

/**
 * The policy as AttachInstanceRamRole takes it: JSON text of 1-1024 characters. A YAML/JSON object is
 * accepted too and sent as compact JSON (its length is what counts).
 */
function parsePolicy(raw: unknown, field: string, of: string): string | undefined {
  if (raw === undefined) return undefined;
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new InvalidInputError(
        field,
        `${of} must be a JSON policy document like {"Version":"1","Statement":[...]}`,
        raw,
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InvalidInputError(
        field,
        `${of} must be a JSON policy document like {"Version":"1","Statement":[...]}`,
        raw,
      );
    }
  } else if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    text = JSON.stringify(raw);
  } else {
    throw new InvalidInputError(field, `${of} must be a JSON policy document (text or object)`, raw);
  }
  if (text.length < 1 || text.length > RULES_LIMITS.policyChars) {
    throw new InvalidInputError(
      field,
      `${of} must be 1-${RULES_LIMITS.policyChars} characters (AttachInstanceRamRole's Policy limit), it has ${text.length}`,
      text.length > 60 ? `${text.slice(0, 60)}…` : text,
    );
  }
  return text;
}

function parseAcceptedRoles(raw: unknown, field: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new InvalidInputError(field, 'must be a list of RAM role names', raw);
  raw.forEach((role, index) => {
    if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
      throw new InvalidInputError(`${field}[${index}]`, ROLE_RULE, role);
    }
  });
  return [...new Set(raw as string[])];
}

/**
 * A rule can never match when an earlier rule matches every instance it matches (first match wins):
 * e.g. anything after `match: {}`, or a repeat of an earlier rule's conditions.
 */
function rejectUnreachableRules(rules: readonly RoleRule[], at: (path: string) => string): void {
  rules.forEach((rule, index) => {
    const shadow = rules.slice(0, index).findIndex((earlier) => covers(earlier.match, rule.match));
    if (shadow === -1) return;
    const earlier = rules[shadow]!;
    const why =
      Object.keys(earlier.match).length === 0
        ? `rule "${earlier.name}" (rules[${shadow}]) before it has match {} and takes every instance`
        : `rule "${earlier.name}" (rules[${shadow}]) before it matches every instance this one matches`;
    throw new InvalidInputError(
      at(`rules[${index}].match`),
      `of rule "${rule.name}" can never match: ${why}; reorder or remove it`,
      rule.match,
    );
  });
}

/** Whether every instance matching `later` also matches `earlier`. */
function covers(earlier: RuleMatch, later: RuleMatch): boolean {
  for (const key of ['resourceGroupId', 'vpcId', 'vSwitchId', 'regionId'] as const) {
    if (earlier[key] !== undefined && earlier[key] !== later[key]) return false;
  }
  for (const [key, value] of Object.entries(earlier.tags ?? {})) {
    const required = later.tags?.[key];
    if (required === undefined || (value !== '*' && value !== required)) return false;
  }
  if (earlier.instanceIds !== undefined) {
    if (later.instanceIds === undefined) return false;
    const allowed = new Set(earlier.instanceIds);
    if (!later.instanceIds.every((id) => allowed.has(id))) return false;
  }
  return true;
}

function asObject(raw: unknown, field: string, rule: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidInputError(field, rule, raw);
  return raw as Record<string, unknown>;
}

function rejectUnknownKeys(
  entry: Record<string, unknown>,
  allowed: readonly string[],
  field: (key: string) => string,
  rule: string,
): void {
  for (const key of Object.keys(entry)) {
    if (!allowed.includes(key)) {
      const shown = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
      throw new InvalidInputError(field(shown), `${rule} (allowed: ${allowed.join(', ')})`, entry[key]);
    }
  }
}
