/**
 * SdkEcsApi / SdkRamApi with the real, unmodified @alicloud SDKs over HTTP against the embedded emulator:
 * paging, chunking, per-instance results, GetRole, and the limiter/retry path under throttling and faults.
 */
import { type CloudApis, createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { CloudApiError } from '../../../src/engine/errors';
import { trustsEcs } from '../../../src/engine/trust';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

/** Fast retries: these tests run on the real clock against a loopback server. */
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 100, maxAttempts: 30, maxTotalMs: 30_000 };

function apisFor(
  emulator: EmulatorHandle,
  extra: Partial<Parameters<typeof createCloudApis>[0]> = {},
): CloudApis {
  return createCloudApis({
    regionId: 'cn-hangzhou',
    endpoint: emulator.endpoint,
    credential: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    qps: { default: 1_000 },
    maxInFlight: 8,
    retry: FAST_RETRY,
    ...extra,
  });
}

/**
 * The region's instance ids; `vpcOnly` as the planner passes them to DescribeInstanceRamRole (which
 * refuses classic ids, documented).
 */
function generatedIds(emulator: EmulatorHandle, regionId: string, vpcOnly = true): string[] {
  return emulator
    .instances(regionId)
    .filter((instance) => !vpcOnly || instance.InstanceNetworkType === 'vpc')
    .map((instance) => instance.InstanceId)
    .sort();
}

/** The region holding the most instances. */
function largestRegion(emulator: EmulatorHandle): string {
  const sizes = emulator.regions.map((region) => [region, emulator.instances(region).length] as const);
  return [...sizes].sort((a, b) => b[1] - a[1])[0]![0];
}

describe('SdkEcsApi and SdkRamApi against the emulator (small fleet)', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('describes instances with filters (tag, status, resource group, network type)', async () => {
    const { ecs } = apisFor(emulator);
    const all = await ecs.describeInstances({ regionId: 'cn-hangzhou' });
    expect(all.map((i) => i.instanceId).sort()).toEqual([
      'i-hz01',
      'i-hz02',
      'i-hz03',
      'i-hz04',
      'i-hz05',
      'i-hz06',
    ]);
    const hz01 = all.find((i) => i.instanceId === 'i-hz01')!;
    expect(hz01).toMatchObject({
      regionId: 'cn-hangzhou',
      status: 'Running',
      networkType: 'vpc',
      resourceGroupId: 'rg-a',
      tags: { env: 'prod', team: 'web', app: 'shop' },
    });
    const prod = await ecs.describeInstances({
      regionId: 'cn-hangzhou',
      tags: [{ key: 'env', value: 'prod' }],
    });
    expect(prod.map((i) => i.instanceId).sort()).toEqual(['i-hz01', 'i-hz02', 'i-hz04', 'i-hz06']);
    const stopped = await ecs.describeInstances({ regionId: 'cn-hangzhou', status: 'Stopped' });
    expect(stopped.map((i) => i.instanceId)).toEqual(['i-hz04']);
    const rgB = await ecs.describeInstances({ regionId: 'cn-hangzhou', resourceGroupId: 'rg-b' });
    expect(rgB.map((i) => i.instanceId).sort()).toEqual(['i-hz03', 'i-hz04']);
    const classic = await ecs.describeInstances({ regionId: 'cn-hangzhou', networkType: 'classic' });
    expect(classic.map((i) => i.instanceId)).toEqual(['i-hz06']);
    const byId = await ecs.describeInstances({ regionId: 'cn-shanghai', instanceIds: ['i-sh02', 'i-sh04'] });
    expect(byId.map((i) => i.instanceId).sort()).toEqual(['i-sh02', 'i-sh04']);
  });

  it('reads roles: bearer, role-less, and unknown ids absent', async () => {
    const { ecs } = apisFor(emulator);
    const roles = await ecs.describeInstanceRamRoles('cn-hangzhou', ['i-hz01', 'i-hz02', 'i-hz03', 'i-nope']);
    expect(roles.get('i-hz02')).toBe(DESIGNATED_ROLE);
    expect(roles.get('i-hz03')).toBe('OtherEcsRole');
    expect(roles.has('i-hz01')).toBe(true);
    expect(roles.get('i-hz01')).toBeUndefined();
    expect(roles.has('i-nope')).toBe(false);
  });

  it('attaches and detaches with per-instance results', async () => {
    const { ecs } = apisFor(emulator);
    const attach = await ecs.attachInstanceRamRole('cn-shanghai', DESIGNATED_ROLE, ['i-sh01', 'i-sh02']);
    expect(attach).toEqual([
      { instanceId: 'i-sh01', success: true, code: '200', message: expect.any(String) },
      { instanceId: 'i-sh02', success: true, code: '200', message: expect.any(String) },
    ]);
    const again = await ecs.attachInstanceRamRole('cn-shanghai', 'OtherEcsRole', ['i-sh01', 'i-sh03']);
    expect(again[0]).toMatchObject({ instanceId: 'i-sh01', success: false, code: 'RamRoleAlreadyAttached' });
    expect(again[1]).toMatchObject({ instanceId: 'i-sh03', success: true, code: '200' });
    const roles = await ecs.describeInstanceRamRoles('cn-shanghai', ['i-sh01', 'i-sh02', 'i-sh03', 'i-sh04']);
    expect(Object.fromEntries(roles)).toEqual({
      'i-sh01': DESIGNATED_ROLE,
      'i-sh02': DESIGNATED_ROLE,
      'i-sh03': 'OtherEcsRole',
      'i-sh04': undefined,
    });
    const detach = await ecs.detachInstanceRamRole('cn-shanghai', ['i-sh02', 'i-sh04'], DESIGNATED_ROLE);
    expect(detach[0]).toMatchObject({ instanceId: 'i-sh02', success: true, code: '200' });
    expect(detach[1]).toMatchObject({ instanceId: 'i-sh04', success: false });
    expect((await ecs.describeInstanceRamRoles('cn-shanghai', ['i-sh02'])).get('i-sh02')).toBeUndefined();
  });

  it('surfaces a request-level error as CloudApiError with its code, without retrying', async () => {
    const apis = apisFor(emulator);
    const error = await apis.ecs
      .attachInstanceRamRole('cn-hangzhou', DESIGNATED_ROLE, ['i-hz01', 'i-gone'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({
      code: 'InvalidInstanceId.NotFound',
      action: 'AttachInstanceRamRole',
      statusCode: 404,
      retryable: false,
    });
    expect((error as CloudApiError).requestId).toEqual(expect.any(String));
    expect(apis.stats.for('AttachInstanceRamRole')).toMatchObject({ calls: 1, retries: 0, failures: 1 });
    const missingRole = await apis.ecs
      .attachInstanceRamRole('cn-hangzhou', 'NoSuchRole', ['i-hz01'])
      .catch((e: unknown) => e);
    expect(missingRole).toBeInstanceOf(CloudApiError);
    expect((missingRole as CloudApiError).code).toBe('InvalidRamRole.NotFound');
  });

  it('gets a role with its parsed trust policy, and undefined for a missing one', async () => {
    const { ram } = apisFor(emulator);
    const role = await ram.getRole(DESIGNATED_ROLE);
    expect(role).toMatchObject({ roleName: DESIGNATED_ROLE, arn: expect.stringContaining(`role/`) });
    expect(trustsEcs(role!.assumeRolePolicy)).toBe(true);
    const notEcs = await ram.getRole('NotEcsRole');
    expect(trustsEcs(notEcs!.assumeRolePolicy)).toBe(false);
    await expect(ram.getRole('NoSuchRole')).resolves.toBeUndefined();
  });

  it('fails with a non-retryable CloudApiError on bad credentials', async () => {
    const apis = createCloudApis({
      regionId: 'cn-hangzhou',
      endpoint: emulator.endpoint,
      credential: { accessKeyId: emulator.accessKeyId, accessKeySecret: 'wrong-secret' },
      retry: FAST_RETRY,
    });
    const error = await apis.ram.getRole(DESIGNATED_ROLE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ action: 'GetRole', retryable: false });
    expect((error as CloudApiError).code).toMatch(/Signature|AccessKey/);
  });
});

describe('paging and chunking over a generated fleet', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator({ instances: 420, seed: 7 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('follows NextToken with MaxResults 100 to the end', async () => {
    const apis = apisFor(emulator);
    const region = largestRegion(emulator);
    const expected = generatedIds(emulator, region, false);
    expect(expected.length).toBeGreaterThan(100);
    const found = await apis.ecs.describeInstances({ regionId: region });
    expect(found.map((i) => i.instanceId).sort()).toEqual(expected);
    expect(apis.stats.for('DescribeInstances').calls).toBe(Math.ceil(expected.length / 100));
  });

  it('chunks more than 100 InstanceIds for DescribeInstances and more than 50 for DescribeInstanceRamRole', async () => {
    const apis = apisFor(emulator);
    const region = largestRegion(emulator);
    const ids = generatedIds(emulator, region).slice(0, 130);
    expect(ids).toHaveLength(130);
    const found = await apis.ecs.describeInstances({ regionId: region, instanceIds: ids });
    expect(found.map((i) => i.instanceId).sort()).toEqual(ids);
    expect(apis.stats.for('DescribeInstances').calls).toBe(2);
    const roles = await apis.ecs.describeInstanceRamRoles(region, ids);
    expect([...roles.keys()].sort()).toEqual(ids);
    const truth = new Map(emulator.instances(region).map((i) => [i.InstanceId, i.RamRoleName || undefined]));
    for (const id of ids) expect(roles.get(id)).toBe(truth.get(id));
    expect(apis.stats.for('DescribeInstanceRamRole').calls).toBe(3);
  });

  it('isolates a classic id refused request-level by DescribeInstanceRamRole (403, documented): no role, neighbours read', async () => {
    const apis = apisFor(emulator);
    const region = largestRegion(emulator);
    const classic = emulator.instances(region).find((i) => i.InstanceNetworkType === 'classic')!.InstanceId;
    const ids = [...generatedIds(emulator, region).slice(0, 7), classic];
    const roles = await apis.ecs.describeInstanceRamRoles(region, ids);
    expect([...roles.keys()].sort()).toEqual([...ids].sort());
    expect(roles.get(classic)).toBeUndefined();
    // 1 refused call of 8, then a bisection down to the one id: 2 + 2 + 2 more calls, 4 of 7 refused.
    expect(apis.stats.for('DescribeInstanceRamRole')).toMatchObject({ calls: 7, failures: 4 });
  });

  it('attaches 100 ids in one call', async () => {
    const apis = apisFor(emulator);
    const region = largestRegion(emulator);
    const roleLess = emulator
      .instances(region)
      .filter((i) => !i.RamRoleName && i.InstanceNetworkType === 'vpc' && i.Status !== 'Pending')
      .map((i) => i.InstanceId)
      .slice(0, 100);
    const results = await apis.ecs.attachInstanceRamRole(region, DESIGNATED_ROLE, roleLess);
    expect(results.map((r) => r.instanceId)).toEqual(roleLess);
    expect(results.every((r) => r.success && r.code === '200')).toBe(true);
    expect(apis.stats.for('AttachInstanceRamRole').calls).toBe(1);
  });
});

describe.each([
  { roleLessInDescribeRole: 'omit', unknownIdsInDescribeRole: 'omit' },
  { roleLessInDescribeRole: 'omit', unknownIdsInDescribeRole: 'error' },
  { roleLessInDescribeRole: 'empty', unknownIdsInDescribeRole: 'error' },
] as const)('describeInstanceRamRoles under unconfirmed behaviour %j', (behaviour) => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator({ ...behaviour, lastPageNextToken: 'absent' });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('keeps the port contract: role or undefined for known ids, unknown ids absent', async () => {
    const { ecs } = apisFor(emulator);
    const roles = await ecs.describeInstanceRamRoles('cn-hangzhou', [
      'i-hz01',
      'i-hz02',
      'i-x1',
      'i-hz03',
      'i-x2',
    ]);
    expect([...roles.keys()].sort()).toEqual(['i-hz01', 'i-hz02', 'i-hz03']);
    expect(roles.get('i-hz01')).toBeUndefined();
    expect(roles.get('i-hz02')).toBe(DESIGNATED_ROLE);
    expect(roles.get('i-hz03')).toBe('OtherEcsRole');
    expect((await ecs.describeInstances({ regionId: 'cn-hangzhou' })).length).toBe(6);
  });
});

describe('limits and retries against quotas and faults', () => {
  let emulator: EmulatorHandle;
  beforeEach(async () => {
    emulator = await startTestEmulator({ instances: 300, seed: 3 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  it('completes under a low server quota with retries and no failure', async () => {
    emulator.setQuotas({ DescribeInstanceRamRole: 3 });
    const apis = apisFor(emulator, { qps: { default: 1_000 } });
    const region = largestRegion(emulator);
    const ids = generatedIds(emulator, region);
    const calls = Array.from({ length: 6 }, () =>
      apis.ecs.describeInstanceRamRoles(region, ids.slice(0, 50)),
    );
    const results = await Promise.all(calls);
    for (const roles of results) expect(roles.size).toBe(50);
    const stats = apis.stats.for('DescribeInstanceRamRole');
    expect(stats.throttled).toBeGreaterThan(0);
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.failures).toBe(0);
    expect(emulator.stats().throttled['DescribeInstanceRamRole']).toBeGreaterThan(0);
  });

  it('stays under the quota with a client QPS below it: no throttling at all', async () => {
    // Real time on both sides: the limiter spaces starts 500 ms apart (2/s, burst 1), the emulator counts
    // arrivals in aligned 1-second windows of 5. Six calls span 2.5 s, so a stall of this shared machine
    // would have to squeeze them into one second to trip the quota. (At 4/s against 5/s, a stall of
    // 250 ms could, and once did.)
    emulator.setQuotas({ DescribeInstanceRamRole: 5 });
    const apis = apisFor(emulator, { qps: { DescribeInstanceRamRole: 2 } });
    const region = largestRegion(emulator);
    const ids = generatedIds(emulator, region).slice(0, 50);
    await Promise.all(Array.from({ length: 6 }, () => apis.ecs.describeInstanceRamRoles(region, ids)));
    expect(apis.stats.for('DescribeInstanceRamRole')).toMatchObject({ calls: 6, throttled: 0, retries: 0 });
    expect(emulator.stats().throttled['DescribeInstanceRamRole'] ?? 0).toBe(0);
  });

  it('completes through a storm of 500s, 503s and connection resets', async () => {
    emulator.setFaults({ serverErrorRate: 0.2, unavailableRate: 0.1, resetRate: 0.15 });
    const apis = apisFor(emulator);
    const region = largestRegion(emulator);
    const expected = generatedIds(emulator, region, false);
    const found = await apis.ecs.describeInstances({ regionId: region });
    expect(found.map((i) => i.instanceId).sort()).toEqual(expected);
    const vpc = generatedIds(emulator, region);
    const roles = await apis.ecs.describeInstanceRamRoles(region, vpc);
    expect(roles.size).toBe(vpc.length);
    const total = apis.stats.total();
    expect(total.transient).toBeGreaterThan(0);
    expect(total.retries).toBe(total.transient);
    expect(total.failures).toBe(0);
  });

  it('gives up with a retryable CloudApiError when every call fails', async () => {
    emulator.setFaults({ unavailableRate: 1 });
    const apis = apisFor(emulator, { retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 } });
    const error = await apis.ram.getRole(DESIGNATED_ROLE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({
      code: 'ServiceUnavailable',
      statusCode: 503,
      retryable: true,
      action: 'GetRole',
    });
    expect(apis.stats.for('GetRole')).toMatchObject({ calls: 3, retries: 2, failures: 1 });
  });
});
