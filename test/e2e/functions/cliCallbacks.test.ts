/**
 * The CLI's side of the FC paths: `resume|retry|cancel` on an execution a CloudFlow workflow waits on
 * (OSS store) records the decision and resumes the workflow instead of driving it; `resume-events` runs
 * the event path's backlog and closes its breaker.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Credential, { Config as CredentialConfig } from '@alicloud/credentials';
import { createHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import { openExecutionStore } from '../../../src/store';
import { runCli } from '../../helpers/cli';
import { SteppingClock } from '../../helpers/clocks';
import { admin, DESIGNATED_ROLE, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';

describe('CLI with the FC paths', () => {
  let emulator: EmulatorHandle;
  let stateDir: string;
  let restoreEnv: () => void;
  const STATE = 'oss://era-state/cli';
  const roleOf = (id: string) => emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-cli-'));
    restoreEnv = setFunctionEnv(emulator, { RAM_ROLE_NAME: DESIGNATED_ROLE, STATE, LOG_LEVEL: 'silent' });
    await admin(emulator, '/_emulator/instances', {
      instances: ['i-cli01', 'i-cli02', 'i-bl01', 'i-bl02'].map((InstanceId) => ({
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

  it('resume on a workflow-owned execution reports ReportTaskSucceeded and leaves driving to the workflow', async () => {
    const workflow = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
    const invoke = (body: unknown) =>
      workflow(
        asFcEvent(body),
        fcContext(emulator, { functionName: 'ecs-role-attach-workflow' }),
      ) as Promise<{
        executionId: string;
        status: string;
      }>;
    emulator.setFaults({ instanceErrors: { 'i-cli01': 'InvalidParameter.RamRole' } });
    const planned = await invoke({
      action: 'plan',
      params: {
        regionId: 'cn-hangzhou',
        RamRoleName: DESIGNATED_ROLE,
        targets: { Type: 'ResourceIds', ResourceIds: ['i-cli01', 'i-cli02'] },
        rateControl: { Mode: 'Batch', Batch: [1, 1], MaxErrors: 0 },
        mode: 'FailurePause',
      },
    });
    expect(await invoke({ action: 'step', executionId: planned.executionId })).toMatchObject({
      status: 'Waiting',
    });
    await invoke({ action: 'await', executionId: planned.executionId, taskToken: 'tok-cli-1' });
    emulator.setFaults({ instanceErrors: { 'i-cli01': null } });
    emulator.resetStats();

    const result = await runCli([
      'retry',
      planned.executionId,
      '--state',
      STATE,
      '--endpoint',
      emulator.endpoint,
      '--output',
      'json',
    ]);
    expect(result.stderr).toMatch(/retry recorded .* the waiting CloudFlow workflow was resumed/);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ executionId: planned.executionId, status: 'Running' });
    const calls = (
      await admin<{ Calls: { action: string; taskToken?: string; output?: string }[] }>(
        emulator,
        '/_emulator/cloudflow',
      )
    ).body.Calls;
    expect(calls).toEqual([
      expect.objectContaining({ action: 'ReportTaskSucceeded', taskToken: 'tok-cli-1' }),
    ]);
    expect(JSON.parse(calls[0]!.output!)).toEqual({ executionId: planned.executionId, status: 'Running' });
    // Not driven by the CLI: no write call, and the token is cleared so it is never reported twice.
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
    const store = openExecutionStore(STATE, {
      endpoint: emulator.endpoint,
      credential: new Credential(new CredentialConfig({ type: 'sts', ...TEST_CREDENTIALS.sts })),
    });
    expect((await store.load(planned.executionId)).record.taskToken).toBeUndefined();
    // The workflow's next Step drives it to the end.
    expect(await invoke({ action: 'step', executionId: planned.executionId })).toMatchObject({
      status: 'Success',
    });
    expect(roleOf('i-cli01')).toBe(DESIGNATED_ROLE);
    expect(roleOf('i-cli02')).toBe(DESIGNATED_ROLE);
  });

  it('resume-events runs the backlog as a batch execution and closes the breaker', async () => {
    const store = openExecutionStore(stateDir);
    await store.putDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}`, {
      state: 'open',
      consecutiveFailures: 5,
      updatedAt: '2026-01-05T02:00:00.000Z',
    });
    await store.putDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}/backlog`, {
      instanceIds: ['i-bl01', 'i-bl02', 'i-hz02'],
      updatedAt: '2026-01-05T02:00:00.000Z',
    });
    const result = await runCli([
      'resume-events',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      stateDir,
      '--endpoint',
      emulator.endpoint,
      '--output',
      'json',
    ]);
    expect(result.stderr).toMatch(/was paused and is running again; 3 queued instances/);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ status: 'Success', counts: { attached: 2, alreadyAttached: 1 } });
    expect(roleOf('i-bl01')).toBe(DESIGNATED_ROLE);
    expect(await store.getDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}`)).toMatchObject({
      state: 'closed',
    });
    expect(await store.getDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}/backlog`)).toMatchObject({
      instanceIds: [],
    });

    const again = await runCli([
      'resume-events',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      stateDir,
      '--endpoint',
      emulator.endpoint,
    ]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/ is running again; 0 queued instances/);
    const bad = await runCli([
      'resume-events',
      '--region',
      'Hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--state',
      stateDir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--region must be a region id/);
  });
});
