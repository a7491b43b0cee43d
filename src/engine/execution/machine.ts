/**
 * The execution's state machine, pure: the state is the plan folded with the journal, and every status
 * change is a transition that returns what to do — journal entries to append and a patch of the record —
 * without doing it. The runner (runner.ts) performs the I/O: it appends the entries (each applied with
 * {@link applyEntry} as it is stored) and applies the patch with {@link applyPatch}.
 *
 * | from    | transition                 | to                                                     |
 * |---------|----------------------------|--------------------------------------------------------|
 * | Running | {@link finished}           | Success (no batch left)                                |
 * | Running | {@link afterBatch}         | Running (next batch), or Waiting (First/EveryBatchPause) |
 * | Running | {@link overBudget}         | Waiting MaxErrorsExceeded (FailurePause), or Failed (Automatic; pending Cancelled) |
 * | Running | {@link refused}            | Waiting CallRefused (FailurePause), or Failed (Automatic; pending Cancelled) |
 * | Running, Waiting | {@link cancel}    | Cancelled (pending Cancelled)                          |
 * | Waiting | {@link decide} continue    | Running, error budget reset                            |
 * | Waiting | {@link decide} retry       | Running, failed targets pending again, from the first batch with pending targets |
 *
 * Counts are kept as entries are applied (never recounted from all outcomes per chunk).
 */
import type {
  CallRefusal,
  ExecutionCounts,
  ExecutionPlan,
  ExecutionRecord,
  ExecutionStatus,
  InstanceOutcome,
  JournalEntry,
  NewJournalEntry,
  OperatorAction,
  PauseReason,
  PlannedBatch,
  PlannedTarget,
} from '../types.js';

export type IntentEntry = Extract<JournalEntry, { type: 'intent' }>;

/** What the journal decides: outcomes, open intents, counts, and whether a cancel was journalled. */
export interface JournalFold {
  /** Terminal outcome per target that has one. */
  outcomes: Map<string, InstanceOutcome>;
  /** Intents written without a result: the process stopped while their call was in flight. */
  openIntents: Map<string, IntentEntry>;
  /** Kept by {@link applyEntry}; equal to {@link countOutcomes} over `outcomes` at all times. */
  counts: ExecutionCounts;
  /** An operator's cancel is in the journal (the process may have died before it was finished). */
  cancelDecided: boolean;
}

export interface ExecutionState extends JournalFold {
  record: ExecutionRecord;
  plan: ExecutionPlan;
  targets: Map<string, PlannedTarget>;
  journalLength: number;
}

/** What a transition asks for: entries to append (in order), then the record patch. */
export interface Transition {
  entries: NewJournalEntry[];
  patch: RecordPatch;
}

/**
 * A change of the record. `status` applies the status rules of {@link applyPatch}: the reason is
 * replaced (removed when absent), a pause reason lives only while Waiting, a refusal only until Running.
 */
export type RecordPatch = Partial<
  Pick<
    ExecutionRecord,
    'nextBatch' | 'lastBatchPause' | 'errorBase' | 'recheckEligibility' | 'pauseReason' | 'refusal'
  >
> & { status?: ExecutionStatus; statusReason?: string };

/** The counts field each outcome adds to (the one table behind {@link countOutcomes} and {@link applyEntry}). */
const COUNT_OF: Readonly<
  Record<InstanceOutcome['outcome'], keyof Omit<ExecutionCounts, 'total' | 'pending'>>
> = {
  Attached: 'attached',
  AlreadyAttached: 'alreadyAttached',
  Replaced: 'replaced',
  Skipped: 'skipped',
  Failed: 'failed',
  Cancelled: 'cancelled',
  Detached: 'detached',
  Restored: 'restored',
  Updated: 'updated',
  AlreadyCompliant: 'alreadyCompliant',
  Reverted: 'reverted',
};

/** Counts of `total` targets of which none has an outcome yet. */
export function emptyCounts(total: number): ExecutionCounts {
  return {
    total,
    attached: 0,
    alreadyAttached: 0,
    replaced: 0,
    skipped: 0,
    failed: 0,
    cancelled: 0,
    pending: total,
  };
}

function addOutcome(counts: ExecutionCounts, outcome: InstanceOutcome['outcome'], delta: 1 | -1): void {
  const field = COUNT_OF[outcome];
  counts[field] = (counts[field] ?? 0) + delta;
  counts.pending -= delta;
}

export function countOutcomes(
  total: number,
  outcomes: Iterable<{ outcome: InstanceOutcome['outcome'] }>,
): ExecutionCounts {
  const counts = emptyCounts(total);
  for (const { outcome } of outcomes) addOutcome(counts, outcome, 1);
  return counts;
}

/** The outcomes planning decided (no write needed), by instance id. */
export function decidedOutcomes(plan: Pick<ExecutionPlan, 'targets'>): Map<string, InstanceOutcome> {
  const outcomes = new Map<string, InstanceOutcome>();
  for (const target of plan.targets) {
    if (target.decided) outcomes.set(target.instanceId, target.decided);
  }
  return outcomes;
}

/** The fold of a plan with an empty journal: what planning decided. */
export function planFold(plan: Pick<ExecutionPlan, 'targets'>): JournalFold {
  const outcomes = decidedOutcomes(plan);
  return {
    outcomes,
    openIntents: new Map(),
    counts: countOutcomes(plan.targets.length, outcomes.values()),
    cancelDecided: false,
  };
}

/** Applies one journal entry to the fold (replaying a stored journal, and live as entries are written). */
export function applyEntry(fold: JournalFold, entry: JournalEntry | NewJournalEntry): void {
  switch (entry.type) {
    case 'intent':
      fold.openIntents.set(entry.chunkId, entry as IntentEntry);
      break;
    case 'result':
      fold.openIntents.delete(entry.chunkId);
      for (const outcome of entry.outcomes) {
        const before = fold.outcomes.get(outcome.instanceId);
        if (before) addOutcome(fold.counts, before.outcome, -1);
        fold.outcomes.set(outcome.instanceId, outcome);
        addOutcome(fold.counts, outcome.outcome, 1);
      }
      break;
    case 'decision':
      if (entry.action === 'cancel') fold.cancelDecided = true;
      if (entry.action === 'retry') {
        for (const [instanceId, outcome] of fold.outcomes) {
          if (outcome.outcome !== 'Failed') continue;
          fold.outcomes.delete(instanceId);
          addOutcome(fold.counts, 'Failed', -1);
        }
      }
      break;
  }
}

/** Folds plan + journal into the current state. */
export function deriveState(stored: {
  record: ExecutionRecord;
  plan: ExecutionPlan;
  journal: readonly JournalEntry[];
}): ExecutionState {
  const fold = planFold(stored.plan);
  for (const entry of stored.journal) applyEntry(fold, entry);
  return {
    ...fold,
    record: stored.record,
    plan: stored.plan,
    targets: new Map(stored.plan.targets.map((target) => [target.instanceId, target])),
    journalLength: stored.journal.length,
  };
}

/** The record of a newly planned execution: nothing run yet, counts from what planning decided. */
export function newExecutionRecord(
  plan: ExecutionPlan,
  init: Pick<ExecutionRecord, 'parameters' | 'origin' | 'rollbackOf' | 'fromPlan'> & {
    at: string;
    dryRun?: boolean;
  },
): ExecutionRecord {
  const record: ExecutionRecord = {
    executionId: plan.executionId,
    createdAt: init.at,
    updatedAt: init.at,
    status: init.dryRun ? 'Planned' : 'Running',
    parameters: init.parameters,
    nextBatch: 0,
    errorBase: 0,
    lastBatchPause: -1,
    counts: planFold(plan).counts,
    origin: init.origin,
  };
  if (init.rollbackOf !== undefined) record.rollbackOf = init.rollbackOf;
  if (init.fromPlan !== undefined) record.fromPlan = init.fromPlan;
  return record;
}

/** Applies a transition's patch to the record (the only place a status is set). */
export function applyPatch(record: ExecutionRecord, patch: RecordPatch): void {
  const { status, statusReason, ...fields } = patch;
  if (status !== undefined) {
    record.status = status;
    if (statusReason === undefined) delete record.statusReason;
    else record.statusReason = statusReason;
    if (status !== 'Waiting') delete record.pauseReason;
    if (status === 'Running') delete record.refusal;
  }
  Object.assign(record, fields);
  if (patch.recheckEligibility === false) delete record.recheckEligibility;
}

/** Targets of the execution without an outcome yet, in plan order. */
export function pendingTargets(state: Pick<ExecutionState, 'plan' | 'outcomes'>): string[] {
  return state.plan.targets.map((target) => target.instanceId).filter((id) => !state.outcomes.has(id));
}

/** Failures that count against MaxErrors: those since the last continue/retry. */
export function budgetUsed(state: Pick<ExecutionState, 'counts' | 'record'>): number {
  return state.counts.failed - state.record.errorBase;
}

export function overMaxErrors(state: Pick<ExecutionState, 'counts' | 'record' | 'plan'>): boolean {
  return budgetUsed(state) > state.plan.maxErrors;
}

/** The result entry that ends every target never attempted as Cancelled (none when nothing is pending). */
function cancelPending(state: Pick<ExecutionState, 'plan' | 'outcomes'>, at: string): NewJournalEntry[] {
  const cancelled = pendingTargets(state).map(
    (instanceId): InstanceOutcome => ({ instanceId, outcome: 'Cancelled' }),
  );
  return cancelled.length > 0 ? [{ at, type: 'result', chunkId: 'cancel', outcomes: cancelled }] : [];
}

function cancelledCount(entries: readonly NewJournalEntry[]): number {
  return entries.reduce((n, entry) => n + (entry.type === 'result' ? entry.outcomes.length : 0), 0);
}

/** No batch left: the execution succeeded. */
export function finished(): Transition {
  return { entries: [], patch: { status: 'Success' } };
}

/** A batch ran to its end: move to the next one, pausing first when the rate control says so. */
export function afterBatch(state: Pick<ExecutionState, 'record' | 'plan'>, batch: PlannedBatch): Transition {
  const patch: RecordPatch = { nextBatch: batch.index + 1 };
  const pause = batchPauseAfter(state, batch);
  if (pause) {
    const count = state.plan.batches.length;
    Object.assign(patch, {
      lastBatchPause: batch.index,
      status: 'Waiting',
      statusReason: `paused after batch ${batch.index + 1} of ${count} (${pause}); continue to go on, or cancel`,
      pauseReason: pause,
    } satisfies RecordPatch);
  }
  return { entries: [], patch };
}

function batchPauseAfter(
  state: Pick<ExecutionState, 'record' | 'plan'>,
  batch: PlannedBatch,
): Exclude<PauseReason, 'MaxErrorsExceeded' | 'CallRefused'> | undefined {
  const { rateControl } = state.record.parameters;
  if (rateControl.Mode !== 'Batch' || batch.index <= state.record.lastBatchPause) return undefined;
  if (batch.index >= state.plan.batches.length - 1) return undefined;
  if (rateControl.BatchPauseOption === 'EveryBatchPause') return 'EveryBatchPause';
  return rateControl.BatchPauseOption === 'FirstBatchPause' && batch.index === 0
    ? 'FirstBatchPause'
    : undefined;
}

/** More failures than MaxErrors: FailurePause waits for the operator; Automatic fails, the rest Cancelled. */
export function overBudget(state: ExecutionState, at: string): Transition {
  const { maxErrors } = state.plan;
  const used = budgetUsed(state);
  if (state.record.parameters.mode === 'FailurePause') {
    return {
      entries: [],
      patch: {
        status: 'Waiting',
        statusReason: `${used} failed, more than MaxErrors ${maxErrors}; paused: continue, retry or cancel`,
        pauseReason: 'MaxErrorsExceeded',
      },
    };
  }
  const entries = cancelPending(state, at);
  return {
    entries,
    patch: {
      status: 'Failed',
      statusReason: `${used} failed, more than MaxErrors ${maxErrors}; the remaining ${cancelledCount(entries)} targets were cancelled`,
    },
  };
}

/** The call refused for the caller that stops an execution (see CallRefusedError). */
export interface Refusal {
  code: string;
  action: string;
  kind: CallRefusal['kind'];
  instanceIds: readonly string[];
  remedy: string;
}

/**
 * A call was refused for the caller: FailurePause waits for the operator to fix the permission and
 * `retry`; Automatic fails, the targets never attempted Cancelled. No target is Failed for it.
 */
export function refused(state: ExecutionState, refusal: Refusal, at: string): Transition {
  const { executionId } = state.record;
  const record = {
    code: refusal.code,
    action: refusal.action,
    kind: refusal.kind,
    instances: refusal.instanceIds.length,
    remedy: refusal.remedy,
  };
  const what = `${refusal.action} was refused with ${refusal.code} for the caller (a call for ${refusal.instanceIds.length} instances; no instance is at fault)`;
  if (state.record.parameters.mode === 'FailurePause') {
    const pending = pendingTargets(state).length;
    return {
      entries: [],
      patch: {
        status: 'Waiting',
        statusReason: `${what}: ${refusal.remedy}, then run \`ecs-role-attach retry ${executionId}\`; ${pending} targets not attempted stay pending`,
        pauseReason: 'CallRefused',
        refusal: record,
      },
    };
  }
  const entries = cancelPending(state, at);
  return {
    entries,
    patch: {
      status: 'Failed',
      statusReason: `${what}: ${refusal.remedy}, then start the execution again with the same parameters (mode FailurePause waits for \`ecs-role-attach retry\` instead); the ${cancelledCount(entries)} targets not attempted were cancelled`,
      refusal: record,
    },
  };
}

/**
 * The operator's cancel: the decision (unless already journalled) and `Cancelled` for every target never
 * attempted.
 */
export function cancel(state: ExecutionState, at: string): Transition {
  const entries: NewJournalEntry[] = [];
  if (!state.cancelDecided) {
    entries.push({ at, type: 'decision', action: 'cancel', failedBefore: state.counts.failed });
  }
  entries.push(...cancelPending(state, at));
  const never = state.counts.cancelled + cancelledCount(entries);
  return {
    entries,
    patch: {
      status: 'Cancelled',
      statusReason: `cancelled by the operator; ${never} targets were never attempted`,
    },
  };
}

/**
 * `continue` keeps failures as failed and resets the error budget; `retry` makes the failed targets
 * pending again and goes back to the first batch that has pending targets. Both re-check eligibility.
 */
export function decide(
  state: ExecutionState,
  action: Exclude<OperatorAction, 'cancel'>,
  at: string,
): Transition {
  const entries: NewJournalEntry[] = [{ at, type: 'decision', action, failedBefore: state.counts.failed }];
  const patch: RecordPatch = {
    status: 'Running',
    errorBase: action === 'retry' ? 0 : state.counts.failed,
    recheckEligibility: true,
  };
  if (action === 'retry') {
    const firstPending = state.plan.batches.find((batch) =>
      batch.instanceIds.some((id) => {
        const outcome = state.outcomes.get(id);
        return outcome === undefined || outcome.outcome === 'Failed';
      }),
    );
    if (firstPending) patch.nextBatch = Math.min(state.record.nextBatch, firstPending.index);
  }
  return { entries, patch };
}

/** The statuses each operator action applies to. */
export const DECISION_ALLOWED: Readonly<Record<OperatorAction, readonly ExecutionStatus[]>> = {
  continue: ['Waiting'],
  retry: ['Waiting'],
  cancel: ['Waiting', 'Running'],
};
