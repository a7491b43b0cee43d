/**
 * The batch path with a reviewed plan: the CLI saves a dry run's plan into the state store
 * (`--save-plan store:<key>`), then workflows/bulk-attach.yaml, run by the FDL interpreter over the real
 * `workflow` handler with the flow input `{"plan":"store:<key>"}`, executes exactly that set against the
 * emulator (real SDKs). A tampered, missing or mixed-in plan is refused naming the field, with zero calls.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import type { ExecutionReport } from '../../../src/engine/execution/report';
import { openExecutionStore } from '../../../src/store';
import { cliFleet, fleetId, runCli } from '../../helpers/cli';
import { SteppingClock } from '../../helpers/clocks';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { FlowInterpreter } from '../../helpers/flowInterpreter';

const definition = readFileSync(path.join(__dirname, '../../../workflows/bulk-attach.yaml'), 'utf8');
const FUNCTION = 'ecs-role-attach-workflow';
/** cliFleet(12): env=prod on 0, 3, 6, 9. */
const PROD = '{"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}';

describe('bulk-attach flow with params.plan (a reviewed plan in the state store)', () => {
  let emulator: EmulatorHandle;
  let state: string;
  let restoreEnv: () => void;
  const handler = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
  const invoke = (body: unknown) => handler(asFcEvent(body), fcContext(emulator, { functionName: FUNCTION }));
  const roleOf = (index: number) => emulator.state.instancesById.get(fleetId(index))?.RamRoleName;

  async function savePlan(key: string): Promise<ExecutionReport & { savedPlan: { digest: string } }> {
    const saved = await runCli([
      'run',
      ...['--region', 'cn-hangzhou', '--role', DESIGNATED_ROLE, '--targets', PROD],
      ...['--endpoint', emulator.endpoint, '--state', state, '--output', 'json', '--quiet'],
      ...['--dry-run', '--save-plan', `store:${key}`],
    ]);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    return saved.json();
  }

  beforeEach(async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(12, { [fleetId(9)]: { Tags: { env: 'prod', frozen: 'yes' } } }),
    });
    state = await fs.mkdtemp(path.join(os.tmpdir(), 'era-flow-plan-'));
    // The deployment excludes `frozen`; the CLI that planned did not know it.
    restoreEnv = setFunctionEnv(emulator, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: state,
      EXCLUDE_TAG: 'frozen',
    });
  });
  afterEach(async () => {
    restoreEnv();
    await emulator.close();
    await fs.rm(state, { recursive: true, force: true });
  });

  it('executes exactly the stored plan: changed instances Skipped/ChangedSincePlan, EXCLUDE_TAG honoured', async () => {
    const planned = await savePlan('plans/rollout-42');
    expect(planned.instances.map((i) => [i.instanceId, i.outcome])).toEqual(
      [0, 3, 6, 9].map((i) => [fleetId(i), 'Attached']),
    );
    expect(await fs.readdir(path.join(state, 'docs', 'plans'))).toEqual(['rollout-42.json']);
    emulator.setInstanceStatus([fleetId(3)], 'Stopped');
    emulator.addInstances([{ InstanceId: 'i-fnew01', RegionId: 'cn-hangzhou', Tags: { env: 'prod' } }]);
    emulator.resetStats();

    const interpreter = new FlowInterpreter(definition, {
      handlers: { [FUNCTION]: (event, context) => handler(event, context) },
      context: (name) => fcContext(emulator, { functionName: name, timeout: 600 }),
    });
    const run = await interpreter.start({ plan: 'store:plans/rollout-42' });
    if (run.status !== 'Succeeded') throw new Error(`flow ended ${run.status}`);
    const { executionId } = run.output as { executionId: string };
    const { record } = await openExecutionStore(state).load(executionId);
    expect(record).toMatchObject({
      status: 'Success',
      origin: 'workflow',
      fromPlan: planned.savedPlan.digest,
    });
    const report = (
      await runCli(['status', executionId, '--state', state, '--output', 'json'])
    ).json<ExecutionReport>();
    expect(report.instances.map((i) => [i.instanceId, i.outcome, i.reason])).toEqual([
      [fleetId(0), 'Attached', undefined],
      [fleetId(3), 'Skipped', 'ChangedSincePlan'],
      [fleetId(6), 'Attached', undefined],
      [fleetId(9), 'Skipped', 'Excluded'],
    ]);
    expect([0, 3, 6, 9].map(roleOf)).toEqual([DESIGNATED_ROLE, '', DESIGNATED_ROLE, '']);
    expect(emulator.state.instancesById.get('i-fnew01')?.RamRoleName).toBe('');
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBe(1);
  });

  it('refuses a tampered, missing or mixed-in plan naming the field, with zero cloud calls', async () => {
    await savePlan('plans/p');
    const file = path.join(state, 'docs', 'plans', 'p.json');
    const document = JSON.parse(await fs.readFile(file, 'utf8')) as { instances: { instanceId: string }[] };
    document.instances.push({ ...document.instances[0]!, instanceId: fleetId(1) });
    await fs.writeFile(file, JSON.stringify(document));
    emulator.resetStats();

    await expect(invoke({ action: 'plan', params: { plan: 'store:plans/p' } })).rejects.toMatchObject({
      field: 'params.plan digest',
    });
    await expect(invoke({ action: 'plan', params: { plan: 'store:plans/none' } })).rejects.toMatchObject({
      field: 'params.plan',
      message: expect.stringContaining('names store document docs/plans/none.json, which does not exist'),
    });
    await expect(
      invoke({ action: 'plan', params: { plan: 'store:plans/p', onConflict: 'replace' } }),
    ).rejects.toMatchObject({ field: 'params.onConflict' });
    await expect(invoke({ action: 'plan', params: { plan: 'plans/p.json' } })).rejects.toMatchObject({
      field: 'params.plan',
    });
    expect(emulator.stats().calls).toEqual({});
    expect([0, 1, 3, 6].map(roleOf)).toEqual(['', '', '', '']);
  });
});
