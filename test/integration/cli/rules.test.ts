/**
 * Role rules end to end: `run --rules` with the real CLI and @alicloud SDKs against the emulator, whose
 * admin route is the truth (role and policy per instance, call counts); a crash mid-run resumed across
 * rules; rollback per instance.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { createExecution, type EngineDeps, runExecution } from '../../../src/engine/execution/index';
import type { ExecutionReport } from '../../../src/engine/index';
import type { SweepReport } from '../../../src/engine/paths/sweep';
import type { ExecutionStore } from '../../../src/engine/ports';
import { silentLogger, systemClock } from '../../../src/engine/ports';
import { parseExecutionInput } from '../../../src/inputs/parameters';
import { FsExecutionStore } from '../../../src/store/index';
import { emulatorFlags, fleetId, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { admin, startTestEmulator } from '../../helpers/emulator';
import { expectedRole, expectedRule, POLICY, RULE_ROLES, RULES, teamsFleet } from '../../helpers/rulesFleet';

interface Truth {
  InstanceId: string;
  RamRoleName: string;
  RamRolePolicy: string;
  AttachCount: number;
  DetachCount: number;
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

describe('sweep --rules against the emulator', () => {
  /** The teams fleet with two instances already bearing their rule's role. */
  function sweptFleet() {
    const fleet = teamsFleet();
    fleet.instances![0]!.RamRoleName = 'PaymentsAppRole';
    fleet.instances![20]!.RamRoleName = 'WebAppRole';
    return fleet;
  }

  /** Per-rule compliance worked out from the fleet: compliant = the rule's role or an accepted role. */
  function expectedByRule(fleet: ReturnType<typeof sweptFleet>) {
    const roles = new Map(RULE_ROLES);
    const lines = RULE_ROLES.map(([rule, role]) => ({
      rule,
      role,
      evaluated: 0,
      compliant: 0,
      attachedNow: 0,
      skipped: 0,
      failed: 0,
      compliantAfter: 0,
    }));
    fleet.instances!.forEach((instance, index) => {
      const rule = expectedRule(index);
      const line = lines.find((l) => l.rule === rule);
      if (!line) return;
      line.evaluated += 1;
      const before = instance.RamRoleName ?? '';
      if (before === roles.get(line.rule) || before === 'LegacyAppRole') line.compliant += 1;
      else if (before === '' || line.rule === 'web')
        line.attachedNow += 1; // web replaces other roles
      else line.skipped += 1;
      line.compliantAfter = line.compliant + line.attachedNow;
    });
    return lines;
  }

  function sweepRules(state: string, ...args: string[]) {
    return runCli([
      'sweep',
      '--region',
      'cn-hangzhou',
      '--endpoint',
      emulator!.endpoint,
      '--state',
      state,
      '--quiet',
      ...args,
    ]);
  }

  it('reports compliance per rule, attaches each rule role, and a second sweep finds all compliant', async () => {
    const fleet = sweptFleet();
    emulator = await startTestEmulator({ fleet });
    const state = tempState();
    const rules = rulesFile(RULES);
    const result = await sweepRules(state, '--rules', rules, '--output', 'json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = result.json<SweepReport>();
    expect(report.role).toBe('@rules');
    const [region] = report.regions;
    const byRule = expectedByRule(fleet);
    expect(region?.byRule).toEqual(byRule);
    const sum = (key: 'compliant' | 'attachedNow') => byRule.reduce((n, line) => n + line[key], 0);
    const noRule = [56, 57, 58, 59].map(fleetId);
    expect(region).toMatchObject({
      state: 'swept',
      status: 'Success',
      evaluated: 60,
      compliant: sum('compliant'),
      accepted: 1,
      attachedNow: sum('attachedNow'),
      replaced: 1,
      skipped: { NoRule: noRule },
      failed: [],
      compliantAfter: sum('compliant') + sum('attachedNow'),
    });
    // The CLI reports the sources beside, judged by the same rules (this fleet has none).
    expect(region?.sources?.unavailable).toBeUndefined();
    expect(region?.sources).toMatchObject({
      launchTemplatesWithoutRole: [],
      scalingConfigurationsWithoutRole: [],
      sourcesWithoutRule: [],
    });

    const world = await truth();
    for (let index = 0; index < 60; index++) {
      expect([fleetId(index), world.get(fleetId(index))?.RamRoleName]).toEqual([
        fleetId(index),
        expectedRole(index),
      ]);
    }
    expect(world.get(fleetId(0))?.AttachCount).toBe(0);
    expect(world.get(fleetId(41))?.AttachCount).toBe(0);
    const attachCalls = emulator.stats().calls['AttachInstanceRamRole'];

    // Again: nothing left to do; every instance with a rule is compliant, none attached.
    const again = await sweepRules(state, '--rules', rules);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Sweep of role rules /);
    for (const line of byRule) {
      expect(again.stdout).toContain(
        `rule ${line.rule} -> ${line.role}: evaluated ${line.evaluated}, compliant ${line.compliantAfter}, attached now 0, skipped 0, failed 0`,
      );
    }
    expect(again.stdout).toMatch(/evaluated 60: compliant 56, attached now 0, skipped 4/);
    expect(emulator.stats().calls['AttachInstanceRamRole']).toBe(attachCalls);
  });

  it.each([
    [['--role', 'EcsAppRole'], /--rules and --role exclude each other/],
    [['--fix', 'everything'], /--fix\[0\] must be one of templates, metadata/],
  ])('refuses --rules with %j: exit 2, zero cloud calls', async (extra, message) => {
    emulator = await startTestEmulator({ fleet: sweptFleet() });
    const result = await sweepRules(tempState(), '--rules', rulesFile(RULES), ...extra);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(totalCalls()).toBe(0);
  });

  it('refuses a bad rules document naming the rule and field, with zero cloud calls', async () => {
    emulator = await startTestEmulator({ fleet: sweptFleet() });
    const result = await sweepRules(
      tempState(),
      '--rules',
      rulesFile(RULES.replace('role: WebAppRole', "role: ''")),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ --rules rules\[1\]\.role of rule "web" is required/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(totalCalls()).toBe(0);
  });

  it('neither --role nor --rules is refused', async () => {
    emulator = await startTestEmulator({ fleet: sweptFleet() });
    const result = await sweepRules(tempState());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--role or --rules is required/);
    expect(totalCalls()).toBe(0);
  });
});
