/**
 * The batch path with role rules: workflows/bulk-attach.yaml run by the FDL interpreter over the real
 * `workflow` handler with `params.rules` (the CloudFlow input) instead of `RamRoleName`, against the
 * emulator: a failure pauses the flow across rules, the operator continues, every instance ends with its
 * rule's role (and policy). Invalid rules are refused naming the field, with zero cloud calls.
 */

import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import { openExecutionStore } from '../../../src/store';
import { fleetId } from '../../helpers/cli';
import { SteppingClock } from '../../helpers/clocks';
import { admin, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { FlowInterpreter } from '../../helpers/flowInterpreter';
import { expectedRole, expectedRule, POLICY, RULES, teamsFleet } from '../../helpers/rulesFleet';

const definition = readFileSync(path.join(__dirname, '../../../workflows/bulk-attach.yaml'), 'utf8');
const FUNCTION = 'ecs-role-attach-workflow';

describe('bulk-attach flow with params.rules', () => {
  let emulator: EmulatorHandle;
  let state: string;
  let restoreEnv: () => void;
  const handler = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
  const invoke = (body: unknown) => handler(asFcEvent(body), fcContext(emulator, { functionName: FUNCTION }));
  const truth = (index: number) => emulator.instances().find((i) => i.InstanceId === fleetId(index))!;
  // payments 0-2, default 10, web 12-14 (13 replaced), batch 30-31, accepted 41, no rule 57.
  const IDS = [0, 1, 2, 10, 12, 13, 14, 30, 31, 41, 57];
  const params = (rules: unknown) => ({
    regionId: 'cn-hangzhou',
    rules,
    targets: { Type: 'ResourceIds', ResourceIds: IDS.map(fleetId) },
    rateControl: { Mode: 'Batch', Batch: [2, '100%'], MaxErrors: 0 },
    mode: 'FailurePause',
  });

  beforeAll(async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    state = await fs.mkdtemp(path.join(os.tmpdir(), 'era-flow-rules-'));
    // The function's own RAM_ROLE_NAME is not what the flow attaches: the rules in its input are.
    restoreEnv = setFunctionEnv(emulator, { RAM_ROLE_NAME: 'EcsAppRole', STATE: state });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator.close();
    await fs.rm(state, { recursive: true, force: true });
  });

  it('pauses on a failure across rules, continues on the operator decision, each instance gets its rule role', async () => {
    emulator.setFaults({ instanceErrors: { [fleetId(31)]: 'InvalidParameter.RamRole' } });
    const interpreter = new FlowInterpreter(definition, {
      handlers: { [FUNCTION]: (event, context) => handler(event, context) },
      context: (name) => fcContext(emulator, { functionName: name, timeout: 600 }),
    });
    const run = interpreter.start(params(RULES));
    const pending = await interpreter.nextCallback();
    const executionId = (pending.body as { executionId: string }).executionId;
    const store = openExecutionStore(state);
    expect((await store.load(executionId)).record).toMatchObject({ status: 'Waiting' });
    expect(truth(31).RamRoleName).toBe('');

    emulator.setFaults({ instanceErrors: { [fleetId(31)]: null } });
    await invoke({ executionId, action: 'continue' });
    const { Calls } = (
      await admin<{ Calls: { taskToken?: string; output?: string }[] }>(emulator, '/_emulator/cloudflow')
    ).body;
    const call = Calls.filter((c) => c.taskToken === pending.taskToken).at(-1)!;
    interpreter.reportTaskSucceeded(call.taskToken!, call.output!);
    expect((await run).status).toBe('Succeeded');

    const { record } = await store.load(executionId);
    expect(record).toMatchObject({ status: 'Success', origin: 'workflow' });
    expect(record.parameters.ramRoleName).toBe('@rules');
    expect(record.parameters.rules?.rules.map((r) => r.name)).toEqual([
      'payments',
      'web',
      'batch',
      'default',
    ]);
    // 31 failed and was kept failed (continue); every other instance bears its first matching rule's role.
    for (const index of IDS.filter((i) => i !== 31)) {
      expect([fleetId(index), truth(index).RamRoleName]).toEqual([fleetId(index), expectedRole(index)]);
      expect(truth(index).RamRolePolicy ?? '').toBe(expectedRule(index) === 'payments' ? POLICY : '');
    }
    expect(record.counts).toMatchObject({ attached: 7, replaced: 1, failed: 1, skipped: 2, pending: 0 });
    expect(truth(41).AttachCount).toBe(0);
  });

  it('refuses invalid params.rules naming the rule and field, with zero cloud calls', async () => {
    emulator.resetStats();
    await expect(
      invoke({ action: 'plan', params: params(RULES.replace('role: BatchAppRole', "role: ''")) }),
    ).rejects.toMatchObject({ field: 'params.rules.rules[2].role' });
    await expect(
      invoke({ action: 'plan', params: { ...params(RULES), RamRoleName: 'EcsAppRole' } }),
    ).rejects.toMatchObject({ field: 'params.rules' });
    expect(emulator.stats().calls).toEqual({});
  });
});
