/**
 * workflows/bulk-attach.yaml at organization scope, executed by the FDL interpreter against the real
 * `workflow` handler and an emulator holding a management account and three members (real STS, Resource
 * Directory, ECS, RAM SDKs; CloudFlow's callback recorder). The flow input names `accounts`: Plan stores
 * one parent execution, Step drives its children (one per member account and region) through AssumeRole,
 * a paused child pauses the flow in Await, the operator's control on the parent resumes it.
 */

import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import type { OrganizationRecord } from '../../../src/engine/index';
import { openExecutionStore } from '../../../src/store';
import { SteppingClock } from '../../helpers/clocks';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { FlowInterpreter } from '../../helpers/flowInterpreter';
import { MEMBER_IDS, organizationFleet } from '../../helpers/organization';

const definition = readFileSync(path.join(__dirname, '../../../workflows/bulk-attach.yaml'), 'utf8');
const FUNCTION = 'ecs-role-attach-workflow';

let emulator: EmulatorHandle;
let stateDir: string;
let restoreEnv: () => void;
const handler = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
const invoke = (body: unknown) => handler(asFcEvent(body), fcContext(emulator, { functionName: FUNCTION }));
const flow = () =>
  new FlowInterpreter(definition, {
    handlers: { [FUNCTION]: (event, context) => handler(event, context) },
    context: (name) => fcContext(emulator, { functionName: name, timeout: 600 }),
  });
const parent = async (id: string) =>
  (await openExecutionStore(stateDir).getDocument<OrganizationRecord>(`organizations/${id}`))!;
const lacking = (accountId: string, regionId: string) =>
  emulator
    .instances(undefined, accountId)
    .filter((i) => i.RegionId === regionId && i.RamRoleName !== DESIGNATED_ROLE);

beforeEach(async () => {
  emulator = await startTestEmulator({ fleet: organizationFleet() });
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-orgflow-'));
  restoreEnv = setFunctionEnv(emulator, { RAM_ROLE_NAME: DESIGNATED_ROLE, STATE: stateDir });
});
afterEach(async () => {
  restoreEnv();
  await emulator.close();
  await fs.rm(stateDir, { recursive: true, force: true });
});

const input = {
  regionId: 'cn-hangzhou',
  regions: ['cn-hangzhou', 'cn-shanghai'],
  accounts: 'all',
  excludeAccounts: [MEMBER_IDS[2]],
  RamRoleName: DESIGNATED_ROLE,
  targets: { Type: 'All' },
  rateControl: { Mode: 'Concurrency', Concurrency: 1, MaxErrors: 0 },
  mode: 'FailurePause',
};

describe('bulk-attach flow with accounts (organization scope)', () => {
  it('plans one parent, steps through its children, pauses in Await, resumes on the parent control', async () => {
    emulator.setFaults({ instanceErrors: { 'i-m2sh1': 'IncorrectInstanceStatus' } });
    const interpreter = flow();
    const run = interpreter.start(input);
    const pending = await interpreter.nextCallback();
    const organizationId = (pending.body as { executionId: string }).executionId;
    expect(organizationId).toMatch(/^org-flow-/);
    const waiting = await parent(organizationId);
    expect(waiting.status).toBe('Waiting');
    expect(waiting.taskToken).toBe(pending.taskToken);
    expect(waiting.children.map((c) => `${c.accountId} ${c.regionId} ${c.status}`)).toEqual([
      `${MEMBER_IDS[0]} cn-hangzhou Success`,
      `${MEMBER_IDS[0]} cn-shanghai Success`,
      `${MEMBER_IDS[1]} cn-hangzhou Success`,
      `${MEMBER_IDS[1]} cn-shanghai Waiting`,
    ]);

    emulator.setFaults({ instanceErrors: { 'i-m2sh1': null } });
    const control = await invoke({ executionId: organizationId, action: 'retry' });
    expect(control).toMatchObject({ executionId: organizationId, action: 'retry', callbackReported: true });
    const calls = (
      await admin<{ Calls: { action: string; taskToken?: string; output?: string }[] }>(
        emulator,
        '/_emulator/cloudflow',
      )
    ).body.Calls;
    const call = calls.filter((c) => c.taskToken === pending.taskToken).at(-1)!;
    expect(call.action).toBe('ReportTaskSucceeded');
    interpreter.reportTaskSucceeded(call.taskToken!, call.output!);

    const outcome = await run;
    expect(outcome.status).toBe('Succeeded');
    expect(outcome.history.map((h) => h.state)).toEqual([
      'Plan',
      'Step',
      'Route',
      'Await',
      'Step',
      'Route',
      'Done',
    ]);
    const done = await parent(organizationId);
    expect(done.status).toBe('Success');
    expect(done.taskToken).toBeUndefined();
    expect(done.decision).toBeUndefined();
    for (const accountId of MEMBER_IDS.slice(0, 2))
      for (const regionId of input.regions) expect(lacking(accountId, regionId)).toEqual([]);
    // The excluded member and regions outside the input are untouched; no credential crossed accounts.
    expect(emulator.instances(undefined, MEMBER_IDS[2]).every((i) => i.AttachCount === 0)).toBe(true);
    expect(lacking(MEMBER_IDS[0], 'cn-beijing')).toHaveLength(2);
    expect(emulator.crossAccountAttempts()).toEqual([]);
    // The flow state stayed small: the parent's id, status and summed counts.
    const last = outcome.history.at(-2)!.output as Record<string, unknown>;
    expect(Object.keys(last).sort()).toEqual(['counts', 'executionId', 'status']);
  });

  it('a retried Plan finds its parent; organization keys are validated before any call', async () => {
    const plan = (params: unknown) => invoke({ action: 'plan', params, executionName: 'run-1' });
    const first = (await plan(input)) as { executionId: string; status: string };
    expect(first).toMatchObject({ executionId: 'org-flow-run-1', status: 'Running' });
    expect(await plan(input)).toEqual(first);
    await expect(plan({ ...input, mode: 'Automatic' })).rejects.toThrow(/executionName was already used/);
    emulator.resetStats();
    await expect(invoke({ action: 'plan', params: { ...input, accounts: 'folder:x' } })).rejects.toThrow(
      /params\.accounts must name a folder like "folder:fd-a1b2c3"/,
    );
    const { accounts: _none, excludeAccounts: _also, ...single } = input;
    await expect(invoke({ action: 'plan', params: single })).rejects.toThrow(
      /params\.regions needs params\.accounts/,
    );
    expect(emulator.stats().calls).toEqual({});
  });
});
