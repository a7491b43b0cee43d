/**
 * `ecs-role-attach doctor` end to end: real CLI code, the real @alicloud SDKs (STS GetCallerIdentity
 * through @alicloud/sts20150401, ECS, RAM) and ali-oss with V4 signatures, over HTTP to the emulator.
 * Every case asserts zero ECS and RAM writes.
 */
import type { EmulatorHandle } from '../../../src/emulator/index';
import { runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator, TEST_ACCOUNT_ID } from '../../helpers/emulator';

interface Report {
  checks: { name: string; status: 'ok' | 'warn' | 'fail'; detail: string }[];
}

let emulator: EmulatorHandle;
beforeAll(async () => {
  useEmulatorCredentials();
  emulator = await startTestEmulator({ flows: ['ecs-role-attach-bulk-attach'] });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.resetStats());
afterEach(() => {
  // doctor is read-only towards ECS and RAM, whatever it finds.
  const { calls } = emulator.stats();
  expect(calls['AttachInstanceRamRole']).toBeUndefined();
  expect(calls['DetachInstanceRamRole']).toBeUndefined();
});

async function doctor(...args: string[]) {
  const result = await runCli(['doctor', '--endpoint', emulator.endpoint, '--output', 'json', ...args]);
  const byName = new Map((result.json<Report>().checks ?? []).map((check) => [check.name, check]));
  return { ...result, byName };
}

describe('ecs-role-attach doctor', () => {
  it('passes on a healthy fleet: credentials, account, ECS per region, role and trust, an oss:// store', async () => {
    const result = await doctor(
      '--region',
      'cn-hangzhou,cn-shanghai',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      'oss://state-bucket/doctor',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect([...result.byName.keys()]).toEqual([
      'credentials',
      'account',
      'ecs cn-hangzhou',
      'ecs cn-shanghai',
      'role',
      'state',
    ]);
    expect([...result.byName.values()].every((check) => check.status === 'ok')).toBe(true);
    expect(result.byName.get('credentials')?.detail).toBe('default/env: AccessKey LTA***001');
    expect(result.byName.get('account')?.detail).toContain(`account ${TEST_ACCOUNT_ID}`);
    expect(result.byName.get('ecs cn-shanghai')?.detail).toContain('4 instances');
    expect(result.byName.get('state')?.detail).toContain('V4 signatures');
    // The probe object is gone again; no secret is printed.
    expect(emulator.ossListing()['state-bucket']?.filter((key) => key.startsWith('doctor/'))).toEqual([]);
    expect(result.stdout).not.toContain('testSecret');
    expect(emulator.stats().calls['GetCallerIdentity']).toBe(1);
  });

  it('text output: one line per check with its status', async () => {
    const result = await runCli([
      'doctor',
      '--endpoint',
      emulator.endpoint,
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      tempState(),
    ]);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['ok credentials', 'ok account', 'ok ecs', 'ok role', 'ok state']);
  });

  it.each([
    ['a missing role', 'NoSuchRole', /RAM role "NoSuchRole" does not exist.*Create it/],
    ['a role that does not trust ECS', 'NotEcsRole', /does not trust ecs\.aliyuncs\.com.*Add .*trust policy/],
  ])('fails with an actionable line for %s', async (_case, role, detail) => {
    const result = await doctor('--region', 'cn-hangzhou', '--role', role);
    expect(result.code).toBe(1);
    expect(result.byName.get('role')).toEqual({
      name: 'role',
      status: 'fail',
      detail: expect.stringMatching(detail),
    });
    expect(result.byName.get('ecs cn-hangzhou')?.status).toBe('ok');
  });

  it('fails for a missing bucket, naming bucket and region, and for an unreachable OSS endpoint', async () => {
    const missing = await doctor(
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      'oss://no-bucket/x',
    );
    expect(missing.code).toBe(1);
    expect(missing.byName.get('state')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('bucket "no-bucket" does not exist in region cn-hangzhou'),
    });
    const closed = await startTestEmulator();
    const endpoint = closed.endpoint;
    await closed.close();
    const unreachable = await runCli([
      'doctor',
      '--endpoint',
      endpoint,
      '--output',
      'json',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      'oss://state-bucket/x',
    ]);
    expect(unreachable.code).toBe(1);
    const checks = unreachable.json<Report>().checks;
    expect(checks.find((check) => check.name === 'state')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('check the bucket and its region'),
    });
    expect(checks.find((check) => check.name === 'account')?.status).toBe('fail');
  });

  it('--flow: ok when the CloudFlow flow exists, an actionable fail when it does not', async () => {
    const present = await doctor(
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--flow',
      'ecs-role-attach-bulk-attach',
    );
    expect(present.code).toBe(0);
    expect(present.byName.get('flow')).toEqual({
      name: 'flow',
      status: 'ok',
      detail: 'CloudFlow flow ecs-role-attach-bulk-attach exists in cn-hangzhou',
    });
    const absent = await doctor(
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--flow',
      'no-such-flow',
    );
    expect(absent.code).toBe(1);
    expect(absent.byName.get('flow')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('does not exist in cn-hangzhou: deploy it'),
    });
    expect(emulator.stats().calls['StartExecution']).toBeUndefined();
  });

  it('warns for a region where DescribeInstances returns nothing (empty, or no ecs:DescribeInstances)', async () => {
    const result = await doctor('--region', 'cn-beijing', '--role', DESIGNATED_ROLE);
    expect(result.code).toBe(0);
    expect(result.byName.get('ecs cn-beijing')).toMatchObject({
      status: 'warn',
      detail:
        'DescribeInstances listed no instance in cn-beijing; if instances exist there, grant ecs:DescribeInstances to the caller (without it ECS answers an empty list, not an error); policies/operator-policy.json grants it',
    });
  });

  it('exits 2 for invalid flags, calling nothing', async () => {
    const result = await runCli([
      'doctor',
      '--endpoint',
      emulator.endpoint,
      '--region',
      'Hangzhou',
      '--role',
      'R',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--region must be a region id like "cn-hangzhou"');
    expect(emulator.stats().calls).toEqual({});
  });
});
