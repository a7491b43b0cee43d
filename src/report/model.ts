/**
 * The exported report (`ecs-role-attach report <id> --format json|csv|html`, `sweep --report <file>`, and
 * `reports/<id>.{json,csv,html}` written by the functions): one document over one or more executions, each
 * instance a row carrying its account, region, execution and batch. The CSV and HTML renderers read only
 * this, so the three formats always say the same thing.
 *
 * Pure: built from engine reports and plans the caller loaded ({@link ./load.ts}).
 */
import {
  type BatchStatus,
  type ExecutionCounts,
  type ExecutionPlan,
  type ExecutionReport,
  type Outcome,
  type ReportedInstance,
  RULES_LABEL,
} from '../engine/index.js';

/** The formats of an export. */
export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The `schema` of the JSON export; bumped when a field changes meaning. */
export const REPORT_SCHEMA = 'ecs-role-attach/report@1';

/** An outcome of a row: a terminal outcome, or `Pending` while the execution has not reached it. */
export type RowOutcome = Outcome | 'Pending';

/** One instance (target) of one execution: the CSV's row, the HTML's table row. */
export interface ReportRow {
  /** The member account (organization scope); `''` for an execution of the caller's own account. */
  accountId: string;
  regionId: string;
  executionId: string;
  /** The batch (1-based) the instance was planned in; absent when planning decided it (no write needed). */
  batch?: number;
  instanceId: string;
  /** Role rules: the rule that matched (absent for a one-role execution and for `Skipped/NoRule`). */
  rule?: string;
  /** The role the instance should bear: its rule's, or the execution's (`''`: no rule matched it). */
  role: string;
  outcome: RowOutcome;
  /** `Skipped`: the reason (`Excluded`, `OtherRole`...); `Failed`: the error code. */
  reason?: string;
  /** The error message (or the skip's detail). */
  message?: string;
  /**
   * The role the instance bore before the execution (found at planning; for `Replaced` / `Restored` the
   * role swapped out or set back). Source kinds: the value before (metadata mode, template version).
   */
  previousRole?: string;
}

/** Outcome counts of one batch. */
export interface ReportBatch {
  /** 1-based, as the terminal and console show it. */
  number: number;
  size: number;
  status: BatchStatus;
  outcomes: Partial<Record<RowOutcome, number>>;
}

/** One execution of the export (the only one, a sweep's region, or an organization's child). */
export interface ReportExecution {
  executionId: string;
  accountId: string;
  regionId: string;
  /**
   * `Pending`: an organization child never created (e.g. its account could not be reached); `NotRun`: a
   * sweep's region that was not swept (locked, refused by `maxTargets`...), `statusReason` says why.
   */
  status: ExecutionReport['status'] | 'Pending' | 'NotRun';
  statusReason?: string;
  /** Account- or child-level failure code (no instance rows then). */
  code?: string;
  ramRoleName: string;
  mode?: string;
  maxErrors?: number;
  counts?: ExecutionCounts;
  batches: ReportBatch[];
}

/** Failed rows grouped by code, most frequent first. */
export interface FailureGroup {
  code: string;
  count: number;
  /** The first message seen for the code. */
  message?: string;
}

/** The whole export. */
export interface ReportDocument {
  schema: typeof REPORT_SCHEMA;
  /** `execution`: one execution; `organization`: a parent (`org-…`) and its children; `sweep`: a sweep's regions. */
  kind: 'execution' | 'organization' | 'sweep';
  /** The execution or parent id; for a sweep, the role swept. */
  id: string;
  generatedAt: string;
  status: string;
  statusReason?: string;
  ramRoleName: string;
  /** Rows per outcome, over every execution. */
  totals: { instances: number } & Partial<Record<RowOutcome, number>>;
  executions: ReportExecution[];
  failuresByCode: FailureGroup[];
  instances: ReportRow[];
}

/** One execution as loaded: its report and plan, and the account it ran in (`''`: the caller's). */
export interface LoadedExecution {
  report: ExecutionReport;
  plan: Pick<ExecutionPlan, 'batches' | 'targets'>;
  accountId: string;
}

/** The rows and the execution summary of one loaded execution. */
export function exportExecution(loaded: LoadedExecution): { execution: ReportExecution; rows: ReportRow[] } {
  const { report, plan, accountId } = loaded;
  const batchOf = new Map<string, number>();
  for (const batch of plan.batches) for (const id of batch.instanceIds) batchOf.set(id, batch.index + 1);
  const currentRole = new Map(plan.targets.map((t) => [t.instanceId, t.currentRole]));
  const rows = report.instances.map((instance) =>
    rowOf(instance, {
      accountId,
      regionId: report.regionId,
      executionId: report.executionId,
      // With role rules the execution's role is the label `@rules`, no role: an unmatched instance has none.
      role: report.ramRoleName === RULES_LABEL ? '' : report.ramRoleName,
      batch: batchOf.get(instance.instanceId),
      currentRole: currentRole.get(instance.instanceId),
    }),
  );
  const perBatch = new Map<number, Partial<Record<RowOutcome, number>>>();
  for (const row of rows) {
    if (row.batch === undefined) continue;
    const counts = perBatch.get(row.batch) ?? {};
    counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
    perBatch.set(row.batch, counts);
  }
  const execution: ReportExecution = {
    executionId: report.executionId,
    accountId,
    regionId: report.regionId,
    status: report.status,
    ...(report.statusReason === undefined ? {} : { statusReason: report.statusReason }),
    ramRoleName: report.ramRoleName,
    mode: report.mode,
    maxErrors: report.maxErrors,
    counts: report.counts,
    batches: report.batches.map((batch) => ({
      number: batch.index + 1,
      size: batch.size,
      status: batch.status,
      outcomes: perBatch.get(batch.index + 1) ?? {},
    })),
  };
  return { execution, rows };
}

function rowOf(
  instance: ReportedInstance,
  where: {
    accountId: string;
    regionId: string;
    executionId: string;
    role: string;
    batch: number | undefined;
    currentRole: string | undefined;
  },
): ReportRow {
  const row: ReportRow = {
    accountId: where.accountId,
    regionId: where.regionId,
    executionId: where.executionId,
    instanceId: instance.instanceId,
    role: instance.role ?? where.role,
    outcome: instance.outcome,
  };
  if (where.batch !== undefined) row.batch = where.batch;
  if (instance.rule !== undefined && instance.rule !== '') row.rule = instance.rule;
  const reason = instance.reason ?? instance.code;
  if (reason !== undefined) row.reason = reason;
  if (instance.message !== undefined) row.message = instance.message;
  // Planning records the role found only where it matters for the write; AlreadyAttached bore the role itself.
  const previous =
    instance.previousRole ??
    instance.previous ??
    where.currentRole ??
    (instance.outcome === 'AlreadyAttached' ? row.role : undefined);
  if (previous !== undefined && previous !== '') row.previousRole = previous;
  return row;
}

/** Assembles the document from executions and their rows (in the order given). */
export function reportDocument(
  head: Pick<ReportDocument, 'kind' | 'id' | 'status' | 'statusReason' | 'ramRoleName'>,
  parts: { execution: ReportExecution; rows: ReportRow[] }[],
  generatedAt: Date,
): ReportDocument {
  const instances = parts.flatMap((part) => part.rows);
  const totals: ReportDocument['totals'] = { instances: instances.length };
  const failures = new Map<string, FailureGroup>();
  for (const row of instances) {
    totals[row.outcome] = (totals[row.outcome] ?? 0) + 1;
    if (row.outcome !== 'Failed') continue;
    const code = row.reason ?? 'Unknown';
    const group = failures.get(code) ?? { code, count: 0 };
    group.count += 1;
    if (group.message === undefined && row.message !== undefined) group.message = row.message;
    failures.set(code, group);
  }
  // An organization child that failed before it had instances (account unreachable, role unusable).
  for (const { execution } of parts) {
    if (execution.code === undefined || execution.counts !== undefined) continue;
    const group = failures.get(execution.code) ?? { code: execution.code, count: 0 };
    group.count += 1;
    if (group.message === undefined && execution.statusReason !== undefined)
      group.message = execution.statusReason;
    failures.set(execution.code, group);
  }
  return {
    schema: REPORT_SCHEMA,
    kind: head.kind,
    id: head.id,
    generatedAt: generatedAt.toISOString(),
    status: head.status,
    ...(head.statusReason === undefined ? {} : { statusReason: head.statusReason }),
    ramRoleName: head.ramRoleName,
    totals,
    executions: parts.map((part) => part.execution),
    failuresByCode: [...failures.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    instances,
  };
}
