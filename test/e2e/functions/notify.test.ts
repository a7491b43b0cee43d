/**
 * `NOTIFY` in the functions, invoked as FC would against the emulator, with a local HTTP receiver as
 * the webhook: the event path's breaker opening (and closing on `resume-events`), a sweep's summary,
 * counts in the result; a bad NOTIFY fails the invocation before any call, naming the variable.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler } from '../../../functions/on-instance-created/index';
import { createHandler as createSweepHandler } from '../../../functions/sweep/index';
import { createHandler as createWorkflowHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import type { SweepReport } from '../../../src/engine';
import { SteppingClock } from '../../helpers/clocks';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { apiCallEvent, asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { type Receiver, startReceiver } from '../../helpers/receiver';

describe('NOTIFY in the functions', () => {
  let emulator: EmulatorHandle;
  let receiver: Receiver;
  let stateDir: string;
  let restoreEnv: () => void;
  const clock = new SteppingClock();
  const logger = new CapturingLogger();

  beforeAll(async () => {
    emulator = await startTestEmulator();
    receiver = await startReceiver();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-fn-notify-'));
    restoreEnv = setFunctionEnv(emulator, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: stateDir,
      BREAKER_THRESHOLD: '2',
      NOTIFY: `webhook:${receiver.url}/hook, webhook:${receiver.url}/down`,
      FC_ACCOUNT_ID: undefined,
      FC_REGION: undefined,
    });
    receiver.answers.set('/down', { status: 500, body: '' });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator.close();
    await receiver.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('tells the breaker opening and closing; a failing sink is counted, the result unchanged', async () => {
    const ids = ['i-ntf01', 'i-ntf02', 'i-ntf03'];
    await admin(emulator, '/_emulator/instances', {
      instances: ids.map((InstanceId) => ({ InstanceId, RegionId: 'cn-hangzhou' })),
    });
    const failing = { Code: 'InvalidRamRole.NotEcsRole', Message: 'The RAM role cannot be assumed by ECS.' };
    emulator.setFaults({ instanceErrors: { 'i-ntf01': failing, 'i-ntf02': failing } });
    const invoke = createHandler({ clock, logger });
    const result = await invoke(asFcEvent(apiCallEvent({ instanceIds: ids })), fcContext(emulator));
    expect(result.failed.map((f) => f.instanceId)).toEqual(['i-ntf01', 'i-ntf02']);
    expect(result.attached).toEqual(['i-ntf03']);
    expect(result.notifications).toEqual({ delivered: 1, failed: 1 });
    expect(receiver.to('/hook').map((r) => r.body)).toEqual([
      {
        type: 'eventpath.breaker-opened',
        at: expect.stringMatching(/^2026-01-05T02:00:/),
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        consecutiveFailures: 2,
        threshold: 2,
        lastFailure: {
          instanceId: 'i-ntf02',
          code: 'InvalidRamRole.NotEcsRole',
          message: expect.any(String),
        },
        command: `ecs-role-attach resume-events --region cn-hangzhou --role ${DESIGNATED_ROLE} --state ${stateDir}`,
      },
    ]);
    // The failing sink was tried 4 times with backoff on the injected clock.
    expect(receiver.to('/down')).toHaveLength(4);
    expect(clock.sleeps.slice(-3)).toEqual([500, 1000, 2000]);

    emulator.setFaults({ instanceErrors: { 'i-ntf01': null, 'i-ntf02': null } });
    const workflow = createWorkflowHandler({ clock, logger });
    const resumed = (await workflow(
      asFcEvent({ action: 'resume-events' }),
      fcContext(emulator, { functionName: 'ecs-role-attach-workflow' }),
    )) as { wasOpen: boolean; execution: { executionId: string; status: string } };
    expect(resumed).toMatchObject({ wasOpen: true, execution: { status: 'Success' } });
    expect(receiver.to('/hook').map((r) => [r.body['type'], r.body['status'] ?? r.body['backlog']])).toEqual([
      ['eventpath.breaker-opened', undefined],
      ['eventpath.breaker-closed', 2],
      ['execution.finished', 'Success'],
    ]);
    expect(receiver.to('/hook')[1]?.body['executionId']).toBe(resumed.execution.executionId);
  });

  it('a sweep tells its summary once', async () => {
    const sweep = createSweepHandler({ clock, logger });
    const before = receiver.to('/hook').length;
    const payload = JSON.stringify({ regions: ['cn-shanghai'], role: DESIGNATED_ROLE });
    const report = (await sweep(
      asFcEvent({ triggerTime: '2026-01-05T02:00:00Z', triggerName: 'daily', payload }),
      fcContext(emulator, { functionName: 'ecs-role-attach-sweep' }),
    )) as SweepReport & { notifications?: unknown };
    const told = receiver.to('/hook').slice(before);
    expect(told.map((r) => r.body['type'])).toEqual(['sweep.finished']);
    expect(told[0]?.body).toMatchObject({
      role: DESIGNATED_ROLE,
      totals: { evaluated: report.totals.evaluated, compliantAfter: report.totals.compliantAfter },
      regions: [{ regionId: 'cn-shanghai', state: 'swept', status: 'Success' }],
    });
    expect(report.notifications).toEqual({ delivered: 1, failed: 1 });
  });

  it('refuses a NOTIFY that is not https before any call', async () => {
    const restore = setFunctionEnv(emulator, { NOTIFY: 'webhook:http://hooks.example.com/secret-path' });
    try {
      emulator.resetStats();
      await expect(
        createHandler({ clock, logger })(
          asFcEvent(apiCallEvent({ instanceIds: ['i-ntf03'] })),
          fcContext(emulator),
        ),
      ).rejects.toThrow(
        'NOTIFY must use https (http only for 127.0.0.1/localhost), got "webhook:hooks.example.com"; nothing was changed.',
      );
      expect(emulator.stats().calls).toEqual({});
    } finally {
      restore();
    }
  });
});
