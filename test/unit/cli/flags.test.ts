/**
 * Every command rejects unknown flags and bad values with exit 2, naming the flag, before any call;
 * and has --help with examples.
 */
import { runCli, tempState } from '../../helpers/cli';

describe('flag rejection (exit 2, the flag named, nothing called)', () => {
  it.each([
    ['run', ['run', '--region', 'cn-hangzhou', '--colour', 'red'], '--colour'],
    ['sweep', ['sweep', '--region', 'cn-hangzhou', '--role', 'R', '--bogus'], '--bogus'],
    ['rollback', ['rollback', 'exec-1', '--force'], '--force'],
    ['status', ['status', 'exec-1', '--verbose'], '--verbose'],
    ['demo', ['demo', '--fast'], '--fast'],
  ])('%s: unknown flag', async (_name, args, flag) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`unknown option '${flag}'`);
    expect(result.stdout).toBe('');
  });

  it.each([
    [['sweep', '--region', 'hangzhou', '--role', 'EcsAppRole'], '--region'],
    [['sweep', '--region', 'cn-hangzhou', '--role', 'bad role!'], '--role'],
    [['sweep', '--region', 'cn-hangzhou', '--role', 'R', '--mode', 'Sometimes'], '--mode'],
    [['sweep', '--region', 'cn-hangzhou', '--role', 'R', '--output', 'xml'], '--output'],
    [['sweep', '--region', 'cn-hangzhou', '--role', 'R', '--targets', '{"Type":"Everything"}'], '--targets'],
    [
      [
        'sweep',
        '--region',
        'cn-hangzhou',
        '--role',
        'R',
        '--rate-control',
        '{"Mode":"Batch","Batch":["abc"]}',
      ],
      '--rate-control',
    ],
    [['sweep', '--region', 'cn-hangzhou', '--role', 'R', '--targets', '{not json'], '--targets'],
    [['rollback', 'exec-1', '--output', 'yaml'], '--output'],
    [['demo', '--instances', 'lots'], '--instances'],
    [
      ['run', '--region', 'cn-hangzhou', '--role', 'R', '--targets', '{"Type":"All"}', '--mode', 'Never'],
      '--mode',
    ],
  ])('bad value %j names %s', async (args, flag) => {
    const state = tempState();
    const result = await runCli([...args, '--state', state]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(flag);
    expect(result.stdout).toBe('');
  });

  it('sweep without --role (or --rules) names the missing flag', async () => {
    const result = await runCli(['sweep', '--region', 'cn-hangzhou']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--role or --rules is required');
  });

  it('rollback of an unknown execution exits 1 with the id named', async () => {
    const result = await runCli(['rollback', 'exec-20260101T000000Z-000000', '--state', tempState()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exec-20260101T000000Z-000000');
  });
});

describe('--help', () => {
  it.each(['run', 'resume', 'retry', 'cancel', 'status', 'list', 'sweep', 'rollback', 'demo', 'emulator'])(
    '%s --help exits 0',
    async (command) => {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
    },
  );

  it.each(['sweep', 'rollback', 'demo', 'run'])('%s --help shows examples', async (command) => {
    const result = await runCli([command, '--help']);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain(`ecs-role-attach ${command === 'demo' ? 'demo' : command}`);
  });
});
