import { changeSincePlan, type PlannedInstance } from '../../../src/engine/reviewedPlan';

const PLANNED: PlannedInstance = {
  instanceId: 'i-bp1a',
  status: 'Running',
  tags: { env: 'prod', team: 'web' },
  role: '',
  outcome: 'Attached',
};

describe('changeSincePlan', () => {
  it.each<[string, { [K in keyof PlannedInstance]?: PlannedInstance[K] | undefined }, string | undefined]>([
    ['nothing', {}, undefined],
    ['the message only (not compared)', { message: 'reworded' }, undefined],
    ['the status', { status: 'Stopped' }, 'status Running -> Stopped'],
    ['a tag value', { tags: { env: 'dev', team: 'web' } }, 'tag env "prod" -> "dev"'],
    ['a tag added', { tags: { env: 'prod', team: 'web', x: '1' } }, 'tag x added ("1")'],
    ['a tag removed', { tags: { env: 'prod' } }, 'tag team removed (was "web")'],
    ['the role', { role: 'OtherRole' }, 'role (none) -> "OtherRole"'],
    ['the rule', { rule: 'web' }, 'rule (none) -> web'],
    [
      'the predicted outcome alone (an exemption expired)',
      { outcome: 'Skipped', reason: 'Excluded' },
      'the plan predicted Attached, now Skipped/Excluded',
    ],
    [
      'the instance itself (gone)',
      { status: undefined, tags: undefined, role: undefined },
      'it is gone (not found in cn-hangzhou)',
    ],
  ])('%s', (_what, patch, expected) => {
    const now =
      patch &&
      (Object.fromEntries(
        Object.entries({ ...PLANNED, ...patch }).filter(([, value]) => value !== undefined),
      ) as unknown as PlannedInstance);
    expect(changeSincePlan(PLANNED, now, 'cn-hangzhou')).toBe(expected);
  });

  it('lists every change, in a fixed order', () => {
    expect(
      changeSincePlan(
        PLANNED,
        { ...PLANNED, status: 'Stopped', role: 'X', tags: { env: 'prod' } },
        'cn-hangzhou',
      ),
    ).toBe('status Running -> Stopped; tag team removed (was "web"); role (none) -> "X"');
  });

  it('finds nothing changed for an id that was gone at planning and still is', () => {
    const gone: PlannedInstance = { instanceId: 'i-bp1z', outcome: 'Skipped', reason: 'Gone' };
    expect(changeSincePlan(gone, { ...gone, message: 'not found' }, 'cn-hangzhou')).toBeUndefined();
    expect(changeSincePlan(gone, { ...gone, status: 'Running', outcome: 'Attached' }, 'cn-hangzhou')).toBe(
      'status (none) -> Running',
    );
  });
});
