/**
 * Fault storm: 30% throttling, 5% server errors (500/503), 2% connection resets on every API call, real
 * SDK adapters against the emulator. Every attachable instance ends attached, the only failures are the
 * ones forced per instance, and the retries stay within what the retry policy allows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudApis } from '../../src/cloud/clients';
import type { EmulatorHandle } from '../../src/emulator/index';
import { createExecution, runExecution } from '../../src/engine/execution/index';
import { silentLogger, systemClock } from '../../src/engine/ports';
import { parseExecutionInput } from '../../src/inputs/parameters';
import { openExecutionStore } from '../../src/store/index';
import { cliFleet, fleetId } from '../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator, TEST_CREDENTIALS } from '../helpers/emulator';
import { seededRandom } from '../helpers/seededRandom';

const COUNT = 400;
// The retry policy under test: 8 attempts per call; short delays keep the test fast (the policy's
// shape, not its timing, is what this test checks).
const RETRY = { maxAttempts: 8, baseDelayMs: 4, maxDelayMs: 40, maxTotalMs: 30_000 };

let emulator: EmulatorHandle | undefined;
let directory: string | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

describe('fault storm', () => {
  it.each([1, 2])('attaches every attachable instance with bounded retries (seed %i)', async (seed) => {
    const classic = [fleetId(7), fleetId(77)];
    const otherRole = [fleetId(5), fleetId(150)];
    const forced = [fleetId(33), fleetId(333)];
    const overrides: Record<string, Record<string, unknown>> = {};
    for (const id of classic) overrides[id] = { InstanceNetworkType: 'classic' };
    for (const id of otherRole) overrides[id] = { RamRoleName: 'OtherEcsRole' };
    for (const id of [fleetId(11), fleetId(12)]) overrides[id] = { Status: 'Stopped' };
    emulator = await startTestEmulator({
      fleet: cliFleet(COUNT, overrides),
      seed,
      faults: {
        throttleRate: 0.3,
        serverErrorRate: 0.025,
        unavailableRate: 0.025,
        resetRate: 0.02,
        instanceErrors: Object.fromEntries(forced.map((id) => [id, 'InvalidInstance.Forbidden'])),
      },
    });
    directory = mkdtempSync(join(tmpdir(), 'era-storm-'));
    const cloud = createCloudApis({
      regionId: 'cn-hangzhou',
      endpoint: emulator.endpoint,
      credential: TEST_CREDENTIALS.plain,
      qps: { default: 500, DescribeInstances: 500, DescribeInstanceRamRole: 500, AttachInstanceRamRole: 500 },
      retry: RETRY,
      random: seededRandom(seed),
    });
    const deps = {
      ecs: cloud.ecs,
      ram: cloud.ram,
      store: openExecutionStore(directory),
      clock: systemClock,
      random: seededRandom(seed + 100),
      logger: silentLogger,
    };
    const parameters = parseExecutionInput({
      regionId: 'cn-hangzhou',
      RamRoleName: DESIGNATED_ROLE,
      targets: { Type: 'All' },
      rateControl: { Mode: 'Batch', Batch: ['10%'], MaxErrors: 10 },
    });
    const created = await createExecution(parameters, deps, { origin: 'cli' });
    const report = await runExecution(created.executionId, deps);

    expect(report.status).toBe('Success');
    const byId = new Map(report.instances.map((i) => [i.instanceId, i]));
    expect(byId.size).toBe(COUNT);
    const failed = report.instances.filter((i) => i.outcome === 'Failed').map((i) => i.instanceId);
    // no false failures: exactly the instances forced to fail
    expect(failed.sort()).toEqual([...forced].sort());
    for (const id of forced) expect(byId.get(id)?.code).toBe('InvalidInstance.Forbidden');
    for (const id of classic)
      expect(byId.get(id)).toMatchObject({ outcome: 'Skipped', reason: 'ClassicNetwork' });
    for (const id of otherRole)
      expect(byId.get(id)).toMatchObject({ outcome: 'Skipped', reason: 'OtherRole' });

    // the emulator's truth: every attachable instance bears the role, written once
    const skipped = new Set([...classic, ...otherRole, ...forced]);
    for (const instance of emulator.instances()) {
      if (skipped.has(instance.InstanceId)) {
        expect(instance.RamRoleName).not.toBe(DESIGNATED_ROLE);
        continue;
      }
      expect(instance.RamRoleName).toBe(DESIGNATED_ROLE);
      expect(instance.AttachCount).toBe(1);
      expect(byId.get(instance.InstanceId)?.outcome).toBe('Attached');
    }

    // the storm did happen, and every retry is accounted for by an injected fault
    const server = emulator.stats();
    const injected = Object.values(server.injected).reduce((a, b) => a + b, 0);
    const client = cloud.stats.total();
    expect(server.injected['throttle'] ?? 0).toBeGreaterThan(5);
    expect(server.injected['reset'] ?? 0).toBeGreaterThan(0);
    expect(client.failures).toBe(0);
    expect(client.retries).toBe(injected);
    // bounded: at most maxAttempts - 1 retries per logical call
    const logicalCalls = client.calls - client.retries;
    expect(client.retries).toBeLessThanOrEqual((RETRY.maxAttempts - 1) * logicalCalls);
    // and, at a 37% fault rate, far below it: the expected retries per call are 0.37 / 0.63 ≈ 0.6
    expect(client.retries).toBeLessThanOrEqual(logicalCalls * 1.5);
  });
});
