import fc from 'fast-check';
import { RoleNotUsableError } from '../../../src/engine/errors';
import {
  controlExecution,
  createExecution,
  type EngineDeps,
  getExecutionReport,
  runExecution,
} from '../../../src/engine/execution/index';
import { silentLogger } from '../../../src/engine/ports';
import type { ExecutionParameters } from '../../../src/engine/types';
import { parseRateControl } from '../../../src/inputs/rateControl';
import { parseExclusions } from '../../../src/inputs/targets';
import { SteppingClock } from '../../helpers/clocks';
import { apiError, FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';

function setup(count: number, extra?: Parameters<typeof fleet>[1]) {
  const ecs = new FakeEcs(fleet(count, extra));
  const deps: EngineDeps = {
    ecs,
    ram: new FakeRam(['EcsAppRole'], ['FcOnlyRole']),
    store: new MemoryStore(),
    clock: new SteppingClock(Date.UTC(2026, 10, 22, 12)),
    random: seeded(7),
    logger: silentLogger,
  };
  return { ecs, deps, store: deps.store as MemoryStore };
}

function params(overrides: Partial<ExecutionParameters> & { rc?: unknown } = {}): ExecutionParameters {
  const { rc, ...rest } = overrides;
  return {
    regionId: 'cn-hangzhou',
    ramRoleName: 'EcsAppRole',
    targets: { Type: 'All' },
    rateControl: parseRateControl(rc ?? { Mode: 'Batch', Batch: [1, '5%', '10%'] }),
    mode: 'Automatic',
    onConflict: 'skip',
    exclusions: parseExclusions([], []),
    ...rest,
  };
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('execution state machine', () => {
  it('attaches every target in 100-id chunks and ends Success', async () => {
    const { ecs, deps } = setup(1000);
    const created = await createExecution(params(), deps, { origin: 'cli' });
    const report = await runExecution(created.executionId, deps);
    expect(report.status).toBe('Success');
    expect(report.counts.attached).toBe(1000);
    expect(report.batches.map((b) => b.size)).toEqual([1, 50, ...Array(9).fill(100), 49]);
    for (const call of ecs.calls.filter((c) => c.action === 'AttachInstanceRamRole')) {
      expect(call.ids.length).toBeLessThanOrEqual(100);
    }
    expect(ecs.attachCount()).toBe(12);
    expect([...ecs.instances.values()].every((i) => i.role === 'EcsAppRole')).toBe(true);
  });

  it('classifies targets: already attached, other role, excluded, classic, and conflict policies', async () => {
    const extra = (i: number) =>
      i === 0
        ? { role: 'EcsAppRole' }
        : i === 1
          ? { role: 'LegacyRole' }
          : i === 2
            ? { tags: { 'ecs-role-attach:exclude': 'yes' } }
            : i === 3
              ? { networkType: 'classic' }
              : {};
    const skip = setup(6, extra);
    const report = await runExecution(
      (await createExecution(params(), skip.deps, { origin: 'cli' })).executionId,
      skip.deps,
    );
    expect(report.instances.slice(0, 4)).toEqual([
      { instanceId: 'i-t0000', outcome: 'AlreadyAttached' },
      expect.objectContaining({ instanceId: 'i-t0001', outcome: 'Skipped', reason: 'OtherRole' }),
      expect.objectContaining({ instanceId: 'i-t0002', outcome: 'Skipped', reason: 'Excluded' }),
      expect.objectContaining({ instanceId: 'i-t0003', outcome: 'Skipped', reason: 'ClassicNetwork' }),
    ]);
    expect(skip.ecs.instances.get('i-t0001')?.role).toBe('LegacyRole');

    const replace = setup(6, extra);
    const replaced = await runExecution(
      (await createExecution(params({ onConflict: 'replace' }), replace.deps, { origin: 'cli' })).executionId,
      replace.deps,
    );
    expect(replaced.instances[1]).toEqual({
      instanceId: 'i-t0001',
      outcome: 'Replaced',
      previousRole: 'LegacyRole',
    });
    expect(replace.ecs.instances.get('i-t0001')?.role).toBe('EcsAppRole');

    const fail = setup(6, extra);
    const failed = await runExecution(
      (
        await createExecution(params({ onConflict: 'fail', rc: { Batch: [10], MaxErrors: 1 } }), fail.deps, {
          origin: 'cli',
        })
      ).executionId,
      fail.deps,
    );
    expect(failed.instances[1]).toEqual(expect.objectContaining({ outcome: 'Failed', code: 'OtherRole' }));
    expect(failed.status).toBe('Success');
    expect(fail.ecs.calls.filter((c) => c.action === 'DetachInstanceRamRole')).toHaveLength(0);
  });

  it.each([
    ['missing role', 'NoSuchRole', 'RoleNotFound'],
    ['role not trusting ECS', 'FcOnlyRole', 'RoleNotTrustedByEcs'],
  ])('fails at once with zero attach calls for a %s', async (_label, role, code) => {
    const { ecs, deps } = setup(10);
    await expect(
      createExecution(params({ ramRoleName: role }), deps, { origin: 'cli' }),
    ).rejects.toMatchObject({
      constructor: RoleNotUsableError,
      code,
    });
    expect(ecs.attachCount()).toBe(0);
  });

  it('Automatic mode: the failure beyond MaxErrors fails the execution and cancels the rest', async () => {
    const { ecs, deps } = setup(300);
    ecs.failAttach.set('i-t0060', 'InternalError.Forced');
    const created = await createExecution(params({ rc: { Batch: [1, '5%', '10%'] } }), deps, {
      origin: 'cli',
    });
    const report = await runExecution(created.executionId, deps);
    expect(report.status).toBe('Failed');
    expect(report.statusReason).toContain('more than MaxErrors 0');
    // batches of 1, 15, 30, 30, ...: i-t0060 is in the fourth batch (i-t0046..i-t0075), 76 targets done
    expect(report.counts).toMatchObject({ attached: 75, failed: 1, cancelled: 300 - 76, pending: 0 });
    expect(report.instances.find((i) => i.instanceId === 'i-t0060')).toMatchObject({
      outcome: 'Failed',
      code: 'InternalError.Forced',
    });
  });

  it('FailurePause: pauses at the failing chunk, then continue, retry and cancel', async () => {
    const { ecs, deps } = setup(300);
    ecs.failAttach.set('i-t0060', 'InternalError.Forced');
    const created = await createExecution(params({ mode: 'FailurePause' }), deps, { origin: 'cli' });
    const paused = await runExecution(created.executionId, deps);
    expect(paused.status).toBe('Waiting');
    expect(paused.pauseReason).toBe('MaxErrorsExceeded');
    expect(paused.counts).toMatchObject({ attached: 75, failed: 1, pending: 224, cancelled: 0 });

    // retry: the failure is re-attempted and fails again -> paused again at the same place
    await controlExecution(created.executionId, 'retry', deps);
    const again = await runExecution(created.executionId, deps);
    expect(again.status).toBe('Waiting');
    expect(again.counts).toMatchObject({ failed: 1, pending: 224 });

    // the fault clears; retry attaches it and goes on to the end
    ecs.failAttach.clear();
    await controlExecution(created.executionId, 'retry', deps);
    const done = await runExecution(created.executionId, deps);
    expect(done.status).toBe('Success');
    expect(done.counts).toMatchObject({ attached: 300, failed: 0 });
  });

  it('continue keeps the failure and resets the error budget; cancel ends it', async () => {
    const { ecs, deps } = setup(300);
    ecs.failAttach.set('i-t0060', 'InternalError.Forced');
    ecs.failAttach.set('i-t0200', 'InternalError.Forced');
    const created = await createExecution(params({ mode: 'FailurePause' }), deps, { origin: 'cli' });
    await runExecution(created.executionId, deps);
    await controlExecution(created.executionId, 'continue', deps);
    const second = await runExecution(created.executionId, deps);
    expect(second.status).toBe('Waiting');
    expect(second.counts.failed).toBe(2);
    const cancelled = await controlExecution(created.executionId, 'cancel', deps);
    expect(cancelled.status).toBe('Cancelled');
    expect(cancelled.counts.pending).toBe(0);
    expect(cancelled.counts.cancelled).toBeGreaterThan(0);
    await expect(controlExecution(created.executionId, 'continue', deps)).rejects.toThrow(/it is Cancelled/);
  });

  it('an instance tagged for exclusion during a pause is skipped, not attached, after continue', async () => {
    const { ecs, deps } = setup(30);
    const created = await createExecution(
      params({ rc: { Batch: [10], BatchPauseOption: 'FirstBatchPause' } }),
      deps,
      { origin: 'cli' },
    );
    expect((await runExecution(created.executionId, deps)).status).toBe('Waiting');
    ecs.instances.get('i-t0025')!.tags['ecs-role-attach:exclude'] = 'true';
    await controlExecution(created.executionId, 'continue', deps);
    const report = await runExecution(created.executionId, deps);
    expect(report.status).toBe('Success');
    expect(report.instances[25]).toMatchObject({ outcome: 'Skipped', reason: 'Excluded' });
    expect(ecs.instances.get('i-t0025')?.role).toBeUndefined();
    expect(report.counts).toMatchObject({ attached: 29, skipped: 1 });
  });

  it('retry re-checks a conflict: once the other role is gone, the instance is attached', async () => {
    const { ecs, deps } = setup(5, (i) => (i === 2 ? { role: 'LegacyRole' } : {}));
    const created = await createExecution(
      params({ mode: 'FailurePause', onConflict: 'fail', rc: { Batch: [5] } }),
      deps,
      { origin: 'cli' },
    );
    const paused = await runExecution(created.executionId, deps);
    expect(paused.status).toBe('Waiting');
    expect(paused.instances[2]).toMatchObject({ outcome: 'Failed', code: 'OtherRole' });
    delete ecs.instances.get('i-t0002')!.role;
    await controlExecution(created.executionId, 'retry', deps);
    const done = await runExecution(created.executionId, deps);
    expect(done.status).toBe('Success');
    expect(done.instances[2]).toEqual({ instanceId: 'i-t0002', outcome: 'Attached' });
    expect(ecs.instances.get('i-t0002')?.role).toBe('EcsAppRole');
  });

  it('FirstBatchPause and EveryBatchPause pause between batches', async () => {
    const first = setup(30);
    const id = (
      await createExecution(
        params({ rc: { Batch: [10], BatchPauseOption: 'FirstBatchPause' } }),
        first.deps,
        { origin: 'cli' },
      )
    ).executionId;
    expect((await runExecution(id, first.deps)).counts.attached).toBe(10);
    await controlExecution(id, 'continue', first.deps);
    expect((await runExecution(id, first.deps)).status).toBe('Success');

    const every = setup(30);
    const id2 = (
      await createExecution(
        params({ rc: { Batch: [10], BatchPauseOption: 'EveryBatchPause' } }),
        every.deps,
        { origin: 'cli' },
      )
    ).executionId;
    const pauses: number[] = [];
    for (;;) {
      const report = await runExecution(id2, every.deps);
      if (report.status !== 'Waiting') break;
      pauses.push(report.counts.attached);
      await controlExecution(id2, 'continue', every.deps);
    }
    expect(pauses).toEqual([10, 20]);
  });

  it('isolates vanished instances by bisection, never failing their neighbours', async () => {
    const { ecs, deps } = setup(100);
    const created = await createExecution(params({ rc: { Batch: [100] } }), deps, { origin: 'cli' });
    ecs.instances.delete('i-t0042');
    ecs.instances.delete('i-t0077');
    const report = await runExecution(created.executionId, deps);
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ attached: 98, skipped: 2, failed: 0 });
    expect(report.instances.find((i) => i.instanceId === 'i-t0042')).toMatchObject({
      outcome: 'Skipped',
      reason: 'Gone',
    });
  });

  it('isolates a request-level IncorrectInstanceStatus (a Pending instance) by bisection: its 99 neighbours are attached', async () => {
    const { ecs, deps } = setup(100);
    ecs.refuseCall.set('i-t0042', 'IncorrectInstanceStatus');
    const created = await createExecution(params({ rc: { Batch: [100] }, mode: 'FailurePause' }), deps, {
      origin: 'cli',
    });
    const report = await runExecution(created.executionId, deps);
    expect(report.counts).toMatchObject({ attached: 99, failed: 1 });
    expect(report.instances.find((i) => i.instanceId === 'i-t0042')).toMatchObject({
      outcome: 'Failed',
      code: 'IncorrectInstanceStatus',
    });
    // Bisection: 1 + 2 per level down to one id (7 levels for 100 ids), never 100 single calls.
    expect(ecs.attachCount()).toBeLessThanOrEqual(1 + 2 * 7);
  });

  it.each([
    [
      'FailurePause',
      'Waiting',
      'InvalidUser.PassRoleForbidden',
      'ram:PassRole on acs:ram::*:role/EcsAppRole',
    ],
    ['Automatic', 'Failed', 'Forbidden.RAM', 'ecs:AttachInstanceRamRole'],
  ] as const)(
    'a call refused for the caller (%s) stops before the next call: %s, nothing Failed, the code and the fix reported',
    async (mode, status, code, grant) => {
      const { ecs, deps } = setup(500);
      ecs.refuseCall.set('*', code);
      const created = await createExecution(params({ rc: { Batch: [500] }, mode }), deps, { origin: 'cli' });
      const report = await runExecution(created.executionId, deps);
      expect(report.status).toBe(status);
      expect(ecs.attachCount()).toBe(1);
      expect(report.counts.failed).toBe(0);
      expect(report.refusal).toMatchObject({ code, action: 'AttachInstanceRamRole', instances: 100 });
      expect(report.statusReason).toContain(code);
      expect(report.statusReason).toContain(`grant ${grant}`);
      if (mode === 'FailurePause') {
        expect(report.pauseReason).toBe('CallRefused');
        expect(report.counts.pending).toBe(500);
        expect(report.statusReason).toContain(`\`ecs-role-attach retry ${created.executionId}\``);
        // The operator fixes the policy and retries: everything is attached.
        ecs.refuseCall.clear();
        await controlExecution(created.executionId, 'retry', deps);
        const done = await runExecution(created.executionId, deps);
        expect(done).toMatchObject({ status: 'Success', counts: { attached: 500, failed: 0 } });
        expect(done.refusal).toBeUndefined();
      } else {
        expect(report.counts).toMatchObject({ cancelled: 500, pending: 0 });
      }
    },
  );

  it('a call that landed but errored is settled as Attached, not Failed', async () => {
    const { ecs, deps } = setup(5);
    ecs.nextAttachError = { error: apiError('ServiceUnavailable', 503), applied: true };
    const created = await createExecution(params({ rc: { Batch: [5] } }), deps, { origin: 'cli' });
    const report = await runExecution(created.executionId, deps);
    expect(report.counts).toMatchObject({ attached: 5, failed: 0 });
  });

  it('an instance that bears the role after our write ends Attached (planning saw none; rollback undoes it)', async () => {
    const { ecs, deps } = setup(5);
    const created = await createExecution(params({ rc: { Batch: [5] } }), deps, { origin: 'cli' });
    ecs.instances.get('i-t0003')!.role = 'EcsAppRole';
    const report = await runExecution(created.executionId, deps);
    expect(report.instances[3]).toEqual({ instanceId: 'i-t0003', outcome: 'Attached' });
    expect(report.status).toBe('Success');
  });

  it('stops at the deadline and goes on in the next run', async () => {
    const { deps } = setup(50);
    const clock = deps.clock as SteppingClock;
    const created = await createExecution(params({ rc: { Batch: [10] } }), deps, { origin: 'workflow' });
    const partial = await runExecution(created.executionId, deps, { deadline: clock.now() });
    expect(partial.status).toBe('Running');
    expect(partial.counts.pending).toBe(50);
    expect((await runExecution(created.executionId, deps, { deadline: clock.now() + 1 })).status).toBe(
      'Success',
    );
  });

  it('resumes after a crash between intent and result without writing twice', async () => {
    const { ecs, deps, store } = setup(250);
    const created = await createExecution(params({ rc: { Batch: [100] } }), deps, { origin: 'cli' });
    // appends: intent(1) result(2) intent(3) -> crash on the result of chunk 2 (append 4)
    store.crashOnAppend = 4;
    await expect(runExecution(created.executionId, deps)).rejects.toThrow('simulated crash');
    const before = await getExecutionReport(created.executionId, store);
    expect(before.counts).toMatchObject({ attached: 100, pending: 150 });
    const attachCallsBefore = ecs.attachCount();
    const resumed = await runExecution(created.executionId, deps);
    expect(resumed.status).toBe('Success');
    expect(resumed.counts).toMatchObject({ attached: 250, failed: 0, pending: 0 });
    // chunk 2 was settled by DescribeInstanceRamRole, only chunk 3 was attached after the restart
    expect(ecs.attachCount() - attachCallsBefore).toBe(1);
  });

  it('dry run plans with zero writes and predicts each outcome', async () => {
    const { ecs, deps } = setup(20, (i) => (i === 0 ? { role: 'Other' } : {}));
    const report = await createExecution(params({ onConflict: 'replace' }), deps, {
      origin: 'cli',
      dryRun: true,
    });
    expect(report.status).toBe('Planned');
    expect(report.instances[0]).toEqual({
      instanceId: 'i-t0000',
      outcome: 'Replaced',
      previousRole: 'Other',
    });
    expect(report.instances[1]).toEqual({ instanceId: 'i-t0001', outcome: 'Attached' });
    expect(
      ecs.calls.filter((c) => c.action.startsWith('Attach') || c.action.startsWith('Detach')),
    ).toHaveLength(0);
    expect(await (deps.store as MemoryStore).list()).toHaveLength(0);
  });

  it('every target ends in exactly one outcome (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120 }),
        fc.array(fc.integer({ min: 0, max: 119 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 119 }), { maxLength: 4 }),
        fc.constantFrom('Automatic', 'FailurePause'),
        fc.constantFrom('skip', 'fail', 'replace'),
        fc.integer({ min: 0, max: 3 }),
        async (count, failing, roles, mode, onConflict, maxErrors) => {
          const { ecs, deps } = setup(count, (i) => (roles.includes(i) ? { role: 'Other' } : {}));
          for (const i of failing) ecs.failAttach.set(`i-t${String(i).padStart(4, '0')}`, 'Forced');
          const created = await createExecution(
            params({ mode, onConflict, maxTargets: '100%', rc: { Batch: [3, '20%'], MaxErrors: maxErrors } }),
            deps,
            { origin: 'cli' },
          );
          let report = await runExecution(created.executionId, deps);
          while (report.status === 'Waiting') {
            await controlExecution(created.executionId, 'continue', deps);
            report = await runExecution(created.executionId, deps);
          }
          expect(['Success', 'Failed']).toContain(report.status);
          expect(report.counts.pending).toBe(0);
          expect(report.instances.map((i) => i.instanceId)).toEqual(
            Array.from({ length: count }, (_, i) => `i-t${String(i).padStart(4, '0')}`),
          );
          const c = report.counts;
          expect(c.attached + c.alreadyAttached + c.replaced + c.skipped + c.failed + c.cancelled).toBe(
            count,
          );
          // what the engine reports as attached is what the fleet bears
          for (const i of report.instances) {
            if (i.outcome === 'Attached' || i.outcome === 'Replaced') {
              expect(ecs.instances.get(i.instanceId)?.role).toBe('EcsAppRole');
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
