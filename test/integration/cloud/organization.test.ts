/**
 * createOrganizationApis over the real STS and Resource Directory SDKs against the emulator: member
 * credentials are static `sts` credentials from AssumeRole, renewed with the caller's credentials before
 * they expire (the clock is injected, and the emulator's runs with it), and they act in the member only.
 */
import { createCloudApis } from '../../../src/cloud/clients';
import {
  AssumedRoleCredential,
  createOrganizationApis,
  sessionNameFor,
} from '../../../src/cloud/organization';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { CloudApiError } from '../../../src/engine/index';
import { startTestEmulator, TEST_ACCOUNT_ID, TEST_CREDENTIALS } from '../../helpers/emulator';
import { MEMBER_IDS, organizationFleet } from '../../helpers/organization';

let emulator: EmulatorHandle;
/** Added to the real clock by both sides (the SDKs sign with the real time; the replay window allows it). */
let offset = 0;
const clock = {
  now: () => Date.now() + offset,
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};

beforeAll(async () => {
  emulator = await startTestEmulator({
    fleet: organizationFleet({ 3: { roles: [] } }),
    now: clock.now,
    replayWindowMs: 6 * 3600_000,
  });
});
afterAll(() => emulator.close());

const organization = () =>
  createOrganizationApis({ endpoint: emulator.endpoint, credential: TEST_CREDENTIALS.plain, clock });

describe('createOrganizationApis', () => {
  it('lists the directory and names the caller', async () => {
    const org = organization();
    expect(await org.callerAccountId()).toBe(TEST_ACCOUNT_ID);
    expect((await org.directory.listAccounts()).map((a) => a.accountId).sort()).toEqual(
      [TEST_ACCOUNT_ID, ...MEMBER_IDS].sort(),
    );
    expect(await org.directory.listFoldersForParent('fd-prod')).toEqual(['fd-prod-eu']);
  });

  it('renews a member credential with the caller credentials before it expires; the old token dies on time', async () => {
    const credential = organization().assumeRole(
      MEMBER_IDS[0],
      'ResourceDirectoryAccountAccessRole',
      sessionNameFor('org-20261201T101500Z-4f3a9c'),
    );
    const ecs = createCloudApis({
      regionId: 'cn-beijing',
      endpoint: emulator.endpoint,
      credential,
      clock,
    }).ecs;
    const ids = async () =>
      (await ecs.describeInstances({ regionId: 'cn-beijing' })).map((i) => i.instanceId);
    expect(await ids()).toEqual(['i-m1be0', 'i-m1be1', 'i-m1be2']);
    const firstKeys = await credential.getCredential();
    const first = firstKeys.accessKeyId;
    expect((await credential.getCredential()).type).toBe('sts');

    offset += 45 * 60_000; // 15 minutes left: still the same token
    await ids();
    expect(credential.assumed).toBe(1);
    offset += 6 * 60_000; // 9 minutes left: renewed before any call goes out
    expect(await ids()).toHaveLength(3);
    expect(credential.assumed).toBe(2);
    expect((await credential.getCredential()).accessKeyId).not.toBe(first);
    offset += 10 * 60_000; // the first token has expired; the renewed one goes on
    expect(await ids()).toHaveLength(3);
    const stale = createCloudApis({
      regionId: 'cn-beijing',
      endpoint: emulator.endpoint,
      credential: {
        accessKeyId: firstKeys.accessKeyId!,
        accessKeySecret: firstKeys.accessKeySecret!,
        securityToken: firstKeys.securityToken!,
      },
      clock,
    }).ecs;
    const refused = await stale.describeInstances({ regionId: 'cn-beijing' }).catch((e: unknown) => e);
    expect((refused as CloudApiError).code).toBe('InvalidSecurityToken.Expired');

    const sessions = emulator.sessions().filter((s) => s.accountId === MEMBER_IDS[0]);
    // Every session was issued to the caller (never chained through the member's own token).
    expect(sessions.map((s) => s.issuedTo)).toEqual([
      `acs:ram::${TEST_ACCOUNT_ID}:user/emulator`,
      `acs:ram::${TEST_ACCOUNT_ID}:user/emulator`,
    ]);
    expect(sessions[0]!.sessionName).toBe('ecs-role-attach.org-20261201T101500Z-4f3a9c');
  });

  it('surfaces EntityNotExist.Role for a member without the role, without retrying it', async () => {
    const credential = organization().assumeRole(
      MEMBER_IDS[2],
      'ResourceDirectoryAccountAccessRole',
      'era.test',
    );
    const error = await credential.assume().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect((error as CloudApiError).code).toBe('EntityNotExist.Role');
    expect(emulator.stats().calls['AssumeRole']).toBeGreaterThan(0);
  });
});

describe('AssumedRoleCredential', () => {
  it('shares one renewal among concurrent callers', async () => {
    let now = 0;
    let issued = 0;
    const credential = new AssumedRoleCredential(
      async () => {
        issued += 1;
        return {
          accessKeyId: `STS.k${issued}`,
          accessKeySecret: 's',
          securityToken: 't',
          expiresAt: now + 3600_000,
        };
      },
      { now: () => now, sleep: async () => {} },
      MEMBER_IDS[0],
    );
    const keys = await Promise.all([1, 2, 3].map(() => credential.getCredential()));
    expect(keys.map((k) => k.accessKeyId)).toEqual(['STS.k1', 'STS.k1', 'STS.k1']);
    now = 3000_000 + 1;
    const renewed = await Promise.all([1, 2].map(() => credential.getCredential()));
    expect(renewed.map((k) => k.accessKeyId)).toEqual(['STS.k2', 'STS.k2']);
    expect(issued).toBe(2);
  });

  it('session names stay within STS rules', () => {
    expect(sessionNameFor('org-20261201T101500Z-4f3a9c.2000000000000001.cn-hangzhou')).toMatch(
      /^[A-Za-z0-9.@_-]{2,64}$/,
    );
  });
});
