import * as $Ecs from '@alicloud/ecs20140526';
import * as $Ram from '@alicloud/ram20150501';
import type { EmulatorHandle } from '../../../src/emulator/index';
import {
  admin,
  type ClientOptions,
  DESIGNATED_ROLE,
  ecsClient,
  popClient,
  ramClient,
  startTestEmulator,
  TEST_ACCOUNT_ID,
  TEST_CREDENTIALS,
} from '../../helpers/emulator';

type CaughtError = {
  code: string;
  statusCode?: number;
  name: string;
  message: string;
  data?: Record<string, unknown>;
};

async function failure(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (error) {
    return error as CaughtError;
  }
  throw new Error('expected the call to fail');
}

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

const describeRoles = (options: ClientOptions) =>
  ecsClient(emulator, options).describeInstanceRamRole(
    new $Ecs.DescribeInstanceRamRoleRequest({ regionId: 'cn-hangzhou', instanceIds: '["i-hz02"]' }),
  );

describe('signature and credential errors through the real SDKs', () => {
  it.each<[string, ClientOptions, string, number]>([
    ['ACS3, wrong secret', { accessKeySecret: 'wrong' }, 'SignatureDoesNotMatch', 400],
    [
      'v2, wrong secret',
      { accessKeySecret: 'wrong', signatureAlgorithm: 'v2' },
      'SignatureDoesNotMatch',
      400,
    ],
    ['ACS3, unknown key', { accessKeyId: 'LTAInobody' }, 'InvalidAccessKeyId.NotFound', 404],
    [
      'v2, unknown key',
      { accessKeyId: 'LTAInobody', signatureAlgorithm: 'v2' },
      'InvalidAccessKeyId.NotFound',
      404,
    ],
    [
      'ACS3, wrong STS token',
      { sts: true, securityToken: 'forged' },
      'InvalidSecurityToken.MismatchWithAccessKey',
      400,
    ],
    [
      'v2, wrong STS token via @alicloud/credentials',
      { sts: true, securityToken: 'forged', signatureAlgorithm: 'v2', viaCredentialsPackage: true },
      'InvalidSecurityToken.MismatchWithAccessKey',
      400,
    ],
    [
      'ACS3, token on a plain AccessKey',
      { securityToken: 'unexpected', viaCredentialsPackage: true },
      'InvalidSecurityToken.MismatchWithAccessKey',
      400,
    ],
  ])('%s', async (_label, options, code, statusCode) => {
    const error = await failure(describeRoles(options));
    expect(error).toMatchObject({ name: 'ClientError', code, statusCode });
    expect(error.data).toMatchObject({
      Code: code,
      RequestId: expect.any(String),
      HostId: 'ecs.aliyuncs.com',
    });
  });

  it('explains a v2 mismatch with the server string to sign', async () => {
    const error = await failure(describeRoles({ accessKeySecret: 'wrong', signatureAlgorithm: 'v2' }));
    expect(error.message).toContain('server string to sign is:POST&%2F&AccessKeyId%3D');
  });

  it('pop-core surfaces the same codes (GET and POST)', async () => {
    const wrong = await failure(
      popClient(emulator, { accessKeySecret: 'wrong' }).request('DescribeInstances', {
        RegionId: 'cn-hangzhou',
      }),
    );
    expect(wrong).toMatchObject({ code: 'SignatureDoesNotMatch', name: 'SignatureDoesNotMatchError' });
    const unknown = await failure(
      popClient(emulator, { accessKeyId: 'LTAInobody' }).request(
        'DescribeInstances',
        { RegionId: 'cn-hangzhou' },
        { method: 'POST' },
      ),
    );
    expect(unknown).toMatchObject({ code: 'InvalidAccessKeyId.NotFound' });
    const missing = await failure(
      popClient(emulator, {
        accessKeyId: TEST_CREDENTIALS.sts.accessKeyId,
        accessKeySecret: TEST_CREDENTIALS.sts.accessKeySecret,
      }).request('DescribeInstances', { RegionId: 'cn-hangzhou' }),
    );
    expect(missing.code).toMatch(/^InvalidSecurityToken\./);
  });

  it('rejects unsigned requests and counts rejections by code', async () => {
    const response = await fetch(
      `${emulator.endpoint}/?Action=DescribeInstances&Version=2014-05-26&RegionId=cn-hangzhou`,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ Code: 'IncompleteSignature' });
    const { body } = await admin<{ rejected: Record<string, number> }>(emulator, '/_emulator/stats');
    expect(body.rejected['IncompleteSignature']).toBeGreaterThanOrEqual(1);
    expect(body.rejected['SignatureDoesNotMatch']).toBeGreaterThanOrEqual(2);
  });

  it('answers an unknown action with 404 InvalidAction.NotFound', async () => {
    const error = await failure(
      popClient(emulator).request('DeleteInstance', { RegionId: 'cn-hangzhou', InstanceId: 'i-hz01' }),
    );
    expect(error.code).toBe('InvalidAction.NotFound');
  });
});

describe('RAM 2015-05-01 GetRole', () => {
  it.each<[string, ClientOptions]>([
    ['ACS3', {}],
    ['ACS3 STS', { sts: true }],
    ['v2', { signatureAlgorithm: 'v2' }],
  ])('returns the role with its Arn and trust policy as a JSON string (%s)', async (_label, options) => {
    const response = await ramClient(emulator, options).getRole(
      new $Ram.GetRoleRequest({ roleName: DESIGNATED_ROLE }),
    );
    const role = response.body!.role!;
    expect(role.roleName).toBe(DESIGNATED_ROLE);
    expect(role.arn).toBe(`acs:ram::${TEST_ACCOUNT_ID}:role/${DESIGNATED_ROLE}`);
    expect(JSON.parse(role.assumeRolePolicyDocument!).Statement[0].Principal.Service).toEqual([
      'ecs.aliyuncs.com',
    ]);
  });

  it('answers 404 EntityNotExist.Role for an unknown role (SDK and pop-core)', async () => {
    const error = await failure(ramClient(emulator).getRole(new $Ram.GetRoleRequest({ roleName: 'Nope' })));
    expect(error).toMatchObject({ code: 'EntityNotExist.Role', statusCode: 404, name: 'ClientError' });
    expect(error.data).toMatchObject({ HostId: 'ram.aliyuncs.com', Message: 'The role does not exist.' });
    const pop = await failure(
      popClient(emulator, { apiVersion: '2015-05-01' }).request('GetRole', { RoleName: 'Nope' }),
    );
    expect(pop).toMatchObject({ code: 'EntityNotExist.Role', name: 'EntityNotExist.RoleError' });
  });
});
