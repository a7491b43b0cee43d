/**
 * Organization scope end to end: the real CLI in-process, real SDKs (STS, Resource Directory, ECS, RAM)
 * over HTTP to an emulator holding a management account and three members. Every figure is checked
 * against the emulator's truth per account, and the emulator checks that no credential reached another
 * account's instances.
 */
import { readdirSync } from 'node:fs';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { OrganizationReport } from '../../../src/engine/index';
import { runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator, TEST_ACCOUNT_ID } from '../../helpers/emulator';
import { MEMBER_IDS, ORG_REGIONS, organizationFleet } from '../../helpers/organization';

let emulator: EmulatorHandle | undefined;
beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function cli(command: string, state: string, ...args: string[]) {
  return runCli([
    command,
    '--endpoint',
    emulator!.endpoint,
    '--state',
    state,
    '--output',
    'json',
    '--quiet',
    ...args,
  ]);
}

function sweep(state: string, ...args: string[]) {
  return cli('sweep', state, '--role', DESIGNATED_ROLE, '--region', ORG_REGIONS.join(','), ...args);
}

/** Instances of `accountId` lacking the designated role (emulator truth). */
function lacking(accountId: string): string[] {
  return emulator!
    .instances(undefined, accountId)
    .filter((i) => i.RamRoleName !== DESIGNATED_ROLE)
    .map((i) => i.InstanceId);
}

describe('ecs-role-attach sweep --accounts', () => {
  it('attaches every eligible instance in every member and region through AssumeRole, never across accounts', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    const result = await sweep(tempState(), '--accounts', 'all');
    expect(result.stderr).toBe('');
    const report = result.json<OrganizationReport>();
    expect(report.status).toBe('Success');
    // The management account is left out unless asked.
    expect(report.leftOut).toEqual([
      { accountId: TEST_ACCOUNT_ID, reason: 'the management account (add --include-management)' },
    ]);
    expect(report.accounts.map((a) => a.accountId)).toEqual([...MEMBER_IDS]);
    expect(report.totals).toMatchObject({
      accounts: 3,
      children: 9,
      targets: 27,
      alreadyAttached: 9,
      attached: 18,
    });
    for (const accountId of MEMBER_IDS) expect(lacking(accountId)).toEqual([]);
    // Every attach was made once, in the instance's own account, by a session naming the tool and execution.
    for (const accountId of MEMBER_IDS) {
      for (const instance of emulator.instances(undefined, accountId))
        expect(instance.AttachCount).toBe(instance.InstanceId.endsWith('0') ? 0 : 1);
    }
    expect(emulator.instances(undefined, TEST_ACCOUNT_ID).every((i) => i.AttachCount === 0)).toBe(true);
    expect(emulator.crossAccountAttempts()).toEqual([]);
    const sessions = emulator.sessions();
    expect(sessions.map((s) => s.accountId).sort()).toEqual([...MEMBER_IDS]);
    for (const session of sessions) {
      expect(session.sessionName).toBe(`ecs-role-attach.${report.organizationId}`);
      expect(session.roleName).toBe('ResourceDirectoryAccountAccessRole');
    }
    const stats = emulator.stats();
    for (const accountId of MEMBER_IDS) expect(stats.accounts[accountId]?.['AttachInstanceRamRole']).toBe(3);
    expect(stats.accounts[TEST_ACCOUNT_ID]?.['AttachInstanceRamRole']).toBeUndefined();
  });

  it('reports a member without the assumable role Failed with the reason while the others complete', async () => {
    emulator = await startTestEmulator({
      fleet: organizationFleet({
        2: { roles: [{ RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: '{}' }] },
      }),
    });
    const result = await sweep(tempState(), '--accounts', 'folder:fd-prod', '--account-concurrency', '2');
    const report = result.json<OrganizationReport>();
    expect(result.code).toBe(1);
    expect(report.status).toBe('Failed');
    // fd-prod holds member 1 and, in its sub-folder fd-prod-eu, member 2; member 3 (fd-dev) is outside.
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      [MEMBER_IDS[0], 'Success'],
      [MEMBER_IDS[1], 'Failed'],
    ]);
    const failed = report.accounts[1]!.regions;
    expect(failed.map((c) => [c.status, c.code])).toEqual(
      ORG_REGIONS.map(() => ['Failed', 'EntityNotExist.Role']),
    );
    expect(failed[0]!.reason).toMatch(/could not be reached with role ResourceDirectoryAccountAccessRole/);
    expect(report.failuresByCode).toEqual({ 'EntityNotExist.Role': 3 });
    expect(lacking(MEMBER_IDS[0])).toEqual([]);
    expect(lacking(MEMBER_IDS[1])).toHaveLength(6);
    expect(lacking(MEMBER_IDS[2])).toHaveLength(6);
  });

  it('refuses bad organization flags before any call', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    const bad = await sweep(tempState(), '--accounts', 'folder:nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--accounts must name a folder like "folder:fd-a1b2c3", got "folder:nope"/);
    const orphan = await sweep(tempState(), '--assume-role', 'X');
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/--assume-role needs --accounts/);
    expect(emulator.stats().calls).toEqual({});
  });
});

describe('ecs-role-attach run --accounts, resume and cancel through the parent', () => {
  it('a paused child resumes from the parent; a parent cancel ends what is left', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    // Member 2's cn-shanghai instances refuse the attach once: its child pauses (FailurePause, MaxErrors 0).
    emulator.setFaults({ instanceErrors: { 'i-m2sh1': 'IncorrectInstanceStatus' } });
    const state = tempState();
    const run = await cli(
      'run',
      state,
      '--accounts',
      MEMBER_IDS.join(','),
      '--region',
      'cn-hangzhou,cn-shanghai',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--mode',
      'FailurePause',
      '--rate-control',
      '{"Mode":"Concurrency","Concurrency":1,"MaxErrors":0}',
    );
    const paused = run.json<OrganizationReport>();
    expect(run.code).toBe(3);
    expect(paused.status).toBe('Waiting');
    const waiting = paused.accounts.flatMap((a) => a.regions).filter((c) => c.status === 'Waiting');
    expect(waiting.map((c) => [c.accountId, c.regionId])).toEqual([[MEMBER_IDS[1], 'cn-shanghai']]);
    expect(paused.accounts.flatMap((a) => a.regions).filter((c) => c.status === 'Success')).toHaveLength(5);

    emulator.setFaults({ instanceErrors: { 'i-m2sh1': null } });
    const retried = await cli('retry', state, paused.organizationId);
    const done = retried.json<OrganizationReport>();
    expect(done.status).toBe('Success');
    expect(retried.code).toBe(0);
    expect(lacking(MEMBER_IDS[1]).filter((id) => !id.includes('be'))).toEqual([]);
    expect(emulator.crossAccountAttempts()).toEqual([]);

    const status = await cli('status', state, paused.organizationId);
    expect(status.json<OrganizationReport>().totals).toEqual(done.totals);
    // An ended parent takes no decision.
    const cancel = await cli('cancel', state, paused.organizationId);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/has ended|Success/);
  });
});

/** Every file under a state directory (a dry run must leave it empty). */
function storedFiles(state: string): string[] {
  return readdirSync(state, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}

function writeCalls(): string[] {
  return Object.keys(emulator!.stats().calls).filter((action) =>
    /^(Attach|Detach|Modify|Create|Delete|Replace)/.test(action),
  );
}

describe('ecs-role-attach run --accounts --dry-run', () => {
  it('prints a per-account and region plan with predicted outcomes; zero writes, nothing stored', async () => {
    emulator = await startTestEmulator({
      fleet: organizationFleet({
        2: { roles: [{ RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: '{}' }] },
      }),
    });
    const state = tempState();
    const result = await cli(
      'run',
      state,
      '--accounts',
      'all',
      '--region',
      'cn-hangzhou,cn-shanghai',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--dry-run',
    );
    const report = result.json<OrganizationReport>();
    // Member 2 cannot be assumed: the plan says so, and the exit code too.
    expect(result.code).toBe(1);
    expect(report.status).toBe('Planned');
    expect(report.statusReason).toBe('2 of 6 children would fail');
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      [MEMBER_IDS[0], 'Planned'],
      [MEMBER_IDS[1], 'Failed'],
      [MEMBER_IDS[2], 'Planned'],
    ]);
    const planned = report.accounts[0]!.regions[1]!;
    expect(planned).toMatchObject({ regionId: 'cn-shanghai', status: 'Planned' });
    expect(planned.counts).toMatchObject({ total: 3, alreadyAttached: 1, attached: 2, pending: 0 });
    expect(report.totals).toMatchObject({ children: 6, targets: 12, alreadyAttached: 4, attached: 8 });
    expect(report.failuresByCode).toEqual({ 'EntityNotExist.Role': 2 });
    expect(writeCalls()).toEqual([]);
    expect(storedFiles(state)).toEqual([]);
    for (const accountId of MEMBER_IDS) expect(lacking(accountId)).toHaveLength(6);

    const text = await runCli([
      'run',
      '--endpoint',
      emulator.endpoint,
      '--state',
      state,
      '--quiet',
      '--accounts',
      MEMBER_IDS[0],
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--dry-run',
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Organization dry run (run of role');
    expect(text.stdout).toContain('cn-hangzhou: Planned — targets 3: already 1, would be attached 2');
    expect(writeCalls()).toEqual([]);
  });
});

describe('sweep --accounts and the sources', () => {
  it('reports the sources per (account, region) like a single-account sweep, and fixes them with --fix', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    const reported = await sweep(tempState(), '--accounts', 'all');
    expect(reported.code).toBe(0);
    const report = reported.json<OrganizationReport>();
    for (const account of report.accounts) {
      for (const child of account.regions) {
        // Members hold no templates in this fleet; every instance is in normal metadata mode.
        const ids = emulator
          .instances(child.regionId, account.accountId)
          .map((i) => i.InstanceId)
          .sort();
        expect([account.accountId, child.regionId, child.sources]).toEqual([
          account.accountId,
          child.regionId,
          {
            launchTemplatesWithoutRole: [],
            scalingConfigurationsWithoutRole: [],
            pinnedScalingGroups: [],
            normalMetadataMode: ids,
            fixed: [],
          },
        ]);
      }
    }
    expect(emulator.stats().calls['ModifyInstanceMetadataOptions']).toBeUndefined();
    const text = await runCli([
      'sweep',
      '--role',
      DESIGNATED_ROLE,
      '--region',
      'cn-hangzhou',
      '--accounts',
      MEMBER_IDS[0],
      '--endpoint',
      emulator.endpoint,
      '--state',
      tempState(),
      '--quiet',
    ]);
    expect(text.stdout).toMatch(/cn-hangzhou: Success .*\n\s+sources: 0 launch templates without the role/);
    expect(text.stdout).toMatch(/\n\s+metadata: 3 instances in normal mode/);

    // --fix metadata hardens each member's instances with that member's credentials.
    const fixed = await sweep(tempState(), '--accounts', 'all', '--fix', 'metadata');
    expect(fixed.code).toBe(0);
    for (const account of fixed.json<OrganizationReport>().accounts) {
      for (const child of account.regions) {
        expect(child.sources?.fixed.map((f) => [f.fix, f.status, f.updated])).toEqual([
          ['metadata', 'Success', 3],
        ]);
        expect(child.sources?.normalMetadataMode).toEqual([]);
      }
      const modes = [...emulator.world.state(account.accountId).instancesById.values()].map(
        (i) => i.HttpTokens,
      );
      expect(new Set(modes)).toEqual(new Set(['required']));
    }
    expect(emulator.crossAccountAttempts()).toEqual([]);
  });
});

describe('ecs-role-attach rollback <org-id>', () => {
  it('rolls a parent back through its children: dry run first, then exactly what each child attached', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    const state = tempState();
    const swept = (await sweep(state, '--accounts', 'all')).json<OrganizationReport>();
    expect(swept.totals.attached).toBe(18);
    const dry = await cli('rollback', state, swept.organizationId, '--dry-run');
    const predicted = dry.json<OrganizationReport>();
    expect(dry.code).toBe(0);
    expect(predicted).toMatchObject({
      status: 'Planned',
      kind: 'rollback',
      rollbackOf: swept.organizationId,
    });
    expect(predicted.totals).toMatchObject({ children: 9, targets: 18, detached: 18 });
    expect(writeCalls()).toEqual(['AttachInstanceRamRole']);

    const done = await cli('rollback', state, swept.organizationId);
    const report = done.json<OrganizationReport>();
    expect(done.code).toBe(0);
    expect(report).toMatchObject({ status: 'Success', kind: 'rollback', rollbackOf: swept.organizationId });
    expect(report.totals).toMatchObject({ children: 9, detached: 18, restored: 0, failed: 0 });
    // Each child rolled back its own original: ids derive from the rollback parent's.
    const child = report.accounts[0]!.regions[0]!;
    expect(child.executionId).toBe(`${report.organizationId}.${MEMBER_IDS[0]}.cn-hangzhou`);
    const stats = emulator.stats();
    for (const accountId of MEMBER_IDS) {
      // One call per region (a call carries up to 100 instances), in the instance's own account.
      expect(stats.accounts[accountId]?.['DetachInstanceRamRole']).toBe(3);
      // Back to before the sweep: only the instances that bore the role before still bear it.
      expect(lacking(accountId)).toHaveLength(6);
    }
    expect(emulator.crossAccountAttempts()).toEqual([]);
    expect(
      emulator.sessions().filter((s) => s.sessionName === `ecs-role-attach.${report.organizationId}`),
    ).toHaveLength(3);

    // A rollback parent is not rolled back again; its id given again shows it (it has ended).
    const again = await cli('rollback', state, report.organizationId);
    expect(again.code).toBe(0);
    expect(again.json<OrganizationReport>().status).toBe('Success');
    expect(emulator.stats().calls['DetachInstanceRamRole']).toBe(9);
  });

  it('refuses to roll back a parent that is still open, naming what to do', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    emulator.setFaults({ instanceErrors: { 'i-m1ha1': 'IncorrectInstanceStatus' } });
    const state = tempState();
    const paused = await cli(
      'run',
      state,
      '--accounts',
      MEMBER_IDS[0],
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--mode',
      'FailurePause',
      '--rate-control',
      '{"Mode":"Concurrency","Concurrency":1,"MaxErrors":0}',
    );
    expect(paused.code).toBe(3);
    const id = paused.json<OrganizationReport>().organizationId;
    const refused = await cli('rollback', state, id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Cannot roll back execution ${id}: it is Waiting. Cancel it first`);
    expect(emulator.stats().calls['DetachInstanceRamRole']).toBeUndefined();
  });
});
