/**
 * Role rules in the engine: which rule an instance matches (first match wins), and the role, policy
 * and conflict policy that follow for a planned target. The single-role form (`RamRoleName`) is the
 * one-rule case: no rule index, the execution's role, no policy.
 */
import type {
  ConflictPolicy,
  ExecutionParameters,
  InstanceInfo,
  PlannedTarget,
  RoleRule,
  RoleRules,
  RuleMatch,
} from './types.js';

/** The role (and policy) one instance is to bear, and the rule that chose it. */
export interface Assignment {
  /** The rule's name; absent in the single-role form. */
  rule?: string;
  role: string;
  policy?: string;
  onConflict: ConflictPolicy;
}

/**
 * The index of the first rule `instance` matches, or `undefined` (the instance ends Skipped/NoRule).
 * Linear in the number of rules; a rule's instance ids are looked up in a set built once per rules
 * document ({@link compileRules}).
 */
export type RuleMatcher = (instance: InstanceInfo) => number | undefined;

/** Builds the matcher of a rules document (sets of instance ids built once, not per instance). */
export function compileRules(rules: RoleRules): RuleMatcher {
  const compiled = rules.rules.map((rule) => ({
    match: rule.match,
    tags: Object.entries(rule.match.tags ?? {}),
    ids: rule.match.instanceIds ? new Set(rule.match.instanceIds) : undefined,
  }));
  return (instance) => {
    for (let index = 0; index < compiled.length; index++) {
      if (matches(compiled[index]!, instance)) return index;
    }
    return undefined;
  };
}

function matches(
  rule: { match: RuleMatch; tags: [string, string][]; ids: Set<string> | undefined },
  instance: InstanceInfo,
): boolean {
  const { match } = rule;
  if (match.regionId !== undefined && match.regionId !== instance.regionId) return false;
  if (match.resourceGroupId !== undefined && match.resourceGroupId !== instance.resourceGroupId) return false;
  if (match.vpcId !== undefined && match.vpcId !== instance.vpcId) return false;
  if (match.vSwitchId !== undefined && match.vSwitchId !== instance.vSwitchId) return false;
  if (rule.ids !== undefined && !rule.ids.has(instance.instanceId)) return false;
  for (const [key, value] of rule.tags) {
    const actual = instance.tags[key];
    if (actual === undefined || (value !== '*' && value !== actual)) return false;
  }
  return true;
}

/** The assignment of a planned target: its rule's role and policy, or the execution's one role. */
export function assignmentOf(
  parameters: ExecutionParameters,
  target: Pick<PlannedTarget, 'rule'> | undefined,
): Assignment {
  const rule = ruleOf(parameters, target);
  if (!rule) return { role: parameters.ramRoleName, onConflict: parameters.onConflict };
  return {
    rule: rule.name,
    role: rule.role,
    ...(rule.policy === undefined ? {} : { policy: rule.policy }),
    onConflict: rule.onConflict ?? parameters.onConflict,
  };
}

function ruleOf(
  parameters: ExecutionParameters,
  target: Pick<PlannedTarget, 'rule'> | undefined,
): RoleRule | undefined {
  if (target?.rule === undefined || !parameters.rules) return undefined;
  return parameters.rules.rules[target.rule];
}

/** One key per (role, policy): AttachInstanceRamRole takes one role and one policy per call. */
export function assignmentKey(assignment: Pick<Assignment, 'role' | 'policy'>): string {
  return assignment.policy === undefined ? assignment.role : `${assignment.role}\u0000${assignment.policy}`;
}

/** Every role an execution may attach, with the first rule naming it (for GetRole before any write). */
export function rolesToCheck(parameters: ExecutionParameters): { role: string; rule?: string }[] {
  if (!parameters.rules) return [{ role: parameters.ramRoleName }];
  const seen = new Map<string, string>();
  for (const rule of parameters.rules.rules) if (!seen.has(rule.role)) seen.set(rule.role, rule.name);
  return [...seen].map(([role, rule]) => ({ role, rule }));
}

/** Whether `role` is one of the document's accepted roles (compliant as it is). */
export function isAcceptedRole(parameters: ExecutionParameters, role: string | undefined): boolean {
  return role !== undefined && role !== '' && (parameters.rules?.acceptedRoles.includes(role) ?? false);
}
