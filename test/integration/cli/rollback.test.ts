/**
 * `ecs-role-attach rollback` end to end: attached -> detached, replaced -> previous role restored,
 * instances changed since left alone, dry run with zero writes, the original's batches, crash-safe
 * resume. Truth is read through the emulator's admin route.
 */
import { createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { createRollback } from '../../../src/engine/execution/rollback';
import type { ExecutionReport } from '../../../src/engine/index';
import { FsExecutionStore } from '../../../src/store/index';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

const ROLE = DESIGNATED_ROLE;
let emulator: EmulatorHandle | undefined;

beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

interface Truth {
  RamRoleName: string;
  AttachCount: number;
  DetachCount: number;
}

async function truth(): Promise<Map<string, Truth>> {
  const { body } = await admin<{ Instances: (Truth & { InstanceId: string })[] }>(
    emulator!,
    '/_emulator/instances',
  );
  return new Map(body.Instances.map((i) => [i.InstanceId, i]));
}

async function writeCalls(): Promise<number> {
  const { body } = await admin<{ calls: Record<string, number> }>(emulator!, '/_emulator/stats');
  return (body.calls['AttachInstanceRamRole'] ?? 0) + (body.calls['DetachInstanceRamRole'] ?? 0);
}

const TARGETS = [0, 1, 2, 3, 4, 5].map(fleetId);

/** Runs an execution over i-f00000..5 where i-f00003 bore OtherEcsRole (replaced). */
async function originalRun(state: string, rateControl = '{"Mode":"Batch","Batch":[1,2],"MaxErrors":0}') {
  emulator = await startTestEmulator({
    fleet: cliFleet(10, { [fleetId(3)]: { RamRoleName: 'OtherEcsRole' } }),
  });
  const result = await runCli([
    'run',
    '--region',
    'cn-hangzhou',
    '--role',
    ROLE,
    '--targets',
    JSON.stringify({ Type: 'ResourceIds', ResourceIds: TARGETS }),
    '--rate-control',
    rateControl,
    '--on-conflict',
    'replace',
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(result.code).toBe(0);
  const report = result.json<ExecutionReport>();
  expect(report.counts).toMatchObject({ attached: 5, replaced: 1 });
  return report;
}

function rollback(state: string, id: string, ...args: string[]) {
  return runCli(['rollback', id, ...emulatorFlags(emulator!, state), '--output', 'json', '--quiet', ...args]);
}

describe('ecs-role-attach rollback', () => {
  it('detaches what was attached, restores what was replaced, leaves changed instances alone', async () => {
    const state = tempState();
    const original = await originalRun(state);
    // Someone detaches the role from i-f00001 by hand after the run: the rollback must leave it alone.
    const cloud = createCloudApis({ regionId: 'cn-hangzhou', endpoint: emulator!.endpoint });
    const detached = await cloud.ecs.detachInstanceRamRole('cn-hangzhou', [fleetId(1)]);
    expect(detached).toEqual([expect.objectContaining({ instanceId: fleetId(1), success: true })]);
    const before = await truth();

    const result = await rollback(state, original.executionId);
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.rollbackOf).toBe(original.executionId);
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ total: 6, detached: 4, restored: 1, skipped: 1, failed: 0 });
    const byId = new Map(report.instances.map((i) => [i.instanceId, i]));
    expect(byId.get(fleetId(3))).toMatchObject({ outcome: 'Restored', previousRole: 'OtherEcsRole' });
    expect(byId.get(fleetId(1))).toMatchObject({ outcome: 'Skipped', reason: 'RoleChanged' });
    // The original's rate control: batches of 1, then 2 at a time (6 instances of work).
    expect(report.batches.map((b) => b.size)).toEqual([1, 2, 2, 1]);

    const after = await truth();
    for (const id of [0, 2, 4, 5].map(fleetId)) {
      expect(after.get(id)!.RamRoleName).toBe('');
      expect(after.get(id)!.DetachCount).toBe(before.get(id)!.DetachCount + 1);
    }
    expect(after.get(fleetId(3))!.RamRoleName).toBe('OtherEcsRole');
    expect(after.get(fleetId(1))!.DetachCount).toBe(before.get(fleetId(1))!.DetachCount);
    // Not a target of the original: untouched.
    expect(after.get(fleetId(7))).toEqual(before.get(fleetId(7)));

    // Stored like any execution: list shows both, status renders the rollback.
    const list = await runCli(['list', '--state', state, '--output', 'json']);
    expect(list.json<{ executionId: string }[]>().map((r) => r.executionId)).toContain(report.executionId);
    const status = await runCli(['status', report.executionId, '--state', state]);
    expect(status.stdout).toContain(`rollback of ${original.executionId}`);
    expect(status.stdout).toContain('detached 4, restored 1, skipped 1');

    // A rollback cannot itself be rolled back into a new execution, but running its id again is a no-op.
    const again = await rollback(state, report.executionId);
    expect(again.code).toBe(0);
    expect(again.json<ExecutionReport>().executionId).toBe(report.executionId);
  });

  it('dry run prints what it would do and makes zero writes', async () => {
    const state = tempState();
    const original = await originalRun(state);
    const writes = await writeCalls();
    const before = await truth();
    const result = await rollback(state, original.executionId, '--dry-run');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Planned');
    expect(report.counts).toMatchObject({ detached: 5, restored: 1 });
    expect(await writeCalls()).toBe(writes);
    expect(await truth()).toEqual(before);
    expect(await new FsExecutionStore(state).list()).toHaveLength(1);
  });

  it('resumes an interrupted rollback without writing twice', async () => {
    const state = tempState();
    const original = await originalRun(state, '{"Mode":"Concurrency","Concurrency":100,"MaxErrors":0}');
    const store = new FsExecutionStore(state);
    // Plan the rollback, then simulate a crash after the detach of i-f00000 and i-f00003 landed
    // (intent written, result never written).
    const cloud = createCloudApis({ regionId: 'cn-hangzhou', endpoint: emulator!.endpoint });
    const deps = {
      ecs: cloud.ecs,
      ram: cloud.ram,
      store,
      clock: { now: () => Date.now(), sleep: async () => {} },
      random: Math.random,
      logger: { info() {}, warn() {}, error() {}, debug() {} },
    };
    const planned = await createRollback(original.executionId, deps);
    await store.append(planned.executionId, {
      at: new Date().toISOString(),
      type: 'intent',
      chunkId: 'rollback-crashed',
      operation: 'detach',
      instanceIds: TARGETS,
    });
    await cloud.ecs.detachInstanceRamRole('cn-hangzhou', [fleetId(0), fleetId(3)], ROLE);
    const before = await truth();

    const result = await rollback(state, planned.executionId);
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.counts).toMatchObject({ detached: 5, restored: 1, failed: 0, pending: 0 });
    const after = await truth();
    // i-f00000 was detached before the crash: counted Detached, not detached again.
    expect(after.get(fleetId(0))!.DetachCount).toBe(before.get(fleetId(0))!.DetachCount);
    // i-f00003 lost our role before the crash: the previous role is attached, ours not detached again.
    expect(after.get(fleetId(3))).toMatchObject({
      RamRoleName: 'OtherEcsRole',
      DetachCount: before.get(fleetId(3))!.DetachCount,
    });
    for (const id of TARGETS)
      expect(after.get(id)!.RamRoleName).toBe(id === fleetId(3) ? 'OtherEcsRole' : '');
  });

  it('rolls back twice harmlessly and refuses an unknown execution', async () => {
    const state = tempState();
    const original = await originalRun(state);
    const first = (await rollback(state, original.executionId)).json<ExecutionReport>();
    // Rolling back the original twice is allowed (a second rollback finds nothing bearing our role).
    const second = await rollback(state, original.executionId);
    expect(second.json<ExecutionReport>().counts).toMatchObject({ skipped: 6, failed: 0 });
    expect(second.json<ExecutionReport>().counts.detached).toBeUndefined();
    expect(first.executionId).not.toBe(second.json<ExecutionReport>().executionId);
    const missing = await rollback(state, 'exec-20200101T000000Z-000000');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('exec-20200101T000000Z-000000');
  });
});
