/**
 * `--notify` end to end: the real CLI, SDKs and emulator, and a local HTTP receiver standing in for a
 * webhook and a DingTalk robot. A run pauses (execution.waiting with the failures and the exact next
 * commands), is resumed (execution.continued, then execution.finished); the DingTalk copy is signed.
 */
import { createHmac } from 'node:crypto';
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
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { type Receiver, startReceiver } from '../../helpers/receiver';

const TOKEN = 'tok-9f8e7d6c5b4a';
const SECRET = 'SEC0f1e2d3c4b5a69788796a5b4c3d2e1f0';

let emulator: EmulatorHandle;
let receiver: Receiver;
beforeAll(() => useEmulatorCredentials());
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await emulator?.close();
  await receiver.close();
});

describe('ecs-role-attach --notify', () => {
  it('tells a webhook and a signed DingTalk robot that a run paused, was continued and finished', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(30),
      faults: { instanceErrors: { [fleetId(12)]: 'InternalError.Forced' } },
    });
    const state = tempState();
    const notify = [
      '--notify',
      `webhook:${receiver.url}/hook`,
      '--notify',
      `dingtalk:${receiver.url}/robot/send?access_token=${TOKEN}&secret=${SECRET}`,
    ];
    const paused = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--mode',
      'FailurePause',
      '--rate-control',
      '{"Mode":"Batch","Batch":[10],"MaxErrors":0}',
      ...emulatorFlags(emulator, state),
      ...notify,
      '--output',
      'json',
      '--quiet',
    ]);
    expect(paused.code).toBe(3);
    const report = paused.json<ExecutionReport>();
    expect(report.status).toBe('Waiting');
    expect(report.notifications).toEqual({ delivered: 2, failed: 0 });
    const id = report.executionId;
    const flags = ` --state ${state} --endpoint ${emulator.endpoint}`;
    expect(receiver.to('/hook').map((r) => r.body)).toEqual([
      {
        type: 'execution.waiting',
        at: expect.any(String),
        executionId: id,
        status: 'Waiting',
        statusReason: expect.stringContaining('MaxErrors 0'),
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        counts: report.counts,
        failuresByCode: { 'InternalError.Forced': 1 },
        ...(report.pauseReason === undefined ? {} : { pauseReason: report.pauseReason }),
        commands: {
          resume: `ecs-role-attach resume ${id}${flags}`,
          retry: `ecs-role-attach retry ${id}${flags}`,
          cancel: `ecs-role-attach cancel ${id}${flags}`,
        },
      },
    ]);
    const [robot] = receiver.to('/robot/send');
    const timestamp = robot!.query.get('timestamp')!;
    expect(robot!.query.get('sign')).toBe(
      createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64'),
    );
    expect(robot!.query.has('secret')).toBe(false);
    const markdown = robot!.body['markdown'] as { title: string; text: string };
    expect(markdown.title).toBe(`ecs-role-attach ${id}: Waiting`);
    expect(markdown.text).toContain(`next: \`ecs-role-attach resume ${id}${flags}\``);
    expect(markdown.text).toContain('- InternalError.Forced: 1');
    // Nothing secret in what the operator sees.
    expect(paused.stderr).not.toContain(SECRET);
    expect(paused.stderr).not.toContain(TOKEN);

    emulator.setFaults({ instanceErrors: { [fleetId(12)]: null } });
    const retried = await runCli([
      'retry',
      id,
      ...emulatorFlags(emulator, state),
      ...notify,
      '--output',
      'json',
    ]);
    expect(retried.code).toBe(0);
    const final = retried.json<ExecutionReport>();
    expect(final.status).toBe('Success');
    expect(final.notifications).toEqual({ delivered: 4, failed: 0 });
    expect(receiver.to('/hook').map((r) => [r.body['type'], r.body['status'], r.body['action']])).toEqual([
      ['execution.waiting', 'Waiting', undefined],
      ['execution.continued', 'Running', 'retry'],
      ['execution.finished', 'Success', undefined],
    ]);
    expect(receiver.to('/hook')[2]?.body['counts']).toEqual(final.counts);
    expect(receiver.to('/robot/send').map((r) => (r.body['markdown'] as { title: string }).title)).toEqual([
      `ecs-role-attach ${id}: Waiting`,
      `ecs-role-attach ${id}: retry → Running`,
      `ecs-role-attach ${id}: Success`,
    ]);
  });

  it('a dry run sends execution.planned; a bad sink is refused with exit 2 before any call', async () => {
    emulator = await startTestEmulator({ fleet: cliFleet(5) });
    const state = tempState();
    const base = ['run', '--region', 'cn-hangzhou', '--role', DESIGNATED_ROLE, '--targets', '{"Type":"All"}'];
    const dry = await runCli([
      ...base,
      ...emulatorFlags(emulator, state),
      '--dry-run',
      '--notify',
      `webhook:${receiver.url}/hook`,
      '--output',
      'json',
    ]);
    expect(dry.code).toBe(0);
    expect(receiver.to('/hook').map((r) => [r.body['type'], r.body['writes']])).toEqual([
      ['execution.planned', 5],
    ]);
    emulator.resetStats();
    const bad = await runCli([
      ...base,
      ...emulatorFlags(emulator, state),
      '--notify',
      `webhook:http://hooks.example.com/${TOKEN}`,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'ecs-role-attach: --notify must use https (http only for 127.0.0.1/localhost), got "webhook:hooks.example.com"; nothing was changed.\n',
    );
    expect(emulator.stats().calls).toEqual({});
  });
});
