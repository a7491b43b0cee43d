/**
 * Drift repair by event (issue #14 item 5): `on-instance-created` invoked as FC would, against the
 * emulator, with ActionTrail DetachInstanceRamRole / AttachInstanceRamRole records (composed from the
 * documented record shape: test/fixtures/realEvents.ts `roleChangeRecord`). The role changes themselves
 * are made first with the real ECS SDK, as a console user would. `NOTIFY` posts to a local receiver.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as $Ecs from '@alicloud/ecs20140526';
import { createHandler } from '../../../functions/on-instance-created/index';
import type { EmulatorHandle } from '../../../src/emulator';
import { eventPathKeys } from '../../../src/engine/paths/event/index';
import { openExecutionStore } from '../../../src/store';
import { envelope, roleChangeRecord } from '../../fixtures/realEvents';
import { SteppingClock } from '../../helpers/clocks';
import { admin, DESIGNATED_ROLE, ecsClient, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent, nextEventId } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { type Receiver, startReceiver } from '../../helpers/receiver';

type Change = Parameters<typeof roleChangeRecord>[0];

describe('drift by event (DetachInstanceRamRole / AttachInstanceRamRole)', () => {
  let emulator: EmulatorHandle;
  let receiver: Receiver;
  let stateDir: string;
  let restoreEnv: () => void;
  let logger: CapturingLogger;
  const clock = new SteppingClock();

  const roleOf = (id: string) => emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName;
  const told = () => receiver.to('/hook').map((r) => r.body);
  /** The change made with the real SDK, then its ActionTrail record delivered to the function. */
  const change = async (options: Change, env: Record<string, string | undefined> = {}) => {
    const ecs = ecsClient(emulator);
    const instanceIds = JSON.stringify(options.instanceIds);
    if (options.eventName === 'DetachInstanceRamRole') {
      await ecs.detachInstanceRamRole(
        new $Ecs.DetachInstanceRamRoleRequest({ regionId: 'cn-hangzhou', instanceIds }),
      );
    } else {
      await ecs.attachInstanceRamRole(
        new $Ecs.AttachInstanceRamRoleRequest({
          regionId: 'cn-hangzhou',
          instanceIds,
          ramRoleName: options.ramRoleName,
        }),
      );
    }
    return deliver(options, env);
  };
  const deliver = async (options: Change, env: Record<string, string | undefined> = {}) => {
    const restore = setFunctionEnv(emulator, env);
    try {
      receiver.requests.length = 0;
      emulator.resetStats();
      const type =
        options.caller === 'console' || options.caller === undefined ? 'ConsoleOperation' : 'ApiCall';
      const event = envelope(`actiontrail:ActionTrail:${type}`, roleChangeRecord(options), {
        id: nextEventId(),
        accountId: emulator.accountId,
      });
      return await createHandler({ clock, logger })(asFcEvent(event), fcContext(emulator));
    } finally {
      restore();
    }
  };
  const addInstances = (
    instances: { InstanceId: string; RamRoleName?: string; Tags?: Record<string, string> }[],
  ) =>
    admin(emulator, '/_emulator/instances', {
      instances: instances.map((i) => ({ RegionId: 'cn-hangzhou', ...i })),
    });

  beforeAll(async () => {
    emulator = await startTestEmulator();
    receiver = await startReceiver();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-fn-drift-'));
    restoreEnv = setFunctionEnv(emulator, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: stateDir,
      NOTIFY: `webhook:${receiver.url}/hook`,
      FC_ACCOUNT_ID: undefined,
      FC_REGION: undefined,
    });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator.close();
    await receiver.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    logger = new CapturingLogger();
  });

  it('DRIFT=repair: a console DetachInstanceRamRole leads to re-attachment and drift-repaired', async () => {
    await addInstances([{ InstanceId: 'i-drf01', RamRoleName: DESIGNATED_ROLE }]);
    const result = await change(
      { eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf01'], ramRoleName: DESIGNATED_ROLE },
      { DRIFT: 'repair' },
    );
    expect(roleOf('i-drf01')).toBe(DESIGNATED_ROLE);
    expect(result).toMatchObject({
      attached: ['i-drf01'],
      failed: [],
      drift: [{ instanceId: 'i-drf01', call: 'DetachInstanceRamRole', caller: 'shami', outcome: 'Repaired' }],
      ignoredChanges: 0,
      notifications: { delivered: 1, failed: 0 },
    });
    // One read of each kind and one write (GetRole is memoised per warm instance).
    expect(emulator.stats().calls).toMatchObject({
      DescribeInstances: 1,
      DescribeInstanceRamRole: 1,
      AttachInstanceRamRole: 1,
    });
    expect(emulator.stats().calls['DetachInstanceRamRole']).toBeUndefined();
    expect(told()).toEqual([
      {
        type: 'eventpath.drift-repaired',
        at: expect.any(String),
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        instances: [
          {
            instanceId: 'i-drf01',
            call: 'DetachInstanceRamRole',
            caller: 'shami',
            roleName: DESIGNATED_ROLE,
            outcome: 'Repaired',
          },
        ],
      },
    ]);
  });

  it('DRIFT=report (the default): the instance stays bare, a warning line and drift-detected with the repair command', async () => {
    await addInstances([{ InstanceId: 'i-drf02', RamRoleName: DESIGNATED_ROLE }]);
    const result = await change({ eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf02'] });
    expect(roleOf('i-drf02')).toBe('');
    expect(emulator.stats().calls).toEqual({ DescribeInstances: 1, DescribeInstanceRamRole: 1 });
    expect(result.skipped).toEqual([
      {
        instanceId: 'i-drf02',
        reason: 'DriftReported',
        message: 'DetachInstanceRamRole by shami: no role; DRIFT=report, not repaired',
      },
    ]);
    expect(result.drift).toEqual([
      {
        instanceId: 'i-drf02',
        regionId: 'cn-hangzhou',
        call: 'DetachInstanceRamRole',
        caller: 'shami',
        outcome: 'Reported',
        detail: 'no role',
      },
    ]);
    expect(logger.lines.filter((l) => l.msg === 'event path drift')).toEqual([
      {
        level: 'warn',
        msg: 'event path drift',
        obj: expect.objectContaining({ instanceId: 'i-drf02', outcome: 'Reported', mode: 'report' }),
      },
    ]);
    expect(told()).toEqual([
      expect.objectContaining({
        type: 'eventpath.drift-detected',
        mode: 'report',
        instances: [
          expect.objectContaining({ instanceId: 'i-drf02', outcome: 'Reported', detail: 'no role' }),
        ],
        command: `ecs-role-attach run --region cn-hangzhou --role ${DESIGNATED_ROLE} --on-conflict replace --targets '{"Type":"ResourceIds","ResourceIds":["i-drf02"]}' --state ${stateDir}`,
      }),
    ]);
  });

  it('DRIFT=repair: an AttachInstanceRamRole of another role is replaced by the designated role', async () => {
    await addInstances([{ InstanceId: 'i-drf03' }]);
    const result = await change(
      {
        eventName: 'AttachInstanceRamRole',
        instanceIds: ['i-drf03'],
        ramRoleName: 'OtherEcsRole',
        caller: 'assumed-role',
      },
      { DRIFT: 'repair' },
    );
    expect(roleOf('i-drf03')).toBe(DESIGNATED_ROLE);
    expect(result.drift).toEqual([
      expect.objectContaining({
        instanceId: 'i-drf03',
        call: 'AttachInstanceRamRole',
        caller: 'ops-automation:u1',
        outcome: 'Repaired',
      }),
    ]);
    expect(emulator.stats().calls).toMatchObject({ DetachInstanceRamRole: 1, AttachInstanceRamRole: 1 });
  });

  it.each`
    what                                                   | options                                                                                           | env
    ${'a change made by this tool (its user agent token)'} | ${{ eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf04'], caller: 'tool' }}               | ${{ DRIFT: 'repair' }}
    ${'a caller in DRIFT_IGNORE_CALLERS (its role name)'}  | ${{ eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf04'], caller: 'assumed-role' }}       | ${{ DRIFT: 'repair', DRIFT_IGNORE_CALLERS: 'terraform, ops-automation' }}
    ${'an attach of the designated role'}                  | ${{ eventName: 'AttachInstanceRamRole', instanceIds: ['i-drf04'], ramRoleName: DESIGNATED_ROLE }} | ${{ DRIFT: 'repair' }}
  `('not drift: $what; no call, no notification', async ({ options, env }) => {
    await addInstances([{ InstanceId: 'i-drf04' }]);
    const result = await deliver(options, env);
    expect(roleOf('i-drf04')).toBe('');
    expect(result).toMatchObject({ attached: [], drift: [], ignoredChanges: 1 });
    expect(emulator.stats().calls).toEqual({});
    expect(told()).toEqual([]);
  });

  it('exclusions still apply: an excluded instance is not repaired and nobody is told', async () => {
    await addInstances([
      { InstanceId: 'i-drf05', RamRoleName: DESIGNATED_ROLE, Tags: { 'ecs-role-attach:exclude': 'true' } },
    ]);
    const result = await change(
      { eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf05'] },
      { DRIFT: 'repair' },
    );
    expect(roleOf('i-drf05')).toBe('');
    expect(result.skipped).toEqual([expect.objectContaining({ instanceId: 'i-drf05', reason: 'Excluded' })]);
    expect(result.drift).toEqual([expect.objectContaining({ outcome: 'Skipped', detail: 'Excluded' })]);
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
    expect(told()).toEqual([]);
  });

  it('a detach after which the instance bears its role again (the replace flow finished) is no drift', async () => {
    await addInstances([{ InstanceId: 'i-drf06', RamRoleName: DESIGNATED_ROLE }]);
    const result = await deliver(
      { eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf06'] },
      { DRIFT: 'repair' },
    );
    expect(result).toMatchObject({
      alreadyAttached: ['i-drf06'],
      drift: [expect.objectContaining({ outcome: 'NoDrift' })],
    });
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
    expect(told()).toEqual([]);
  });

  it('a failed repair is a recorded Failed outcome, counts against the breaker and is told as drift-detected', async () => {
    await addInstances([{ InstanceId: 'i-drf07', RamRoleName: DESIGNATED_ROLE }]);
    emulator.setFaults({
      instanceErrors: {
        'i-drf07': { Code: 'InvalidRamRole.NotEcsRole', Message: 'The RAM role cannot be assumed by ECS.' },
      },
    });
    try {
      const result = await change(
        { eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf07'] },
        { DRIFT: 'repair' },
      );
      expect(roleOf('i-drf07')).toBe('');
      expect(result.failed).toEqual([
        expect.objectContaining({ instanceId: 'i-drf07', code: 'InvalidRamRole.NotEcsRole' }),
      ]);
      expect(result.drift).toEqual([
        expect.objectContaining({
          outcome: 'Failed',
          detail: expect.stringMatching(/^InvalidRamRole\.NotEcsRole: /),
        }),
      ]);
      expect(told()).toEqual([
        expect.objectContaining({
          type: 'eventpath.drift-detected',
          mode: 'repair',
          instances: [expect.objectContaining({ instanceId: 'i-drf07', outcome: 'Failed' })],
        }),
      ]);
      expect(told()[0]).not.toHaveProperty('command');
      const store = openExecutionStore(stateDir);
      expect(await store.getDocument(eventPathKeys('cn-hangzhou', DESIGNATED_ROLE).breaker)).toMatchObject({
        state: 'closed',
        consecutiveFailures: 1,
      });
    } finally {
      emulator.setFaults({ instanceErrors: { 'i-drf07': null } });
    }
  });

  it('while the breaker is open, a repair waits in the backlog (Backlogged, told), with no ECS call', async () => {
    await addInstances([{ InstanceId: 'i-drf08', RamRoleName: DESIGNATED_ROLE }]);
    const store = openExecutionStore(stateDir);
    const keys = eventPathKeys('cn-hangzhou', DESIGNATED_ROLE);
    await store.putDocument(keys.breaker, { state: 'open', consecutiveFailures: 5, updatedAt: 'x' });
    try {
      const ecs = ecsClient(emulator);
      await ecs.detachInstanceRamRole(
        new $Ecs.DetachInstanceRamRoleRequest({ regionId: 'cn-hangzhou', instanceIds: '["i-drf08"]' }),
      );
      const result = await deliver(
        { eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf08'] },
        { DRIFT: 'repair' },
      );
      expect(result.backlogged).toEqual(['i-drf08']);
      expect(result.drift).toEqual([expect.objectContaining({ outcome: 'Backlogged' })]);
      expect(emulator.stats().calls).toEqual({});
      expect(told()).toEqual([
        expect.objectContaining({
          type: 'eventpath.drift-detected',
          instances: [expect.objectContaining({ outcome: 'Backlogged' })],
        }),
      ]);
      expect(await store.getDocument(keys.backlog)).toMatchObject({ instanceIds: ['i-drf08'] });
    } finally {
      await store.putDocument(keys.breaker, { state: 'closed', consecutiveFailures: 0, updatedAt: 'x' });
      await store.putDocument(keys.backlog, { instanceIds: [], updatedAt: 'x' });
    }
  });

  it('a bad DRIFT fails the invocation before any call, naming the variable', async () => {
    await expect(
      deliver({ eventName: 'DetachInstanceRamRole', instanceIds: ['i-drf01'] }, { DRIFT: 'fix' }),
    ).rejects.toThrow(/DRIFT must be one of report, repair.*"fix"/);
    expect(emulator.stats().calls).toEqual({});
  });
});
