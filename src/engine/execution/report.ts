/**
 * The report of an execution, shared by every shell (`--output json`, the workflow, the sweep), the
 * summary saved beside execution.json for `list` and the console, and the outcomes a dry run predicts.
 */
import { assignmentOf } from '../rules.js';
import type {
  BatchStatus,
  CallRefusal,
  DeliveryStats,
  ExecutionCounts,
  ExecutionPlan,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionSummary,
  ExemptionNotice,
  InstanceOutcome,
  OutcomeGroup,
  PlannedTarget,
} from '../types.js';
import { countOutcomes, type ExecutionState, type IntentEntry } from './machine.js';

export type { BatchStatus };

/** One line of the report per target; `Pending` while it has no terminal outcome. */
export type ReportedInstance = {
  instanceId: string;
  outcome: InstanceOutcome['outcome'] | 'Pending';
  reason?: string;
  code?: string;
  message?: string;
  previousRole?: string;
  /**
   * Role rules: the role the instance's rule assigns (also the role removed, for a rollback's
   * `Detached`). Rollback `Detached` of a single-role execution: the role removed.
   */
  role?: string;
  /** Source kinds `Updated`: the value before and after; `Reverted`: the value set back. */
  previous?: string;
  current?: string;
  restoredTo?: string;
  /** Role rules: the rule that matched the instance (absent for `Skipped/NoRule`). */
  rule?: string;
};

/** One rule's line of the report: what its instances ended as. */
export interface RuleReport {
  name: string;
  role: string;
  /** The restricting policy sent with its attaches, if any. */
  policy?: string;
  counts: ExecutionCounts;
}

/** The `--output json` document, shared by every shell (CLI, workflow, sweep). */
export interface ExecutionReport {
  executionId: string;
  status: ExecutionStatus;
  statusReason?: string;
  pauseReason?: string;
  regionId: string;
  ramRoleName: string;
  mode: string;
  counts: ExecutionCounts;
  maxErrors: number;
  batches: { index: number; size: number; status: BatchStatus }[];
  instances: ReportedInstance[];
  /** Set on rollback executions: the execution they roll back. */
  rollbackOf?: string;
  /** Set for the source kinds (`harden-metadata`, `templates`); absent for attach executions. */
  kind?: string;
  /** Role rules only: counts per rule, in rule order. */
  rules?: RuleReport[];
  /** Role rules only: roles that count as compliant as they are. */
  acceptedRoles?: string[];
  /** Role rules only: instances no rule matched (Skipped/NoRule). */
  noRule?: number;
  /** The call refused for the caller that stopped the execution (code, permission to grant). */
  refusal?: CallRefusal;
  /** Things an operator should check although nothing failed (e.g. a region that listed no instance). */
  warnings?: string[];
  /** Exemptions that expired (now in scope) or expire soon, as found at planning. */
  exemptions?: ExemptionNotice[];
  /** Notification deliveries of the command or invocation that returned this report (`--notify`, `NOTIFY`). */
  notifications?: DeliveryStats;
  /** Executions of a reviewed plan: its digest (`sha256:…`). */
  fromPlan?: string;
}

/**
 * The warning for a region whose DescribeInstances listed no instance: real ECS answers a RAM user without
 * `ecs:DescribeInstances` with an empty list, not an error, so a mis-scoped policy looks like an empty fleet.
 * The one wording of `run`, `sweep` and `doctor`; `forTargets` when the listing was filtered by targets.
 */
export function emptyRegionWarning(regionId: string, forTargets = true): string {
  return `DescribeInstances listed no instance in ${regionId}${forTargets ? ' for these targets' : ''}; if instances exist there, grant ecs:DescribeInstances to the caller (without it ECS answers an empty list, not an error)`;
}

export function toReported(instanceId: string, outcome: InstanceOutcome | undefined): ReportedInstance {
  if (!outcome) return { instanceId, outcome: 'Pending' };
  const reported: ReportedInstance = { instanceId, outcome: outcome.outcome };
  if ('reason' in outcome) reported.reason = outcome.reason;
  if ('code' in outcome) reported.code = outcome.code;
  if ('message' in outcome && outcome.message !== undefined) reported.message = outcome.message;
  if ('previousRole' in outcome) reported.previousRole = outcome.previousRole;
  if ('role' in outcome) reported.role = outcome.role;
  if ('previous' in outcome) reported.previous = outcome.previous;
  if ('current' in outcome) reported.current = outcome.current;
  if ('restoredTo' in outcome) reported.restoredTo = outcome.restoredTo;
  return reported;
}

export function batchStatus(
  instanceIds: readonly string[],
  outcomes: Map<string, InstanceOutcome>,
): BatchStatus {
  let done = 0;
  let failed = false;
  let cancelled = false;
  for (const id of instanceIds) {
    const outcome = outcomes.get(id);
    if (!outcome) continue;
    done += 1;
    if (outcome.outcome === 'Failed') failed = true;
    if (outcome.outcome === 'Cancelled') cancelled = true;
  }
  if (done === 0) return 'Pending';
  if (done < instanceIds.length) return 'Running';
  if (failed) return 'Failed';
  return cancelled ? 'Cancelled' : 'Success';
}

/** Builds the report of an execution from its state. */
export function buildReport(
  state: Pick<ExecutionState, 'record' | 'plan' | 'outcomes'> & { counts?: ExecutionCounts },
): ExecutionReport {
  const { record, plan, outcomes } = state;
  const report: ExecutionReport = {
    executionId: record.executionId,
    status: record.status,
    regionId: record.parameters.regionId,
    ramRoleName: record.parameters.ramRoleName,
    mode: record.parameters.mode,
    counts: state.counts ? { ...state.counts } : countOutcomes(plan.targets.length, outcomes.values()),
    maxErrors: plan.maxErrors,
    batches: plan.batches.map((batch) => ({
      index: batch.index,
      size: batch.instanceIds.length,
      status: batchStatus(batch.instanceIds, outcomes),
    })),
    instances: plan.targets.map((target) => toReported(target.instanceId, outcomes.get(target.instanceId))),
  };
  const { rules } = record.parameters;
  if (rules) {
    const perRule = rules.rules.map((): InstanceOutcome[] => []);
    const sizes = rules.rules.map(() => 0);
    let noRule = 0;
    plan.targets.forEach((target, index) => {
      const outcome = outcomes.get(target.instanceId);
      if (outcome?.outcome === 'Skipped' && outcome.reason === 'NoRule') noRule += 1;
      if (target.rule === undefined) return;
      const assignment = assignmentOf(record.parameters, target);
      const line = report.instances[index]!;
      line.rule = assignment.rule ?? '';
      line.role ??= assignment.role;
      sizes[target.rule] = (sizes[target.rule] ?? 0) + 1;
      if (outcome) perRule[target.rule]?.push(outcome);
    });
    report.rules = rules.rules.map((rule, index) => ({
      name: rule.name,
      role: rule.role,
      ...(rule.policy === undefined ? {} : { policy: rule.policy }),
      counts: countOutcomes(sizes[index] ?? 0, perRule[index] ?? []),
    }));
    report.acceptedRoles = rules.acceptedRoles;
    report.noRule = noRule;
  }
  if (record.statusReason) report.statusReason = record.statusReason;
  if (record.rollbackOf) report.rollbackOf = record.rollbackOf;
  if (record.fromPlan) report.fromPlan = record.fromPlan;
  if (record.parameters.kind) report.kind = record.parameters.kind;
  if (plan.exemptions?.length) report.exemptions = plan.exemptions;
  if (record.pauseReason && record.status === 'Waiting') report.pauseReason = record.pauseReason;
  if (record.refusal) report.refusal = record.refusal;
  if (plan.targets.length === 0 && record.origin !== 'rollback' && !record.parameters.kind) {
    report.warnings = [emptyRegionWarning(record.parameters.targets.RegionId ?? record.parameters.regionId)];
  }
  return report;
}

/** What a dry run prints: each target with the outcome it would get. */
export function predictedOutcome(target: PlannedTarget, roleName: string): InstanceOutcome {
  if (target.decided) return target.decided;
  switch (target.work) {
    case 'replace':
      return { instanceId: target.instanceId, outcome: 'Replaced', previousRole: target.currentRole ?? '' };
    case 'conflict':
      return conflictOutcome(target.instanceId, target.currentRole ?? '', roleName);
    default:
      return { instanceId: target.instanceId, outcome: 'Attached' };
  }
}

/** An instance bearing one of the rules document's accepted roles: compliant, left as it is. */
export function acceptedOutcome(instanceId: string, role: string): InstanceOutcome {
  return { instanceId, outcome: 'Skipped', reason: 'AcceptedRole', message: `bears accepted role ${role}` };
}

export function conflictOutcome(instanceId: string, currentRole: string, roleName: string): InstanceOutcome {
  return {
    instanceId,
    outcome: 'Failed',
    code: 'OtherRole',
    message: `bears role ${currentRole}, not ${roleName}; onConflict is fail (use replace to swap it)`,
  };
}

/** How much of an execution its summary carries. */
export const SUMMARY_LIMITS = {
  /** Targets in `head`: one page of the console's instance table. */
  head: 100,
  /** Instance ids listed per failure or skip group (the console's table lists all of them). */
  groupSample: 20,
} as const;

/**
 * The summary of an execution's state (see {@link ExecutionSummary}), in one pass over the plan; the
 * counts stay in the record ({@link countOutcomes}).
 */
export function summarizeExecution(
  record: Pick<ExecutionRecord, 'executionId' | 'updatedAt' | 'status'>,
  plan: Pick<ExecutionPlan, 'targets' | 'batches'>,
  outcomes: Map<string, InstanceOutcome>,
  openIntents: Iterable<IntentEntry>,
): ExecutionSummary {
  const failures = new Map<string, OutcomeGroup & { messages: Set<string> }>();
  const skipped = new Map<string, OutcomeGroup & { messages: Set<string> }>();
  for (const target of plan.targets) {
    const outcome = outcomes.get(target.instanceId);
    if (outcome?.outcome === 'Failed') addToGroup(failures, outcome.code, target.instanceId, outcome.message);
    if (outcome?.outcome === 'Skipped')
      addToGroup(skipped, outcome.reason, target.instanceId, outcome.message);
  }
  let inFlight = 0;
  for (const intent of openIntents) inFlight += intent.instanceIds.length;
  return {
    executionId: record.executionId,
    updatedAt: record.updatedAt,
    status: record.status,
    batches: plan.batches.map((batch) => ({
      index: batch.index,
      size: batch.instanceIds.length,
      status: batchStatus(batch.instanceIds, outcomes),
    })),
    failures: finishGroups(failures),
    skipped: finishGroups(skipped),
    inFlight,
    head: plan.targets.slice(0, SUMMARY_LIMITS.head).map(({ instanceId }) => {
      const outcome = outcomes.get(instanceId);
      return outcome ? { instanceId, outcome } : { instanceId };
    }),
  };
}

/** The summary describes this record's journal (it was saved with it). */
export function summaryMatches(
  summary: ExecutionSummary | undefined,
  record: Pick<ExecutionRecord, 'updatedAt' | 'status'>,
): summary is ExecutionSummary {
  return summary?.updatedAt === record.updatedAt && summary.status === record.status;
}

function addToGroup(
  groups: Map<string, OutcomeGroup & { messages: Set<string> }>,
  key: string,
  instanceId: string,
  message: string | undefined,
): void {
  let group = groups.get(key);
  if (!group) {
    group = { key, count: 0, otherMessages: 0, sample: [], messages: new Set() };
    if (message !== undefined) group.message = message;
    groups.set(key, group);
  }
  group.count += 1;
  if (group.sample.length < SUMMARY_LIMITS.groupSample) group.sample.push(instanceId);
  if (message !== undefined && !group.messages.has(message)) {
    group.messages.add(message);
    group.otherMessages = group.messages.size - 1;
  }
}

function finishGroups(groups: Map<string, OutcomeGroup & { messages: Set<string> }>): OutcomeGroup[] {
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .map(({ messages: _messages, ...rest }) => rest);
}
