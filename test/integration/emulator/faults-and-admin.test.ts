import * as $Ecs from '@alicloud/ecs20140526';
import {
  EmulatorApiError,
  type EmulatorHandle,
  type EmulatorStats,
  rpcService,
} from '../../../src/emulator/index';
import { admin, DESIGNATED_ROLE, ecsClient, popClient, startTestEmulator } from '../../helpers/emulator';

type CaughtError = { code?: string; statusCode?: number; name: string; message: string };

async function failure(promise: Promise<unknown>): Promise<CaughtError> {
  try {
    await promise;
  } catch (error) {
    return error as CaughtError;
  }
  throw new Error('expected the call to fail');
}

const describeHz = (emulator: EmulatorHandle) =>
  ecsClient(emulator).describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: 'cn-hangzhou' }));

let emulator: EmulatorHandle;
afterEach(() => emulator.close());

describe('quotas', () => {
  it('throttles calls beyond the per-second quota with Throttling.User, seen by the SDK as ThrottlingError', async () => {
    // A frozen clock keeps every call in one quota window (the SDK's signed time stays within the replay window).
    const frozen = Date.now();
    emulator = await startTestEmulator({ now: () => frozen, quotas: { DescribeInstances: 2 } });
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map(() => describeHz(emulator)));
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]!.reason).toMatchObject({
      name: 'ThrottlingError',
      code: 'Throttling.User',
      statusCode: 400,
      message: expect.stringContaining('Request was denied due to user flow control.'),
    });
    expect(emulator.stats()).toMatchObject({
      calls: { DescribeInstances: 5 },
      throttled: { DescribeInstances: 3 },
    });
    const pop = await failure(popClient(emulator).request('DescribeInstances', { RegionId: 'cn-hangzhou' }));
    expect(pop).toMatchObject({ code: 'Throttling.User' });
    // Other actions are not limited; a quota removed through the admin route stops throttling.
    await ecsClient(emulator).describeInstanceRamRole(
      new $Ecs.DescribeInstanceRamRoleRequest({ regionId: 'cn-hangzhou', instanceIds: '["i-hz01"]' }),
    );
    expect((await admin(emulator, '/_emulator/quotas', { DescribeInstances: null })).body).toEqual({});
    await describeHz(emulator);
  });
});

describe('faults', () => {
  it('answers 500 InternalError and 503 ServiceUnavailable as ServerError', async () => {
    emulator = await startTestEmulator({ faults: { serverErrorRate: 1 } });
    expect(await failure(describeHz(emulator))).toMatchObject({
      name: 'ServerError',
      code: 'InternalError',
      statusCode: 500,
    });
    emulator.setFaults({ serverErrorRate: null, unavailableRate: 1 } as never);
    expect(await failure(describeHz(emulator))).toMatchObject({
      name: 'ServerError',
      code: 'ServiceUnavailable',
      statusCode: 503,
    });
    expect(emulator.stats().injected).toEqual({ internal: 1, unavailable: 1 });
  });

  it('resets connections, restricted to the listed actions', async () => {
    emulator = await startTestEmulator({ faults: { resetRate: 1, actions: ['AttachInstanceRamRole'] } });
    await describeHz(emulator);
    const error = await failure(
      ecsClient(emulator).attachInstanceRamRole(
        new $Ecs.AttachInstanceRamRoleRequest({
          regionId: 'cn-hangzhou',
          ramRoleName: DESIGNATED_ROLE,
          instanceIds: '["i-hz01"]',
        }),
      ),
    );
    expect(error.message).toMatch(/socket hang up|ECONNRESET/);
    expect(emulator.instances('cn-hangzhou')[0]).toMatchObject({
      InstanceId: 'i-hz01',
      RamRoleName: '',
      AttachCount: 0,
    });
    expect(emulator.stats().injected).toEqual({ reset: 1 });
  });

  it('injects throttling at a rate, deterministically for a seed', async () => {
    const run = async () => {
      const instance = await startTestEmulator({ seed: 5, faults: { throttleRate: 0.5 } });
      const results: boolean[] = [];
      for (let i = 0; i < 12; i++)
        results.push(
          await describeHz(instance).then(
            () => true,
            () => false,
          ),
        );
      const stats = instance.stats();
      await instance.close();
      return { results, stats };
    };
    const first = await run();
    const second = await run();
    emulator = await startTestEmulator();
    expect(first.results).toEqual(second.results);
    expect(first.results).toContain(true);
    expect(first.results).toContain(false);
    expect(first.stats.throttled['DescribeInstances']).toBe(first.results.filter((ok) => !ok).length);
  });

  it('adds fixed latency and forces per-instance attach errors (merged through the admin route)', async () => {
    emulator = await startTestEmulator({ latencyMs: 30 });
    const merged = await admin(emulator, '/_emulator/faults', {
      instanceErrors: { 'i-hz01': 'Forbidden.Lock', 'i-hz04': { Code: 'InternalError', Message: 'boom' } },
    });
    expect(merged.body).toMatchObject({ latencyMs: 30, instanceErrors: { 'i-hz01': 'Forbidden.Lock' } });
    await admin(emulator, '/_emulator/faults', { instanceErrors: { 'i-hz04': null } });
    const started = Date.now();
    const response = await ecsClient(emulator).attachInstanceRamRole(
      new $Ecs.AttachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        instanceIds: '["i-hz01","i-hz04"]',
      }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(response.body!.failCount).toBe(1);
    expect(
      response.body!.attachInstanceRamRoleResults!.attachInstanceRamRoleResult!.map((r) => [
        r.instanceId,
        r.code,
        r.success,
      ]),
    ).toEqual([
      ['i-hz01', 'Forbidden.Lock', false],
      ['i-hz04', '200', true],
    ]);
    const invalid = await admin(emulator, '/_emulator/faults', { resetRate: 2 });
    expect(invalid.status).toBe(400);
    expect(emulator.faults().resetRate).toBeUndefined();
  });
});

describe('admin routes', () => {
  it('lists instances with roles and attach/detach counts, by region', async () => {
    emulator = await startTestEmulator();
    await ecsClient(emulator).attachInstanceRamRole(
      new $Ecs.AttachInstanceRamRoleRequest({
        regionId: 'cn-shanghai',
        ramRoleName: DESIGNATED_ROLE,
        instanceIds: '["i-sh01"]',
      }),
    );
    const { body } = await admin<{ Instances: Record<string, unknown>[] }>(
      emulator,
      '/_emulator/instances?RegionId=cn-shanghai',
    );
    expect(body.Instances).toHaveLength(4);
    expect(body.Instances[0]).toEqual({
      InstanceId: 'i-sh01',
      RegionId: 'cn-shanghai',
      Status: 'Running',
      InstanceNetworkType: 'vpc',
      ResourceGroupId: 'rg-default',
      Tags: {},
      RamRoleName: DESIGNATED_ROLE,
      RamRolePolicy: '',
      VpcId: 'vpc-cnshanghai1',
      VSwitchId: 'vsw-cnshanghai1',
      CreationTime: expect.any(String),
      AttachCount: 1,
      DetachCount: 0,
    });
    expect(
      (await admin<{ Instances: unknown[] }>(emulator, '/_emulator/instances')).body.Instances,
    ).toHaveLength(10);
    expect((await admin<EmulatorStats>(emulator, '/_emulator/stats')).body.calls).toEqual({
      AttachInstanceRamRole: 1,
    });
    expect((await admin<EmulatorStats>(emulator, '/_emulator/stats/reset', {})).body.calls).toEqual({});
    expect((await admin(emulator, '/_emulator/nope')).status).toBe(404);
  });

  it('creates Pending instances that turn Running after a delay or at once on request', async () => {
    emulator = await startTestEmulator();
    const created = await admin<{ Instances: { InstanceId: string; Status: string }[] }>(
      emulator,
      '/_emulator/instances',
      {
        instances: [
          { InstanceId: 'i-new1', RegionId: 'cn-hangzhou', Status: 'Pending', RunningAfterMs: 1 },
          { InstanceId: 'i-new2', RegionId: 'cn-hangzhou', Status: 'Pending' },
        ],
      },
    );
    expect(created.body.Instances.map((i) => i.Status)).toEqual(['Pending', 'Pending']);
    const status = (id: string) => emulator.instances('cn-hangzhou').find((i) => i.InstanceId === id)?.Status;
    for (let i = 0; i < 200 && status('i-new1') === 'Pending'; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(status('i-new1')).toBe('Running');
    expect(status('i-new2')).toBe('Pending');
    await admin(emulator, '/_emulator/instances/status', { InstanceIds: ['i-new2'], Status: 'Running' });
    expect(status('i-new2')).toBe('Running');
    const listed = await ecsClient(emulator).describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: 'cn-hangzhou', instanceIds: '["i-new1","i-new2"]' }),
    );
    expect(listed.body!.instances!.instance!.map((i) => i.status)).toEqual(['Running', 'Running']);
    expect(
      (await admin(emulator, '/_emulator/instances', { instances: [{ InstanceId: 'i-new1' }] })).status,
    ).toBe(400);
    expect(
      (await admin(emulator, '/_emulator/instances/status', { InstanceIds: ['i-zzz'], Status: 'Running' }))
        .status,
    ).toBe(400);
  });
});

describe('service registry', () => {
  it('serves a plugged-in RPC service (FnF 2019-03-15 via pop-core) with the shared signature check, quotas and stats', async () => {
    const reported: string[] = [];
    const fnf = rpcService({
      name: 'fnf',
      version: '2019-03-15',
      hostId: 'cn-hangzhou.fnf.aliyuncs.com',
      actions: {
        ReportTaskSucceeded: (params) => {
          reported.push(params['TaskToken'] ?? '');
          return { body: {} };
        },
      },
    });
    const frozen = Date.now();
    emulator = await startTestEmulator({
      services: [fnf],
      quotas: { ReportTaskSucceeded: 1 },
      now: () => frozen,
    });
    const client = popClient(emulator, { apiVersion: '2019-03-15', sts: true });
    const ok = (await client.request(
      'ReportTaskSucceeded',
      { TaskToken: 'tt-1', Output: '{}' },
      { method: 'POST' },
    )) as {
      RequestId: string;
    };
    expect(ok.RequestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(reported).toEqual(['tt-1']);
    expect(await failure(client.request('ReportTaskSucceeded', { TaskToken: 'tt-2' }))).toMatchObject({
      code: 'Throttling.User',
    });
    expect(await failure(client.request('StartExecution', {}))).toMatchObject({
      code: 'InvalidAction.NotFound',
    });
    const wrong = popClient(emulator, { apiVersion: '2019-03-15', accessKeySecret: 'bad' });
    expect(await failure(wrong.request('ReportTaskSucceeded', { TaskToken: 'x' }))).toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    expect(emulator.stats().calls).toEqual({ ReportTaskSucceeded: 3, StartExecution: 1 });
  });

  it('serves a predicate-claimed service with its own authentication and error format', async () => {
    emulator = await startTestEmulator();
    emulator.registerService({
      name: 'oss',
      hostId: 'oss.local',
      claims: (request) => String(request.headers.authorization ?? '').startsWith('OSS '),
      actionOf: (request) => `oss:${request.method}`,
      authenticate: (request, lookup) => {
        const [id] = String(request.headers.authorization).slice(4).split(':');
        if (!lookup(id ?? '')) throw new EmulatorApiError(403, 'InvalidAccessKeyId', 'no');
        return { accessKeyId: id!, scheme: 'HMAC-SHA1', sts: false, nonce: undefined, timestamp: undefined };
      },
      handle: () => ({
        status: 200,
        body: 'object-bytes',
        headers: { 'content-type': 'application/octet-stream' },
      }),
      renderError: (error, requestId) => ({
        status: error.status,
        body: `<Error><Code>${error.code}</Code><RequestId>${requestId}</RequestId></Error>`,
        headers: { 'content-type': 'application/xml' },
      }),
    });
    const ok = await fetch(`${emulator.endpoint}/bucket/key`, {
      headers: { authorization: `OSS ${emulator.accessKeyId}:sig` },
    });
    expect(await ok.text()).toBe('object-bytes');
    const denied = await fetch(`${emulator.endpoint}/bucket/key`, {
      headers: { authorization: 'OSS nobody:sig' },
    });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toMatch(/^<Error><Code>InvalidAccessKeyId<\/Code>/);
    expect(emulator.stats().calls).toEqual({ 'oss:GET': 2 });
  });
});
