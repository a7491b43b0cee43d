/**
 * Reviewed plans: a dry run kept as a document (its parameters, one line per instance with the state
 * planning saw and the outcome it predicted, and a digest; the document format lives in
 * src/inputs/plan.ts), and later the execution of exactly that set of instances.
 *
 * Executing a plan re-reads its instances (DescribeInstances by id, DescribeInstanceRamRole) and plans
 * them again with the plan's parameters through the one planner. An instance whose role, tags or status
 * differ from its line, that is gone, or that would now get another outcome or rule than the plan predicted
 * (an exemption expired meanwhile, it moved to another VPC) ends `Skipped/ChangedSincePlan` without a
 * write; the others go through the ordinary execution machinery (batches, journal, pause, resume).
 * Instances that appeared since are not in the plan, so they are not touched. An instance the
 * execution's exclusions exclude now ends `Skipped/Excluded` (the exclusion wins).
 */
import { createExecution, type EngineDeps } from './execution/index.js';
import { type ExecutionReport, predictedOutcome } from './execution/report.js';
import { newExecutionId } from './ids.js';
import { type ObservedPlan, observeAndPlan, withBatches } from './planner.js';
import type { ExecutionStore } from './ports.js';
import { assignmentOf } from './rules.js';
import { targetRegion } from './targets.js';
import type {
  ExecutionParameters,
  ExecutionRecord,
  InstanceOutcome,
  PlannedTarget,
  SkipReason,
} from './types.js';

/** The outcomes a dry run predicts. */
export const PREDICTED_OUTCOMES = ['Attached', 'AlreadyAttached', 'Replaced', 'Skipped', 'Failed'] as const;
export type PredictedOutcome = (typeof PREDICTED_OUTCOMES)[number];

/** One instance of a reviewed plan: what planning saw, and what it predicted. */
export interface PlannedInstance {
  instanceId: string;
  /** ECS status at planning; absent for an id DescribeInstances did not return (predicted `Skipped/Gone`). */
  status?: string;
  /** Its tags at planning (absent with `status`). */
  tags?: Record<string, string>;
  /** The role it bore at planning (`""`: none); absent when planning did not look it up (ineligible, no rule). */
  role?: string;
  /** Role rules: the name of the rule that matched it. */
  rule?: string;
  outcome: PredictedOutcome;
  /** `Skipped`: why. */
  reason?: SkipReason;
  /** `Failed` (onConflict fail): the code. */
  code?: string;
  /** For the reviewer; not compared. */
  message?: string;
}

/** A validated reviewed plan, as the shells hand it to the engine. */
export interface ReviewedPlan {
  parameters: ExecutionParameters;
  instances: PlannedInstance[];
  /** `sha256:<hex>` of the document (see src/inputs/plan.ts). */
  digest: string;
}

type DryRunDeps = Omit<EngineDeps, 'store'> & { store?: ExecutionStore };

/**
 * A dry run (status `Planned`, nothing written) that also returns the plan's instance lines, in plan
 * order, for the shell to save as a reviewed plan.
 */
export async function dryRunForReview(
  parameters: ExecutionParameters,
  deps: DryRunDeps,
  origin: ExecutionRecord['origin'],
): Promise<{ report: ExecutionReport; instances: PlannedInstance[] }> {
  const observed = await observeAndPlan(newExecutionId(deps.clock.now(), deps.random), parameters, deps);
  const report = await createExecution(parameters, deps, { origin, dryRun: true, plan: observed.plan });
  return { report, instances: plannedInstances(observed, parameters) };
}

/**
 * Plans and stores (or, with `dryRun`, only reports) the execution of a reviewed plan: exactly its
 * instances, in its order; those changed since planning end `Skipped/ChangedSincePlan`. The blast-radius
 * belt (`maxTargets`) applies as to any execution. `executionId`: as for {@link createExecution}.
 */
export async function createExecutionFromPlan(
  reviewed: ReviewedPlan,
  deps: DryRunDeps,
  options: { origin: ExecutionRecord['origin']; dryRun?: boolean; executionId?: string },
): Promise<ExecutionReport> {
  const { parameters } = reviewed;
  const executionId = options.executionId ?? newExecutionId(deps.clock.now(), deps.random);
  const ids = reviewed.instances.map((line) => line.instanceId);
  // The same planner over the plan's ids only: instances that appeared since are not read at all, and
  // no Status filter of the targets hides an instance whose status changed.
  const regionId = targetRegion(parameters.targets, parameters.regionId);
  const fresh: ObservedPlan =
    ids.length === 0
      ? { plan: withBatches({ executionId, targets: [] }, parameters), instances: [], roles: new Map() }
      : await observeAndPlan(
          executionId,
          { ...parameters, targets: { Type: 'ResourceIds', ResourceIds: ids, RegionId: regionId } },
          deps,
        );
  const now = new Map(plannedInstances(fresh, parameters).map((line) => [line.instanceId, line]));
  const targets = new Map(fresh.plan.targets.map((target) => [target.instanceId, target]));
  const ruleIndex = new Map(parameters.rules?.rules.map((rule, index) => [rule.name, index]));
  const planned = reviewed.instances.map((line): PlannedTarget => {
    const target = targets.get(line.instanceId);
    // What the execution's exclusions exclude now (a tag added since, the deployment's EXCLUDE_TAG on the
    // workflow path) ends Skipped/Excluded: the exclusion wins, and nothing is written either way.
    if (target?.decided?.outcome === 'Skipped' && target.decided.reason === 'Excluded') return target;
    const change = changeSincePlan(line, now.get(line.instanceId), regionId);
    if (change === undefined && target) return target;
    const decided: InstanceOutcome = {
      instanceId: line.instanceId,
      outcome: 'Skipped',
      reason: 'ChangedSincePlan',
      message: `changed since the plan was made: ${change ?? 'not found again'}; left alone (plan again to include it)`,
    };
    // Counted under the rule the plan named, so that the report's per-rule lines add up to the plan's.
    const rule = line.rule === undefined ? undefined : ruleIndex.get(line.rule);
    return rule === undefined
      ? { instanceId: line.instanceId, decided }
      : { instanceId: line.instanceId, rule, decided };
  });
  const plan = withBatches(
    {
      executionId,
      targets: planned,
      ...(fresh.plan.exemptions ? { exemptions: fresh.plan.exemptions } : {}),
    },
    parameters,
  );
  return createExecution(parameters, deps, {
    origin: options.origin,
    plan,
    fromPlan: reviewed.digest,
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.executionId === undefined ? {} : { executionId: options.executionId }),
  });
}

/** The instance lines of an observed plan, in plan order. */
export function plannedInstances(observed: ObservedPlan, parameters: ExecutionParameters): PlannedInstance[] {
  const found = new Map(observed.instances.map((instance) => [instance.instanceId, instance]));
  return observed.plan.targets.map((target) => {
    const instance = found.get(target.instanceId);
    const assignment = assignmentOf(parameters, target);
    const predicted = predictedOutcome(target, assignment.role);
    // Key order is the reading order of the saved file: the instance, what planning saw, what it predicts.
    const line = { instanceId: target.instanceId } as PlannedInstance;
    if (instance) {
      line.status = instance.status;
      line.tags = instance.tags;
    }
    if (observed.roles.has(target.instanceId)) line.role = observed.roles.get(target.instanceId) ?? '';
    if (assignment.rule !== undefined) line.rule = assignment.rule;
    line.outcome = predicted.outcome as PredictedOutcome;
    if (predicted.outcome === 'Skipped') line.reason = predicted.reason;
    if (predicted.outcome === 'Failed') line.code = predicted.code;
    if ('message' in predicted && predicted.message !== undefined) line.message = predicted.message;
    return line;
  });
}

/**
 * What differs between an instance's plan line and the same instance now, in words, or undefined when
 * nothing does. Compared: status, tags, role, the rule that matches and the predicted outcome.
 */
export function changeSincePlan(
  planned: PlannedInstance,
  now: PlannedInstance | undefined,
  regionId: string,
): string | undefined {
  if (!now) return undefined;
  const changes: string[] = [];
  if (planned.status !== undefined && now.status === undefined)
    return `it is gone (not found in ${regionId})`;
  if (planned.status !== now.status) changes.push(`status ${planned.status ?? '(none)'} -> ${now.status}`);
  changes.push(...tagChanges(planned.tags ?? {}, now.tags ?? {}));
  if (planned.role !== undefined && now.role !== undefined && planned.role !== now.role) {
    changes.push(`role ${quoted(planned.role)} -> ${quoted(now.role)}`);
  }
  if (planned.rule !== now.rule) changes.push(`rule ${planned.rule ?? '(none)'} -> ${now.rule ?? '(none)'}`);
  const before = outcomeOf(planned);
  const after = outcomeOf(now);
  if (changes.length === 0 && before !== after) changes.push(`the plan predicted ${before}, now ${after}`);
  return changes.length > 0 ? changes.join('; ') : undefined;
}

function outcomeOf(line: PlannedInstance): string {
  const detail = line.reason ?? line.code;
  return detail === undefined ? line.outcome : `${line.outcome}/${detail}`;
}

function tagChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  const changes: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = before[key];
    const is = after[key];
    if (was === is) continue;
    changes.push(
      was === undefined
        ? `tag ${key} added (${quoted(is ?? '')})`
        : is === undefined
          ? `tag ${key} removed (was ${quoted(was)})`
          : `tag ${key} ${quoted(was)} -> ${quoted(is)}`,
    );
  }
  return changes;
}

function quoted(value: string): string {
  return value === '' ? '(none)' : JSON.stringify(value);
}
