/**
 * The sweep (src/engine/paths/sweep.ts) against the in-memory fakes: compliance per region, no overlap
 * (the lock), the time budget, the blast-radius limit, and a second sweep finding nothing to do.
 */

import { LOCKS } from '../../../src/engine/documents';
import type { EngineDeps } from '../../../src/engine/execution/index';
import { runSweep } from '../../../src/engine/paths/sweep';
import { silentLogger } from '../../../src/engine/ports';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';
import { seededRandom } from '../../helpers/seededRandom';

function setup(count: number, extra?: Parameters<typeof fleet>[1]) {
  const ecs = new FakeEcs(fleet(count, extra));
  const store = new MemoryStore();
  const clock = new SteppingClock(Date.UTC(2026, 10, 22, 12));
  const deps: EngineDeps = {
    ecs,
    ram: new FakeRam(['EcsAppRole']),
    store,
    clock,
    random: seededRandom(1),
    logger: silentLogger,
  };
  return { ecs, store, clock, depsFor: () => deps };
}

const attaches = (ecs: FakeEcs) => ecs.calls.filter((c) => c.action === 'AttachInstanceRamRole');

describe('runSweep', () => {
  it('attaches what lacks the role and reports compliance; a second sweep finds nothing to do', async () => {
    const extra = (i: number) =>
      i < 3 ? { role: 'EcsAppRole' } : i === 3 ? { tags: { 'ecs-role-attach:exclude': 'yes' } } : {};
    const { ecs, depsFor } = setup(10, extra);
    const first = await runSweep({ regions: ['cn-hangzhou'], role: 'EcsAppRole' }, depsFor);
    const [region] = first.regions;
    expect(region).toMatchObject({
      state: 'swept',
      status: 'Success',
      evaluated: 10,
      compliant: 3,
      attachedNow: 6,
      compliantAfter: 9,
      failed: [],
      notAttempted: 0,
    });
    expect(region?.skipped.Excluded).toEqual(['i-t0003']);
    expect(first.totals).toMatchObject({ evaluated: 10, attachedNow: 6, compliantAfter: 9 });

    const writes = attaches(ecs).length;
    const second = await runSweep({ regions: ['cn-hangzhou'], role: 'EcsAppRole' }, depsFor);
    expect(second.regions[0]).toMatchObject({ state: 'swept', compliant: 9, attachedNow: 0 });
    expect(attaches(ecs).length).toBe(writes);
  });

  it('leaves a region alone while another sweep holds its lock', async () => {
    const { ecs, store, depsFor } = setup(3);
    await store.tryLock(LOCKS.sweep('cn-hangzhou', 'EcsAppRole'), 'someone-else', 60_000);
    const report = await runSweep({ regions: ['cn-hangzhou'], role: 'EcsAppRole' }, depsFor);
    expect(report.regions[0]).toMatchObject({ state: 'locked', attachedNow: 0 });
    expect(attaches(ecs)).toEqual([]);
  });

  it('does not start a region once the time budget has run out', async () => {
    const { ecs, clock, depsFor } = setup(3);
    const report = await runSweep({ regions: ['cn-hangzhou'], role: 'EcsAppRole' }, depsFor, {
      deadline: clock.now(),
    });
    expect(report.regions[0]?.state).toBe('notStarted');
    expect(ecs.calls).toEqual([]);
  });

  it('refuses a region with more writes than maxTargets, writing nothing', async () => {
    const { ecs, depsFor } = setup(5);
    const report = await runSweep({ regions: ['cn-hangzhou'], role: 'EcsAppRole', maxTargets: 2 }, depsFor);
    expect(report.regions[0]?.state).toBe('refused');
    expect(report.regions[0]?.note).toContain(
      'allows at most 2 instance writes, but 5 of the 5 selected instances need one',
    );
    expect(attaches(ecs)).toEqual([]);
  });
});
