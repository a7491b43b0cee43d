/**
 * `run --on-conflict replace` under connection resets on DetachInstanceRamRole, end to end (real CLI,
 * real @alicloud SDKs, HTTP to the emulator). Two kinds of reset:
 * - the emulator's own `resetRate` (the connection dies before the call is applied);
 * - a loopback proxy in front of the emulator that lets the detach land and then destroys the
 *   connection instead of answering: the adapter's retry finds no role (`RamRoleNotAttached`),
 *   which must not leave the instance without any role.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { ExecutionReport } from '../../../src/engine/index';
import { cliFleet, fleetId, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

const COUNT = 30;
let emulator: EmulatorHandle | undefined;
let proxy: Server | undefined;

beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  if (proxy) {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy!.close(() => resolve()));
    proxy = undefined;
  }
  await emulator?.close();
  emulator = undefined;
});

function actionOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-acs-action'];
  if (typeof header === 'string') return header;
  return new URL(req.url ?? '/', 'http://x').searchParams.get('Action') ?? undefined;
}

/**
 * Forwards everything to `target`; of the DetachInstanceRamRole calls, every odd one (1st, 3rd, ...) is
 * forwarded and applied, but its answer is replaced by a destroyed connection. Returns the proxy's URL
 * and a counter of the answers lost.
 */
async function lossyProxy(target: string): Promise<{ url: string; lost: () => number }> {
  const upstream = new URL(target);
  let detachCalls = 0;
  let lost = 0;
  proxy = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const drop = actionOf(req) === 'DetachInstanceRamRole' && detachCalls++ % 2 === 0;
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            if (drop) {
              lost++;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          });
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(Buffer.concat(body));
    });
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', () => resolve()));
  const { port } = proxy.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, lost: () => lost };
}

async function rolesNow(): Promise<Map<string, string>> {
  const { body } = await admin<{ Instances: { InstanceId: string; RamRoleName: string }[] }>(
    emulator!,
    '/_emulator/instances',
  );
  return new Map(body.Instances.map((i) => [i.InstanceId, i.RamRoleName]));
}

function replaceRun(endpoint: string, ...extra: string[]): ReturnType<typeof runCli> {
  const ids = Array.from({ length: COUNT }, (_, index) => fleetId(index));
  return runCli([
    'run',
    '--region',
    'cn-hangzhou',
    '--role',
    DESIGNATED_ROLE,
    '--endpoint',
    endpoint,
    '--state',
    tempState(),
    '--targets',
    JSON.stringify({ Type: 'ResourceIds', ResourceIds: ids }),
    '--on-conflict',
    'replace',
    '--output',
    'json',
    '--quiet',
    ...extra,
  ]);
}

function allBearingOther(): ReturnType<typeof cliFleet> {
  return cliFleet(
    COUNT,
    Object.fromEntries(
      Array.from({ length: COUNT }, (_, index) => [fleetId(index), { RamRoleName: 'OtherEcsRole' }]),
    ),
  );
}

describe('replace under connection resets on DetachInstanceRamRole', () => {
  it('ends with every instance Replaced and bearing our role when detach answers are lost after landing', async () => {
    emulator = await startTestEmulator({
      fleet: allBearingOther(),
      // Resets before the call is applied, too: both kinds in one run.
      faults: { resetRate: 0.3, actions: ['DetachInstanceRamRole'] },
    });
    const { url, lost } = await lossyProxy(emulator.endpoint);
    const result = await replaceRun(url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ total: COUNT, replaced: COUNT, failed: 0 });
    for (const instance of report.instances) {
      expect(instance).toEqual({
        instanceId: instance.instanceId,
        outcome: 'Replaced',
        previousRole: 'OtherEcsRole',
      });
    }
    const roles = await rolesNow();
    for (let index = 0; index < COUNT; index++) expect(roles.get(fleetId(index))).toBe(DESIGNATED_ROLE);
    // The test exercised what it claims: detaches landed whose answers were lost.
    expect(lost()).toBeGreaterThan(0);
  }, 60_000);

  it('reports a detach refused on an instance still bearing the planned role as Failed, role untouched', async () => {
    emulator = await startTestEmulator({ fleet: allBearingOther() });
    // The emulator refuses the detach of fleetId(2); it still bears the planned role afterwards.
    emulator.setFaults({
      detachInstanceErrors: { [fleetId(2)]: { Code: 'RamRoleMismatch', Message: 'bears another role' } },
    });
    const result = await replaceRun(
      emulator.endpoint,
      '--rate-control',
      '{"Mode":"Concurrency","Concurrency":10,"MaxErrors":5}',
    );
    const report = result.json<ExecutionReport>();
    const failed = report.instances.find((i) => i.instanceId === fleetId(2));
    expect(failed).toMatchObject({ outcome: 'Failed', code: 'RamRoleMismatch' });
    expect(report.counts).toMatchObject({ replaced: COUNT - 1, failed: 1 });
    const roles = await rolesNow();
    expect(roles.get(fleetId(2))).toBe('OtherEcsRole');
    expect(roles.get(fleetId(3))).toBe(DESIGNATED_ROLE);
  }, 60_000);
});
