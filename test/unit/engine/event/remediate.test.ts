import { type BreakerState, eventPathKeys } from '../../../../src/engine/paths/event/breaker';
import { remediateRegions } from '../../../../src/engine/paths/event/invocation';
import { remediateInstances } from '../../../../src/engine/paths/event/remediate';
import type { EventPathDeps, EventPathSettings } from '../../../../src/engine/paths/event/settings';
import { silentLogger } from '../../../../src/engine/ports';
import { VirtualClock } from '../../../helpers/clocks';
import { FakeEcs, type FakeInstance, FakeRam, fleet, MemoryStore } from '../../../helpers/engineFakes';

const START = Date.parse('2026-12-02T03:00:00.000Z');

function setup(instances: FakeInstance[], roles = ['EcsAppRole']) {
  const ecs = new FakeEcs(instances);
  const clock = new VirtualClock(START);
  const deps: EventPathDeps = {
    ecs,
    ram: new FakeRam(roles),
    store: new MemoryStore(),
    clock,
    logger: silentLogger,
    owner: 'fc:req-1',
  };
  const settings: EventPathSettings = {
    ramRoleName: 'EcsAppRole',
    onConflict: 'skip',
    exclusions: { tags: [], instanceIds: [] },
    deadline: START + 10_000,
  };
  return { ecs, clock, deps, settings, keys: eventPathKeys('cn-hangzhou', 'EcsAppRole') };
}

const actions = (ecs: FakeEcs) => ecs.calls.map((call) => call.action);

describe('remediateInstances', () => {
  it('classifies with one Describe each, then writes one attach call: attached, already attached, excluded, conflict', async () => {
    const { ecs, deps, settings } = setup(
      fleet(
        4,
        (i) =>
          [{}, { role: 'EcsAppRole' }, { tags: { 'ecs-role-attach:exclude': 'true' } }, { role: 'Other' }][
            i
          ]!,
      ),
    );
    const summary = await remediateInstances(
      'cn-hangzhou',
      ['i-t0000', 'i-t0001', 'i-t0002', 'i-t0003', 'i-t0000'],
      deps,
      settings,
    );
    expect(summary.attached).toEqual(['i-t0000']);
    expect(summary.alreadyAttached).toEqual(['i-t0001']);
    expect(summary.skipped.map((s) => [s.instanceId, s.reason])).toEqual([
      ['i-t0002', 'Excluded'],
      ['i-t0003', 'OtherRole'],
    ]);
    expect(actions(ecs)).toEqual(['DescribeInstances', 'DescribeInstanceRamRole', 'AttachInstanceRamRole']);
    expect(ecs.instances.get('i-t0000')?.role).toBe('EcsAppRole');
    expect(ecs.instances.get('i-t0003')?.role).toBe('Other');
  });

  it('re-attempts a Pending instance with doubling backoff until the deadline, then skips it NotYetAttachable', async () => {
    const { ecs, clock, deps, settings } = setup(fleet(2));
    ecs.failAttach.set('i-t0001', 'IncorrectInstanceStatus');
    const summary = await clock.run(
      remediateInstances('cn-hangzhou', ['i-t0000', 'i-t0001'], deps, settings),
    );
    expect(summary.attached).toEqual(['i-t0000']);
    expect(summary.skipped).toEqual([
      expect.objectContaining({ instanceId: 'i-t0001', reason: 'NotYetAttachable' }),
    ]);
    // 1 + 2 + 4 s = 7 s; the next 8 s wait would pass the 10 s deadline.
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(ecs.calls.filter((c) => c.action === 'AttachInstanceRamRole').map((c) => c.ids)).toEqual([
      ['i-t0000', 'i-t0001'],
      ['i-t0001'],
      ['i-t0001'],
      ['i-t0001'],
    ]);
    // Pending instances do not count against the breaker.
    expect(await deps.store.getDocument('event-path/cn-hangzhou/EcsAppRole')).toBeUndefined();
  });

  it('an unusable role fails every instance without a Describe or an attach, and counts against the breaker', async () => {
    const { ecs, deps, settings, keys } = setup(fleet(3), []);
    const summary = await remediateInstances('cn-hangzhou', ['i-t0000', 'i-t0001', 'i-t0002'], deps, {
      ...settings,
      breakerThreshold: 3,
    });
    expect(summary.failed.map((f) => f.code)).toEqual(['RoleNotFound', 'RoleNotFound', 'RoleNotFound']);
    expect(summary.backlogged).toEqual(['i-t0000', 'i-t0001', 'i-t0002']);
    expect(actions(ecs)).toEqual([]);
    expect(await deps.store.getDocument<BreakerState>(keys.breaker)).toMatchObject({
      state: 'open',
      consecutiveFailures: 3,
    });
  });

  it('while the breaker is open, instances go to the backlog with zero ECS calls', async () => {
    const { ecs, deps, settings, keys } = setup(fleet(2));
    await deps.store.putDocument(keys.breaker, { state: 'open', consecutiveFailures: 5, updatedAt: 'x' });
    const summary = await remediateInstances('cn-hangzhou', ['i-t0000', 'i-t0001'], deps, settings);
    expect(summary.backlogged).toEqual(['i-t0000', 'i-t0001']);
    expect(actions(ecs)).toEqual([]);
    expect(await deps.store.getDocument(keys.backlog)).toMatchObject({ instanceIds: ['i-t0000', 'i-t0001'] });
  });

  it('a call refused for the caller opens the breaker at once and queues the unsettled instances, failing none', async () => {
    const { ecs, deps, settings, keys } = setup(fleet(2));
    ecs.refuseCall.set('*', 'Forbidden.RAM');
    const summary = await remediateInstances('cn-hangzhou', ['i-t0000', 'i-t0001'], deps, settings);
    expect(summary.failed).toEqual([]);
    expect(summary.backlogged).toEqual(['i-t0000', 'i-t0001']);
    expect(await deps.store.getDocument<BreakerState>(keys.breaker)).toMatchObject({
      state: 'open',
      consecutiveFailures: 0,
      reason: expect.stringMatching(/^Forbidden\.RAM: /),
    });
  });

  it('a success after failures resets the streak', async () => {
    const { deps, settings, keys } = setup(fleet(1));
    await deps.store.putDocument(keys.breaker, { state: 'closed', consecutiveFailures: 4, updatedAt: 'x' });
    await remediateInstances('cn-hangzhou', ['i-t0000'], deps, settings);
    expect(await deps.store.getDocument<BreakerState>(keys.breaker)).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
  });
});

describe('remediateRegions', () => {
  it('remediates each region with its own dependencies and merges the summaries', async () => {
    const { deps, settings } = setup([
      ...fleet(1),
      { ...fleet(1)[0]!, instanceId: 'i-s0000', regionId: 'cn-shanghai', role: 'EcsAppRole' },
    ]);
    const regions: string[] = [];
    const summary = await remediateRegions(
      {
        instances: [
          { instanceId: 'i-t0000', regionId: 'cn-hangzhou' },
          { instanceId: 'i-s0000', regionId: 'cn-shanghai' },
        ],
      },
      (regionId) => {
        regions.push(regionId);
        return deps;
      },
      settings,
    );
    expect(regions).toEqual(['cn-hangzhou', 'cn-shanghai']);
    expect(summary).toMatchObject({
      attached: ['i-t0000'],
      alreadyAttached: ['i-s0000'],
      failed: [],
      backlogged: [],
    });
  });
});
