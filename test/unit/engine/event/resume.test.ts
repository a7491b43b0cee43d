import type { EngineDeps } from '../../../../src/engine/execution/index';
import type { NotificationEvent } from '../../../../src/engine/notifications';
import { eventPathKeys } from '../../../../src/engine/paths/event/breaker';
import { resumeEventPath } from '../../../../src/engine/paths/event/resume';
import { silentLogger } from '../../../../src/engine/ports';
import { type RoleRules, RULES_LABEL } from '../../../../src/engine/types';
import { SteppingClock } from '../../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../../helpers/engineFakes';

function setup() {
  const events: NotificationEvent[] = [];
  const deps: EngineDeps & { owner: string } = {
    ecs: new FakeEcs(fleet(3)),
    ram: new FakeRam(),
    store: new MemoryStore(),
    clock: new SteppingClock(Date.UTC(2026, 10, 22, 12)),
    random: () => 0.5,
    logger: silentLogger,
    owner: 'cli:resume',
    notifier: { publish: (event) => events.push(event) },
  };
  return { deps, events };
}

/** An open breaker with `backlog` queued. */
async function paused(deps: EngineDeps, backlog: string[]) {
  const keys = eventPathKeys('cn-hangzhou', 'EcsAppRole');
  await deps.store.putDocument(keys.breaker, { state: 'open', consecutiveFailures: 5, updatedAt: 'x' });
  await deps.store.putDocument(keys.backlog, { instanceIds: backlog, updatedAt: 'x' });
  return keys;
}

const SCOPE = { regionId: 'cn-hangzhou', ramRoleName: 'EcsAppRole' };
const settings = { onConflict: 'skip' as const, exclusions: { tags: [], instanceIds: [] } };

describe('resumeEventPath', () => {
  it('turns the backlog into one ResourceIds execution, empties it, closes the breaker and notifies', async () => {
    const { deps, events } = setup();
    const keys = await paused(deps, ['i-t0002', 'i-t0000']);
    const resumed = await resumeEventPath('cn-hangzhou', 'EcsAppRole', deps, settings);
    expect(resumed).toMatchObject({ ...SCOPE, backlog: 2, wasOpen: true });
    const stored = await deps.store.load(resumed.execution!.executionId);
    expect(stored.record.origin).toBe('event-backlog');
    expect(stored.record.parameters.targets).toEqual({
      Type: 'ResourceIds',
      ResourceIds: ['i-t0002', 'i-t0000'],
      RegionId: 'cn-hangzhou',
    });
    expect(stored.record.parameters.rateControl).toMatchObject({ Mode: 'Concurrency', Concurrency: 100 });
    expect(await deps.store.getDocument(keys.backlog)).toMatchObject({ instanceIds: [] });
    expect(await deps.store.getDocument(keys.breaker)).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
    expect(events.filter((e) => e.type === 'eventpath.breaker-closed')).toEqual([
      expect.objectContaining({
        regionId: 'cn-hangzhou',
        backlog: 2,
        executionId: resumed.execution!.executionId,
      }),
    ]);
  });

  it('a closed breaker with an empty backlog creates no execution and tells nobody', async () => {
    const { deps, events } = setup();
    const resumed = await resumeEventPath('cn-hangzhou', 'EcsAppRole', deps, settings);
    expect(resumed).toEqual({ ...SCOPE, backlog: 0, wasOpen: false });
    expect(events).toEqual([]);
  });

  it('with role rules, resumes the @rules event path whatever role name is passed', async () => {
    const { deps } = setup();
    const keys = eventPathKeys('cn-hangzhou', RULES_LABEL);
    await deps.store.putDocument(keys.backlog, { instanceIds: ['i-t0001'], updatedAt: 'x' });
    const rules: RoleRules = { rules: [{ name: 'all', match: {}, role: 'EcsAppRole' }], acceptedRoles: [] };
    const resumed = await resumeEventPath('cn-hangzhou', 'ignored', deps, { ...settings, rules });
    expect(resumed).toMatchObject({ ramRoleName: RULES_LABEL, backlog: 1 });
  });

  it('when planning fails (role still missing), the backlog and the open breaker stay', async () => {
    const { deps } = setup();
    deps.ram = new FakeRam([]);
    const keys = await paused(deps, ['i-t0000']);
    await expect(resumeEventPath('cn-hangzhou', 'EcsAppRole', deps, settings)).rejects.toThrow(
      /does not exist/,
    );
    expect(await deps.store.getDocument(keys.backlog)).toMatchObject({ instanceIds: ['i-t0000'] });
    expect(await deps.store.getDocument(keys.breaker)).toMatchObject({ state: 'open' });
  });
});
