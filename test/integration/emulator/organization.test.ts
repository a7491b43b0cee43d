/**
 * The emulator's accounts through the real SDKs: STS AssumeRole / GetCallerIdentity
 * (`@alicloud/sts20150401`), Resource Directory listings (`@alicloud/resourcemanager20200331`), and the
 * rule that a credential acts in its own account only.
 */
import * as $Ecs from '@alicloud/ecs20140526';
import ResourceManager, * as $Rm from '@alicloud/resourcemanager20200331';
import Sts, * as $Sts from '@alicloud/sts20150401';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { ecsClient, emulatorConfig, startTestEmulator, TEST_ACCOUNT_ID } from '../../helpers/emulator';
import { MEMBER_IDS, organizationFleet } from '../../helpers/organization';

let emulator: EmulatorHandle;
/** Added to the real clock (the SDKs sign with the real time; the replay window is widened to match). */
let offset = 0;

beforeAll(async () => {
  emulator = await startTestEmulator({
    fleet: organizationFleet({ 2: { roles: [] } }),
    now: () => Date.now() + offset,
    replayWindowMs: 2 * 3600_000,
  });
});
afterAll(() => emulator.close());

const sts = (options: Parameters<typeof emulatorConfig>[1] = {}) =>
  new Sts(emulatorConfig(emulator, options));

async function assume(
  accountId: string,
  role = 'ResourceDirectoryAccountAccessRole',
  session = 'ecs-role-attach-t1',
) {
  const response = await sts().assumeRole(
    new $Sts.AssumeRoleRequest({ roleArn: `acs:ram::${accountId}:role/${role}`, roleSessionName: session }),
  );
  return response.body!;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('STS', () => {
  it('GetCallerIdentity names the account and principal of the credential', async () => {
    const plain = (await sts().getCallerIdentity()).body!;
    expect(plain).toMatchObject({ accountId: TEST_ACCOUNT_ID, identityType: 'RAMUser' });
    const role = (await sts({ sts: true }).getCallerIdentity()).body!;
    expect(role).toMatchObject({ accountId: TEST_ACCOUNT_ID, identityType: 'AssumedRoleUser' });
  });

  it('AssumeRole into a member returns a credential that acts in that member only', async () => {
    const body = await assume(MEMBER_IDS[0]);
    const credentials = body.credentials!;
    expect(credentials.accessKeyId).toMatch(/^STS\./);
    const session = emulator.sessions().at(-1)!;
    expect(session.expiresAt - session.issuedAt).toBe(3600_000);
    expect(credentials.expiration).toBe(`${new Date(session.expiresAt).toISOString().slice(0, 19)}Z`);
    expect(body.assumedRoleUser!.arn).toBe(
      `acs:ram::${MEMBER_IDS[0]}:assumed-role/resourcedirectoryaccountaccessrole/ecs-role-attach-t1`,
    );
    const member = {
      accessKeyId: credentials.accessKeyId!,
      accessKeySecret: credentials.accessKeySecret!,
      securityToken: credentials.securityToken!,
    };
    const identity = (await sts(member).getCallerIdentity()).body!;
    expect(identity).toMatchObject({ accountId: MEMBER_IDS[0], identityType: 'AssumedRoleUser' });
    const listed = await ecsClient(emulator, member).describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: 'cn-beijing', maxResults: 100 }),
    );
    expect(listed.body!.instances!.instance!.map((i) => i.instanceId)).toEqual([
      'i-m1be0',
      'i-m1be1',
      'i-m1be2',
    ]);
    expect(emulator.sessions().at(-1)).toMatchObject({
      accountId: MEMBER_IDS[0],
      sessionName: 'ecs-role-attach-t1',
      issuedTo: `acs:ram::${TEST_ACCOUNT_ID}:user/emulator`,
    });

    // The member's credential naming a management instance: not found, and recorded as cross-account.
    const before = emulator.crossAccountAttempts().length;
    const code = await codeOf(
      ecsClient(emulator, member).attachInstanceRamRole(
        new $Ecs.AttachInstanceRamRoleRequest({
          regionId: 'cn-hangzhou',
          ramRoleName: 'EcsAppRole',
          instanceIds: JSON.stringify(['i-hz01']),
        }),
      ),
    );
    expect(code).toBe('InvalidInstanceId.NotFound');
    expect(emulator.crossAccountAttempts().slice(before)).toEqual([
      {
        action: 'AttachInstanceRamRole',
        callerAccountId: MEMBER_IDS[0],
        ownerAccountId: TEST_ACCOUNT_ID,
        instanceId: 'i-hz01',
      },
    ]);
    expect(emulator.instances('cn-hangzhou').find((i) => i.InstanceId === 'i-hz01')!.RamRoleName).toBe('');

    // An hour later the token is refused.
    offset += 3600_000;
    expect(await codeOf(sts(member).getCallerIdentity())).toBe('InvalidSecurityToken.Expired');
  });

  it('answers the documented errors: missing role, untrusting role, malformed input', async () => {
    expect(await codeOf(assume(MEMBER_IDS[1]))).toBe('EntityNotExist.Role');
    expect(await codeOf(assume('2999999999999999'))).toBe('EntityNotExist.Role');
    // EcsAppRole trusts ecs.aliyuncs.com, not the management account.
    expect(await codeOf(assume(MEMBER_IDS[0], 'EcsAppRole'))).toBe('NoPermission');
    expect(await codeOf(assume(MEMBER_IDS[0], 'ResourceDirectoryAccountAccessRole', 'bad name!'))).toBe(
      'InvalidParameter.RoleSessionName',
    );
    const malformed = sts().assumeRole(
      new $Sts.AssumeRoleRequest({ roleArn: 'arn:aws:iam::1:role/x', roleSessionName: 'ok-name' }),
    );
    expect(await codeOf(malformed)).toBe('InvalidParameter.RoleArn');
  });
});

describe('Resource Directory', () => {
  const rm = () => new ResourceManager(emulatorConfig(emulator));

  it('ListAccounts pages through every account, the management account included', async () => {
    const first = (await rm().listAccounts(new $Rm.ListAccountsRequest({ pageSize: 2 }))).body!;
    expect(first.totalCount).toBe(4);
    const second = (await rm().listAccounts(new $Rm.ListAccountsRequest({ pageSize: 2, pageNumber: 2 })))
      .body!;
    const ids = [...first.accounts!.account!, ...second.accounts!.account!].map((a) => a.accountId);
    expect(ids.sort()).toEqual([TEST_ACCOUNT_ID, ...MEMBER_IDS].sort());
    expect(
      second.accounts!.account!.find((a) => a.accountId === MEMBER_IDS[1])!.resourceDirectoryPath,
    ).toMatch(/\/fd-prod\/fd-prod-eu\/2000000000000002$/);
  });

  it('lists the accounts and folders directly under a folder; unknown folders and members are refused', async () => {
    const accounts = await rm().listAccountsForParent(
      new $Rm.ListAccountsForParentRequest({ parentFolderId: 'fd-prod' }),
    );
    expect(accounts.body!.accounts!.account!.map((a) => a.accountId)).toEqual([MEMBER_IDS[0]]);
    const folders = await rm().listFoldersForParent(
      new $Rm.ListFoldersForParentRequest({ parentFolderId: 'fd-prod' }),
    );
    expect(folders.body!.folders!.folder!.map((f) => f.folderId)).toEqual(['fd-prod-eu']);
    const root = await rm().listFoldersForParent(new $Rm.ListFoldersForParentRequest({}));
    expect(root.body!.folders!.folder!.map((f) => f.folderId)).toEqual(['fd-prod', 'fd-dev']);
    expect(
      await codeOf(
        rm().listAccountsForParent(new $Rm.ListAccountsForParentRequest({ parentFolderId: 'fd-nope' })),
      ),
    ).toBe('EntityNotExists.Folder');
    const body = await assume(MEMBER_IDS[2]);
    const member = new ResourceManager(
      emulatorConfig(emulator, {
        accessKeyId: body.credentials!.accessKeyId!,
        accessKeySecret: body.credentials!.accessKeySecret!,
        securityToken: body.credentials!.securityToken!,
      }),
    );
    expect(await codeOf(member.listAccounts(new $Rm.ListAccountsRequest({})))).toBe('NoPermission');
  });
});
