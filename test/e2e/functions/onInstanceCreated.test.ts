/**
 * `on-instance-created` invoked as FC would (Buffer event, realistic context, credentials from the FC
 * environment) against the emulator: single and batched events of both kinds, duplicates, foreign account,
 * malformed events, Pending instances, the circuit breaker and its backlog.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler } from '../../../functions/on-instance-created/index';
import { createHandler as createWorkflowHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import { InvalidInputError } from '../../../src/engine/errors';
import { openExecutionStore } from '../../../src/store';
import { SteppingClock } from '../../helpers/clocks';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { apiCallEvent, asFcEvent, otherEvent, stateChangeEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';

describe('on-instance-created handler', () => {
  let emulator: EmulatorHandle;
  let stateDir: string;
  let restoreEnv: () => void;
  let logger: CapturingLogger;
  let clock: SteppingClock;

  const roleOf = (id: string) => emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName;
  const invoke = (event: unknown, options: { timeout?: number } = {}) =>
    createHandler({ clock, logger })(asFcEvent(event), fcContext(emulator, options));
  const addPending = (ids: string[], regionId = 'cn-hangzhou') =>
    admin(emulator, '/_emulator/instances', {
      instances: ids.map((InstanceId) => ({ InstanceId, RegionId: regionId, Status: 'Pending' })),
    });

  beforeAll(async () => {
    emulator = await startTestEmulator();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-fn-'));
    restoreEnv = setFunctionEnv(emulator, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: stateDir,
      BREAKER_THRESHOLD: '3',
      FC_ACCOUNT_ID: undefined,
      FC_REGION: undefined,
    });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    emulator.resetStats();
    logger = new CapturingLogger();
    clock = new SteppingClock();
  });

  it('attaches the role for one state-change event with one call of each kind', async () => {
    const result = await invoke(stateChangeEvent({ instanceId: 'i-hz01', arn: true }));
    expect(result).toEqual({
      attached: ['i-hz01'],
      alreadyAttached: [],
      skipped: [],
      failed: [],
      backlogged: [],
      ignoredEvents: 0,
    });
    expect(roleOf('i-hz01')).toBe(DESIGNATED_ROLE);
    const { calls } = emulator.stats();
    expect(calls['DescribeInstances']).toBe(1);
    expect(calls['DescribeInstanceRamRole']).toBe(1);
    expect(calls['AttachInstanceRamRole']).toBe(1);
    expect(logger.instanceLines()).toEqual([
      expect.objectContaining({ instanceId: 'i-hz01', regionId: 'cn-hangzhou', outcome: 'Attached' }),
    ]);
    // Idempotent: the same event again finds the role already there and writes nothing.
    emulator.resetStats();
    const again = await invoke(stateChangeEvent({ instanceId: 'i-hz01' }));
    expect(again.alreadyAttached).toEqual(['i-hz01']);
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
  });

  it('handles a batch of both kinds across regions, with duplicates, a foreign account and other events', async () => {
    const duplicate = stateChangeEvent({ instanceId: 'i-hz04', shape: 'notification' });
    const batch = [
      duplicate,
      duplicate, // EventBridge redelivery: same source + id
      apiCallEvent({ instanceIds: ['i-sh01', 'i-sh02'], regionId: 'cn-shanghai' }),
      apiCallEvent({ instanceIds: ['i-hz06'], eventName: 'CreateInstance' }),
      stateChangeEvent({ instanceId: 'i-sh01', regionId: 'cn-shanghai' }), // same instance again
      stateChangeEvent({ instanceId: 'i-hz02' }),
      stateChangeEvent({ instanceId: 'i-hz03', instanceIdField: true }),
      stateChangeEvent({ instanceId: 'i-sh03', regionId: 'cn-shanghai', accountId: '9999999999999999' }),
      otherEvent(),
    ];
    const result = await invoke(batch);
    expect(result.attached.sort()).toEqual(['i-hz04', 'i-sh01', 'i-sh02']);
    expect(result.alreadyAttached).toEqual(['i-hz02']);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ instanceId: 'i-hz06', reason: 'ClassicNetwork' }),
        expect.objectContaining({ instanceId: 'i-hz03', reason: 'OtherRole' }),
      ]),
    );
    expect(result.failed).toEqual([]);
    expect(result.ignoredEvents).toBe(4); // duplicate event, duplicate instance, foreign account, other product
    expect(roleOf('i-sh03')).toBe('');
    expect(roleOf('i-hz03')).toBe('OtherEcsRole');
    // One DescribeInstances, one DescribeInstanceRamRole and one attach per region.
    const { calls } = emulator.stats();
    expect(calls['DescribeInstances']).toBe(2);
    expect(calls['DescribeInstanceRamRole']).toBe(2);
    expect(calls['AttachInstanceRamRole']).toBe(2);
    expect(
      logger.lines
        .filter((l) => l.msg === 'event ignored')
        .map((l) => l.obj['reason'])
        .sort(),
    ).toEqual(['DuplicateEvent', 'DuplicateInstance', 'ForeignAccount', 'UnsupportedType']);
    expect(logger.instanceLines()).toHaveLength(6);
  });

  it('rejects malformed events with a message naming the field, making no call', async () => {
    const handler = createHandler({ clock, logger });
    await expect(handler(Buffer.from('{"id": '), fcContext(emulator))).rejects.toThrow(
      /^event must be JSON, got "\{\\"id\\": "; nothing was changed\.$/,
    );
    const missingType = { ...stateChangeEvent({ instanceId: 'i-hz01' }), type: undefined };
    await expect(
      handler(asFcEvent([stateChangeEvent({ instanceId: 'i-hz01' }), missingType]), fcContext(emulator)),
    ).rejects.toMatchObject({ field: 'event[1].type' });
    await expect(handler(asFcEvent('just a string'), fcContext(emulator))).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(emulator.stats().calls).toEqual({});
  });

  it('fails fast on invalid configuration, naming the variable', async () => {
    const restore = setFunctionEnv(emulator, { ON_CONFLICT: 'overwrite' });
    try {
      await expect(
        invoke(stateChangeEvent({ instanceId: 'i-sh04', regionId: 'cn-shanghai' })),
      ).rejects.toThrow(/^ON_CONFLICT must be one of skip, fail, replace, got "overwrite"/);
    } finally {
      restore();
    }
    expect(emulator.stats().calls).toEqual({});
  });

  it('re-attempts a Pending instance with backoff until it runs, within the time budget', async () => {
    await addPending(['i-pend01']);
    // Backoff sleeps are >= 1 s (shorter ones are the API limiter's); the instance runs during the second.
    let backoffs = 0;
    clock.onSleep = async (ms) => {
      if (ms >= 1000 && ++backoffs === 2) {
        await admin(emulator, '/_emulator/instances/status', {
          InstanceIds: ['i-pend01'],
          Status: 'Running',
        });
      }
    };
    const result = await invoke(apiCallEvent({ instanceIds: ['i-pend01'] }));
    expect(result.attached).toEqual(['i-pend01']);
    expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([1000, 2000]);
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBe(3);
    expect(roleOf('i-pend01')).toBe(DESIGNATED_ROLE);
  });

  it('leaves an instance that stays Pending for the next state-change event, without tripping the breaker', async () => {
    await addPending(['i-pend02', 'i-pend03', 'i-pend04']);
    // Timeout 10 s -> budget 5 s: re-attempts after 1 s and 2 s; a 4 s wait would cross the deadline.
    const result = await invoke(apiCallEvent({ instanceIds: ['i-pend02', 'i-pend03', 'i-pend04'] }), {
      timeout: 10,
    });
    expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([1000, 2000]);
    expect(result.failed).toEqual([]);
    expect(result.skipped.map((s) => [s.instanceId, s.reason])).toEqual([
      ['i-pend02', 'NotYetAttachable'],
      ['i-pend03', 'NotYetAttachable'],
      ['i-pend04', 'NotYetAttachable'],
    ]);
    expect(result.skipped[0]?.message).toMatch(
      /^IncorrectInstanceStatus: .*left for the next state-change event$/,
    );
    // The Running event brings them back.
    await admin(emulator, '/_emulator/instances/status', { InstanceIds: ['i-pend02'], Status: 'Running' });
    const later = await invoke(stateChangeEvent({ instanceId: 'i-pend02', state: 'Running' }));
    expect(later.attached).toEqual(['i-pend02']);
  });

  it('opens the breaker after 3 consecutive failures, backlogs further instances, and resumes from the workflow control', async () => {
    await admin(emulator, '/_emulator/instances', {
      instances: ['i-brk01', 'i-brk02', 'i-brk03', 'i-brk04', 'i-brk05'].map((InstanceId) => ({
        InstanceId,
        RegionId: 'cn-hangzhou',
      })),
    });
    const failing = { Code: 'InvalidRamRole.NotEcsRole', Message: 'The RAM role cannot be assumed by ECS.' };
    emulator.setFaults({ instanceErrors: { 'i-brk01': failing, 'i-brk02': failing, 'i-brk03': failing } });
    const first = await invoke(apiCallEvent({ instanceIds: ['i-brk01', 'i-brk02'] }));
    expect(first.failed.map((f) => [f.instanceId, f.code])).toEqual([
      ['i-brk01', 'InvalidRamRole.NotEcsRole'],
      ['i-brk02', 'InvalidRamRole.NotEcsRole'],
    ]);
    expect(first.backlogged).toEqual([]);
    const second = await invoke(stateChangeEvent({ instanceId: 'i-brk03' }));
    expect(second.failed.map((f) => f.instanceId)).toEqual(['i-brk03']);
    expect(second.backlogged).toEqual(['i-brk03']);
    expect(logger.lines.some((l) => l.level === 'error' && /event path paused/.test(l.msg ?? ''))).toBe(true);

    emulator.resetStats();
    const third = await invoke(apiCallEvent({ instanceIds: ['i-brk04', 'i-brk05'] }));
    expect(third.backlogged).toEqual(['i-brk04', 'i-brk05']);
    expect(third.attached).toEqual([]);
    expect(emulator.stats().calls).toEqual({});
    const store = openExecutionStore(stateDir);
    expect(await store.getDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}`)).toMatchObject({
      state: 'open',
      consecutiveFailures: 3,
    });
    expect(await store.getDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}/backlog`)).toMatchObject({
      instanceIds: ['i-brk03', 'i-brk04', 'i-brk05'],
    });

    // The operator fixes the cause and resumes the event path from the FC console (workflow control).
    emulator.setFaults({ instanceErrors: { 'i-brk01': null, 'i-brk02': null, 'i-brk03': null } });
    const workflow = createWorkflowHandler({ clock, logger });
    const resumed = (await workflow(
      asFcEvent({ action: 'resume-events' }),
      fcContext(emulator, { functionName: 'ecs-role-attach-workflow' }),
    )) as { backlog: number; wasOpen: boolean; execution: { executionId: string; status: string } };
    expect(resumed).toMatchObject({ backlog: 3, wasOpen: true, execution: { status: 'Success' } });
    for (const id of ['i-brk03', 'i-brk04', 'i-brk05']) expect(roleOf(id)).toBe(DESIGNATED_ROLE);
    expect((await store.load(resumed.execution.executionId)).record.origin).toBe('event-backlog');
    expect(await store.getDocument(`event-path/cn-hangzhou/${DESIGNATED_ROLE}`)).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
    // Closed again: new instances are attached directly; i-brk01/02 were never queued (before the breaker opened).
    const after = await invoke(apiCallEvent({ instanceIds: ['i-brk01', 'i-brk02'] }));
    expect(after.attached).toEqual(['i-brk01', 'i-brk02']);
  });

  it('counts an unusable role as failures of every instance: no attach call, breaker opens, ids queued', async () => {
    const restore = setFunctionEnv(emulator, { RAM_ROLE_NAME: 'NotEcsRole' });
    try {
      const first = await invoke(
        apiCallEvent({ instanceIds: ['i-sh03', 'i-sh04'], regionId: 'cn-shanghai' }),
      );
      expect(first.failed.map((f) => [f.instanceId, f.code])).toEqual([
        ['i-sh03', 'RoleNotTrustedByEcs'],
        ['i-sh04', 'RoleNotTrustedByEcs'],
      ]);
      expect(first.failed[0]?.message).toMatch(/does not trust ecs\.aliyuncs\.com/);
      const second = await invoke(stateChangeEvent({ instanceId: 'i-sh03', regionId: 'cn-shanghai' }));
      expect(second.backlogged).toEqual(['i-sh03']);
      const third = await invoke(stateChangeEvent({ instanceId: 'i-sh04', regionId: 'cn-shanghai' }));
      expect(third.backlogged).toEqual(['i-sh04']);
      expect(third.failed).toEqual([]);
      expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
      expect(emulator.stats().calls['DescribeInstances']).toBeUndefined();
      const store = openExecutionStore(stateDir);
      expect(await store.getDocument('event-path/cn-shanghai/NotEcsRole/backlog')).toMatchObject({
        instanceIds: ['i-sh03', 'i-sh04'],
      });
    } finally {
      restore();
    }
  });

  it('keeps its state on oss:// (V4 signatures); a missing bucket fails the invocation before any write', async () => {
    await admin(emulator, '/_emulator/instances', {
      instances: [
        { InstanceId: 'i-oss01', RegionId: 'cn-hangzhou' },
        { InstanceId: 'i-oss02', RegionId: 'cn-hangzhou' },
      ],
    });
    const restore = setFunctionEnv(emulator, { STATE: 'oss://era-state/events' });
    try {
      const result = await invoke(stateChangeEvent({ instanceId: 'i-oss01', shape: 'notification' }));
      expect(result.attached).toEqual(['i-oss01']);
      expect(emulator.stats().calls['oss:GetObject']).toBeGreaterThan(0);
      expect(emulator.stats().rejected).toEqual({});
    } finally {
      restore();
    }
    emulator.resetStats();
    const restoreMissing = setFunctionEnv(emulator, { STATE: 'oss://missing-bucket/events' });
    try {
      await expect(invoke(stateChangeEvent({ instanceId: 'i-oss02' }))).rejects.toThrow(
        /bucket "missing-bucket" does not exist in region cn-hangzhou/,
      );
    } finally {
      restoreMissing();
    }
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBeUndefined();
    expect(roleOf('i-oss02')).toBe('');
  });
});
