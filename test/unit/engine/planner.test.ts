/**
 * Planning (src/engine/planner.ts) against the in-memory ECS/RAM fakes: what each target is planned as,
 * which reads planning makes (never a write), and the role check that comes before everything.
 */
import { RoleNotUsableError } from '../../../src/engine/errors';
import { observeAndPlan, planExecution } from '../../../src/engine/planner';
import type { ExecutionParameters } from '../../../src/engine/types';
import { parseRateControl } from '../../../src/inputs/rateControl';
import { parseRoleRules } from '../../../src/inputs/rules';
import { parseExclusions } from '../../../src/inputs/targets';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet } from '../../helpers/engineFakes';

const NOW = Date.UTC(2026, 10, 22, 12);

function params(overrides: Partial<ExecutionParameters> = {}): ExecutionParameters {
  return {
    regionId: 'cn-hangzhou',
    ramRoleName: 'EcsAppRole',
    targets: { Type: 'All' },
    rateControl: parseRateControl({ Mode: 'Concurrency', Concurrency: 10, MaxErrors: 2 }),
    mode: 'Automatic',
    onConflict: 'skip',
    exclusions: parseExclusions([], []),
    ...overrides,
  };
}

function deps(ecs: FakeEcs, ram = new FakeRam(['EcsAppRole', 'WebRole'], ['FcOnlyRole'])) {
  return { ecs, ram, clock: new SteppingClock(NOW) };
}

const writes = (ecs: FakeEcs) =>
  ecs.calls.filter(
    (call) => call.action !== 'DescribeInstances' && call.action !== 'DescribeInstanceRamRole',
  );

describe('planExecution', () => {
  const extra = (i: number) =>
    [
      { role: 'EcsAppRole' },
      { role: 'LegacyRole' },
      { tags: { 'ecs-role-attach:exclude': 'yes' } },
      { networkType: 'classic' },
      { status: 'Stopped' },
    ][i] ?? {};

  it.each([
    ['skip', { instanceId: 'i-t0001', decided: { outcome: 'Skipped', reason: 'OtherRole' } }],
    ['replace', { instanceId: 'i-t0001', work: 'replace', currentRole: 'LegacyRole' }],
    ['fail', { instanceId: 'i-t0001', work: 'conflict', currentRole: 'LegacyRole' }],
  ] as const)('onConflict %s plans an instance bearing another role as %j', async (onConflict, expected) => {
    const ecs = new FakeEcs(fleet(6, extra));
    const plan = await planExecution('exec-1', params({ onConflict }), deps(ecs));
    expect(plan.targets.find((t) => t.instanceId === 'i-t0001')).toMatchObject(expected);
    expect(writes(ecs)).toEqual([]);
  });

  it('decides what needs no write now and batches only the work', async () => {
    const ecs = new FakeEcs(fleet(6, extra));
    const plan = await planExecution('exec-1', params(), deps(ecs));
    const byId = new Map(plan.targets.map((t) => [t.instanceId, t]));
    expect(byId.get('i-t0000')?.decided).toMatchObject({ outcome: 'AlreadyAttached' });
    expect(byId.get('i-t0002')?.decided).toMatchObject({ outcome: 'Skipped', reason: 'Excluded' });
    expect(byId.get('i-t0003')?.decided).toMatchObject({ outcome: 'Skipped', reason: 'ClassicNetwork' });
    // A stopped VPC instance can take a role: it is work like a running one.
    expect(byId.get('i-t0004')).toMatchObject({ work: 'attach' });
    expect(plan.batches.flatMap((b) => b.instanceIds)).toEqual(['i-t0004', 'i-t0005']);
    expect(plan.maxErrors).toBe(2);
  });

  it('looks roles up page by page (one DescribeInstanceRamRole per page of 100), never the ineligible', async () => {
    const ecs = new FakeEcs(fleet(250, (i) => (i < 10 ? { tags: { 'ecs-role-attach:exclude': '' } } : {})));
    await planExecution('exec-1', params(), deps(ecs));
    const lookups = ecs.calls.filter((c) => c.action === 'DescribeInstanceRamRole');
    expect(lookups.map((c) => c.ids.length)).toEqual([90, 100, 50]);
    expect(lookups.flatMap((c) => c.ids)).not.toContain('i-t0000');
  });

  it('records ResourceIds that no longer exist as Skipped/Gone, once each', async () => {
    const ecs = new FakeEcs(fleet(2));
    const targets = { Type: 'ResourceIds' as const, ResourceIds: ['i-t0000', 'i-gone', 'i-gone'] };
    const plan = await planExecution('exec-1', params({ targets }), deps(ecs));
    expect(plan.targets.map((t) => [t.instanceId, t.decided?.outcome ?? t.work])).toEqual([
      ['i-t0000', 'attach'],
      ['i-gone', 'Skipped'],
    ]);
  });

  it.each([
    ['MissingRole', 'RoleNotFound'],
    ['FcOnlyRole', 'RoleNotTrustedByEcs'],
  ])('refuses role %s (%s) before any role lookup result is used, with no write', async (role, code) => {
    const ecs = new FakeEcs(fleet(3));
    const planning = planExecution('exec-1', params({ ramRoleName: role }), deps(ecs));
    await expect(planning).rejects.toBeInstanceOf(RoleNotUsableError);
    await expect(planning).rejects.toMatchObject({ code });
    expect(writes(ecs)).toEqual([]);
  });

  it('role rules: first match wins, unmatched end Skipped/NoRule without a role lookup, accepted roles compliant', async () => {
    const rules = parseRoleRules({
      rules: [
        { name: 'web', match: { tags: { app: 'web' } }, role: 'WebRole' },
        { name: 'prod', match: { tags: { env: 'prod' } }, role: 'EcsAppRole' },
      ],
      acceptedRoles: ['LegacyRole'],
    });
    const ecs = new FakeEcs(
      fleet(
        4,
        (i) =>
          [
            { tags: { app: 'web', env: 'prod' } },
            { tags: { env: 'dev' } },
            {},
            { role: 'LegacyRole', tags: { env: 'prod' } },
          ][i] ?? {},
      ),
    );
    const { plan } = await observeAndPlan('exec-1', params({ rules }), deps(ecs));
    const byId = new Map(plan.targets.map((t) => [t.instanceId, t]));
    expect(byId.get('i-t0000')).toMatchObject({ work: 'attach', rule: 0 });
    expect(byId.get('i-t0001')?.decided).toMatchObject({ outcome: 'Skipped', reason: 'NoRule' });
    expect(byId.get('i-t0002')).toMatchObject({ work: 'attach', rule: 1 });
    expect(byId.get('i-t0003')?.decided).toMatchObject({ outcome: 'Skipped', reason: 'AcceptedRole' });
    const looked = ecs.calls.filter((c) => c.action === 'DescribeInstanceRamRole').flatMap((c) => c.ids);
    expect(looked).not.toContain('i-t0001');
  });

  it('ResourceIds: targets and exemption notices follow the order given, not the order pages arrive in', async () => {
    const expired = { tags: { 'ecs-role-attach:exclude': 'until=2026-11-01;reason=migration' } };
    const ecs = new FakeEcs(fleet(260, (i) => (i === 3 || i === 250 ? expired : {})));
    // Three DescribeInstances pages (chunks of 100 ids) answered in fleet order; the given order interleaves them.
    const ids = [
      'i-t0250',
      'i-t0003',
      'i-gone',
      'i-t0120',
      ...fleet(260)
        .map((i) => i.instanceId)
        .slice(0, 3),
    ];
    const plan = await planExecution(
      'exec-1',
      params({ targets: { Type: 'ResourceIds', ResourceIds: ids } }),
      deps(ecs),
    );
    expect(plan.targets.map((t) => t.instanceId)).toEqual([
      'i-t0250',
      'i-t0003',
      'i-t0120',
      'i-t0000',
      'i-t0001',
      'i-t0002',
      'i-gone',
    ]);
    expect(plan.exemptions?.map((e) => e.instanceId)).toEqual(['i-t0250', 'i-t0003']);
    expect(plan.batches.flatMap((b) => b.instanceIds)).toEqual(
      plan.targets.slice(0, 6).map((t) => t.instanceId),
    );
  });

  it('observeAndPlan also returns every instance seen and the role of each looked up', async () => {
    const ecs = new FakeEcs(fleet(3, extra));
    const observed = await observeAndPlan('exec-1', params(), deps(ecs));
    expect(observed.instances.map((i) => i.instanceId)).toEqual(['i-t0000', 'i-t0001', 'i-t0002']);
    // i-t0002 is excluded: not looked up, so no entry.
    expect([...observed.roles]).toEqual([
      ['i-t0000', 'EcsAppRole'],
      ['i-t0001', 'LegacyRole'],
    ]);
    expect(observed.plan.targets.map((t) => t.instanceId)).toEqual(['i-t0000', 'i-t0001', 'i-t0002']);
  });

  it('an exemption that expired is in scope again and is reported', async () => {
    const ecs = new FakeEcs(
      fleet(2, (i) =>
        i === 0 ? { tags: { 'ecs-role-attach:exclude': 'until=2026-11-01;reason=migration' } } : {},
      ),
    );
    const plan = await planExecution('exec-1', params(), deps(ecs));
    expect(plan.targets.find((t) => t.instanceId === 'i-t0000')).toMatchObject({ work: 'attach' });
    expect(plan.exemptions?.map((e) => e.instanceId)).toEqual(['i-t0000']);
  });
});
