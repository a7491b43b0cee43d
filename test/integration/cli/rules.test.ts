/**
 * Role rules end to end: `run --rules` with the real CLI and @alicloud SDKs against the emulator, whose
 * admin route is the truth (role and policy per instance, call counts); a crash mid-run resumed across
 * rules; rollback per instance.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle, FleetFile } from '../../../src/emulator/index';
import { trustPolicyFor } from '../../../src/emulator/index';
import { createExecution, type EngineDeps, runExecution } from '../../../src/engine/execution/index';
import type { ExecutionReport } from '../../../src/engine/execution/state';
import type { ExecutionStore } from '../../../src/engine/ports';
import { silentLogger, systemClock } from '../../../src/engine/ports';
import { parseExecutionInput } from '../../../src/inputs/parameters';
import { FsExecutionStore } from '../../../src/store/index';
import { emulatorFlags, fleetId, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { admin, startTestEmulator, TEST_ACCOUNT_ID, TEST_CREDENTIALS } from '../../helpers/emulator';

interface Truth {
  InstanceId: string;
  RamRoleName: string;
  RamRolePolicy: string;
  AttachCount: number;
  DetachCount: number;
}

const POLICY = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}';

/** Three teams and a default; LegacyAppRole is accepted as it is. */
const RULES = `
rules:
  - name: payments
    match: { tags: { app: payments }, resourceGroupId: rg-prod }
    role: PaymentsAppRole
    policy: '${POLICY}'
  - name: web
    match: { tags: { app: web } }
    role: WebAppRole
    onConflict: replace
  - name: batch
    match: { vpcId: vpc-batch }
    role: BatchAppRole
  - name: default
    match: { tags: { env: '*' } }
    role: EcsAppRole
acceptedRoles: [LegacyAppRole]
`;

const ROLES = [
  'PaymentsAppRole',
  'WebAppRole',
  'BatchAppRole',
  'EcsAppRole',
  'LegacyAppRole',
  'OtherEcsRole',
];

/**
 * 60 instances: 0-11 payments (rg-prod; 10 and 11 in rg-other, so the default catches them), 12-29 web
 * (13 bears OtherEcsRole: replaced), 30-39 in vpc-batch, 40-55 env only (default; 41 bears
 * LegacyAppRole: accepted), 56-59 no tags at all (no rule).
 */
function teamsFleet(): FleetFile {
  return {
    accountId: TEST_ACCOUNT_ID,
    credentials: [TEST_CREDENTIALS.plain, TEST_CREDENTIALS.sts],
    roles: ROLES.map((RoleName) => ({
      RoleName,
      AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com'),
    })),
    instances: Array.from({ length: 60 }, (_, index) => {
      const base = {
        InstanceId: fleetId(index),
        RegionId: 'cn-hangzhou',
        Status: 'Running' as const,
        ResourceGroupId: 'rg-other',
      };
      if (index < 12)
        return {
          ...base,
          ResourceGroupId: index < 10 ? 'rg-prod' : 'rg-other',
          Tags: { app: 'payments', env: 'prod' },
        };
      if (index < 30)
        return {
          ...base,
          Tags: { app: 'web', env: 'prod' },
          ...(index === 13 ? { RamRoleName: 'OtherEcsRole' } : {}),
        };
      if (index < 40) return { ...base, VpcId: 'vpc-batch', Tags: { team: 'batch' } };
      if (index < 56)
        return { ...base, Tags: { env: 'dev' }, ...(index === 41 ? { RamRoleName: 'LegacyAppRole' } : {}) };
      return base;
    }),
  };
}

/** The role each instance should end with, worked out here independently of the product. */
function expectedRole(index: number): string {
  if (index < 10) return 'PaymentsAppRole';
  if (index < 12) return 'EcsAppRole'; // payments tags, other resource group: the default rule
  if (index < 30) return 'WebAppRole';
  if (index < 40) return 'BatchAppRole';
  if (index === 41) return 'LegacyAppRole';
  if (index < 56) return 'EcsAppRole';
  return '';
}

let emulator: EmulatorHandle | undefined;
beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function truth(): Promise<Map<string, Truth>> {
  const { body } = await admin<{ Instances: Truth[] }>(emulator!, '/_emulator/instances');
  return new Map(body.Instances.map((i) => [i.InstanceId, i]));
}

function rulesFile(text: string): string {
  const path = join(tempState(), 'rules.yaml');
  writeFileSync(path, text);
  return path;
}

function totalCalls(): number {
  return Object.values(emulator!.stats().calls).reduce((n, c) => n + c, 0);
}

describe('run --rules against the emulator', () => {
  it('gives every instance the role of its first matching rule, one role per attach call', async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    const state = tempState();
    const result = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--rules',
      rulesFile(RULES),
      '--targets',
      '{"Type":"All"}',
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = result.json<ExecutionReport>();
    expect(report.status).toBe('Success');

    const world = await truth();
    for (let index = 0; index < 60; index++) {
      const instance = world.get(fleetId(index))!;
      expect({ id: instance.InstanceId, role: instance.RamRoleName }).toEqual({
        id: fleetId(index),
        role: expectedRole(index),
      });
      // A rule with a policy shows it on its instances; the others were attached without one.
      expect(instance.RamRolePolicy).toBe(index < 10 ? POLICY : '');
    }
    expect(world.get(fleetId(41))).toMatchObject({ AttachCount: 0, DetachCount: 0 });
    for (const index of [56, 57, 58, 59]) expect(world.get(fleetId(index))?.AttachCount).toBe(0);

    const byId = new Map(report.instances.map((i) => [i.instanceId, i]));
    expect(byId.get(fleetId(0))).toMatchObject({
      outcome: 'Attached',
      rule: 'payments',
      role: 'PaymentsAppRole',
    });
    expect(byId.get(fleetId(10))).toMatchObject({ outcome: 'Attached', rule: 'default', role: 'EcsAppRole' });
    expect(byId.get(fleetId(13))).toMatchObject({
      outcome: 'Replaced',
      previousRole: 'OtherEcsRole',
      rule: 'web',
    });
    expect(byId.get(fleetId(41))).toMatchObject({
      outcome: 'Skipped',
      reason: 'AcceptedRole',
      rule: 'default',
    });
    expect(byId.get(fleetId(57))).toMatchObject({ outcome: 'Skipped', reason: 'NoRule' });
    expect(byId.get(fleetId(57))?.rule).toBeUndefined();

    expect(report.noRule).toBe(4);
    expect(report.acceptedRoles).toEqual(['LegacyAppRole']);
    expect(
      report.rules?.map((r) => [r.name, r.role, r.counts.total, r.counts.attached, r.counts.replaced]),
    ).toEqual([
      ['payments', 'PaymentsAppRole', 10, 10, 0],
      ['web', 'WebAppRole', 18, 17, 1],
      ['batch', 'BatchAppRole', 10, 10, 0],
      ['default', 'EcsAppRole', 18, 17, 0],
    ]);
    expect(report.rules?.[0]?.policy).toBe(POLICY);
    // Default rate control: chunks of 10 per (role, policy): payments 1, web 2 (17 attach), batch 1,
    // default 2 (17), plus the replace of i-f00013 (one detach, one attach).
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBe(1 + 2 + 1 + 2 + 1);
    expect(emulator.stats().calls['GetRole']).toBe(4);

    const text = await runCli(['status', report.executionId, '--state', state]);
    expect(text.stdout).toMatch(/rule payments -> PaymentsAppRole \(with policy\): 10 targets, 10 attached/);
    expect(text.stdout).toMatch(/no rule matched: 4; accepted roles: LegacyAppRole/);

    // Rollback restores per instance: ours detached, the replaced one gets OtherEcsRole back.
    const rolled = await runCli([
      'rollback',
      report.executionId,
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    expect(rolled.code).toBe(0);
    expect(rolled.json<ExecutionReport>().counts).toMatchObject({ detached: 54, restored: 1, failed: 0 });
    const after = await truth();
    for (let index = 0; index < 60; index++) {
      const role = after.get(fleetId(index))?.RamRoleName;
      if (index === 13) expect(role).toBe('OtherEcsRole');
      else if (index === 41) expect(role).toBe('LegacyAppRole');
      else expect(role).toBe('');
    }
  });

  it('a role that does not exist fails the execution before any write, naming its rule', async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    const result = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--rules',
      rulesFile(RULES.replace('role: BatchAppRole', 'role: MissingRole')),
      '--targets',
      '{"Type":"All"}',
      ...emulatorFlags(emulator, tempState()),
      '--quiet',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/RAM role "MissingRole" of rule "batch" does not exist/);
    expect(emulator.stats().calls['AttachInstanceRamRole'] ?? 0).toBe(0);
  });

  it.each([
    [
      'an unknown key',
      RULES.replace('onConflict: replace', 'onConflicts: replace'),
      /--rules rules\[1\]\.onConflicts of rule "web" is not a rule key/,
    ],
    [
      'an empty role',
      RULES.replace('role: WebAppRole', "role: ''"),
      /--rules rules\[1\]\.role of rule "web" is required/,
    ],
    [
      'a policy over 1,024 characters',
      RULES.replace(POLICY, `{"Version":"1","Pad":"${'x'.repeat(1010)}"}`),
      /--rules rules\[0\]\.policy of rule "payments" must be 1-1024 characters/,
    ],
    [
      'a rule after match {}',
      RULES.replace('match: { vpcId: vpc-batch }', 'match: {}'),
      /--rules rules\[3\]\.match of rule "default" can never match: rule "batch" \(rules\[2\]\) before it has match \{\}/,
    ],
  ])('refuses %s with exit 2 and zero cloud calls', async (_case, text, message) => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    const result = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--rules',
      rulesFile(text),
      '--targets',
      '{"Type":"All"}',
      ...emulatorFlags(emulator, tempState()),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(totalCalls()).toBe(0);
  });

  it('refuses --rules together with --role', async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    const result = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      'EcsAppRole',
      '--rules',
      rulesFile(RULES),
      '--targets',
      '{"Type":"All"}',
      ...emulatorFlags(emulator, tempState()),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--rules and --role exclude each other/);
    expect(totalCalls()).toBe(0);
  });

  it('a crash after attach calls landed resumes across rules without writing any instance twice', async () => {
    // Re-attaching the role an instance bears succeeds and counts, so a blind second write would show.
    emulator = await startTestEmulator({ fleet: teamsFleet(), sameRoleAttach: 'succeed' });
    const state = tempState();
    const cloud = createCloudApis({ regionId: 'cn-hangzhou', endpoint: emulator.endpoint });
    const parameters = parseExecutionInput({
      regionId: 'cn-hangzhou',
      rules: RULES,
      targets: { Type: 'All' },
      rateControl: { Mode: 'Batch', Batch: [25], ConcurrencyInBatches: 5 },
    });
    const store = new FsExecutionStore(state);
    let results = 0;
    // The process "dies" when it records the third chunk's result: that call landed, its result is lost.
    const dying: ExecutionStore = Object.assign(Object.create(store) as ExecutionStore, {
      append: async (id: string, entry: Parameters<ExecutionStore['append']>[1]) => {
        if (entry.type === 'result' && entry.chunkId.startsWith('chunk') && ++results === 3) {
          throw new Error('process killed');
        }
        return store.append(id, entry);
      },
    });
    const deps = (s: ExecutionStore): EngineDeps => ({
      ecs: cloud.ecs,
      ram: cloud.ram,
      store: s,
      clock: systemClock,
      random: Math.random,
      logger: silentLogger,
    });
    const planned = await createExecution(parameters, deps(store), { origin: 'cli' });
    await expect(runExecution(planned.executionId, deps(dying))).rejects.toThrow('process killed');
    const report = await runExecution(planned.executionId, deps(store));
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ pending: 0, failed: 0, attached: 54, replaced: 1 });
    const world = await truth();
    for (let index = 0; index < 60; index++) {
      const instance = world.get(fleetId(index))!;
      expect(instance.RamRoleName).toBe(expectedRole(index));
      if (expectedRole(index) !== '' && index !== 41) expect(instance.AttachCount).toBe(1);
    }
  });
});
