/**
 * DescribeInstanceRamRole paging stops even when a (broken) service keeps answering full pages without a
 * TotalCount: real @alicloud SDK over HTTP against a tiny loopback server that answers only that.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCloudApis } from '../../../src/cloud/clients';
import { CloudApiError } from '../../../src/engine/errors';

process.env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true';
process.env['ALIBABA_CLOUD_CLI_PROFILE_DISABLED'] = 'true';

let server: Server | undefined;
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  }
});

/** Answers every call with the same full page of 50 role sets and no TotalCount; counts the calls. */
async function endlessPages(ids: string[]): Promise<{ endpoint: string; calls: () => number }> {
  let calls = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          RequestId: `req-${calls}`,
          RegionId: 'cn-hangzhou',
          InstanceRamRoleSets: {
            InstanceRamRoleSet: ids.map((id) => ({ InstanceId: id, RamRoleName: 'EcsAppRole' })),
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, calls: () => calls };
}

describe('DescribeInstanceRamRole paging', () => {
  it('throws a CloudApiError after ceil(ids / 50) + 1 full pages without TotalCount instead of looping', async () => {
    const ids = Array.from({ length: 50 }, (_, index) => `i-p${String(index).padStart(4, '0')}`);
    const { endpoint, calls } = await endlessPages(ids);
    const { ecs } = createCloudApis({
      regionId: 'cn-hangzhou',
      endpoint,
      credential: {
        accessKeyId: 'LTAI5tPagingTest0000001',
        accessKeySecret: 'pagingSecret000000000000000001',
      },
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 2, maxTotalMs: 1_000 },
    });
    const error = await ecs.describeInstanceRamRoles('cn-hangzhou', ids).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({
      code: 'UnboundedPaging',
      action: 'DescribeInstanceRamRole',
      retryable: false,
    });
    expect(calls()).toBe(2);
  });
});
