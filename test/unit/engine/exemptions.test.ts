import {
  exemptionExpired,
  exemptionNotice,
  mergeExclusions,
  parseExemption,
} from '../../../src/engine/exclusions';
import { createExecution, type EngineDeps, runExecution } from '../../../src/engine/execution';
import { silentLogger } from '../../../src/engine/ports';
import { ineligibility } from '../../../src/engine/targets';
import { parseExecutionInput } from '../../../src/inputs/parameters';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';

const TAG = 'ecs-role-attach:exclude';
const DAY = 86_400_000;

describe('exemptions with expiry on the exclusion tag', () => {
  it.each([
    ['until=2026-12-31;reason=migration', { until: '2026-12-31', reason: 'migration' }],
    ['reason=db freeze; until=2027-01-15', { until: '2027-01-15', reason: 'db freeze' }],
    ['until=2026-12-31', { until: '2026-12-31' }],
    ['true', undefined],
    ['until=2026-02-30;reason=x', undefined],
    ['until=tomorrow', undefined],
  ])('parses %p', (value, expected) => {
    expect(parseExemption(value)).toEqual(expected);
  });

  it('holds through the until day (UTC) and expires at the next midnight', () => {
    const exemption = { until: '2026-11-30' };
    expect(exemptionExpired(exemption, Date.UTC(2026, 10, 30, 23, 59, 59))).toBe(false);
    expect(exemptionExpired(exemption, Date.UTC(2026, 11, 1, 0, 0, 0))).toBe(true);
  });

  it('an expired exemption no longer excludes; other values (and invalid dates) exclude for ever', () => {
    const exclusions = mergeExclusions();
    const now = Date.UTC(2026, 11, 1, 12);
    const instance = (value: string) => ({ ...fleet(1)[0]!, tags: { [TAG]: value } });
    expect(ineligibility(instance('until=2026-11-30;reason=old'), exclusions, now)).toBeUndefined();
    expect(ineligibility(instance('until=2026-12-01;reason=today'), exclusions, now)).toMatchObject({
      outcome: 'Skipped',
      reason: 'Excluded',
      message: `exempt by tag ${TAG} until 2026-12-01 (today)`,
    });
    expect(ineligibility(instance('until=2026-13-01'), exclusions, now)).toMatchObject({
      reason: 'Excluded',
    });
    expect(ineligibility(instance('yes'), exclusions, now)).toMatchObject({ reason: 'Excluded' });
    // A key=value exclusion matches the value exactly, exemption syntax or not.
    const valued = mergeExclusions({ tags: [{ key: 'hold', value: 'until=2020-01-01' }] });
    expect(ineligibility({ ...fleet(1)[0]!, tags: { hold: 'until=2020-01-01' } }, valued, now)).toMatchObject(
      { reason: 'Excluded' },
    );
  });

  it('notices expired and soon-expiring exemptions (14 days), not distant ones', () => {
    const exclusions = mergeExclusions();
    const now = Date.UTC(2026, 11, 1);
    const notice = (value: string) =>
      exemptionNotice({ instanceId: 'i-x', tags: { [TAG]: value } }, exclusions, now)?.state;
    expect(notice('until=2026-11-30')).toBe('expired');
    expect(notice('until=2026-12-14')).toBe('expiring');
    expect(notice('until=2026-12-16')).toBeUndefined();
    expect(notice('true')).toBeUndefined();
  });

  it('an execution attaches the instance whose exemption expired and reports both kinds', async () => {
    const clock = new SteppingClock(Date.UTC(2026, 10, 22, 12)); // 2026-11-22 12:00 UTC
    const tags = [
      'until=2026-11-21;reason=ticket OPS-1', // expired yesterday
      'until=2026-11-30;reason=ticket OPS-2', // expires within 14 days
      'until=2027-06-30;reason=ticket OPS-3', // far off
      'forever',
    ];
    const ecs = new FakeEcs(fleet(5, (i) => (i < 4 ? { tags: { [TAG]: tags[i]! } } : {})));
    const deps: EngineDeps = {
      ecs,
      ram: new FakeRam(['EcsAppRole']),
      store: new MemoryStore(),
      clock,
      random: () => 0.5,
      logger: silentLogger,
    };
    const parameters = parseExecutionInput({
      regionId: 'cn-hangzhou',
      RamRoleName: 'EcsAppRole',
      targets: { Type: 'All' },
    });
    const created = await createExecution(parameters, deps, { origin: 'cli' });
    const report = await runExecution(created.executionId, deps);
    expect(report.instances.map((i) => [i.instanceId, i.outcome])).toEqual([
      ['i-t0000', 'Attached'],
      ['i-t0001', 'Skipped'],
      ['i-t0002', 'Skipped'],
      ['i-t0003', 'Skipped'],
      ['i-t0004', 'Attached'],
    ]);
    expect(ecs.instances.get('i-t0000')?.role).toBe('EcsAppRole');
    expect(report.exemptions).toEqual([
      { instanceId: 'i-t0000', tag: TAG, until: '2026-11-21', reason: 'ticket OPS-1', state: 'expired' },
      { instanceId: 'i-t0001', tag: TAG, until: '2026-11-30', reason: 'ticket OPS-2', state: 'expiring' },
    ]);
    // The clock moves past OPS-2 while nothing re-plans: a new execution picks it up.
    clock.time += 9 * DAY;
    const next = await createExecution(parameters, deps, { origin: 'cli' });
    expect(next.instances.find((i) => i.instanceId === 'i-t0001')?.outcome).toBe('Pending');
  });

  it('with role rules: an expired exemption lets the matching rule attach its role', async () => {
    const clock = new SteppingClock(Date.UTC(2026, 10, 22, 12)); // 2026-11-22 12:00 UTC
    const ecs = new FakeEcs(
      fleet(3, (i) => ({
        tags: {
          team: 'web',
          ...(i === 0 ? { [TAG]: 'until=2026-11-21;reason=OPS-9' } : {}),
          ...(i === 1 ? { [TAG]: 'until=2027-01-31' } : {}),
        },
      })),
    );
    const deps: EngineDeps = {
      ecs,
      ram: new FakeRam(['WebAppRole']),
      store: new MemoryStore(),
      clock,
      random: () => 0.5,
      logger: silentLogger,
    };
    const parameters = parseExecutionInput({
      regionId: 'cn-hangzhou',
      targets: { Type: 'Tags', Tags: [{ Key: 'team' }] },
      rules: { rules: [{ name: 'web', match: { tags: { team: 'web' } }, role: 'WebAppRole' }] },
    });
    const created = await createExecution(parameters, deps, { origin: 'cli' });
    const report = await runExecution(created.executionId, deps);
    expect(report.instances.map((i) => [i.instanceId, i.outcome, i.reason])).toEqual([
      ['i-t0000', 'Attached', undefined],
      ['i-t0001', 'Skipped', 'Excluded'],
      ['i-t0002', 'Attached', undefined],
    ]);
    expect(ecs.instances.get('i-t0000')?.role).toBe('WebAppRole');
    expect(report.exemptions).toEqual([
      { instanceId: 'i-t0000', tag: TAG, until: '2026-11-21', reason: 'OPS-9', state: 'expired' },
    ]);
  });
});
