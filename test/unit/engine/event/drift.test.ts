import type { NotificationEvent } from '../../../../src/engine/notifications';
import { notDrift, type RoleChange, remediateDrift } from '../../../../src/engine/paths/event/drift';
import { remediateRegions } from '../../../../src/engine/paths/event/invocation';
import type { EventPathDeps, EventPathSettings } from '../../../../src/engine/paths/event/settings';
import { silentLogger } from '../../../../src/engine/ports';
import { type RoleRules, RULES_LABEL } from '../../../../src/engine/types';
import { SteppingClock } from '../../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../../helpers/engineFakes';

function change(overrides: Partial<RoleChange> = {}): RoleChange {
  return {
    instanceId: 'i-t0000',
    regionId: 'cn-hangzhou',
    call: 'DetachInstanceRamRole',
    caller: 'alice',
    source: 'acs.actiontrail',
    eventId: 'e-1',
    ...overrides,
  };
}

const settings: EventPathSettings = {
  ramRoleName: 'EcsAppRole',
  onConflict: 'skip',
  exclusions: { tags: [], instanceIds: [] },
  deadline: Number.MAX_SAFE_INTEGER,
};

describe('notDrift', () => {
  it.each`
    what                                     | overrides                                                                                       | ignoreCallers         | drift
    ${'a console detach'}                    | ${{}}                                                                                           | ${[]}                 | ${true}
    ${'our user agent token'}                | ${{ userAgent: 'AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/2 ecs-role-attach/1' }} | ${[]}                 | ${false}
    ${'an ignored RAM user'}                 | ${{}}                                                                                           | ${['alice']}          | ${false}
    ${'any session of an ignored role'}      | ${{ caller: 'pipeline:run-42' }}                                                                | ${['pipeline']}       | ${false}
    ${'one session of a role, not another'}  | ${{ caller: 'pipeline:run-42' }}                                                                | ${['pipeline:run-1']} | ${true}
    ${'an ignored principal id'}             | ${{ caller: 'x:y', principalId: '3435:y' }}                                                     | ${['3435:y']}         | ${false}
    ${'an attach of the designated role'}    | ${{ call: 'AttachInstanceRamRole', roleName: 'EcsAppRole' }}                                    | ${[]}                 | ${false}
    ${'an attach of another role'}           | ${{ call: 'AttachInstanceRamRole', roleName: 'OtherRole' }}                                     | ${[]}                 | ${true}
    ${'a detach naming the designated role'} | ${{ roleName: 'EcsAppRole' }}                                                                   | ${[]}                 | ${true}
  `('$what -> drift $drift', ({ overrides, ignoreCallers, drift }) => {
    const reason = notDrift(change(overrides), settings, { mode: 'repair', ignoreCallers });
    expect(reason === undefined).toBe(drift);
  });

  it('with role rules an attach is never dismissed by name: the state decides', () => {
    const rules: RoleRules = { rules: [{ name: 'all', match: {}, role: 'EcsAppRole' }], acceptedRoles: [] };
    const attach = change({ call: 'AttachInstanceRamRole', roleName: 'EcsAppRole' });
    expect(
      notDrift(attach, { ramRoleName: RULES_LABEL, rules }, { mode: 'repair', ignoreCallers: [] }),
    ).toBeUndefined();
  });
});

describe('remediateDrift', () => {
  function setup(roles = ['EcsAppRole', 'OtherRole']) {
    const ecs = new FakeEcs(fleet(3, (i) => [{}, { role: 'OtherRole' }, { role: 'EcsAppRole' }][i]!));
    const events: NotificationEvent[] = [];
    const deps: EventPathDeps = {
      ecs,
      ram: new FakeRam(roles),
      store: new MemoryStore(),
      clock: new SteppingClock(),
      logger: silentLogger,
      owner: 'fc:req',
      notifier: { publish: (event) => events.push(event) },
    };
    return { ecs, deps, events };
  }
  const changes = ['i-t0000', 'i-t0001', 'i-t0002'].map((instanceId) => change({ instanceId }));

  it('report: reads only; lacking instances end Skipped/DriftReported, one drift-detected for the region', async () => {
    const { ecs, deps, events } = setup();
    const { summary, drift } = await remediateDrift('cn-hangzhou', changes, deps, settings, 'report');
    expect(ecs.attachCount()).toBe(0);
    expect(drift.map((r) => [r.instanceId, r.outcome, r.detail])).toEqual([
      ['i-t0000', 'Reported', 'no role'],
      ['i-t0001', 'Reported', 'bears OtherRole'],
      ['i-t0002', 'NoDrift', 'bears its role'],
    ]);
    expect(summary.skipped.map((s) => s.reason)).toEqual(['DriftReported', 'DriftReported']);
    expect(summary.alreadyAttached).toEqual(['i-t0002']);
    expect(events.map((e) => e.type)).toEqual(['eventpath.drift-detected']);
  });

  it('repair with role rules: the rule role replaces another role whatever the rule says; no command', async () => {
    const { ecs, deps, events } = setup();
    const rules: RoleRules = {
      rules: [{ name: 'all', match: {}, role: 'EcsAppRole', onConflict: 'skip' }],
      acceptedRoles: [],
    };
    const { drift } = await remediateDrift(
      'cn-hangzhou',
      changes,
      deps,
      { ...settings, ramRoleName: RULES_LABEL, rules },
      'repair',
    );
    expect(drift.map((r) => r.outcome)).toEqual(['Repaired', 'Repaired', 'NoDrift']);
    expect(ecs.instances.get('i-t0001')?.role).toBe('EcsAppRole');
    expect(events).toEqual([
      expect.objectContaining({ type: 'eventpath.drift-repaired', ramRoleName: RULES_LABEL }),
    ]);
  });

  it('report with a role that does not exist: every instance a recorded Failed, nothing written', async () => {
    const { ecs, deps } = setup([]);
    const { summary, drift } = await remediateDrift(
      'cn-hangzhou',
      changes.slice(0, 1),
      deps,
      settings,
      'report',
    );
    expect(drift).toEqual([
      expect.objectContaining({ outcome: 'Failed', detail: expect.stringMatching(/^RoleNotFound: /) }),
    ]);
    expect(summary.failed.map((f) => f.code)).toEqual(['RoleNotFound']);
    expect(ecs.calls).toEqual([]);
  });
});

describe('remediateRegions with role changes', () => {
  it('a change of an instance also created in the invocation is left to the creation; one change per instance', async () => {
    const ecs = new FakeEcs(fleet(2));
    const deps: EventPathDeps = {
      ecs,
      ram: new FakeRam(),
      store: new MemoryStore(),
      clock: new SteppingClock(),
      logger: silentLogger,
      owner: 'fc:req',
    };
    const summary = await remediateRegions(
      {
        instances: [{ instanceId: 'i-t0000', regionId: 'cn-hangzhou' }],
        changes: [
          change(),
          change({ instanceId: 'i-t0001' }),
          change({ instanceId: 'i-t0001', eventId: 'e-2' }),
        ],
      },
      () => deps,
      { ...settings, drift: { mode: 'repair', ignoreCallers: [] } },
    );
    expect(summary.attached).toEqual(['i-t0000', 'i-t0001']);
    expect(summary.drift?.map((r) => r.instanceId)).toEqual(['i-t0001']);
    expect(summary.ignoredChanges).toBe(2);
  });
});
