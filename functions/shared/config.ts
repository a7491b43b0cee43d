/**
 * Configuration of the FC functions, read from environment variables (set in s.yaml) and the FC
 * context. Validated in one pass; an invalid value fails the invocation before any cloud call with a
 * message that names the variable, the rule and the value.
 */
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  DRIFT_MODES,
  type DriftMode,
  EVENT_PATH_DEFAULTS,
  InvalidInputError,
  PARAMETER_DEFAULTS,
  type RoleRules,
  RULES_LABEL,
} from '../../src/engine/index.js';
import {
  checkAtom,
  parseEndpoint,
  parseQps,
  parseTagFilter,
  REGION_ID,
  REGION_RULE,
  ROLE_NAME,
  ROLE_RULE,
} from '../../src/inputs/atoms.js';
import { type NotificationSink, parseSinks } from '../../src/inputs/notify.js';
import { parseRoleRulesAs } from '../../src/inputs/rules.js';
import { parseStoreReference } from '../../src/inputs/storeReference.js';

/** Where executions are stored: a local directory, or an OSS bucket and key prefix. */
export type StateLocation =
  | { kind: 'fs'; directory: string }
  | { kind: 'oss'; bucket: string; prefix: string };

/**
 * `ROLE_RULES`: a role-rules document inline (JSON or YAML text), or `store:<key>`, the JSON document
 * `docs/<key>.json` of the state store, read on every invocation (so it can change without a redeploy).
 */
export type RoleRulesSource = { kind: 'inline'; rules: RoleRules } | { kind: 'store'; key: string };

export interface FunctionConfig {
  /**
   * `RAM_ROLE_NAME`: the designated instance RAM role; `@rules` ({@link RULES_LABEL}) when `ROLE_RULES`
   * assigns the role per instance instead. One of the two is required.
   */
  ramRoleName: string;
  /** `ROLE_RULES` (exclusive with `RAM_ROLE_NAME`). */
  roleRules?: RoleRulesSource;
  /** `STATE`. @default `{ kind: 'fs', directory: '/tmp/ecs-role-attach' }` */
  state: StateLocation;
  /** `ENDPOINT_OVERRIDE`: send every API call here (the emulator). Absent in the cloud. */
  endpointOverride?: string;
  /**
   * `QPS` as `Action=n,...` (`default=n` for every action not named); actions not named keep the
   * adapter's defaults. @default `{}`
   */
  qps: Record<string, number>;
  /**
   * `EXCLUDE_TAG`: `key` (any value) or `key=value`, comma-separated: the deployment's exclusion tags,
   * in addition to the default tag `ecs-role-attach:exclude`, which always excludes (every path merges
   * them with `mergeExclusions`). @default `[]`
   */
  excludeTags: { key: string; value?: string }[];
  /** `ON_CONFLICT`. @default `'skip'` */
  onConflict: ConflictPolicy;
  /** `BREAKER_THRESHOLD`: consecutive failures that pause the event path. @default `5` */
  breakerThreshold: number;
  /**
   * `NOTIFY`: notification sinks, comma- or space-separated (`webhook:https://...`,
   * `dingtalk:https://oapi.dingtalk.com/robot/send?access_token=...[&secret=...]`). @default `[]`
   */
  notify: NotificationSink[];
  /**
   * `DRIFT`: what the event path does about an ActionTrail DetachInstanceRamRole (or an attach of
   * another role) on an instance in scope: `report` (log and notify) or `repair` (re-attach).
   * @default `'report'`
   */
  drift: DriftMode;
  /**
   * `DRIFT_IGNORE_CALLERS`: comma-separated callers whose role changes are never drift (RAM user names,
   * role names, `<role>:<session>`, principal ids), e.g. a pipeline that manages roles itself. @default `[]`
   */
  driftIgnoreCallers: string[];
  /** `FC_ACCOUNT_ID` or `context.accountId`. */
  accountId: string;
  /** `FC_REGION` or `context.region`. */
  regionId: string;
}

/** The defaults, in one place. */
export const FUNCTION_CONFIG_DEFAULTS = {
  /** @default '/tmp/ecs-role-attach' (`STATE`) */
  state: '/tmp/ecs-role-attach',
  /** @default 'skip' (`ON_CONFLICT`): the execution input's default. */
  onConflict: PARAMETER_DEFAULTS.onConflict,
  /** @default 5 (`BREAKER_THRESHOLD`): the event path's default. */
  breakerThreshold: EVENT_PATH_DEFAULTS.breakerThreshold,
  /** @default 'report' (`DRIFT`) */
  drift: 'report',
} as const;

/** The part of the FC context the configuration reads. */
export interface ConfigContext {
  accountId?: string;
  region?: string;
}

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ACCOUNT_ID = /^\d{1,32}$/;

/**
 * Reads and validates the configuration. Pure: pass `process.env` and the FC context.
 *
 * @throws {@link InvalidInputError} whose `field` is the variable name, e.g.
 *   `ON_CONFLICT must be one of skip, fail, replace, got "overwrite"; nothing was changed.`
 * @example
 * export const handler = async (event: unknown, context: FcContext) => {
 *   const config = loadFunctionConfig(process.env, context);
 *   ...
 * };
 */
export function loadFunctionConfig(
  env: Readonly<Record<string, string | undefined>>,
  context: ConfigContext = {},
): FunctionConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const roleRulesValue = read('ROLE_RULES');
  const givenRole = read('RAM_ROLE_NAME');
  if (roleRulesValue !== undefined && givenRole !== undefined) {
    throw new InvalidInputError(
      'ROLE_RULES',
      'and RAM_ROLE_NAME exclude each other: set one role (RAM_ROLE_NAME) or role rules (ROLE_RULES)',
      roleRulesValue.length > 80 ? `${roleRulesValue.slice(0, 80)}…` : roleRulesValue,
    );
  }
  const roleRules = roleRulesValue === undefined ? undefined : parseRoleRulesSource(roleRulesValue);
  const ramRoleName = roleRules ? RULES_LABEL : givenRole;
  if (ramRoleName === undefined) {
    throw new InvalidInputError(
      'RAM_ROLE_NAME',
      'is required (the designated instance RAM role), or ROLE_RULES (role rules)',
      undefined,
    );
  }
  if (!roleRules) checkAtom(ramRoleName, ROLE_NAME, ROLE_RULE, 'RAM_ROLE_NAME');

  const endpointOverride = read('ENDPOINT_OVERRIDE');
  if (endpointOverride !== undefined) parseEndpoint(endpointOverride, 'ENDPOINT_OVERRIDE');

  const onConflict = read('ON_CONFLICT') ?? FUNCTION_CONFIG_DEFAULTS.onConflict;
  if (!(CONFLICT_POLICIES as readonly string[]).includes(onConflict)) {
    throw new InvalidInputError('ON_CONFLICT', `must be one of ${CONFLICT_POLICIES.join(', ')}`, onConflict);
  }

  const drift = read('DRIFT') ?? FUNCTION_CONFIG_DEFAULTS.drift;
  if (!(DRIFT_MODES as readonly string[]).includes(drift)) {
    throw new InvalidInputError('DRIFT', `must be one of ${DRIFT_MODES.join(', ')}`, drift);
  }

  const accountId = read('FC_ACCOUNT_ID') ?? context.accountId;
  if (accountId === undefined || !ACCOUNT_ID.test(accountId)) {
    throw new InvalidInputError(
      'FC_ACCOUNT_ID',
      'must be the numeric Alibaba Cloud account id (or context.accountId must be set)',
      accountId,
    );
  }
  const regionId = read('FC_REGION') ?? context.region;
  if (regionId === undefined || !REGION_ID.test(regionId)) {
    throw new InvalidInputError('FC_REGION', `${REGION_RULE} (or context.region must be set)`, regionId);
  }

  return {
    ramRoleName,
    ...(roleRules ? { roleRules } : {}),
    state: parseState(read('STATE') ?? FUNCTION_CONFIG_DEFAULTS.state),
    ...(endpointOverride === undefined ? {} : { endpointOverride }),
    qps: parseQpsVariable(read('QPS')),
    excludeTags: parseExcludeTags(read('EXCLUDE_TAG')),
    onConflict: onConflict as ConflictPolicy,
    breakerThreshold: parseBreakerThreshold(read('BREAKER_THRESHOLD')),
    notify: parseSinks([read('NOTIFY') ?? ''], 'NOTIFY'),
    drift: drift as DriftMode,
    driftIgnoreCallers: (read('DRIFT_IGNORE_CALLERS') ?? '')
      .split(',')
      .map((caller) => caller.trim())
      .filter((caller) => caller !== ''),
    accountId,
    regionId,
  };
}

/**
 * `ROLE_RULES`: `store:<key>` names a document of the state store; anything else is the document itself.
 * @throws {@link InvalidInputError} naming `ROLE_RULES` and the rule's field, e.g.
 *   `ROLE_RULES rules[1].role of rule "web" is required`.
 */
export function parseRoleRulesSource(value: string): RoleRulesSource {
  const key = parseStoreReference(value, 'ROLE_RULES');
  if (key !== undefined) return { kind: 'store', key };
  return { kind: 'inline', rules: parseRoleRulesAs(value, 'ROLE_RULES') };
}

/**
 * `oss://bucket/prefix` (prefix optional, no trailing slash kept) or an absolute directory.
 * @throws {@link InvalidInputError} with field `STATE`.
 */
export function parseState(value: string): StateLocation {
  if (value.startsWith('oss://')) {
    const rest = value.slice('oss://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!BUCKET.test(bucket)) {
      throw new InvalidInputError(
        'STATE',
        'must name an OSS bucket (3-63 lowercase letters, digits, "-") as oss://bucket/prefix',
        value,
      );
    }
    if (
      prefix
        .split('/')
        .some((segment) => segment === '..' || segment === '.' || (prefix !== '' && segment === ''))
    ) {
      throw new InvalidInputError('STATE', 'must have a prefix without empty, "." or ".." segments', value);
    }
    return { kind: 'oss', bucket, prefix };
  }
  if (!value.startsWith('/')) {
    throw new InvalidInputError(
      'STATE',
      'must be an absolute directory (in FC, under /tmp) or oss://bucket/prefix',
      value,
    );
  }
  return { kind: 'fs', directory: value };
}

/** `QPS`, read by the one per-action QPS parser (atoms.ts); unset -> `{}` (the adapter's defaults). */
export function parseQpsVariable(value: string | undefined): Record<string, number> {
  return value === undefined ? {} : parseQps(value, 'QPS');
}

function parseExcludeTags(value: string | undefined): { key: string; value?: string }[] {
  if (value === undefined) return [];
  return value.split(',').map((entry) => parseTagFilter(entry.trim(), 'EXCLUDE_TAG'));
}

function parseBreakerThreshold(value: string | undefined): number {
  if (value === undefined) return FUNCTION_CONFIG_DEFAULTS.breakerThreshold;
  const threshold = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(threshold) || threshold < 1) {
    throw new InvalidInputError(
      'BREAKER_THRESHOLD',
      'must be a positive integer (consecutive failures)',
      value,
    );
  }
  return threshold;
}
