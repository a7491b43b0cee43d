import { renderNotificationMarkdown } from '../../../src/notify/markdown';

describe('renderNotificationMarkdown: drift', () => {
  const instances = [
    {
      instanceId: 'i-bp1aaa',
      call: 'DetachInstanceRamRole' as const,
      caller: 'alice',
      roleName: 'EcsAppRole',
      outcome: 'Reported',
      detail: 'no role',
    },
  ];

  it('drift-detected names each instance, the call, the caller and the repair command', () => {
    const { title, text } = renderNotificationMarkdown({
      type: 'eventpath.drift-detected',
      at: '2026-12-02T03:00:00.000Z',
      regionId: 'cn-hangzhou',
      ramRoleName: 'EcsAppRole',
      mode: 'report',
      instances,
      command: 'ecs-role-attach run --region cn-hangzhou --role EcsAppRole',
    });
    expect(title).toBe('ecs-role-attach drift detected: 1 instances of EcsAppRole in cn-hangzhou');
    expect(text.split('\n\n')).toEqual([
      `### ${title}`,
      '- i-bp1aaa: DetachInstanceRamRole EcsAppRole by alice — Reported (no role)',
      'to repair: `ecs-role-attach run --region cn-hangzhou --role EcsAppRole`',
    ]);
  });

  it('drift-repaired has no command', () => {
    const { text } = renderNotificationMarkdown({
      type: 'eventpath.drift-repaired',
      at: '2026-12-02T03:00:00.000Z',
      regionId: 'cn-hangzhou',
      ramRoleName: 'EcsAppRole',
      instances: [
        {
          instanceId: 'i-bp1aaa',
          call: 'DetachInstanceRamRole',
          caller: 'alice',
          roleName: 'EcsAppRole',
          outcome: 'Repaired',
        },
      ],
    });
    expect(text).toContain('- i-bp1aaa: DetachInstanceRamRole EcsAppRole by alice — Repaired');
    expect(text).not.toContain('to repair');
  });
});
