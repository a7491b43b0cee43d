/**
 * `ecs-role-attach doctor --accounts`: the real CLI in-process, the real STS, Resource Directory, ECS and RAM
 * SDKs over HTTP to an emulator holding a management account and three members. Per member, the checks run
 * through the credential AssumeRole answers; a member that cannot be assumed fails and the others go on.
 * Read-only: every case asserts zero writes.
 */
import type { EmulatorHandle } from '../../../src/emulator/index';
import { accountTrustPolicy, trustPolicyFor } from '../../../src/emulator/index';
import { runCli, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator, TEST_ACCOUNT_ID } from '../../helpers/emulator';
import { MEMBER_IDS, ORG_REGIONS, organizationFleet } from '../../helpers/organization';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  accountId?: string;
}

let emulator: EmulatorHandle;
beforeAll(async () => {
  useEmulatorCredentials();
  // Member 2 lacks the role a run assumes; member 3 lacks the designated instance role.
  emulator = await startTestEmulator({
    fleet: organizationFleet({
      2: {
        roles: [{ RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com') }],
      },
      3: {
        roles: [
          {
            RoleName: 'ResourceDirectoryAccountAccessRole',
            AssumeRolePolicyDocument: accountTrustPolicy(TEST_ACCOUNT_ID),
          },
        ],
      },
    }),
  });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.resetStats());
afterEach(() => {
  const writes = Object.keys(emulator.stats().calls).filter((action) =>
    /^(Attach|Detach|Modify|Create|Delete|Replace|Update)/.test(action),
  );
  expect(writes).toEqual([]);
  expect(emulator.crossAccountAttempts()).toEqual([]);
});

async function doctor(...args: string[]) {
  const result = await runCli(['doctor', '--endpoint', emulator.endpoint, '--output', 'json', ...args]);
  const checks = result.json<{ checks: Check[] }>().checks ?? [];
  return { ...result, checks, byName: new Map(checks.map((check) => [check.name, check])) };
}

describe('ecs-role-attach doctor --accounts', () => {
  it('checks every member through AssumeRole; an unassumable member fails with the reason, the others are checked', async () => {
    const regions = ORG_REGIONS.join(',');
    const result = await doctor('--accounts', 'all', '--region', regions, '--role', DESIGNATED_ROLE);
    expect(result.code).toBe(1);
    const [m1, m2, m3] = MEMBER_IDS;
    expect(result.checks.map((check) => `${check.status} ${check.name}`)).toEqual([
      'ok credentials',
      'ok account',
      'ok organization',
      `ok ${m1} assume`,
      ...ORG_REGIONS.map((regionId) => `ok ${m1} ecs ${regionId}`),
      `ok ${m1} role`,
      `fail ${m2} assume`,
      `ok ${m3} assume`,
      ...ORG_REGIONS.map((regionId) => `ok ${m3} ecs ${regionId}`),
      `fail ${m3} role`,
    ]);
    expect(result.byName.get('organization')?.detail).toBe(
      `3 accounts in scope; left out: ${TEST_ACCOUNT_ID} (the management account (add --include-management))`,
    );
    expect(result.byName.get(`${m2} assume`)).toMatchObject({
      accountId: m2,
      detail: expect.stringMatching(
        new RegExp(
          `AssumeRole of acs:ram::${m2}:role/ResourceDirectoryAccountAccessRole failed \\(.*EntityNotExist\\.Role`,
        ),
      ),
    });
    expect(result.byName.get(`${m3} role`)?.detail).toMatch(
      new RegExp(`^${m3}: .*RAM role "${DESIGNATED_ROLE}" does not exist`),
    );
    // Each member's figures are its own (3 instances per region), seen with its own credential.
    expect(result.byName.get(`${m1} ecs cn-shanghai`)?.detail).toBe(
      `DescribeInstances sees 3 instances in cn-shanghai of ${m1}`,
    );
    const stats = emulator.stats();
    for (const accountId of [m1, m3]) {
      expect(stats.accounts[accountId]?.['GetCallerIdentity']).toBe(1);
      expect(stats.accounts[accountId]?.['DescribeInstances']).toBe(3);
    }
    expect(stats.accounts[m2]).toBeUndefined();
    // The management account's own ECS is not what --accounts checks.
    expect(stats.accounts[TEST_ACCOUNT_ID]?.['DescribeInstances']).toBeUndefined();
    const sessions = emulator.sessions().filter((s) => s.sessionName === 'ecs-role-attach.doctor');
    expect(sessions.map((s) => s.accountId).sort()).toEqual([m1, m3]);
  });

  it('--include-management checks the calling account with its own credentials; --exclude-accounts leaves members out', async () => {
    const result = await doctor(
      '--accounts',
      'all',
      '--include-management',
      '--exclude-accounts',
      `${MEMBER_IDS[1]},${MEMBER_IDS[2]}`,
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
    );
    expect(result.code).toBe(0);
    expect(result.byName.get(`${TEST_ACCOUNT_ID} assume`)?.detail).toBe(
      `${TEST_ACCOUNT_ID} is the calling account: its own credentials are used`,
    );
    expect(result.byName.get(`${TEST_ACCOUNT_ID} role`)?.status).toBe('ok');
    expect(result.byName.get(`${MEMBER_IDS[0]} role`)?.status).toBe('ok');
    expect(result.byName.has(`${MEMBER_IDS[1]} assume`)).toBe(false);
    expect(result.byName.get('organization')?.detail).toContain(`${MEMBER_IDS[2]} (excluded)`);
  });

  it('a scope the Resource Directory refuses (an unknown folder): one actionable fail', async () => {
    const result = await doctor(
      '--accounts',
      'folder:fd-unknown',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
    );
    expect(result.code).toBe(1);
    expect(result.byName.get('organization')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('EntityNotExists.Folder'),
    });
  });

  it('exits 2 for invalid organization flags, calling nothing', async () => {
    const bad = await runCli([
      'doctor',
      '--endpoint',
      emulator.endpoint,
      '--accounts',
      'folder:nope',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--accounts must name a folder like "folder:fd-a1b2c3", got "folder:nope"/);
    const orphan = await runCli([
      'doctor',
      '--endpoint',
      emulator.endpoint,
      '--exclude-accounts',
      MEMBER_IDS[0],
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
    ]);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/--exclude-accounts needs --accounts/);
    expect(emulator.stats().calls).toEqual({});
  });
});
