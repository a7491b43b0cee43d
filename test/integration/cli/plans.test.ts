/**
 * Reviewed plans end to end: `run --dry-run --save-plan`, then `run --plan`, real CLI code, real @alicloud
 * SDKs, HTTP to the emulator. The world changes between planning and executing through the real ECS API
 * (a role attached by someone else) and the emulator's own state (tags, status, a released instance).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as $Ecs from '@alicloud/ecs20140526';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { ExecutionReport } from '../../../src/engine/execution/report';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { DESIGNATED_ROLE, ecsClient, startTestEmulator } from '../../helpers/emulator';

const ROLE = DESIGNATED_ROLE;
/** cliFleet tags env=prod on every third instance: 0, 3, 6, 9, 12, 15 of 18. */
const PROD = { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] };
let emulator: EmulatorHandle | undefined;

beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

interface PlanFile {
  parameters: Record<string, unknown>;
  instances: { instanceId: string; outcome: string; reason?: string; role?: string; rule?: string }[];
  digest: string;
}

function cli(state: string, ...args: string[]) {
  return runCli(['run', ...emulatorFlags(emulator!, state), '--output', 'json', '--quiet', ...args]);
}

const dryRunFlags = ['--region', 'cn-hangzhou', '--role', ROLE, '--targets', JSON.stringify(PROD)];

async function savePlan(state: string, ...extra: string[]): Promise<{ file: string; plan: PlanFile }> {
  const file = join(state, 'plan.json');
  const saved = await cli(state, ...dryRunFlags, ...extra, '--dry-run', '--save-plan', file);
  expect(saved.stderr).toBe('');
  expect(saved.code).toBe(0);
  expect(saved.json<ExecutionReport>().status).toBe('Planned');
  return { file, plan: JSON.parse(readFileSync(file, 'utf8')) as PlanFile };
}

function roleOf(id: string): string | undefined {
  return emulator!.state.instancesById.get(id)?.RamRoleName;
}

function writes(): number {
  const calls = emulator!.stats().calls;
  return (calls['AttachInstanceRamRole'] ?? 0) + (calls['DetachInstanceRamRole'] ?? 0);
}

describe('run --dry-run --save-plan, then run --plan', () => {
  it('executes exactly the planned instances; those changed since end Skipped/ChangedSincePlan', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(18) });
    const state = tempState();
    const { file, plan } = await savePlan(state);
    expect(writes()).toBe(0);
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.parameters).toMatchObject({ regionId: 'cn-hangzhou', RamRoleName: ROLE, targets: PROD });
    expect(plan.instances.map((line) => [line.instanceId, line.outcome, line.role])).toEqual(
      [0, 3, 6, 9, 12, 15].map((i) => [fleetId(i), 'Attached', '']),
    );

    // The world moves on: a role attached by someone else (real ECS API), a tag changed, a status changed,
    // an instance released, and a new instance matching the targets that the plan never saw.
    await ecsClient(emulator).attachInstanceRamRole(
      new $Ecs.AttachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        ramRoleName: 'OtherEcsRole',
        instanceIds: JSON.stringify([fleetId(3)]),
      }),
    );
    emulator.state.setTags(fleetId(6), { team: 'payments' });
    emulator.setInstanceStatus([fleetId(9)], 'Stopped');
    emulator.state.release(fleetId(12));
    emulator.addInstances([{ InstanceId: 'i-fnew01', RegionId: 'cn-hangzhou', Tags: { env: 'prod' } }]);
    emulator.resetStats();

    const result = await cli(state, '--plan', file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Success');
    expect(report.fromPlan).toBe(plan.digest);
    expect(report.instances.map((i) => i.instanceId)).toEqual(plan.instances.map((line) => line.instanceId));
    const byId = new Map(report.instances.map((i) => [i.instanceId, i]));
    expect(byId.get(fleetId(0))).toMatchObject({ outcome: 'Attached' });
    expect(byId.get(fleetId(15))).toMatchObject({ outcome: 'Attached' });
    for (const [i, change] of [
      [3, 'role (none) -> "OtherEcsRole"'],
      [6, 'tag team added ("payments")'],
      [9, 'status Running -> Stopped'],
      [12, 'it is gone (not found in cn-hangzhou)'],
    ] as const) {
      expect(byId.get(fleetId(i))).toMatchObject({ outcome: 'Skipped', reason: 'ChangedSincePlan' });
      expect(byId.get(fleetId(i))?.message).toContain(change);
    }
    expect(report.counts).toMatchObject({ total: 6, attached: 2, skipped: 4, failed: 0, pending: 0 });
    // Only the two unchanged instances were written; the changed and the new ones were left as they are.
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBe(1);
    expect([0, 15].map((i) => roleOf(fleetId(i)))).toEqual([ROLE, ROLE]);
    expect([3, 6, 9].map((i) => roleOf(fleetId(i)))).toEqual(['OtherEcsRole', '', '']);
    expect(roleOf('i-fnew01')).toBe('');

    const status = await runCli(['status', report.executionId, '--state', state]);
    expect(status.stdout).toContain(`from reviewed plan ${plan.digest}`);
    expect(status.stdout).toContain('skipped ChangedSincePlan (4)');
  });

  it.each([
    [
      'an instance added',
      (plan: PlanFile) => plan.instances.push({ ...plan.instances[0]!, instanceId: 'i-f00001' }),
    ],
    ['a predicted outcome', (plan: PlanFile) => Object.assign(plan.instances[1]!, { outcome: 'Skipped' })],
    ['a parameter', (plan: PlanFile) => Object.assign(plan.parameters, { onConflict: 'replace' })],
  ])('refuses a plan with %s changed after saving: exit 2, no call', async (_what, tamper) => {
    emulator = await startTestEmulator({ fleet: cliFleet(6) });
    const state = tempState();
    const { file, plan } = await savePlan(state);
    tamper(plan);
    writeFileSync(file, JSON.stringify(plan));
    emulator.resetStats();

    const result = await cli(state, '--plan', file);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--plan digest does not match the plan');
    expect(result.stderr).toContain(`got "${plan.digest}"; nothing was changed.`);
    expect(result.stderr).not.toContain('    at ');
    expect(emulator.stats().calls).toEqual({});
  });

  it('takes flags that agree with the plan and refuses one that changes it, naming it', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(6) });
    const state = tempState();
    const { file } = await savePlan(state, '--mode', 'FailurePause');
    emulator.resetStats();

    const changed = await cli(state, '--plan', file, '--on-conflict', 'replace');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(
      '--on-conflict must match the plan, which was made with onConflict "skip"',
    );
    expect(changed.stderr).toContain('got "replace"; nothing was changed.');
    const region = await cli(state, '--plan', file, '--region', 'cn-shanghai');
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('--region must match the plan');
    expect(emulator.stats().calls).toEqual({});

    // The dry run's own command line, with --plan instead of --dry-run --save-plan.
    const same = await cli(state, ...dryRunFlags, '--mode', 'FailurePause', '--plan', file);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.json<ExecutionReport>().counts).toMatchObject({ total: 2, attached: 2 });
  });

  it.each([
    [['--save-plan', 'x.json'], '--save-plan needs --dry-run'],
    [['--plan', 'x.json', '--params', 'p.json'], '--params and --plan exclude each other'],
    [['--plan', 'x.json', '--dry-run', '--save-plan', 'y.json'], '--save-plan and --plan exclude each other'],
    [['--plan', 'x.json', '--accounts', 'all'], '--plan is for one account and region'],
    [
      ['--dry-run', '--save-plan', 'x.json', '--accounts', 'all'],
      '--save-plan is for one account and region',
    ],
    [['--plan', '/nonexistent/plan.json'], '--plan must name a readable file'],
    [['--dry-run', '--save-plan', 'store:../x'], '--save-plan must be store:<key>'],
    [
      ['--dry-run', '--save-plan', '/nonexistent/dir/plan.json'],
      '--save-plan must name a file in a writable directory',
    ],
  ])('refuses %j with exit 2 before any call', async (args, message) => {
    emulator = await startTestEmulator({ fleet: cliFleet(3) });
    const result = await cli(tempState(), ...dryRunFlags, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(emulator.stats().calls).toEqual({});
  });

  it('run --plan --dry-run reports what executing the plan would do now, writing and storing nothing', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(6) });
    const state = tempState();
    const { file, plan } = await savePlan(state);
    emulator.state.setTags(fleetId(3), { env: null, team: 'web' });
    emulator.resetStats();
    const result = await cli(state, '--plan', file, '--dry-run');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report).toMatchObject({ status: 'Planned', fromPlan: plan.digest });
    expect(report.instances.map((i) => [i.instanceId, i.outcome, i.reason])).toEqual([
      [fleetId(0), 'Attached', undefined],
      [fleetId(3), 'Skipped', 'ChangedSincePlan'],
    ]);
    expect(report.instances[1]?.message).toContain('tag env removed (was "prod"); tag team added ("web")');
    expect(writes()).toBe(0);
    expect((await runCli(['list', '--state', state, '--output', 'json'])).json()).toEqual([]);
  });

  it('saves to and executes from the state store with store:<key>', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(6) });
    const state = tempState();
    const saved = await cli(state, ...dryRunFlags, '--dry-run', '--save-plan', 'store:plans/web');
    expect(saved.code).toBe(0);
    const digest = saved.json<{ savedPlan: { digest: string } }>().savedPlan.digest;
    expect(JSON.parse(readFileSync(join(state, 'docs', 'plans', 'web.json'), 'utf8'))).toMatchObject({
      digest,
    });

    const text = await runCli([
      'run',
      ...emulatorFlags(emulator, state),
      '--quiet',
      ...dryRunFlags,
      '--dry-run',
      '--save-plan',
      'store:plans/text',
    ]);
    expect(text.stdout).toContain(
      `after review: ecs-role-attach run --plan store:plans/text --state ${state} --endpoint ${emulator.endpoint}\n`,
    );

    const missing = await cli(state, '--plan', 'store:plans/other');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      '--plan names store document docs/plans/other.json, which does not exist',
    );
    const result = await cli(state, '--plan', 'store:plans/web');
    expect(result.code).toBe(0);
    expect(result.json<ExecutionReport>()).toMatchObject({ fromPlan: digest, counts: { attached: 2 } });
  });

  it('keeps the blast-radius belt: a plan over maxTargets fails before its first write', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(12) });
    const state = tempState();
    const { file } = await savePlan(state, '--max-targets', '2');
    emulator.resetStats();
    const result = await cli(state, '--plan', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('maxTargets 2 (maxTargets) allows at most 2 instance writes, but 4');
    expect(writes()).toBe(0);
  });

  it('role rules: each planned instance is attached its rule role, as the plan names it', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(6) });
    const state = tempState();
    const rules = join(state, 'rules.yaml');
    writeFileSync(
      rules,
      'rules:\n  - name: prod\n    match: { tags: { env: prod } }\n    role: EcsAppRole\n  - name: rest\n    match: {}\n    role: OtherEcsRole\n',
    );
    const file = join(state, 'plan.json');
    const saved = await cli(
      state,
      '--region',
      'cn-hangzhou',
      '--rules',
      rules,
      '--targets',
      '{"Type":"All"}',
      '--dry-run',
      '--save-plan',
      file,
    );
    expect(saved.code).toBe(0);
    const plan = JSON.parse(readFileSync(file, 'utf8')) as PlanFile;
    expect(plan.instances.map((line) => line.rule)).toEqual(['prod', 'rest', 'rest', 'prod', 'rest', 'rest']);
    // Rule "prod" matches by tag: an instance re-tagged since would now get another rule.
    emulator.state.setTags(fleetId(3), { env: 'dev' });

    const result = await cli(state, '--plan', file);
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.instances[3]).toMatchObject({
      outcome: 'Skipped',
      reason: 'ChangedSincePlan',
      rule: 'prod',
    });
    expect([0, 1, 2, 3, 4, 5].map((i) => roleOf(fleetId(i)))).toEqual([
      'EcsAppRole',
      'OtherEcsRole',
      'OtherEcsRole',
      '',
      'OtherEcsRole',
      'OtherEcsRole',
    ]);
  });
});
