/**
 * The event path with role rules (`ROLE_RULES` instead of `RAM_ROLE_NAME`): `on-instance-created` and the
 * workflow function's `resume-events` invoked as FC would, and the CLI's `resume-events --rules`, against
 * the emulator through the real SDKs. The emulator's admin view is the truth (role and policy per instance).
 */

import { promises as fs, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createHandler } from '../../../functions/on-instance-created/index';
import { createHandler as createWorkflowHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import { InvalidInputError } from '../../../src/engine/errors';
import { eventPathKeys } from '../../../src/engine/paths/event/index';
import { RULES_LABEL } from '../../../src/engine/types';
import { FsExecutionStore } from '../../../src/store';
import { fleetId, runCli } from '../../helpers/cli';
import { SteppingClock } from '../../helpers/clocks';
import { startTestEmulator } from '../../helpers/emulator';
import { apiCallEvent, asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { expectedRole, expectedRule, POLICY, RULE_ROLES, RULES, teamsFleet } from '../../helpers/rulesFleet';

describe('event path with ROLE_RULES', () => {
  let emulator: EmulatorHandle;
  let state: string;
  let restoreEnv: () => void;
  let logger: CapturingLogger;

  const truth = (index: number) => emulator.instances().find((i) => i.InstanceId === fleetId(index))!;
  const invoke = (ids: number[]) =>
    createHandler({ clock: new SteppingClock(), logger })(
      asFcEvent(apiCallEvent({ instanceIds: ids.map(fleetId) })),
      fcContext(emulator),
    );
  const withEnv = async <T>(env: Record<string, string | undefined>, body: () => Promise<T>) => {
    const restore = setFunctionEnv(emulator, env);
    try {
      return await body();
    } finally {
      restore();
    }
  };

  beforeAll(async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    state = await fs.mkdtemp(path.join(os.tmpdir(), 'era-rules-'));
    restoreEnv = setFunctionEnv(emulator, {
      RAM_ROLE_NAME: undefined,
      ROLE_RULES: JSON.stringify(parseYaml(RULES)),
      STATE: state,
      FC_ACCOUNT_ID: undefined,
      FC_REGION: undefined,
    });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator.close();
    await fs.rm(state, { recursive: true, force: true });
  });
  beforeEach(() => {
    emulator.resetStats();
    logger = new CapturingLogger();
  });

  it('gives each new instance its rule role (and policy), one role per attach call', async () => {
    // payments 0, 1 (with policy); default 10 (payments tags, other resource group); web 13 (bears
    // OtherEcsRole: the rule replaces) and 20; batch 31; 41 bears the accepted LegacyAppRole; 57 no rule.
    const ids = [0, 1, 10, 13, 20, 31, 41, 57];
    const result = await invoke(ids);
    for (const index of ids) {
      expect([fleetId(index), truth(index).RamRoleName]).toEqual([fleetId(index), expectedRole(index)]);
      expect(truth(index).RamRolePolicy ?? '').toBe(expectedRule(index) === 'payments' ? POLICY : '');
    }
    expect(truth(41).AttachCount).toBe(0);
    expect(truth(57).AttachCount).toBe(0);
    expect(new Set(result.attached)).toEqual(new Set([0, 1, 10, 13, 20, 31].map(fleetId)));
    expect(result.skipped.map((s) => [s.instanceId, s.reason])).toEqual(
      expect.arrayContaining([
        [fleetId(41), 'AcceptedRole'],
        [fleetId(57), 'NoRule'],
      ]),
    );
    expect(result.failed).toEqual([]);
    // One call per (role, policy) with work: payments, default, web, batch, plus the replace's attach.
    const { calls } = emulator.stats();
    expect(calls['AttachInstanceRamRole']).toBe(5);
    expect(calls['DetachInstanceRamRole']).toBe(1);
    expect(calls['DescribeInstances']).toBe(1);
    // Each log line names the instance's rule and the role it assigns.
    const lines = new Map(logger.instanceLines().map((line) => [line['instanceId'], line]));
    for (const index of [0, 13, 41]) {
      const rule = expectedRule(index)!;
      expect(lines.get(fleetId(index))).toMatchObject({ rule, role: new Map(RULE_ROLES).get(rule) });
    }
    expect(lines.get(fleetId(57))).toMatchObject({ outcome: 'Skipped', reason: 'NoRule' });
    expect(lines.get(fleetId(57))?.['rule']).toBeUndefined();
  });

  it('reads ROLE_RULES=store:<key> from the state store on each invocation', async () => {
    const store = new FsExecutionStore(state);
    await store.putDocument('config/role-rules', {
      rules: [{ name: 'batch-only', match: { vpcId: 'vpc-batch' }, role: 'BatchAppRole' }],
    });
    const result = await withEnv({ ROLE_RULES: 'store:config/role-rules' }, () => invoke([32, 42]));
    expect(truth(32).RamRoleName).toBe('BatchAppRole');
    expect(truth(42).RamRoleName).toBe('');
    expect(result.skipped).toEqual([expect.objectContaining({ instanceId: fleetId(42), reason: 'NoRule' })]);
    // The document changes: the next invocation applies it, without a redeploy.
    await store.putDocument('config/role-rules', {
      rules: [{ name: 'dev', match: { tags: { env: 'dev' } }, role: 'EcsAppRole' }],
    });
    await withEnv({ ROLE_RULES: 'store:config/role-rules' }, () => invoke([42]));
    expect(truth(42).RamRoleName).toBe('EcsAppRole');
  });

  it('refuses a missing or invalid store document naming ROLE_RULES, with zero cloud calls', async () => {
    await expect(withEnv({ ROLE_RULES: 'store:config/absent' }, () => invoke([43]))).rejects.toThrow(
      /ROLE_RULES names store document docs\/config\/absent\.json, which does not exist/,
    );
    await new FsExecutionStore(state).putDocument('config/bad', {
      rules: [{ name: 'web', match: {}, role: 'WebAppRole', colour: 'red' }],
    });
    const error = await withEnv({ ROLE_RULES: 'store:config/bad' }, () => invoke([43])).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(
      /^ROLE_RULES \(store document config\/bad\) rules\[0\]\.colour of rule "web" is not a rule key/,
    );
    expect(emulator.stats().calls).toEqual({});
    expect(truth(43).RamRoleName).toBe('');
  });

  it('resume-events runs the rules breaker backlog (workflow function and CLI --rules)', async () => {
    const store = new FsExecutionStore(state);
    const keys = eventPathKeys('cn-hangzhou', RULES_LABEL);
    const openBreaker = async (ids: number[]) => {
      await store.putDocument(keys.breaker, {
        state: 'open',
        consecutiveFailures: 5,
        updatedAt: '2026-12-01T00:00:00.000Z',
      });
      await store.putDocument(keys.backlog, {
        instanceIds: ids.map(fleetId),
        updatedAt: '2026-12-01T00:00:00.000Z',
      });
    };
    await openBreaker([2, 14]);
    // While open, the rules event path queues new instances instead of attaching them.
    expect((await invoke([15])).backlogged).toEqual([fleetId(15)]);
    const resumed = (await createWorkflowHandler({ logger })(
      asFcEvent({ action: 'resume-events' }),
      fcContext(emulator, { functionName: 'ecs-role-attach-workflow' }),
    )) as { backlog: number; wasOpen: boolean; execution: { status: string } };
    expect(resumed).toMatchObject({ backlog: 3, wasOpen: true, execution: { status: 'Success' } });
    for (const index of [2, 14, 15]) expect(truth(index).RamRoleName).toBe(expectedRole(index));
    expect(truth(2).RamRolePolicy).toBe(POLICY);
    expect(await store.getDocument(keys.breaker)).toMatchObject({ state: 'closed' });

    await openBreaker([33, 44]);
    const rulesFile = path.join(state, 'rules.yaml');
    writeFileSync(rulesFile, RULES);
    const cli = await runCli([
      'resume-events',
      '--region',
      'cn-hangzhou',
      '--rules',
      rulesFile,
      '--state',
      state,
      '--endpoint',
      emulator.endpoint,
      '--output',
      'json',
    ]);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toContain('event path cn-hangzhou/@rules was paused and is running again');
    for (const index of [33, 44]) expect(truth(index).RamRoleName).toBe(expectedRole(index));
    expect(await store.getDocument(keys.backlog)).toMatchObject({ instanceIds: [] });
  });
});
