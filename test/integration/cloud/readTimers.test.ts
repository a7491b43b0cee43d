/**
 * The httpx read timer of every SDK call is released when its response has been read (src/cloud/readTimers.ts):
 * the real, unmodified ECS SDK against the emulator over HTTP, looking at the sockets the calls used.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { createCloudApis } from '../../../src/cloud/clients';
import { HTTPX_READ_TIMER } from '../../../src/cloud/readTimers';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { startTestEmulator } from '../../helpers/emulator';

/** The httpx read timer a socket carries: `null` once released, a Timeout while it runs. */
function readTimerOf(socket: Socket): NodeJS.Timeout | null | undefined {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === HTTPX_READ_TIMER);
  return symbol === undefined
    ? undefined
    : ((socket as unknown as Record<symbol, NodeJS.Timeout | null>)[symbol] ?? null);
}

describe('httpx read timers after SDK calls', () => {
  let emulator: EmulatorHandle;
  const sockets = new Set<Socket>();
  const onRequest = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    // Published once the request has its socket (a pooled one is assigned at once).
    if (request.socket) sockets.add(request.socket);
    else request.once('socket', (socket) => sockets.add(socket));
  };
  beforeAll(async () => {
    emulator = await startTestEmulator();
    subscribe('http.client.request.start', onRequest);
  });
  afterAll(async () => {
    unsubscribe('http.client.request.start', onRequest);
    await emulator.close();
  });

  it('leaves no read timer running once each response has been read (httpx would keep each for readTimeout, 15 s)', async () => {
    const { ecs } = createCloudApis({
      regionId: 'cn-hangzhou',
      endpoint: emulator.endpoint,
      credential: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
      qps: { default: 1_000 },
      maxInFlight: 4,
    });
    const ids = emulator
      .instances('cn-hangzhou')
      .filter((instance) => instance.InstanceNetworkType === 'vpc')
      .map((instance) => instance.InstanceId);
    // Concurrent calls, so that several sockets of the keep-alive pool are used and reused.
    await Promise.all([
      ...Array.from({ length: 6 }, () => ecs.describeInstances({ regionId: 'cn-hangzhou' })),
      ...Array.from({ length: 6 }, () => ecs.describeInstanceRamRoles('cn-hangzhou', ids)),
    ]);
    expect(sockets.size).toBeGreaterThan(0);
    const timers = [...sockets].map(readTimerOf);
    // httpx did start a timer on every socket (the symbol is there)...
    expect(timers.every((timer) => timer !== undefined)).toBe(true);
    // ...and none is still running.
    const running = timers.filter(
      (timer) =>
        timer !== null && timer !== undefined && !(timer as unknown as { _destroyed: boolean })._destroyed,
    );
    expect({ sockets: sockets.size, running: running.length }).toEqual({ sockets: sockets.size, running: 0 });
  });
});
