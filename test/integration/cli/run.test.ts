/**
 * The `run` family of commands, end to end: real CLI code, real @alicloud SDKs, HTTP to the emulator.
 */
import { writeFileSync } from 'node:fs';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { ExecutionReport } from '../../../src/engine/index';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

interface AdminInstance {
  InstanceId: string;
  RamRoleName: string;
  AttachCount: number;
}

const ROLE = DESIGNATED_ROLE;
let emulator: EmulatorHandle | undefined;

beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function truth(): Promise<Map<string, AdminInstance>> {
  const { body } = await admin<{ Instances: AdminInstance[] }>(emulator!, '/_emulator/instances');
  return new Map(body.Instances.map((i) => [i.InstanceId, i]));
}

function run(state: string, ...args: string[]) {
  return runCli([
    'run',
    '--region',
    'cn-hangzhou',
    '--role',
    ROLE,
    ...emulatorFlags(emulator!, state),
    '--output',
    'json',
    '--quiet',
    ...args,
  ]);
}

describe('ecs-role-attach run against the emulator', () => {
  it.each([
    ['ResourceIds', { Type: 'ResourceIds', ResourceIds: [fleetId(1), fleetId(2), fleetId(3)] }, 3],
    ['Tags', { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] }, 40],
    ['ResourceGroup', { Type: 'ResourceGroup', ResourceGroupId: 'rg-a' }, 60],
    ['All', { Type: 'All' }, 120],
  ])('attaches every %s target and reports one outcome each', async (_type, targets, expected) => {
    emulator = await startTestEmulator({ fleet: cliFleet(120) });
    const result = await run(tempState(), '--targets', JSON.stringify(targets));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ total: expected, attached: expected, pending: 0 });
    const world = await truth();
    for (const instance of report.instances) expect(world.get(instance.instanceId)?.RamRoleName).toBe(ROLE);
    const stats = emulator.stats();
    // default rate control (OOS): Concurrency 10, so chunks of 10 ids, one call each
    expect(stats.calls['AttachInstanceRamRole']).toBe(Math.ceil(expected / 10));
  });

  it('pauses in FailurePause at the failing instance, then continue, retry and cancel', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(300),
      faults: {
        instanceErrors: { [fleetId(60)]: 'InternalError.Forced', [fleetId(200)]: 'InternalError.Forced' },
      },
    });
    const state = tempState();
    const paused = await run(
      state,
      '--targets',
      '{"Type":"All"}',
      '--mode',
      'FailurePause',
      '--rate-control',
      '{"Mode":"Batch","Batch":[1,"5%","10%"]}',
    );
    expect(paused.code).toBe(3);
    const report = paused.json<ExecutionReport>();
    expect(report.status).toBe('Waiting');
    // batches of 1, 15, 30, 30: instance 60 is in the fourth, so 76 are done when it pauses
    expect(report.counts).toMatchObject({ attached: 75, failed: 1, pending: 224 });
    const id = report.executionId;

    const status = await runCli(['status', id, '--state', state]);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('InternalError.Forced');
    expect(status.stdout).toContain(`ecs-role-attach resume ${id}`);

    const continued = await runCli(['resume', id, ...emulatorFlags(emulator, state), '--output', 'json']);
    expect(continued.code).toBe(3);
    expect(continued.json<ExecutionReport>().counts).toMatchObject({ failed: 2 });

    emulator.setFaults({ instanceErrors: { [fleetId(200)]: null } });
    const retried = await runCli(['retry', id, ...emulatorFlags(emulator, state), '--output', 'json']);
    // instance 200 is healthy now, instance 60 still fails: paused again, with one failure
    expect(retried.code).toBe(3);
    expect(retried.json<ExecutionReport>().counts).toMatchObject({ failed: 1 });

    const cancelled = await runCli(['cancel', id, ...emulatorFlags(emulator, state), '--output', 'json']);
    expect(cancelled.code).toBe(1);
    const final = cancelled.json<ExecutionReport>();
    expect(final.status).toBe('Cancelled');
    expect(final.counts.pending).toBe(0);
    const world = await truth();
    for (const instance of final.instances) {
      const bears = world.get(instance.instanceId)?.RamRoleName === ROLE;
      expect(bears).toBe(instance.outcome === 'Attached');
    }
  });

  it('Automatic mode fails the execution and cancels the rest', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(50),
      faults: { instanceErrors: { [fleetId(5)]: 'Forced' } },
    });
    const result = await run(
      tempState(),
      '--targets',
      '{"Type":"All"}',
      '--rate-control',
      '{"Mode":"Batch","Batch":[10]}',
    );
    expect(result.code).toBe(1);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Failed');
    expect(report.counts).toMatchObject({ attached: 9, failed: 1, cancelled: 40, pending: 0 });
  });

  it.each([
    ['missing', 'NoSuchRole', 'does not exist'],
    ['not trusting ECS', 'NotEcsRole', 'does not trust ecs.aliyuncs.com'],
  ])('refuses a %s role with zero attach calls', async (_label, role, message) => {
    emulator = await startTestEmulator({ fleet: cliFleet(10) });
    const result = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      role,
      '--targets',
      '{"Type":"All"}',
      ...emulatorFlags(emulator, tempState()),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(emulator.stats().calls['AttachInstanceRamRole'] ?? 0).toBe(0);
  });

  it('completes under throttling and a 5xx/reset storm with no false failures', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(400),
      quotas: { AttachInstanceRamRole: 5, DescribeInstanceRamRole: 5 },
      // ~20% of calls fail at random on top of the quota: at 8 attempts per call a give-up is ~3e-6 per call.
      faults: { throttleRate: 0.1, serverErrorRate: 0.04, unavailableRate: 0.04, resetRate: 0.02 },
    });
    const result = await run(
      tempState(),
      '--targets',
      '{"Type":"All"}',
      '--rate-control',
      '{"Mode":"Batch","Batch":["25%"]}',
      '--qps',
      'AttachInstanceRamRole=6,DescribeInstanceRamRole=6',
    );
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.counts).toMatchObject({ attached: 400, failed: 0 });
    const stats = emulator.stats();
    expect(Object.values(stats.throttled).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const world = await truth();
    expect([...world.values()].every((i) => i.RamRoleName === ROLE && i.AttachCount === 1)).toBe(true);
  });

  it('skips vanished instances as Gone and replaces other roles when asked', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(30, { [fleetId(4)]: { RamRoleName: 'OtherEcsRole' } }),
    });
    const ids = [fleetId(3), fleetId(4), 'i-f99999', fleetId(5)];
    const result = await run(
      tempState(),
      '--targets',
      JSON.stringify({ Type: 'ResourceIds', ResourceIds: ids }),
      '--on-conflict',
      'replace',
    );
    expect(result.code).toBe(0);
    const instances = result.json<ExecutionReport>().instances;
    expect(instances).toEqual([
      { instanceId: fleetId(3), outcome: 'Attached' },
      { instanceId: fleetId(4), outcome: 'Replaced', previousRole: 'OtherEcsRole' },
      { instanceId: fleetId(5), outcome: 'Attached' },
      expect.objectContaining({ instanceId: 'i-f99999', outcome: 'Skipped', reason: 'Gone' }),
    ]);
  });

  it('runs on an oss:// state store (V4 signatures); a missing bucket exits 2 naming bucket and region, zero writes', async () => {
    emulator = await startTestEmulator({ fleet: { ...cliFleet(5), buckets: ['era-cli-state'] } });
    const targets = JSON.stringify({ Type: 'ResourceIds', ResourceIds: [fleetId(1), fleetId(2)] });
    const ok = await run('oss://era-cli-state/runs', '--targets', targets);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(emulator.ossListing()['era-cli-state']?.some((key) => key.startsWith('runs/executions/'))).toBe(
      true,
    );
    expect(emulator.stats().rejected).toEqual({});

    emulator.resetStats();
    const previous = process.env['ALIBABA_CLOUD_REGION_ID'];
    process.env['ALIBABA_CLOUD_REGION_ID'] = 'cn-shanghai';
    try {
      const missing = await run('oss://missing-bucket/prefix', '--targets', targets);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('bucket "missing-bucket" does not exist in region cn-shanghai');
      expect(missing.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      if (previous === undefined) delete process.env['ALIBABA_CLOUD_REGION_ID'];
      else process.env['ALIBABA_CLOUD_REGION_ID'] = previous;
    }
    const calls = emulator.stats().calls;
    expect(calls['AttachInstanceRamRole'] ?? 0).toBe(0);
    expect(calls['DetachInstanceRamRole'] ?? 0).toBe(0);
  });

  it('--max-targets stops a run before its first write, naming the limit and the count', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(30, { [fleetId(4)]: { RamRoleName: 'OtherEcsRole' } }),
    });
    const ids = [fleetId(3), fleetId(4), fleetId(5)];
    const result = await run(
      tempState(),
      '--targets',
      JSON.stringify({ Type: 'ResourceIds', ResourceIds: ids }),
      '--on-conflict',
      'replace',
      '--max-targets',
      '2',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'maxTargets 2 (maxTargets) allows at most 2 instance writes, but 3 of the 3 selected instances need one; no instance was changed',
    );
    const calls = emulator.stats().calls;
    expect((calls['AttachInstanceRamRole'] ?? 0) + (calls['DetachInstanceRamRole'] ?? 0)).toBe(0);
    expect((await truth()).get(fleetId(4))?.RamRoleName).toBe('OtherEcsRole');
  });

  it('dry run prints the plan with zero write calls', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(1000) });
    const result = await run(
      tempState(),
      '--targets',
      '{"Type":"All"}',
      '--rate-control',
      '{"Mode":"Batch","Batch":[1,"5%","10%"]}',
      '--dry-run',
    );
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Planned');
    expect(report.batches.map((b) => b.size)).toEqual([1, 50, ...Array(9).fill(100), 49]);
    expect(report.instances.every((i) => i.outcome === 'Attached')).toBe(true);
    expect(emulator.stats().calls['AttachInstanceRamRole'] ?? 0).toBe(0);
  });

  it.each([
    [
      ['--rate-control', '{"Mode":"Batch","Batch":[1,"abc"]}'],
      '--rate-control Batch[1] must be a positive integer',
    ],
    [['--mode', 'Sometimes'], '--mode must be one of Automatic, FailurePause, got "Sometimes"'],
    [['--targets', '{"Type":"Everything"}'], '--targets Type must be one of'],
    [['--targets', 'not json'], '--targets must be JSON'],
    [['--qps', 'AttachInstanceRamRole=fast'], '--qps'],
  ])('rejects bad input %j with exit 2 and zero calls', async (args, message) => {
    emulator = await startTestEmulator({ fleet: cliFleet(5) });
    const base = ['run', '--region', 'cn-hangzhou', '--role', ROLE, ...emulatorFlags(emulator, tempState())];
    const withTargets = args.includes('--targets') ? base : [...base, '--targets', '{"Type":"All"}'];
    const result = await runCli([...withTargets, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(Object.values(emulator.stats().calls).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('accepts the OOS template parameters file verbatim, flags overriding it', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(20) });
    const state = tempState();
    const file = `${state}/params.json`;
    writeFileSync(
      file,
      JSON.stringify({
        regionId: 'cn-hangzhou',
        RamRoleName: 'NoSuchRole',
        targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }], RegionId: 'cn-hangzhou' },
        rateControl: { Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 },
        OOSAssumeRole: 'OOSServiceRole',
      }),
    );
    const result = await runCli([
      'run',
      '--params',
      file,
      '--role',
      ROLE,
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
    ]);
    expect(result.code).toBe(0);
    expect(result.json<ExecutionReport>().counts.attached).toBe(7);
    const list = await runCli(['list', '--state', state, '--output', 'json']);
    expect(list.json<unknown[]>()).toHaveLength(1);
  });
});
