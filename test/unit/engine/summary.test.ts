/**
 * summary.json: saved with every execution.json the engine writes (runs and operator decisions), it is
 * the summary derived from the plan and the journal at that moment, and it matches only that record.
 */

import {
  controlExecution,
  createExecution,
  type EngineDeps,
  runExecution,
} from '../../../src/engine/execution/index';
import { deriveState } from '../../../src/engine/execution/machine';
import { SUMMARY_LIMITS, summarizeExecution, summaryMatches } from '../../../src/engine/execution/report';
import { silentLogger } from '../../../src/engine/ports';
import type { ExecutionParameters } from '../../../src/engine/types';
import { parseRateControl } from '../../../src/inputs/rateControl';
import { parseExclusions } from '../../../src/inputs/targets';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';

const PARAMS: ExecutionParameters = {
  regionId: 'cn-hangzhou',
  ramRoleName: 'EcsAppRole',
  targets: { Type: 'All' },
  rateControl: parseRateControl({ Mode: 'Batch', Batch: [1, '5%', '10%'] }),
  mode: 'FailurePause',
  onConflict: 'skip',
  exclusions: parseExclusions([], []),
};

function setup() {
  // 300 instances: i-t0003 is excluded (decided at planning), i-t0060 fails its attach.
  const ecs = new FakeEcs(
    fleet(300, (i) => (i === 3 ? { tags: { 'ecs-role-attach:exclude': 'true' } } : {})),
  );
  ecs.failAttach.set('i-t0060', 'InternalError.Forced');
  const store = new MemoryStore();
  const deps: EngineDeps = {
    ecs,
    ram: new FakeRam(['EcsAppRole']),
    store,
    clock: new SteppingClock(Date.UTC(2026, 10, 22, 12)),
    random: () => 0.5,
    logger: silentLogger,
  };
  return { deps, store };
}

/** The stored summary next to the one derived from the stored plan and journal now. */
async function storedAndDerived(store: MemoryStore, executionId: string) {
  const stored = await store.load(executionId);
  const state = deriveState(stored);
  return {
    record: stored.record,
    summary: await store.loadSummary(executionId),
    derived: summarizeExecution(stored.record, stored.plan, state.outcomes, state.openIntents.values()),
  };
}

describe('execution summary (summary.json)', () => {
  it('is saved with the record by a run and by a decision, and equals the derived state', async () => {
    const { deps, store } = setup();
    const { executionId } = await createExecution(PARAMS, deps, { origin: 'cli' });
    await runExecution(executionId, deps);

    const paused = await storedAndDerived(store, executionId);
    expect(paused.record.status).toBe('Waiting');
    expect(summaryMatches(paused.summary, paused.record)).toBe(true);
    expect(paused.summary).toEqual(paused.derived);
    expect(paused.summary).toMatchObject({
      executionId,
      status: 'Waiting',
      failures: [{ key: 'InternalError.Forced', count: 1, sample: ['i-t0060'], otherMessages: 0 }],
      skipped: [{ key: 'Excluded', count: 1, sample: ['i-t0003'] }],
      inFlight: 0,
    });
    expect(paused.summary?.head).toHaveLength(SUMMARY_LIMITS.head);
    expect(paused.summary?.head[3]).toMatchObject({ instanceId: 'i-t0003', outcome: { outcome: 'Skipped' } });
    expect(paused.summary?.head[99]).toEqual({ instanceId: 'i-t0099' });
    // Done batches, the one with the failure, then batches not started.
    const statuses = paused.summary?.batches.map((batch) => batch.status).join(' ');
    expect(statuses).toMatch(/^(Success )+Failed( Pending)+$/);

    await controlExecution(executionId, 'cancel', deps);
    const cancelled = await storedAndDerived(store, executionId);
    expect(cancelled.record.status).toBe('Cancelled');
    expect(summaryMatches(cancelled.summary, cancelled.record)).toBe(true);
    expect(cancelled.summary).toEqual(cancelled.derived);
    expect(cancelled.summary?.head[99]).toEqual({
      instanceId: 'i-t0099',
      outcome: { instanceId: 'i-t0099', outcome: 'Cancelled' },
    });
    // The earlier summary does not describe the record saved after it.
    expect(summaryMatches(paused.summary, cancelled.record)).toBe(false);
    expect(summaryMatches(undefined, cancelled.record)).toBe(false);
  });
});
