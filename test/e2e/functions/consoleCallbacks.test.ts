/**
 * The console on an execution a CloudFlow workflow waits on (OSS store, as deployed): a decision taken in
 * the console records it and resumes the workflow with ReportTaskSucceeded, as the CLI's does, instead of
 * driving the execution itself.
 */

import Credential, { Config as CredentialConfig } from '@alicloud/credentials';
import { createHandler } from '../../../functions/workflow/index';
import { startConsole } from '../../../src/cli/console/server';
import type { EmulatorHandle } from '../../../src/emulator';
import { openExecutionStore } from '../../../src/store';
import { SteppingClock } from '../../helpers/clocks';
import { admin, DESIGNATED_ROLE, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';

describe('console with the workflow', () => {
  let emulator: EmulatorHandle;
  let restoreEnv: () => void;
  const STATE = 'oss://era-state/console';

  beforeAll(async () => {
    emulator = await startTestEmulator();
    restoreEnv = setFunctionEnv(emulator, { RAM_ROLE_NAME: DESIGNATED_ROLE, STATE, LOG_LEVEL: 'silent' });
    await admin(emulator, '/_emulator/instances', {
      instances: ['i-con01', 'i-con02'].map((InstanceId) => ({ InstanceId, RegionId: 'cn-hangzhou' })),
    });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator.close();
  });

  it('retry on a workflow-owned execution reports ReportTaskSucceeded and leaves driving to the workflow', async () => {
    const workflow = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
    const invoke = (body: unknown) =>
      workflow(
        asFcEvent(body),
        fcContext(emulator, { functionName: 'ecs-role-attach-workflow' }),
      ) as Promise<{
        executionId: string;
        status: string;
      }>;
    emulator.setFaults({ instanceErrors: { 'i-con01': 'InvalidParameter.RamRole' } });
    const planned = await invoke({
      action: 'plan',
      params: {
        regionId: 'cn-hangzhou',
        RamRoleName: DESIGNATED_ROLE,
        targets: { Type: 'ResourceIds', ResourceIds: ['i-con01', 'i-con02'] },
        rateControl: { Mode: 'Batch', Batch: [1, 1], MaxErrors: 0 },
        mode: 'FailurePause',
      },
    });
    expect(await invoke({ action: 'step', executionId: planned.executionId })).toMatchObject({
      status: 'Waiting',
    });
    await invoke({ action: 'await', executionId: planned.executionId, taskToken: 'tok-console-1' });
    emulator.setFaults({ instanceErrors: { 'i-con01': null } });
    emulator.resetStats();

    const lines: string[] = [];
    const console = await startConsole({
      state: STATE,
      endpoint: emulator.endpoint,
      log: (l) => lines.push(l),
    });
    try {
      const headers = { authorization: `Bearer ${console.token}` };
      const page = await (
        await fetch(`${console.origin}/executions/${planned.executionId}`, { headers })
      ).text();
      expect(page).toContain('A CloudFlow workflow waits on this execution');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      const response = await fetch(`${console.origin}/executions/${planned.executionId}/decision`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ action: 'retry', csrf }).toString(),
        redirect: 'manual',
      });
      expect(response.status).toBe(303);
      const after = await (
        await fetch(`${console.origin}${response.headers.get('location')}`, { headers })
      ).text();
      expect(after).toMatch(
        /retry recorded for .*the waiting CloudFlow workflow was resumed \(ReportTaskSucceeded\)/,
      );
      await console.idle();
    } finally {
      await console.close();
    }
    const calls = (
      await admin<{ Calls: { action: string; taskToken?: string; output?: string }[] }>(
        emulator,
        '/_emulator/cloudflow',
      )
    ).body.Calls;
    expect(calls).toEqual([
      expect.objectContaining({ action: 'ReportTaskSucceeded', taskToken: 'tok-console-1' }),
    ]);
    expect(JSON.parse(calls[0]!.output!)).toEqual({ executionId: planned.executionId, status: 'Running' });
    // Not driven by the console: no write call, and the token is cleared so it is never reported twice.
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
    const store = openExecutionStore(STATE, {
      endpoint: emulator.endpoint,
      credential: new Credential(new CredentialConfig({ type: 'sts', ...TEST_CREDENTIALS.sts })),
    });
    const stored = await store.load(planned.executionId);
    expect(stored.record.taskToken).toBeUndefined();
    expect(stored.journal.filter((e) => e.type === 'decision')).toEqual([
      expect.objectContaining({ action: 'retry', failedBefore: 1 }),
    ]);
    expect(await invoke({ action: 'step', executionId: planned.executionId })).toMatchObject({
      status: 'Success',
    });
  });
});
