/**
 * Notification sinks: parsing (`--notify`, `NOTIFY`), delivery to a local HTTP receiver (webhook JSON,
 * DingTalk markdown signed as documented), retries with backoff on an injected clock, counts, and that
 * a failing sink neither blocks nor changes an execution. Secrets never reach a log line or an error.
 */

import { createHmac } from 'node:crypto';
import { createExecution, type EngineDeps, runExecution } from '../../../src/engine/execution';
import type { NotificationEvent } from '../../../src/engine/notifications';
import { parseSink, parseSinks } from '../../../src/inputs/notify';
import { parseExecutionInput } from '../../../src/inputs/parameters';
import { HttpNotifier } from '../../../src/notify/sinks';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';
import { CapturingLogger } from '../../helpers/fcContext';
import { type Receiver, startReceiver } from '../../helpers/receiver';

const TOKEN = 'tok-0123456789abcdef';
const SECRET = 'SECb6c3b7e8d1f04a2f9e1c';

let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(() => receiver.close());

const finished = (): Extract<NotificationEvent, { type: 'eventpath.breaker-closed' }> => ({
  type: 'eventpath.breaker-closed',
  at: '2026-11-22T12:00:00.000Z',
  regionId: 'cn-hangzhou',
  ramRoleName: 'EcsAppRole',
  backlog: 3,
  executionId: 'exec-1',
});

describe('notification sinks', () => {
  it('parses webhook and dingtalk sinks; the signing secret is taken out of the URL', () => {
    expect(parseSink('webhook:https://hooks.example.com/a/b?k=1', '--notify')).toEqual({
      kind: 'webhook',
      url: 'https://hooks.example.com/a/b?k=1',
      label: 'webhook:hooks.example.com',
    });
    expect(
      parseSink(
        `dingtalk:https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}&secret=${SECRET}`,
        'NOTIFY',
      ),
    ).toEqual({
      kind: 'dingtalk',
      url: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`,
      secret: SECRET,
      label: 'dingtalk:oapi.dingtalk.com',
    });
    expect(parseSinks(['webhook:http://127.0.0.1:9/a, webhook:http://localhost:9/b'], 'NOTIFY')).toHaveLength(
      2,
    );
  });

  it.each([
    ['slack:https://hooks.example.com/x', /^--notify must be webhook:https:\/\/\.\.\. or dingtalk:/],
    [
      'webhook:http://hooks.example.com/x',
      /^--notify must use https \(http only for 127\.0\.0\.1\/localhost\), got "webhook:hooks\.example\.com"/,
    ],
    ['webhook:not a url', /^--notify must hold a URL after "webhook:"/],
    [`dingtalk:https://oapi.dingtalk.com/robot/send?secret=${SECRET}`, /^--notify must carry access_token=/],
  ])('refuses %p naming the flag, never echoing the URL', (value, message) => {
    let error: unknown;
    try {
      parseSink(value, '--notify');
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(SECRET);
    expect((error as Error).message).not.toContain('/x');
  });

  it('POSTs the JSON document to a webhook and a signed markdown message to a DingTalk robot', async () => {
    const clock = new SteppingClock();
    const notifier = new HttpNotifier({
      sinks: parseSinks(
        [
          `webhook:${receiver.url}/hook`,
          `dingtalk:${receiver.url}/robot/send?access_token=${TOKEN}&secret=${SECRET}`,
        ],
        '--notify',
      ),
      clock,
      logger: new CapturingLogger(),
    });
    notifier.publish(finished());
    expect(await notifier.flush()).toEqual({ delivered: 2, failed: 0 });
    const [hook] = receiver.to('/hook');
    expect(hook?.method).toBe('POST');
    expect(hook?.body).toEqual(finished());
    const [robot] = receiver.to('/robot/send');
    expect(robot?.query.get('access_token')).toBe(TOKEN);
    expect(robot?.query.has('secret')).toBe(false);
    // As documented: sign = Base64(HmacSHA256(secret, timestamp + "\n" + secret)), timestamp in ms.
    const timestamp = robot?.query.get('timestamp');
    expect(timestamp).toBe(String(clock.now()));
    const expected = createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64');
    expect(robot?.query.get('sign')).toBe(expected);
    expect(robot?.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: 'ecs-role-attach event path resumed: EcsAppRole in cn-hangzhou' },
    });
    expect((robot!.body['markdown'] as { text: string }).text).toContain('backlog of 3 runs as exec-1');
  });

  it('retries a failing sink with backoff, counts it failed, and logs only its scheme and host', async () => {
    receiver.answers.set('/down', { status: 503, body: 'busy' });
    receiver.answers.set('/robot/send', {
      status: 200,
      body: '{"errcode":310000,"errmsg":"sign not match"}',
    });
    const clock = new SteppingClock();
    const logger = new CapturingLogger();
    const notifier = new HttpNotifier({
      sinks: parseSinks(
        [
          `webhook:${receiver.url}/down?token=${TOKEN}`,
          `dingtalk:${receiver.url}/robot/send?access_token=${TOKEN}&secret=${SECRET}`,
          `webhook:${receiver.url}/up`,
        ],
        'NOTIFY',
      ),
      clock,
      logger,
    });
    notifier.publish(finished());
    expect(await notifier.flush()).toEqual({ delivered: 1, failed: 2 });
    expect(receiver.to('/down')).toHaveLength(4);
    expect(receiver.to('/robot/send')).toHaveLength(4);
    expect(clock.sleeps.sort((a, b) => a - b)).toEqual([500, 500, 1000, 1000, 2000, 2000]);
    const given = logger.lines.filter((l) => l.level === 'error');
    // Sinks are delivered to side by side: compare without their order.
    expect(given.map((l) => [l.obj['sink'], l.obj['problem']]).sort()).toEqual([
      [`dingtalk:${new URL(receiver.url).host}`, 'DingTalk errcode 310000: sign not match'],
      [`webhook:${new URL(receiver.url).host}`, 'HTTP 503'],
    ]);
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(SECRET);
  });

  it('delivers each sink its events in publishing order', async () => {
    const notifier = new HttpNotifier({
      sinks: parseSinks([`webhook:${receiver.url}/hook`], '--notify'),
      clock: new SteppingClock(),
      logger: new CapturingLogger(),
    });
    for (let backlog = 0; backlog < 5; backlog += 1) notifier.publish({ ...finished(), backlog });
    await notifier.flush();
    expect(receiver.to('/hook').map((r) => r.body['backlog'])).toEqual([0, 1, 2, 3, 4]);
  });

  it('a failing sink neither blocks nor changes an execution', async () => {
    receiver.answers.set('/down', { status: 500, body: '' });
    const run = async (withNotifier: boolean) => {
      const ecs = new FakeEcs(fleet(6));
      const clock = new SteppingClock(Date.UTC(2026, 10, 22, 12));
      const notifier = new HttpNotifier({
        sinks: parseSinks([`webhook:${receiver.url}/down`], '--notify'),
        clock,
        logger: new CapturingLogger(),
      });
      const deps: EngineDeps = {
        ecs,
        ram: new FakeRam(['EcsAppRole']),
        store: new MemoryStore(),
        clock,
        random: () => 0.5,
        logger: new CapturingLogger(),
        ...(withNotifier ? { notifier } : {}),
      };
      const parameters = parseExecutionInput({
        regionId: 'cn-hangzhou',
        RamRoleName: 'EcsAppRole',
        targets: { Type: 'Tags', Tags: [{ Key: 'env' }] },
      });
      const created = await createExecution(parameters, deps, { origin: 'cli' });
      const report = await runExecution(created.executionId, deps);
      return { report, stats: await notifier.flush(), roles: [...ecs.instances.values()].map((i) => i.role) };
    };
    const quiet = await run(false);
    const noisy = await run(true);
    expect(noisy.report.status).toBe('Success');
    expect(noisy.report.instances).toEqual(quiet.report.instances);
    expect(noisy.roles).toEqual(quiet.roles);
    expect(noisy.stats).toEqual({ delivered: 0, failed: 1 });
    expect(receiver.to('/down')).toHaveLength(4);
    expect(receiver.to('/down')[0]?.body).toMatchObject({ type: 'execution.finished', status: 'Success' });
  });
});
