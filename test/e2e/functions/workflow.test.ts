/**
 * workflows/bulk-attach.yaml executed end-to-end by the FDL interpreter against the real `workflow`
 * handler, the emulator's ECS/RAM, its CloudFlow callback recorder, and the store (FS, and OSS in the
 * emulator): run -> pause on failure -> operator continue -> success; and cancel. Plus the handler's
 * own edges: invalid plan input, an operator who decides before the token is stored, unknown actions.
 */

import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Credential, { Config as CredentialConfig } from '@alicloud/credentials';
import { createHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import type { ReportDocument } from '../../../src/report/index';
import { openExecutionStore } from '../../../src/store';
import { SteppingClock } from '../../helpers/clocks';
import { csvObjects } from '../../helpers/csv';
import { admin, DESIGNATED_ROLE, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { FlowInterpreter, type FlowOutcome } from '../../helpers/flowInterpreter';

const definition = readFileSync(path.join(__dirname, '../../../workflows/bulk-attach.yaml'), 'utf8');
const FUNCTION = 'ecs-role-attach-workflow';

interface CloudFlowCalls {
  Calls: { action: string; taskToken?: string; output?: string }[];
}

describe.each([{ store: 'fs' as const }, { store: 'oss' as const }])(
  'bulk-attach flow over the workflow handler ($store store)',
  ({ store: kind }) => {
    let emulator: EmulatorHandle;
    let stateDir: string;
    let state: string;
    let restoreEnv: () => void;
    const logger = new CapturingLogger();
    const clock = new SteppingClock();
    const handler = createHandler({ clock, logger });

    const openStore = () =>
      openExecutionStore(state, {
        endpoint: emulator.endpoint,
        credential: new Credential(new CredentialConfig({ type: 'sts', ...TEST_CREDENTIALS.sts })),
      });
    const roleOf = (id: string) => emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName;
    const invoke = (body: unknown) =>
      handler(asFcEvent(body), fcContext(emulator, { functionName: FUNCTION }));
    const flow = () =>
      new FlowInterpreter(definition, {
        handlers: { [FUNCTION]: (event, context) => handler(event, context) },
        context: (name) => fcContext(emulator, { functionName: name, timeout: 600 }),
      });
    /** What an operator does from the FC console, then what CloudFlow does with the callback. */
    const operatorDecides = async (interpreter: FlowInterpreter, executionId: string, action: string) => {
      const pending = await interpreter.nextCallback();
      expect((await openStore().load(executionId)).record.taskToken).toBe(pending.taskToken);
      const result = await invoke({ executionId, action });
      expect(result).toMatchObject({
        executionId,
        status: action === 'cancel' ? 'Cancelled' : 'Running',
        callbackReported: true,
      });
      const calls = (await admin<CloudFlowCalls>(emulator, '/_emulator/cloudflow')).body.Calls;
      // Each interpreter numbers its tokens from 1: the newest call with this token is ours.
      const call = calls.filter((c) => c.taskToken === pending.taskToken).at(-1);
      expect(call).toMatchObject({ action: 'ReportTaskSucceeded' });
      expect(JSON.parse(call!.output!)).toEqual({
        executionId,
        status: action === 'cancel' ? 'Cancelled' : 'Running',
      });
      expect((await openStore().load(executionId)).record.taskToken).toBeUndefined();
      interpreter.reportTaskSucceeded(call!.taskToken!, call!.output!);
    };
    const params = (ids: string[]) => ({
      regionId: 'cn-hangzhou',
      RamRoleName: DESIGNATED_ROLE,
      targets: { Type: 'ResourceIds', ResourceIds: ids },
      rateControl: { Mode: 'Batch', Batch: [1, '50%'], MaxErrors: 0 },
      mode: 'FailurePause',
    });

    beforeAll(async () => {
      emulator = await startTestEmulator();
      stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-flow-'));
      state = kind === 'fs' ? stateDir : 'oss://era-state/workflow';
      restoreEnv = setFunctionEnv(emulator, { RAM_ROLE_NAME: DESIGNATED_ROLE, STATE: state });
      await admin(emulator, '/_emulator/instances', {
        instances: ['i-wf01', 'i-wf02', 'i-wf03', 'i-wf04', 'i-wf05', 'i-wf06'].map((InstanceId) => ({
          InstanceId,
          RegionId: 'cn-hangzhou',
        })),
      });
    });
    afterAll(async () => {
      restoreEnv();
      await emulator.close();
      await fs.rm(stateDir, { recursive: true, force: true });
    });

    it('runs, pauses on a failure, continues on the operator decision and succeeds', async () => {
      emulator.setFaults({ instanceErrors: { 'i-wf02': 'InvalidParameter.RamRole' } });
      const interpreter = flow();
      const run: Promise<FlowOutcome> = interpreter.start(params(['i-wf01', 'i-wf02', 'i-wf03']));
      const pending = await interpreter.nextCallback();
      const executionId = (pending.body as { executionId: string }).executionId;
      expect(pending.body).toEqual({ action: 'await', executionId, taskToken: pending.taskToken });
      expect((await openStore().load(executionId)).record.status).toBe('Waiting');
      expect(roleOf('i-wf02')).toBe('');
      // The paused execution's report is in the state store for the operator to decide on.
      const outcomes = async () =>
        csvObjects((await openStore().getReport(`${executionId}.csv`))!).map((r) => [
          r.instance,
          r.batch,
          r.outcome,
          r.reason,
        ]);
      expect(await outcomes()).toEqual([
        ['i-wf01', '1', 'Attached', ''],
        ['i-wf02', '2', 'Failed', 'InvalidParameter.RamRole'],
        ['i-wf03', '2', expect.stringMatching(/^(Attached|Pending)$/), ''],
      ]);

      emulator.setFaults({ instanceErrors: { 'i-wf02': null } });
      await operatorDecides(interpreter, executionId, 'continue');
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
      const { record } = await openStore().load(executionId);
      expect(record).toMatchObject({ status: 'Success', origin: 'workflow' });
      expect(record.counts).toMatchObject({ attached: 2, failed: 1, pending: 0 });
      expect(roleOf('i-wf01')).toBe(DESIGNATED_ROLE);
      expect(roleOf('i-wf03')).toBe(DESIGNATED_ROLE);
      // The final step replaced it with the finished execution's report.
      expect(await outcomes()).toEqual([
        ['i-wf01', '1', 'Attached', ''],
        ['i-wf02', '2', 'Failed', 'InvalidParameter.RamRole'],
        ['i-wf03', '2', 'Attached', ''],
      ]);
      const json = JSON.parse((await openStore().getReport(`${executionId}.json`))!) as ReportDocument;
      expect(json).toMatchObject({ kind: 'execution', id: executionId, status: 'Success' });
      expect(await openStore().getReport(`${executionId}.html`)).toContain('<h2 id="failures">');
    });

    it('ends as ExecutionCancelled when the operator cancels', async () => {
      emulator.setFaults({ instanceErrors: { 'i-wf04': 'InvalidParameter.RamRole' } });
      const interpreter = flow();
      const run = interpreter.start(params(['i-wf04', 'i-wf05']));
      const pending = await interpreter.nextCallback();
      const executionId = (pending.body as { executionId: string }).executionId;
      await operatorDecides(interpreter, executionId, 'cancel');
      const outcome = await run;
      expect(outcome).toMatchObject({ status: 'Failed', error: 'ExecutionCancelled' });
      const { record } = await openStore().load(executionId);
      expect(record.status).toBe('Cancelled');
      expect(record.counts).toMatchObject({ failed: 1, cancelled: 1 });
      expect(roleOf('i-wf05')).toBe('');
      emulator.setFaults({ instanceErrors: { 'i-wf04': null } });
    });

    it('reports the callback from await itself when the operator decided before the token was stored', async () => {
      emulator.setFaults({ instanceErrors: { 'i-wf06': 'InvalidParameter.RamRole' } });
      const planned = (await invoke({ action: 'plan', params: params(['i-wf06']) })) as {
        executionId: string;
      };
      const stepped = await invoke({ action: 'step', executionId: planned.executionId });
      expect(stepped).toMatchObject({ status: 'Waiting', counts: { failed: 1 } });
      const decided = await invoke({ executionId: planned.executionId, action: 'retry' });
      expect(decided).toMatchObject({ status: 'Running', callbackReported: false });
      const before = (await admin<CloudFlowCalls>(emulator, '/_emulator/cloudflow')).body.Calls.length;
      await invoke({ action: 'await', executionId: planned.executionId, taskToken: 'tok-late' });
      const calls = (await admin<CloudFlowCalls>(emulator, '/_emulator/cloudflow')).body.Calls;
      expect(calls).toHaveLength(before + 1);
      expect(calls.at(-1)).toMatchObject({ action: 'ReportTaskSucceeded', taskToken: 'tok-late' });
      expect((await openStore().load(planned.executionId)).record.taskToken).toBeUndefined();
      emulator.setFaults({ instanceErrors: { 'i-wf06': null } });
      const retried = await invoke({ action: 'step', executionId: planned.executionId });
      expect(retried).toMatchObject({ status: 'Success', counts: { attached: 1, failed: 0 } });
    });

    it('stops a step at its time budget, still Running; the next step goes on', async () => {
      // A clock that moves 1 s every time it is read: a 1 ms budget is over before the first chunk starts.
      let time = Date.parse('2026-01-05T02:00:00Z');
      const ticking = {
        now: () => {
          time += 1000;
          return time;
        },
        sleep: async (ms: number) => {
          time += ms;
        },
      };
      const timed = createHandler({ clock: ticking, logger: new CapturingLogger() });
      const call = (body: unknown) =>
        timed(asFcEvent(body), fcContext(emulator, { functionName: FUNCTION })) as Promise<{
          executionId: string;
          status: string;
          counts: { attached: number; pending: number };
        }>;
      await admin(emulator, '/_emulator/instances', {
        instances: [{ InstanceId: `i-bud${kind}`, RegionId: 'cn-hangzhou' }],
      });
      const planned = await call({ action: 'plan', params: params([`i-bud${kind}`]) });
      const cut = await call({ action: 'step', executionId: planned.executionId, budgetMs: 1 });
      expect(cut).toMatchObject({ status: 'Running', counts: { attached: 0, pending: 1 } });
      expect(roleOf(`i-bud${kind}`)).toBe('');
      const done = await call({ action: 'step', executionId: planned.executionId });
      expect(done).toMatchObject({ status: 'Success', counts: { attached: 1, pending: 0 } });
    });

    it('rejects invalid input naming the field, with zero cloud calls', async () => {
      emulator.resetStats();
      await expect(
        invoke({
          action: 'plan',
          params: { ...params(['i-wf01']), rateControl: { Mode: 'Batch', Batch: [1, 'abc'] } },
        }),
      ).rejects.toMatchObject({ field: 'params.rateControl.Batch[1]' });
      await expect(
        invoke({ action: 'plan', params: { ...params(['i-wf01']), colour: 'blue' } }),
      ).rejects.toMatchObject({
        field: 'params.colour',
      });
      await expect(invoke({ executionId: 'exec-1', action: 'approve' })).rejects.toMatchObject({
        field: 'event.action',
      });
      await expect(invoke({ action: 'step' })).rejects.toMatchObject({ field: 'event.executionId' });
      expect(emulator.stats().calls).toEqual({});
    });
  },
);
