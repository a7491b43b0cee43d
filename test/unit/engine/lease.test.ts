/**
 * One writer per execution: the lease, operator cancels of a running execution, and decisions a
 * crashed run left half-applied.
 */

import {
  controlExecution,
  createExecution,
  type EngineDeps,
  getExecutionReport,
  runExecution,
} from '../../../src/engine/execution/index';
import { ExecutionBusyError } from '../../../src/engine/lease';
import { controlStep } from '../../../src/engine/paths/workflow';
import { silentLogger } from '../../../src/engine/ports';
import type { ExecutionParameters, InstanceOutcome } from '../../../src/engine/types';
import { parseRateControl } from '../../../src/inputs/rateControl';
import { parseExclusions } from '../../../src/inputs/targets';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';

/** A FakeEcs that runs `onAttach` before answering each AttachInstanceRamRole call. */
class HookedEcs extends FakeEcs {
  public onAttach: ((call: number) => Promise<void>) | undefined;
  #calls = 0;
  public override async attachInstanceRamRole(regionId: string, role: string, ids: string[]) {
    this.#calls += 1;
    await this.onAttach?.(this.#calls);
    return super.attachInstanceRamRole(regionId, role, ids);
  }
}

function setup(count: number) {
  const ecs = new HookedEcs(fleet(count));
  const store = new MemoryStore();
  const base = {
    ram: new FakeRam(),
    store,
    clock: new SteppingClock(Date.UTC(2026, 10, 22, 12)),
    random: () => 0.5,
    logger: silentLogger,
  };
  const deps = (owner: string): EngineDeps => ({ ...base, ecs, owner });
  return { ecs, store, deps };
}

const parameters = (
  mode: ExecutionParameters['mode'] = 'Automatic',
  rc: unknown = { Batch: [10] },
): ExecutionParameters => ({
  regionId: 'cn-hangzhou',
  ramRoleName: 'EcsAppRole',
  targets: { Type: 'All' },
  rateControl: parseRateControl(rc),
  mode,
  onConflict: 'skip',
  exclusions: parseExclusions([], []),
});

describe('execution lease', () => {
  it('refuses a second runner while the first holds the execution', async () => {
    const { ecs, deps } = setup(30);
    const { executionId } = await createExecution(parameters(), deps('a'), { origin: 'cli' });
    let second: Promise<unknown> | undefined;
    ecs.onAttach = async (call) => {
      if (call === 1) second = runExecution(executionId, deps('b'));
    };
    const first = await runExecution(executionId, deps('a'));
    await expect(second).rejects.toBeInstanceOf(ExecutionBusyError);
    expect(first.counts).toMatchObject({ attached: 30, pending: 0 });
    expect(ecs.attachCount()).toBe(3);
  });

  it('lets a runner take over the lease of a holder it knows is dead', async () => {
    const { store, deps } = setup(10);
    const { executionId } = await createExecution(parameters(), deps('a'), { origin: 'cli' });
    await store.tryLock(`execution/${executionId}`, 'dead-process', 60_000);
    await expect(runExecution(executionId, deps('b'))).rejects.toBeInstanceOf(ExecutionBusyError);
    const report = await runExecution(executionId, {
      ...deps('b'),
      canTakeOver: (holder) => holder === 'dead-process',
    });
    expect(report.status).toBe('Success');
  });

  it('an operator cancel of a running execution stops it before its next chunk', async () => {
    const { ecs, deps } = setup(50);
    const { executionId } = await createExecution(parameters(), deps('runner'), { origin: 'cli' });
    let requested: { status: string; statusReason?: string } | undefined;
    ecs.onAttach = async (call) => {
      if (call === 2) requested = await controlExecution(executionId, 'cancel', deps('operator'));
    };
    const report = await runExecution(executionId, deps('runner'));
    expect(requested).toMatchObject({
      status: 'Running',
      statusReason: expect.stringContaining('cancel requested'),
    });
    expect(report.status).toBe('Cancelled');
    // the chunk in flight when the operator cancelled finished; nothing was started after it
    expect(ecs.attachCount()).toBe(2);
    expect(report.counts).toMatchObject({ attached: 20, cancelled: 30, pending: 0 });
    await expect(runExecution(executionId, deps('later'))).resolves.toMatchObject({ status: 'Cancelled' });
  });
});

describe('decisions a crashed run left half-applied', () => {
  it('an execution whose cancel was journalled but not saved resumes to Cancelled, not Success', async () => {
    const { store, deps } = setup(20);
    const { executionId } = await createExecution(parameters(), deps('a'), { origin: 'cli' });
    await store.append(executionId, { at: 'now', type: 'decision', action: 'cancel', failedBefore: 0 });
    const report = await runExecution(executionId, deps('b'));
    expect(report.status).toBe('Cancelled');
    expect(report.counts).toMatchObject({ cancelled: 20, attached: 0 });
  });

  it.each([
    ['Automatic', 'Failed'],
    ['FailurePause', 'Waiting'],
  ] as const)(
    '%s: failures past MaxErrors recorded before a crash resume to %s, not Success',
    async (mode, status) => {
      const { ecs, store, deps } = setup(20);
      const { executionId } = await createExecution(parameters(mode), deps('a'), { origin: 'cli' });
      const outcomes: InstanceOutcome[] = [
        { instanceId: 'i-t0000', outcome: 'Failed', code: 'Forced', message: 'forced' },
        ...(mode === 'Automatic'
          ? Array.from(
              { length: 19 },
              (_, i): InstanceOutcome => ({
                instanceId: `i-t${String(i + 1).padStart(4, '0')}`,
                outcome: 'Cancelled',
              }),
            )
          : []),
      ];
      await store.append(executionId, { at: 'now', type: 'result', chunkId: 'chunk-1', outcomes });
      const report = await runExecution(executionId, deps('b'));
      expect(report.status).toBe(status);
      expect(ecs.attachCount()).toBe(0);
    },
  );

  it('cancelling a crashed execution records what its interrupted call attached, not "never attempted"', async () => {
    const { ecs, store, deps } = setup(30);
    const { executionId } = await createExecution(parameters(), deps('a'), { origin: 'cli' });
    // appends: intent(1) result(2) intent(3) -> the process dies on the result of the second chunk
    store.crashOnAppend = 4;
    await expect(runExecution(executionId, deps('a'))).rejects.toThrow('simulated crash');
    store.crashOnAppend = undefined;
    const report = await controlExecution(executionId, 'cancel', deps('operator'));
    expect(report.status).toBe('Cancelled');
    expect(report.counts).toMatchObject({ attached: 20, cancelled: 10, pending: 0 });
    expect(ecs.attachCount()).toBe(2);
    const stored = await getExecutionReport(executionId, store);
    expect(stored.status).toBe('Cancelled');
  });
});

describe('second review', () => {
  it('an error in one worker stops the others; nothing is written after the run gives up its lease', async () => {
    const { ecs, store, deps } = setup(1000);
    const { executionId } = await createExecution(
      parameters('Automatic', { Batch: [1000], ConcurrencyInBatches: 300 }),
      deps('a'),
      {
        origin: 'cli',
      },
    );
    // three workers write their intents (appends 1-3); the first result append fails
    store.crashOnAppend = 4;
    await expect(runExecution(executionId, deps('a'))).rejects.toThrow('simulated crash');
    const calls = ecs.attachCount();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ecs.attachCount()).toBe(calls);
    expect(calls).toBe(3);
    store.crashOnAppend = undefined;
    const resumed = await runExecution(executionId, deps('b'));
    expect(resumed.counts).toMatchObject({ attached: 1000, pending: 0 });
  });

  it('a cancel after a crash between the detach and the attach of a replace finishes the replace', async () => {
    const { ecs, store, deps } = setup(3);
    for (const instance of ecs.instances.values()) instance.role = 'LegacyRole';
    const { executionId } = await createExecution({ ...parameters(), onConflict: 'replace' }, deps('a'), {
      origin: 'cli',
    });
    // what a run that died after DetachInstanceRamRole leaves behind
    await store.append(executionId, {
      at: 'now',
      type: 'intent',
      chunkId: 'chunk-1',
      operation: 'replace',
      instanceIds: ['i-t0000', 'i-t0001', 'i-t0002'],
    });
    for (const instance of ecs.instances.values()) delete instance.role;
    const report = await controlExecution(executionId, 'cancel', deps('operator'));
    expect(report.status).toBe('Cancelled');
    expect(report.counts).toMatchObject({ replaced: 3, cancelled: 0 });
    expect(report.instances[0]).toEqual({
      instanceId: 'i-t0000',
      outcome: 'Replaced',
      previousRole: 'LegacyRole',
    });
    expect([...ecs.instances.values()].every((instance) => instance.role === 'EcsAppRole')).toBe(true);
  });

  it('a cancel requested during the last chunk of a batch cancels instead of pausing', async () => {
    const { ecs, deps } = setup(30);
    const { executionId } = await createExecution(
      parameters('Automatic', { Batch: [10], BatchPauseOption: 'FirstBatchPause' }),
      deps('runner'),
      { origin: 'cli' },
    );
    ecs.onAttach = async (call) => {
      if (call === 1) await controlExecution(executionId, 'cancel', deps('operator'));
    };
    const report = await runExecution(executionId, deps('runner'));
    expect(report.status).toBe('Cancelled');
    expect(report.counts).toMatchObject({ attached: 10, cancelled: 20 });
  });

  it('a console cancel reaches a workflow step that holds the execution', async () => {
    const { ecs, deps } = setup(50);
    const { executionId } = await createExecution(parameters(), deps('step'), { origin: 'workflow' });
    const reported: string[] = [];
    const console = {
      ...deps('console'),
      owner: 'console',
      flow: {
        reportTaskSucceeded: async (token: string) => {
          reported.push(token);
        },
        reportTaskFailed: async () => {},
      },
    };
    let decided: unknown;
    ecs.onAttach = async (call) => {
      if (call === 2) decided = await controlStep(executionId, 'cancel', console);
    };
    const report = await runExecution(executionId, deps('step'));
    expect(decided).toMatchObject({ status: 'Running', cancelRequested: true, callbackReported: false });
    expect(report.status).toBe('Cancelled');
    expect(ecs.attachCount()).toBe(2);
  });
});
