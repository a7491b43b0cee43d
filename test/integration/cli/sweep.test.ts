/**
 * `ecs-role-attach sweep` end to end: real CLI, real SDKs, HTTP to the emulator. Compliance numbers
 * are checked against the emulator's truth; locks and open sweep executions prevent overlap.
 */
import { createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { createExecution } from '../../../src/engine/execution/index';
import { type SweepReport, sweepLockName, sweepParameters } from '../../../src/engine/paths/sweep';
import { silentLogger, systemClock } from '../../../src/engine/ports';
import { FsExecutionStore } from '../../../src/store/index';
import { runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

const ROLE = DESIGNATED_ROLE;
const RATE = '{"Mode":"Concurrency","Concurrency":100,"MaxErrors":5}';
let emulator: EmulatorHandle | undefined;

beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function bearing(): Promise<string[]> {
  const { body } = await admin<{ Instances: { InstanceId: string; RamRoleName: string }[] }>(
    emulator!,
    '/_emulator/instances',
  );
  return body.Instances.filter((i) => i.RamRoleName === ROLE)
    .map((i) => i.InstanceId)
    .sort();
}

async function attachCalls(): Promise<number> {
  const { body } = await admin<{ calls: Record<string, number> }>(emulator!, '/_emulator/stats');
  return body.calls['AttachInstanceRamRole'] ?? 0;
}

function sweep(state: string, ...args: string[]) {
  return runCli([
    'sweep',
    '--role',
    ROLE,
    '--endpoint',
    emulator!.endpoint,
    '--state',
    state,
    '--output',
    'json',
    '--quiet',
    ...args,
  ]);
}

describe('ecs-role-attach sweep', () => {
  it('reports compliance per region like ecs-instance-ram-role-attached, matching the emulator', async () => {
    emulator = await startTestEmulator();
    const state = tempState();
    const result = await sweep(state, '--region', 'cn-hangzhou,cn-shanghai', '--rate-control', RATE);
    const report = result.json<SweepReport>();
    // i-hz05 is Pending: ECS refuses it (IncorrectInstanceStatus), so the sweep exits 1.
    expect(result.code).toBe(1);
    const [hz, sh] = report.regions;
    expect(hz).toMatchObject({
      regionId: 'cn-hangzhou',
      state: 'swept',
      status: 'Success',
      evaluated: 6,
      compliant: 1,
      attachedNow: 2,
      skipped: { OtherRole: ['i-hz03'], ClassicNetwork: ['i-hz06'] },
      failed: [{ instanceId: 'i-hz05', code: 'IncorrectInstanceStatus' }],
      notAttempted: 0,
      compliantAfter: 3,
    });
    expect(sh).toMatchObject({
      regionId: 'cn-shanghai',
      evaluated: 4,
      compliant: 0,
      attachedNow: 4,
      compliantAfter: 4,
    });
    expect(report.totals).toMatchObject({ evaluated: 10, compliantAfter: 7, failed: 1, skipped: 2 });
    expect(await bearing()).toEqual(['i-hz01', 'i-hz02', 'i-hz04', 'i-sh01', 'i-sh02', 'i-sh03', 'i-sh04']);
    expect(report.totals.compliantAfter).toBe((await bearing()).length);

    // The executions are stored (origin sweep) and visible to list/status.
    const status = await runCli(['status', hz!.executionId!, '--state', state]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('IncorrectInstanceStatus (1)');
    const list = await runCli(['list', '--state', state, '--output', 'json']);
    expect(list.json<unknown[]>()).toHaveLength(2);
  });

  it('prints the text report by default', async () => {
    emulator = await startTestEmulator();
    const result = await runCli([
      'sweep',
      '--region',
      'cn-shanghai',
      '--role',
      ROLE,
      '--endpoint',
      emulator.endpoint,
      '--state',
      tempState(),
      '--quiet',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Sweep of role EcsAppRole');
    expect(result.stdout).toContain('evaluated 4: compliant 0, attached now 4, skipped 0, failed 0');
  });

  it('does nothing in a region whose lock another sweep holds', async () => {
    emulator = await startTestEmulator();
    const state = tempState();
    const store = new FsExecutionStore(state);
    expect(await store.tryLock(sweepLockName('cn-hangzhou', ROLE), 'other-sweep', 600_000)).toBe(true);
    const result = await sweep(state, '--region', 'cn-hangzhou,cn-shanghai');
    const report = result.json<SweepReport>();
    expect(result.code).toBe(1);
    expect(report.regions[0]).toMatchObject({ regionId: 'cn-hangzhou', state: 'locked', evaluated: 0 });
    expect(report.regions[1]).toMatchObject({ regionId: 'cn-shanghai', state: 'swept', attachedNow: 4 });
    expect(await bearing()).toEqual(['i-hz02', 'i-sh01', 'i-sh02', 'i-sh03', 'i-sh04']);
    // Our lock was released; theirs is still held.
    expect(await store.tryLock(sweepLockName('cn-shanghai', ROLE), 'probe', 1000)).toBe(true);
    expect(await store.tryLock(sweepLockName('cn-hangzhou', ROLE), 'probe', 1000)).toBe(false);
  });

  it('leaves a Waiting sweep alone and starts no new one', async () => {
    emulator = await startTestEmulator();
    const state = tempState();
    const first = await sweep(
      state,
      '--region',
      'cn-hangzhou',
      '--mode',
      'FailurePause',
      '--rate-control',
      '{"Mode":"Concurrency","Concurrency":1,"MaxErrors":0}',
    );
    const paused = first.json<SweepReport>().regions[0]!;
    expect(paused.status).toBe('Waiting');
    const callsBefore = await attachCalls();
    const second = await sweep(state, '--region', 'cn-hangzhou');
    const region = second.json<SweepReport>().regions[0]!;
    expect(second.code).toBe(1);
    expect(region).toMatchObject({ state: 'waiting', executionId: paused.executionId, status: 'Waiting' });
    expect(region.note).toContain('resume, retry or cancel');
    expect(await attachCalls()).toBe(callsBefore);
    expect(await new FsExecutionStore(state).list()).toHaveLength(1);
  });

  it('resumes a Running sweep execution instead of starting a new one', async () => {
    emulator = await startTestEmulator();
    const state = tempState();
    const store = new FsExecutionStore(state);
    const cloud = createCloudApis({ regionId: 'cn-shanghai', endpoint: emulator.endpoint });
    // Planned and stored, never run: what a sweep that hit its deadline (or crashed) leaves behind.
    const created = await createExecution(
      sweepParameters('cn-shanghai', { regions: ['cn-shanghai'], role: ROLE }),
      {
        ecs: cloud.ecs,
        ram: cloud.ram,
        store,
        clock: systemClock,
        random: Math.random,
        logger: silentLogger,
      },
      { origin: 'sweep' },
    );
    const result = await sweep(state, '--region', 'cn-shanghai');
    expect(result.code).toBe(0);
    expect(result.json<SweepReport>().regions[0]).toMatchObject({
      executionId: created.executionId,
      resumed: true,
      status: 'Success',
      attachedNow: 4,
    });
    expect(await store.list()).toHaveLength(1);
  });
});
