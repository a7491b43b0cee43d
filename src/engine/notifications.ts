/**
 * Notification documents: what operators are told, and when. Pure builders and the port; delivery
 * (webhook, DingTalk robot) lives in src/notify and never blocks or fails an execution.
 *
 * Events: `execution.planned` (a dry run), `execution.waiting` (paused: reason, failures by code, the
 * exact resume/retry/cancel commands), `execution.continued` (an operator's continue or retry),
 * `execution.finished` (Success/Failed/Cancelled with counts), `eventpath.breaker-opened` /
 * `eventpath.breaker-closed`, `eventpath.drift-detected` / `eventpath.drift-repaired`, `sweep.finished` (compliance, instances found lacking the role).
 */
import type { ExecutionReport } from './execution/report.js';
import type { DeliveryStats, ExecutionCounts } from './types.js';

export type { DeliveryStats };

/** The fields every execution event carries. */
export interface ExecutionEventFields {
  at: string;
  executionId: string;
  status: string;
  statusReason?: string;
  regionId: string;
  /** The role, or `(rules)` for a role-rules execution. */
  ramRoleName: string;
  counts: ExecutionCounts;
  failuresByCode: Record<string, number>;
}

export type NotificationEvent =
  | ({ type: 'execution.planned'; writes: number } & ExecutionEventFields)
  | ({
      type: 'execution.waiting';
      pauseReason?: string;
      commands: { resume: string; retry: string; cancel: string };
    } & ExecutionEventFields)
  | ({ type: 'execution.continued'; action: 'continue' | 'retry' } & ExecutionEventFields)
  | ({ type: 'execution.finished' } & ExecutionEventFields)
  | {
      type: 'eventpath.breaker-opened';
      at: string;
      regionId: string;
      ramRoleName: string;
      consecutiveFailures: number;
      threshold: number;
      lastFailure: { instanceId: string; code: string; message: string };
      command: string;
    }
  | {
      type: 'eventpath.breaker-closed';
      at: string;
      regionId: string;
      ramRoleName: string;
      backlog: number;
      executionId?: string;
    }
  | {
      /** Role changes by someone else: reported (DRIFT=report), or a repair that failed or waits in the backlog. */
      type: 'eventpath.drift-detected';
      at: string;
      regionId: string;
      ramRoleName: string;
      mode: 'report' | 'repair';
      instances: DriftNotice[];
      /** DRIFT=report with one role: the command that re-attaches it. */
      command?: string;
    }
  | {
      type: 'eventpath.drift-repaired';
      at: string;
      regionId: string;
      ramRoleName: string;
      instances: DriftNotice[];
    }
  | {
      type: 'sweep.finished';
      at: string;
      role: string;
      totals: {
        evaluated: number;
        compliantAfter: number;
        attachedNow: number;
        failed: number;
        notAttempted: number;
        skipped: number;
      };
      /** Instances found lacking the role that the sweep could not fix, per region. */
      nonCompliant: { regionId: string; instanceId: string; code: string }[];
      regions: { regionId: string; state: string; executionId?: string; status?: string; note: string }[];
    };

export type NotificationType = NotificationEvent['type'];

/** One instance of a drift notification. */
export interface DriftNotice {
  instanceId: string;
  /** The API call ActionTrail recorded. */
  call: 'DetachInstanceRamRole' | 'AttachInstanceRamRole';
  /** Who made it (`userIdentity.userName`). */
  caller: string;
  /** The role the call named (`RamRoleName`), when it named one. */
  roleName?: string;
  outcome: string;
  detail?: string;
}

/** Where notifications go; `publish` returns at once and never throws (delivery is the sink's job). */
export interface Notifier {
  publish(event: NotificationEvent): void;
}

function failuresByCode(report: ExecutionReport): Record<string, number> {
  const byCode: Record<string, number> = {};
  for (const instance of report.instances) {
    if (instance.outcome === 'Failed') {
      const code = instance.code ?? 'Unknown';
      byCode[code] = (byCode[code] ?? 0) + 1;
    }
  }
  return byCode;
}

function executionFields(report: ExecutionReport, at: string): ExecutionEventFields {
  return {
    at,
    executionId: report.executionId,
    status: report.status,
    ...(report.statusReason === undefined ? {} : { statusReason: report.statusReason }),
    regionId: report.regionId,
    ramRoleName: report.ramRoleName,
    counts: report.counts,
    failuresByCode: failuresByCode(report),
  };
}

/**
 * The event a report calls for: planned (dry run), waiting, finished; none while Running.
 * `commandFlags` is appended to the commands shown (e.g. ` --state oss://bucket/prefix`).
 */
export function executionEvent(
  report: ExecutionReport,
  at: string,
  commandFlags = '',
): NotificationEvent | undefined {
  const fields = executionFields(report, at);
  switch (report.status) {
    case 'Planned':
      return {
        type: 'execution.planned',
        ...fields,
        writes: report.instances.filter((i) => i.outcome === 'Attached' || i.outcome === 'Replaced').length,
      };
    case 'Waiting': {
      const command = (name: string) => `ecs-role-attach ${name} ${report.executionId}${commandFlags}`;
      return {
        type: 'execution.waiting',
        ...fields,
        ...(report.pauseReason === undefined ? {} : { pauseReason: report.pauseReason }),
        commands: { resume: command('resume'), retry: command('retry'), cancel: command('cancel') },
      };
    }
    case 'Success':
    case 'Failed':
    case 'Cancelled':
      return { type: 'execution.finished', ...fields };
    default:
      return undefined;
  }
}

/** The `execution.continued` event of an operator's continue or retry. */
export function continuedEvent(
  report: ExecutionReport,
  action: 'continue' | 'retry',
  at: string,
): NotificationEvent {
  return { type: 'execution.continued', action, ...executionFields(report, at) };
}
