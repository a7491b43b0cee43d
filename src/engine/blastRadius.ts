/**
 * The blast-radius belt (`maxTargets`): an execution that would write to more instances than allowed
 * fails before its first write, with a message naming the limit and the count. Like Cloud Custodian's
 * `max-resources` and Azure Policy's remediation `resourceCount`, it counts only instances that need a
 * write (attach or replace): instances already bearing the role, skipped or recorded as conflicts cost
 * nothing. A dry run is never stopped; its report says whether the real run would be.
 */
import { MAX_TARGETS_DEFAULTS } from './defaults.js';
import { RoleAttachError } from './errors.js';
import { resolveMaxErrors } from './rateControl.js';
import type { Amount, ExecutionParameters, ExecutionPlan } from './types.js';

/** The limit in force and where it comes from (for messages). */
export interface MaxTargetsLimit {
  amount: Amount;
  source:
    | 'maxTargets'
    | 'default for onConflict replace'
    | 'default for targets Type All'
    | `default for onConflict replace (rule "${string}")`;
}

/** The limit that applies to these parameters, or undefined when none does. */
export function maxTargetsLimit(parameters: ExecutionParameters): MaxTargetsLimit | undefined {
  if (parameters.maxTargets !== undefined) return { amount: parameters.maxTargets, source: 'maxTargets' };
  // With role rules, the replace default applies when any rule replaces (its own onConflict or the
  // execution's); a rule's override is named so the message says where the limit comes from.
  const replacing = parameters.rules?.rules.find(
    (rule) => (rule.onConflict ?? parameters.onConflict) === 'replace',
  );
  if (parameters.onConflict === 'replace' || (parameters.rules && replacing)) {
    const source =
      parameters.onConflict === 'replace' || !replacing
        ? ('default for onConflict replace' as const)
        : (`default for onConflict replace (rule "${replacing.name}")` as const);
    return { amount: MAX_TARGETS_DEFAULTS.replace, source };
  }
  if (parameters.targets.Type === 'All') {
    return { amount: MAX_TARGETS_DEFAULTS.all, source: 'default for targets Type All' };
  }
  return undefined;
}

/** The execution would write to more instances than its `maxTargets` allows; nothing was written. */
export class BlastRadiusError extends RoleAttachError {
  public readonly limit: number;
  public readonly count: number;
  public readonly code = 'MaxTargetsExceeded';
  public constructor(limit: MaxTargetsLimit, allowed: number, count: number, selected: number) {
    const shown =
      typeof limit.amount === 'number'
        ? `${limit.amount}`
        : `${limit.amount} of ${selected} selected = ${allowed}`;
    super(
      `maxTargets ${shown} (${limit.source}) allows at most ${allowed} instance writes, but ${count} of the ${selected} selected instances need one; no instance was changed. Narrow the targets, or raise maxTargets (--max-targets, e.g. "100%") after reviewing a dry run.`,
    );
    this.name = 'BlastRadiusError';
    this.limit = allowed;
    this.count = count;
  }
}

/** Instances of a plan that need a write (attach or replace). */
export function writeCount(plan: Pick<ExecutionPlan, 'targets'>): number {
  let count = 0;
  for (const target of plan.targets) if (target.work === 'attach' || target.work === 'replace') count += 1;
  return count;
}

/**
 * The belt's verdict on a plan: undefined when it may run, else the error that stops it.
 * A percentage is of the selected instances (every resolved target), rounded down.
 */
export function blastRadiusViolation(
  plan: Pick<ExecutionPlan, 'targets'>,
  parameters: ExecutionParameters,
): BlastRadiusError | undefined {
  const limit = maxTargetsLimit(parameters);
  if (!limit) return undefined;
  const selected = plan.targets.length;
  const allowed = resolveMaxErrors(limit.amount, selected);
  const count = writeCount(plan);
  return count > allowed ? new BlastRadiusError(limit, allowed, count, selected) : undefined;
}
