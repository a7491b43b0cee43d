import type Ecs from '@alicloud/ecs20140526';
import * as $Ecs from '@alicloud/ecs20140526';
import type { EmulatorHandle } from '../../../src/emulator/index';
import {
  admin,
  type ClientOptions,
  DESIGNATED_ROLE,
  ecsClient,
  popClient,
  startTestEmulator,
} from '../../helpers/emulator';

/** Every ECS scenario runs with both signature versions, and with plain and STS credentials. */
const VARIANTS: [string, ClientOptions][] = [
  ['ACS3 / AccessKey', {}],
  ['ACS3 / STS via @alicloud/credentials', { sts: true, viaCredentialsPackage: true }],
  ['v2 RPC / AccessKey via @alicloud/credentials', { signatureAlgorithm: 'v2', viaCredentialsPackage: true }],
  ['v2 RPC / STS', { signatureAlgorithm: 'v2', sts: true }],
];

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; statusCode: number; data: Record<string, unknown>; name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error('expected the call to fail');
}

describe.each(VARIANTS)('ECS 2014-05-26 over %s', (_label, clientOptions) => {
  let emulator: EmulatorHandle;
  let ecs: Ecs;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    ecs = ecsClient(emulator, clientOptions);
  });
  afterEach(() => emulator.close());

  it('DescribeInstances pages with NextToken + MaxResults and returns the documented fields', async () => {
    const ids: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const response = await ecs.describeInstances(
        new $Ecs.DescribeInstancesRequest({
          regionId: 'cn-hangzhou',
          maxResults: 10,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      pages++;
      const body = response.body!;
      expect(body.requestId).toMatch(/^[0-9A-F-]{36}$/);
      for (const instance of body.instances?.instance ?? []) ids.push(instance.instanceId!);
      nextToken = body.nextToken || undefined;
    } while (nextToken);
    expect(pages).toBe(1);
    expect(ids).toEqual(['i-hz01', 'i-hz02', 'i-hz03', 'i-hz04', 'i-hz05', 'i-hz06']);

    const one = await ecs.describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: 'cn-hangzhou', instanceIds: JSON.stringify(['i-hz01']) }),
    );
    const instance = one.body!.instances!.instance![0]!;
    expect(instance).toMatchObject({
      instanceId: 'i-hz01',
      regionId: 'cn-hangzhou',
      status: 'Running',
      instanceNetworkType: 'vpc',
      resourceGroupId: 'rg-a',
    });
    expect(instance.tags!.tag!.map((t) => [t.tagKey, t.tagValue])).toEqual([
      ['env', 'prod'],
      ['team', 'web'],
      ['app', 'shop'],
    ]);
    expect(instance.vpcAttributes!.vpcId).toMatch(/^vpc-/);
    expect(instance.creationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
  });

  it('DescribeInstances filters by Status, ResourceGroupId, Tag.N and InstanceNetworkType', async () => {
    const list = async (request: Partial<$Ecs.DescribeInstancesRequest>) => {
      const response = await ecs.describeInstances(
        new $Ecs.DescribeInstancesRequest({ regionId: 'cn-hangzhou', ...request }),
      );
      return (response.body!.instances?.instance ?? []).map((i) => i.instanceId);
    };
    expect(await list({ status: 'Stopped' })).toEqual(['i-hz04']);
    expect(await list({ resourceGroupId: 'rg-b' })).toEqual(['i-hz03', 'i-hz04']);
    expect(await list({ instanceNetworkType: 'classic' })).toEqual(['i-hz06']);
    const prod = [new $Ecs.DescribeInstancesRequestTag({ key: 'env', value: 'prod' })];
    expect(await list({ tag: prod })).toEqual(['i-hz01', 'i-hz02', 'i-hz04', 'i-hz06']);
    const prodData = [...prod, new $Ecs.DescribeInstancesRequestTag({ key: 'team', value: 'data' })];
    expect(await list({ tag: prodData })).toEqual(['i-hz02']);
    expect(await list({ tag: prod, instanceNetworkType: 'vpc', status: 'Running' })).toEqual([
      'i-hz01',
      'i-hz02',
    ]);
    const bad = await failure(list({ status: 'Exploded' }));
    expect(bad).toMatchObject({ code: 'InvalidStatus.NotFound', statusCode: 404 });
  });

  it('DescribeInstanceRamRole lists roles ("" for none), filters by RamRoleName, and limits InstanceIds to 50', async () => {
    const response = await ecs.describeInstanceRamRole(
      new $Ecs.DescribeInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        instanceIds: JSON.stringify(['i-hz01', 'i-hz02', 'i-hz03']),
      }),
    );
    // Documented refusals (D-DIRR): unknown ids 404, classic ids 403, no filter 403 AllEmpty.
    const describe = (ids?: string[]) =>
      failure(
        ecs.describeInstanceRamRole(
          new $Ecs.DescribeInstanceRamRoleRequest({
            regionId: 'cn-hangzhou',
            ...(ids === undefined ? {} : { instanceIds: JSON.stringify(ids) }),
          }),
        ),
      );
    expect(await describe(['i-hz01', 'i-unknown'])).toMatchObject({
      code: 'InvalidInstanceId.NotFound',
      statusCode: 404,
    });
    expect(await describe(['i-hz01', 'i-hz06'])).toMatchObject({
      code: 'InvalidNetworkType.MismatchRamRole',
      statusCode: 403,
    });
    expect(await describe()).toMatchObject({ code: 'InvalidParameter.AllEmpty', statusCode: 403 });
    expect(response.body!.totalCount).toBe(3);
    expect(
      response.body!.instanceRamRoleSets!.instanceRamRoleSet!.map((s) => [s.instanceId, s.ramRoleName]),
    ).toEqual([
      ['i-hz01', ''],
      ['i-hz02', DESIGNATED_ROLE],
      ['i-hz03', 'OtherEcsRole'],
    ]);
    const byRole = await ecs.describeInstanceRamRole(
      new $Ecs.DescribeInstanceRamRoleRequest({ regionId: 'cn-hangzhou', ramRoleName: DESIGNATED_ROLE }),
    );
    expect(byRole.body!.instanceRamRoleSets!.instanceRamRoleSet!.map((s) => s.instanceId)).toEqual([
      'i-hz02',
    ]);
    const tooMany = JSON.stringify(Array.from({ length: 51 }, (_, i) => `i-x${i}`));
    const error = await failure(
      ecs.describeInstanceRamRole(
        new $Ecs.DescribeInstanceRamRoleRequest({ regionId: 'cn-hangzhou', instanceIds: tooMany }),
      ),
    );
    expect(error).toMatchObject({ code: 'InvalidInstanceIds.Malformed', statusCode: 400 });
  });

  it('AttachInstanceRamRole attaches with per-instance results and fails per instance when a role is borne', async () => {
    const response = await ecs.attachInstanceRamRole(
      new $Ecs.AttachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        instanceIds: JSON.stringify(['i-hz01', 'i-hz03', 'i-hz04']),
      }),
    );
    const body = response.body!;
    expect(body).toMatchObject({ ramRoleName: DESIGNATED_ROLE, totalCount: 3, failCount: 1 });
    const results = body.attachInstanceRamRoleResults!.attachInstanceRamRoleResult!;
    expect(results.map((r) => [r.instanceId, r.code, r.success])).toEqual([
      ['i-hz01', '200', true],
      ['i-hz03', 'RamRoleAlreadyAttached', false],
      ['i-hz04', '200', true],
    ]);
    expect(results[0]!.message).toBe('success');
    const view = emulator.instances('cn-hangzhou');
    expect(view.find((i) => i.InstanceId === 'i-hz01')).toMatchObject({
      RamRoleName: DESIGNATED_ROLE,
      AttachCount: 1,
    });
    expect(view.find((i) => i.InstanceId === 'i-hz03')).toMatchObject({
      RamRoleName: 'OtherEcsRole',
      AttachCount: 0,
    });
  });

  it.each([
    [
      'an unknown role',
      { ramRoleName: 'NoSuchRole', instanceIds: '["i-hz01"]' },
      'InvalidRamRole.NotFound',
      404,
    ],
    [
      'a role that does not trust ECS',
      { ramRoleName: 'NotEcsRole', instanceIds: '["i-hz01"]' },
      'InvalidRamRole.NotEcsRole',
      404,
    ],
    [
      'an unknown instance among known ones',
      { ramRoleName: DESIGNATED_ROLE, instanceIds: '["i-hz01","i-nope"]' },
      'InvalidInstanceId.NotFound',
      404,
    ],
    [
      'an instance of another region',
      { ramRoleName: DESIGNATED_ROLE, instanceIds: '["i-sh01"]' },
      'InvalidInstanceId.NotFound',
      404,
    ],
    [
      'a classic-network instance',
      { ramRoleName: DESIGNATED_ROLE, instanceIds: '["i-hz01","i-hz06"]' },
      'InvalidNetworkType.MismatchRamRole',
      403,
    ],
    [
      'an empty InstanceIds array',
      { ramRoleName: DESIGNATED_ROLE, instanceIds: '[]' },
      'InvalidInstanceIds.Malformed',
      400,
    ],
    [
      'InstanceIds that is not JSON',
      { ramRoleName: DESIGNATED_ROLE, instanceIds: 'i-hz01' },
      'InvalidInstanceIds.Malformed',
      400,
    ],
    [
      '101 InstanceIds',
      {
        ramRoleName: DESIGNATED_ROLE,
        instanceIds: JSON.stringify(Array.from({ length: 101 }, (_, i) => `i-a${i}`)),
      },
      'InvalidInstanceIds.Malformed',
      400,
    ],
  ])('AttachInstanceRamRole rejects %s as a whole call', async (_case, request, code, statusCode) => {
    const error = await failure(
      ecs.attachInstanceRamRole(
        new $Ecs.AttachInstanceRamRoleRequest({ regionId: 'cn-hangzhou', ...request }),
      ),
    );
    expect(error).toMatchObject({ code, statusCode, name: 'ClientError' });
    expect(error.data).toEqual({
      RequestId: expect.any(String),
      HostId: 'ecs.aliyuncs.com',
      Code: code,
      Message: expect.any(String),
      Recommend: expect.stringContaining(code),
    });
    expect(emulator.instances().every((i) => i.AttachCount === 0)).toBe(true);
  });

  it('DetachInstanceRamRole detaches with InstanceRamRoleSets and fails per instance without a role', async () => {
    const response = await ecs.detachInstanceRamRole(
      new $Ecs.DetachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        instanceIds: JSON.stringify(['i-hz02', 'i-hz01']),
      }),
    );
    const results = response.body!.detachInstanceRamRoleResults!.detachInstanceRamRoleResult!;
    expect(response.body).toMatchObject({ totalCount: 2, failCount: 1 });
    expect(results[0]).toMatchObject({ instanceId: 'i-hz02', code: '200', success: true });
    expect(results[0]!.instanceRamRoleSets!.instanceRamRoleSet![0]).toMatchObject({
      instanceId: 'i-hz02',
      ramRoleName: DESIGNATED_ROLE,
    });
    expect(results[1]).toMatchObject({ instanceId: 'i-hz01', code: 'RamRoleNotAttached', success: false });
    const mismatch = await ecs.detachInstanceRamRole(
      new $Ecs.DetachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        instanceIds: '["i-hz03"]',
        ramRoleName: DESIGNATED_ROLE,
      }),
    );
    expect(mismatch.body!.detachInstanceRamRoleResults!.detachInstanceRamRoleResult![0]).toMatchObject({
      code: 'RamRoleMismatch',
      success: false,
    });
    expect(emulator.instances('cn-hangzhou').find((i) => i.InstanceId === 'i-hz02')).toMatchObject({
      RamRoleName: '',
      DetachCount: 1,
    });
  });
});

describe('ECS paging and switches', () => {
  let emulator: EmulatorHandle;
  afterEach(() => emulator.close());

  it('pages a generated fleet with NextToken and with PageNumber/PageSize to the same set', async () => {
    emulator = await startTestEmulator({ instances: 250, seed: 9 });
    const ecs = ecsClient(emulator);
    const expected = emulator.instances('cn-hangzhou').map((i) => i.InstanceId);
    expect(expected.length).toBeGreaterThan(100);

    const viaToken: string[] = [];
    let nextToken: string | undefined;
    let lastBody: $Ecs.DescribeInstancesResponseBody | undefined;
    do {
      const response = await ecs.describeInstances(
        new $Ecs.DescribeInstancesRequest({
          regionId: 'cn-hangzhou',
          maxResults: 40,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      lastBody = response.body!;
      viaToken.push(...lastBody.instances!.instance!.map((i) => i.instanceId!));
      nextToken = lastBody.nextToken || undefined;
    } while (nextToken);
    expect(viaToken).toEqual(expected);
    expect(lastBody!.nextToken).toBe('');

    const viaPages: string[] = [];
    for (let page = 1; ; page++) {
      const response = await ecs.describeInstances(
        new $Ecs.DescribeInstancesRequest({ regionId: 'cn-hangzhou', pageNumber: page, pageSize: 100 }),
      );
      expect(response.body!.totalCount).toBe(expected.length);
      const got = response.body!.instances!.instance!.map((i) => i.instanceId!);
      viaPages.push(...got);
      if (got.length < 100) break;
    }
    expect(viaPages).toEqual(expected);
  });

  it('omits NextToken on the last page when lastPageNextToken is "absent"', async () => {
    emulator = await startTestEmulator({ lastPageNextToken: 'absent' });
    const response = await ecsClient(emulator).describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: 'cn-shanghai', maxResults: 10 }),
    );
    expect(response.body!.instances!.instance).toHaveLength(4);
    expect(response.body!.nextToken).toBeUndefined();
  });

  it('refuses a whole attach call holding a Pending instance with 403 IncorrectInstanceStatus by default; per instance or allowed by switch', async () => {
    emulator = await startTestEmulator();
    const request = new $Ecs.AttachInstanceRamRoleRequest({
      regionId: 'cn-hangzhou',
      ramRoleName: DESIGNATED_ROLE,
      instanceIds: '["i-hz01","i-hz05"]',
    });
    await expect(ecsClient(emulator).attachInstanceRamRole(request)).rejects.toMatchObject({
      code: 'IncorrectInstanceStatus',
      statusCode: 403,
    });
    expect(emulator.instances().find((i) => i.InstanceId === 'i-hz01')!.RamRoleName).toBe('');
    await emulator.close();
    emulator = await startTestEmulator({ pendingAttach: 'reject' });
    const rejected = await ecsClient(emulator).attachInstanceRamRole(request);
    expect(rejected.body!.attachInstanceRamRoleResults!.attachInstanceRamRoleResult![1]).toMatchObject({
      code: 'IncorrectInstanceStatus',
      success: false,
    });
    await emulator.close();
    emulator = await startTestEmulator({ pendingAttach: 'allow' });
    const allowed = await ecsClient(emulator).attachInstanceRamRole(request);
    expect(allowed.body!.failCount).toBe(0);
  });

  it('refuses a whole attach call holding an instance with a role when roleAttachedAttach is "call"', async () => {
    emulator = await startTestEmulator({ roleAttachedAttach: 'call' });
    await expect(
      ecsClient(emulator).attachInstanceRamRole(
        new $Ecs.AttachInstanceRamRoleRequest({
          regionId: 'cn-hangzhou',
          ramRoleName: DESIGNATED_ROLE,
          instanceIds: '["i-hz01","i-hz03"]',
        }),
      ),
    ).rejects.toMatchObject({ code: 'RamRoleAlreadyAttached', statusCode: 403 });
    expect(emulator.instances().find((i) => i.InstanceId === 'i-hz01')!.RamRoleName).toBe('');
  });

  it('re-attaching the same role fails per instance by default and succeeds with sameRoleAttach "succeed"', async () => {
    emulator = await startTestEmulator({ sameRoleAttach: 'succeed' });
    const response = await ecsClient(emulator).attachInstanceRamRole(
      new $Ecs.AttachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        instanceIds: '["i-hz02","i-hz03"]',
      }),
    );
    expect(
      response.body!.attachInstanceRamRoleResults!.attachInstanceRamRoleResult!.map((r) => r.code),
    ).toEqual(['200', 'RamRoleAlreadyAttached']);
  });

  it('serves pop-core RPCClient GET and POST, AccessKey and STS', async () => {
    emulator = await startTestEmulator();
    const get = (await popClient(emulator).request('DescribeInstances', {
      RegionId: 'cn-shanghai',
      MaxResults: 10,
    })) as { Instances: { Instance: { InstanceId: string }[] }; RequestId: string };
    expect(get.Instances.Instance.map((i) => i.InstanceId)).toEqual(['i-sh01', 'i-sh02', 'i-sh03', 'i-sh04']);
    const post = (await popClient(emulator, { sts: true }).request(
      'AttachInstanceRamRole',
      { RegionId: 'cn-shanghai', RamRoleName: DESIGNATED_ROLE, InstanceIds: '["i-sh01","i-sh02"]' },
      { method: 'POST' },
    )) as { TotalCount: number; FailCount: number };
    expect(post).toMatchObject({ TotalCount: 2, FailCount: 0 });
    const stsGet = (await popClient(emulator, { sts: true }).request('DescribeInstanceRamRole', {
      RegionId: 'cn-shanghai',
      InstanceIds: '["i-sh01"]',
    })) as { InstanceRamRoleSets: { InstanceRamRoleSet: { RamRoleName: string }[] } };
    expect(stsGet.InstanceRamRoleSets.InstanceRamRoleSet[0]!.RamRoleName).toBe(DESIGNATED_ROLE);
    const error = await popClient(emulator)
      .request(
        'DetachInstanceRamRole',
        { RegionId: 'cn-shanghai', InstanceIds: '["i-nope"]' },
        { method: 'POST' },
      )
      .catch((e: { code: string; name: string }) => e);
    expect(error).toMatchObject({
      code: 'InvalidInstanceId.NotFound',
      name: 'InvalidInstanceId.NotFoundError',
    });
    const { body } = await admin<{ calls: Record<string, number> }>(emulator, '/_emulator/stats');
    expect(body.calls).toEqual({
      DescribeInstances: 1,
      AttachInstanceRamRole: 1,
      DescribeInstanceRamRole: 1,
      DetachInstanceRamRole: 1,
    });
  });
});
