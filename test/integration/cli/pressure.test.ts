/**
 * ECS under pressure, end to end through the CLI and the real SDKs: windowed quotas, request-level
 * refusals of one instance, and refusals that concern the caller (permissions), with no false failures.
 * Real-cloud evidence: ../../../../shared/research/real-cloud-evidence.md §1.6, §3, §4 (throttling per
 * minute, Pending refused request-level, PassRole/Forbidden.RAM, the empty DescribeInstances list).
 */
import type { EmulatorHandle, FleetFile } from '../../../src/emulator/index';
import type { ExecutionReport } from '../../../src/engine/index';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';

const ROLE = DESIGNATED_ROLE;
let emulator: EmulatorHandle | undefined;

beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function run(state: string, ...args: string[]) {
  return runCli([
    'run',
    '--region',
    'cn-hangzhou',
    '--role',
    ROLE,
    '--targets',
    '{"Type":"All"}',
    ...emulatorFlags(emulator!, state),
    '--output',
    'json',
    '--quiet',
    ...args,
  ]);
}

/** The CLI fleet with its plain credential narrowed to `permissions`. */
function narrowed(fleet: FleetFile, permissions: { actions: string[]; passRoles?: string[] }): FleetFile {
  return { ...fleet, credentials: [{ ...TEST_CREDENTIALS.plain, permissions }] };
}

const ALL_ECS = [
  'ecs:DescribeInstances',
  'ecs:DescribeInstanceRamRole',
  'ecs:AttachInstanceRamRole',
  'ecs:DetachInstanceRamRole',
  'ram:GetRole',
];

describe('ECS under pressure', () => {
  it('a run under "N/Ks" quotas that trip several windows ends Success with every instance attached and 0 failures', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(40),
      // 8 attach calls of 5 ids at 3 per 2-second window: at least three windows.
      quotas: { AttachInstanceRamRole: '3/2s', DescribeInstanceRamRole: '1/2s' },
    });
    const result = await run(tempState(), '--rate-control', '{"Mode":"Concurrency","Concurrency":5}');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ attached: 40, failed: 0 });
    expect(emulator.stats().throttled['AttachInstanceRamRole']).toBeGreaterThan(0);
    expect(emulator.instances().every((i) => i.RamRoleName === ROLE && i.AttachCount === 1)).toBe(true);
  });

  it('a Pending instance refused request-level inside a 100-id chunk leaves its 99 neighbours attached', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(100, { [fleetId(42)]: { Status: 'Pending' } }) });
    const result = await run(
      tempState(),
      '--rate-control',
      '{"Mode":"Concurrency","Concurrency":100,"MaxErrors":1}',
    );
    const report = result.json<ExecutionReport>();
    expect(report.counts).toMatchObject({ attached: 99, failed: 1 });
    expect(report.instances.find((i) => i.instanceId === fleetId(42))).toMatchObject({
      outcome: 'Failed',
      code: 'IncorrectInstanceStatus',
    });
    expect(emulator.instances().filter((i) => i.RamRoleName === ROLE)).toHaveLength(99);
    expect(result.code).toBe(0);
  });

  it.each([
    ['FailurePause', 3, 'Waiting'],
    ['Automatic', 1, 'Failed'],
  ] as const)(
    'a missing ram:PassRole stops a 500-instance run after one refused call (%s: exit %i, %s)',
    async (mode, exit, status) => {
      emulator = await startTestEmulator({
        fleet: narrowed(cliFleet(500), { actions: ALL_ECS, passRoles: ['OtherEcsRole'] }),
      });
      const result = await run(tempState(), '--mode', mode);
      expect(result.code).toBe(exit);
      const report = result.json<ExecutionReport>();
      expect(report.status).toBe(status);
      expect(emulator.stats().calls['AttachInstanceRamRole']).toBe(1);
      expect(report.counts.failed).toBe(0);
      // The CLI's default rate control (Concurrency 10) writes 10 ids a call.
      expect(report.refusal).toMatchObject({ code: 'InvalidUser.PassRoleForbidden', instances: 10 });
      expect(report.statusReason).toContain('InvalidUser.PassRoleForbidden');
      expect(report.statusReason).toContain(`grant ram:PassRole on acs:ram::*:role/${ROLE}`);
      if (mode === 'FailurePause') {
        expect(report.counts.pending).toBe(500);
        expect(report.statusReason).toContain(`ecs-role-attach retry ${report.executionId}`);
      } else expect(report.counts.cancelled).toBe(500);
    },
  );

  it('a missing ecs:AttachInstanceRamRole (Forbidden.RAM) pauses the run, and retry finishes it once granted', async () => {
    const fleet = cliFleet(30);
    emulator = await startTestEmulator({
      fleet: narrowed(fleet, {
        actions: ALL_ECS.filter((a) => a !== 'ecs:AttachInstanceRamRole'),
        passRoles: ['*'],
      }),
    });
    const state = tempState();
    const paused = await run(state, '--mode', 'FailurePause');
    expect(paused.code).toBe(3);
    const report = paused.json<ExecutionReport>();
    expect(report.refusal).toMatchObject({
      code: 'Forbidden.RAM',
      remedy: 'grant ecs:AttachInstanceRamRole to the caller',
    });
    // The operator fixes the policy (here: the emulator forgets the restriction) and retries.
    const port = emulator.port;
    await emulator.close();
    emulator = await startTestEmulator({ fleet, port });
    const retried = await runCli([
      'retry',
      report.executionId,
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    expect(retried.code).toBe(0);
    expect(retried.json<ExecutionReport>().counts).toMatchObject({ attached: 30, failed: 0 });
  });

  it('a region listed empty for a caller without ecs:DescribeInstances is reported with a warning naming the permission', async () => {
    emulator = await startTestEmulator({
      fleet: narrowed(cliFleet(10), {
        actions: ALL_ECS.filter((a) => a !== 'ecs:DescribeInstances'),
        passRoles: ['*'],
      }),
    });
    const json = await run(tempState());
    expect(json.code).toBe(0);
    expect(json.json<ExecutionReport>().warnings).toEqual([
      expect.stringContaining('grant ecs:DescribeInstances'),
    ]);
    const text = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      ROLE,
      '--targets',
      '{"Type":"All"}',
      ...emulatorFlags(emulator, tempState()),
      '--quiet',
    ]);
    expect(text.stdout).toContain('warning: DescribeInstances listed no instance in cn-hangzhou');
  });

  it('sweep reports the warning for the region that listed nothing, in JSON and text, and not for the others', async () => {
    emulator = await startTestEmulator();
    const sweep = (...format: string[]) =>
      runCli([
        'sweep',
        '--region',
        'cn-beijing,cn-shanghai',
        '--role',
        ROLE,
        ...emulatorFlags(emulator!, tempState()),
        '--quiet',
        ...format,
      ]);
    const json = await sweep('--output', 'json');
    const regions = json.json<{ regions: { regionId: string; warnings?: string[] }[] }>().regions;
    expect(regions.map((r) => [r.regionId, r.warnings])).toEqual([
      ['cn-beijing', [expect.stringContaining('grant ecs:DescribeInstances')]],
      ['cn-shanghai', undefined],
    ]);
    const text = await sweep();
    expect(text.stdout).toContain('warning: DescribeInstances listed no instance in cn-beijing');
    expect(text.stdout).not.toContain('listed no instance in cn-shanghai');
  });
});
