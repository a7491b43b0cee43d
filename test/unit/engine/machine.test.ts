/**
 * The execution's state machine (src/engine/execution/machine.ts), pure: the fold keeps counts equal to
 * a recount of its outcomes after every entry, and each transition returns the entries and the record
 * patch the runner then applies. No store, no cloud.
 */
import {
  afterBatch,
  applyEntry,
  applyPatch,
  cancel,
  countOutcomes,
  decide,
  deriveState,
  type ExecutionState,
  finished,
  newExecutionRecord,
  overBudget,
  overMaxErrors,
  planFold,
  refused,
} from '../../../src/engine/execution/machine';
import type {
  ExecutionParameters,
  ExecutionPlan,
  InstanceOutcome,
  JournalEntry,
  NewJournalEntry,
} from '../../../src/engine/types';
import { seededRandom } from '../../helpers/seededRandom';

const AT = '2026-12-02T00:00:00.000Z';

function plan(size: number, batchSizes: number[], maxErrors = 0): ExecutionPlan {
  const targets = Array.from({ length: size }, (_, i) => ({ instanceId: `i-${i}`, work: 'attach' as const }));
  const batches: ExecutionPlan['batches'] = [];
  let next = 0;
  for (const [index, length] of batchSizes.entries()) {
    batches.push({
      index,
      instanceIds: targets.slice(next, next + length).map((t) => t.instanceId),
      concurrency: 1,
    });
    next += length;
  }
  return { executionId: 'exec-1', targets, batches, maxErrors } as unknown as ExecutionPlan;
}

function parameters(overrides: Partial<ExecutionParameters> = {}): ExecutionParameters {
  return {
    regionId: 'cn-hangzhou',
    ramRoleName: 'EcsRole',
    mode: 'FailurePause',
    rateControl: { Mode: 'Batch', Batch: [1, 2], BatchPauseOption: 'Automatic', MaxErrors: 0 },
    targets: { Type: 'ResourceIds', ResourceIds: [] },
    exclusions: { instanceIds: [], tags: [] },
    onConflict: 'skip',
    ...overrides,
  } as unknown as ExecutionParameters;
}

function state(p: ExecutionPlan, params = parameters(), journal: JournalEntry[] = []): ExecutionState {
  const record = newExecutionRecord(p, { parameters: params, origin: 'cli', at: AT });
  return deriveState({ record, plan: p, journal });
}

/** Applies a transition as the runner does: entries in order (numbered), then the patch. */
function run(s: ExecutionState, transition: { entries: NewJournalEntry[]; patch: object }): void {
  for (const entry of transition.entries) applyEntry(s, { ...entry, seq: s.journalLength++ } as JournalEntry);
  applyPatch(s.record, transition.patch);
}

const OUTCOMES: InstanceOutcome['outcome'][] = [
  'Attached',
  'AlreadyAttached',
  'Replaced',
  'Skipped',
  'Failed',
];

function outcome(instanceId: string, kind: InstanceOutcome['outcome']): InstanceOutcome {
  switch (kind) {
    case 'Failed':
      return { instanceId, outcome: 'Failed', code: 'X', message: 'x' };
    case 'Skipped':
      return { instanceId, outcome: 'Skipped', reason: 'Gone' };
    case 'Replaced':
      return { instanceId, outcome: 'Replaced', previousRole: 'Old' };
    default:
      return { instanceId, outcome: kind } as InstanceOutcome;
  }
}

describe('the journal fold', () => {
  it.each([1, 2, 3, 4, 5])('keeps counts equal to a recount after every entry (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const p = plan(40, [40]);
    const fold = planFold(p);
    for (let step = 0; step < 300; step += 1) {
      const roll = random();
      if (roll < 0.1) {
        applyEntry(fold, {
          seq: step,
          at: AT,
          type: 'decision',
          action: 'retry',
          failedBefore: fold.counts.failed,
        });
      } else {
        // Results may overwrite an earlier outcome of the same instance (a settlement after a crash).
        const ids = Array.from(
          { length: 1 + Math.floor(random() * 5) },
          () => `i-${Math.floor(random() * 40)}`,
        );
        const outcomes = ids.map((id) => outcome(id, OUTCOMES[Math.floor(random() * OUTCOMES.length)]!));
        applyEntry(fold, { seq: step, at: AT, type: 'result', chunkId: `c-${step}`, outcomes });
      }
      expect(fold.counts).toEqual(countOutcomes(p.targets.length, fold.outcomes.values()));
    }
  });

  it('opens an intent and closes it with its result; a retry makes failures pending again', () => {
    const fold = planFold(plan(3, [3]));
    applyEntry(fold, {
      seq: 1,
      at: AT,
      type: 'intent',
      chunkId: 'c',
      operation: 'attach',
      instanceIds: ['i-0', 'i-1'],
    });
    expect([...fold.openIntents.keys()]).toEqual(['c']);
    applyEntry(fold, {
      seq: 2,
      at: AT,
      type: 'result',
      chunkId: 'c',
      outcomes: [outcome('i-0', 'Attached'), outcome('i-1', 'Failed')],
    });
    expect(fold.openIntents.size).toBe(0);
    expect(fold.counts).toMatchObject({ attached: 1, failed: 1, pending: 1 });
    applyEntry(fold, { seq: 3, at: AT, type: 'decision', action: 'retry', failedBefore: 1 });
    expect(fold.counts).toMatchObject({ attached: 1, failed: 0, pending: 2 });
    expect(fold.outcomes.has('i-1')).toBe(false);
  });
});

describe('transitions', () => {
  it('finished: Success, clearing the reason', () => {
    const s = state(plan(1, [1]));
    s.record.statusReason = 'old';
    run(s, finished());
    expect(s.record).toMatchObject({ status: 'Success' });
    expect(s.record.statusReason).toBeUndefined();
  });

  it.each([
    ['Automatic', 0, undefined],
    ['FirstBatchPause', 0, 'FirstBatchPause'],
    ['FirstBatchPause', 1, undefined],
    ['EveryBatchPause', 1, 'EveryBatchPause'],
    // Never after the last batch.
    ['EveryBatchPause', 2, undefined],
  ] as const)('afterBatch with %s after batch %i pauses with %s', (option, index, pause) => {
    const p = plan(3, [1, 1, 1]);
    const s = state(
      p,
      parameters({
        rateControl: { Mode: 'Batch', Batch: [1], BatchPauseOption: option, MaxErrors: 0 } as never,
      }),
    );
    run(s, afterBatch(s, p.batches[index]!));
    expect(s.record.nextBatch).toBe(index + 1);
    expect(s.record.pauseReason).toBe(pause);
    expect(s.record.status).toBe(pause ? 'Waiting' : 'Running');
  });

  it('afterBatch does not pause twice after the same batch (a resumed run)', () => {
    const p = plan(2, [1, 1]);
    const s = state(
      p,
      parameters({
        rateControl: {
          Mode: 'Batch',
          Batch: [1],
          BatchPauseOption: 'FirstBatchPause',
          MaxErrors: 0,
        } as never,
      }),
    );
    s.record.lastBatchPause = 0;
    expect(afterBatch(s, p.batches[0]!).patch).toEqual({ nextBatch: 1 });
  });

  it('overBudget: FailurePause waits with MaxErrorsExceeded and writes nothing', () => {
    const s = state(plan(3, [3]));
    run(s, {
      entries: [{ at: AT, type: 'result', chunkId: 'c', outcomes: [outcome('i-0', 'Failed')] }],
      patch: {},
    });
    expect(overMaxErrors(s)).toBe(true);
    const transition = overBudget(s, AT);
    expect(transition.entries).toEqual([]);
    run(s, transition);
    expect(s.record).toMatchObject({ status: 'Waiting', pauseReason: 'MaxErrorsExceeded' });
    expect(s.record.statusReason).toBe('1 failed, more than MaxErrors 0; paused: continue, retry or cancel');
  });

  it('overBudget: Automatic fails and cancels every target never attempted', () => {
    const s = state(plan(3, [3]), parameters({ mode: 'Automatic' }));
    run(s, {
      entries: [{ at: AT, type: 'result', chunkId: 'c', outcomes: [outcome('i-0', 'Failed')] }],
      patch: {},
    });
    run(s, overBudget(s, AT));
    expect(s.record.status).toBe('Failed');
    expect(s.counts).toMatchObject({ failed: 1, cancelled: 2, pending: 0 });
    expect(s.record.statusReason).toContain('the remaining 2 targets were cancelled');
  });

  const refusal = {
    code: 'Forbidden.RAM',
    action: 'AttachInstanceRamRole',
    kind: 'permission' as const,
    instanceIds: ['i-0', 'i-1'],
    remedy: 'grant ecs:AttachInstanceRamRole',
  };

  it('refused: FailurePause waits with the refusal recorded, no target failed', () => {
    const s = state(plan(3, [3]));
    run(s, refused(s, refusal, AT));
    expect(s.record).toMatchObject({
      status: 'Waiting',
      pauseReason: 'CallRefused',
      refusal: { code: 'Forbidden.RAM', instances: 2, kind: 'permission' },
    });
    expect(s.counts.failed).toBe(0);
    expect(s.record.statusReason).toContain('3 targets not attempted stay pending');
  });

  it('refused: Automatic fails, pending Cancelled; a later Running clears the refusal', () => {
    const s = state(plan(2, [2]), parameters({ mode: 'Automatic' }));
    run(s, refused(s, refusal, AT));
    expect(s.record.status).toBe('Failed');
    expect(s.counts).toMatchObject({ cancelled: 2, failed: 0 });
    applyPatch(s.record, { status: 'Running' });
    expect(s.record.refusal).toBeUndefined();
  });

  it('cancel: journals the decision once and cancels what was never attempted', () => {
    const s = state(plan(3, [3]));
    run(s, {
      entries: [{ at: AT, type: 'result', chunkId: 'c', outcomes: [outcome('i-0', 'Attached')] }],
      patch: {},
    });
    const first = cancel(s, AT);
    expect(first.entries.map((e) => e.type)).toEqual(['decision', 'result']);
    run(s, first);
    expect(s.cancelDecided).toBe(true);
    expect(s.record).toMatchObject({
      status: 'Cancelled',
      statusReason: 'cancelled by the operator; 2 targets were never attempted',
    });
    // A second cancel (a run that died after the decision) adds no second decision.
    expect(cancel(s, AT).entries).toEqual([]);
  });

  it('decide continue: Running, error budget reset to the failures so far', () => {
    const s = state(plan(3, [1, 2]));
    run(s, {
      entries: [{ at: AT, type: 'result', chunkId: 'c', outcomes: [outcome('i-0', 'Failed')] }],
      patch: { status: 'Waiting', pauseReason: 'MaxErrorsExceeded', nextBatch: 1 },
    });
    run(s, decide(s, 'continue', AT));
    expect(s.record).toMatchObject({
      status: 'Running',
      errorBase: 1,
      nextBatch: 1,
      recheckEligibility: true,
    });
    expect(s.record.pauseReason).toBeUndefined();
    expect(overMaxErrors(s)).toBe(false);
  });

  it('decide retry: failures pending again, back to the first batch with pending targets', () => {
    const s = state(plan(3, [1, 2]));
    run(s, {
      entries: [
        {
          at: AT,
          type: 'result',
          chunkId: 'c',
          outcomes: [outcome('i-0', 'Failed'), outcome('i-1', 'Attached'), outcome('i-2', 'Attached')],
        },
      ],
      patch: { status: 'Waiting', nextBatch: 2 },
    });
    run(s, decide(s, 'retry', AT));
    expect(s.record).toMatchObject({ status: 'Running', errorBase: 0, nextBatch: 0 });
    expect(s.counts).toMatchObject({ failed: 0, pending: 1 });
  });
});
