/**
 * Crash safety at organization scope: a `sweep --accounts all` child process (the built CLI) is killed with
 * SIGKILL while accounts run in parallel; `resume <parent>` finishes every child, and no instance of any
 * account is written twice (the children's journals settle the interrupted calls first). The same for the
 * parent of an organization rollback (`rollback <org-id>`): killed mid-detach, resumed, each instance
 * detached exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { OrganizationReport } from '../../../src/engine/index';
import { builtCliEnv, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, smallFleet, startTestEmulator } from '../../helpers/emulator';
import { MEMBER_IDS, memberAccount, ORG_REGIONS } from '../../helpers/organization';

const BIN = join(__dirname, '../../../bin/ecs-role-attach.js');

let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function until(predicate: () => boolean, child: ChildProcess): Promise<void> {
  while (!predicate()) {
    if (child.exitCode !== null) throw new Error(`child exited early with ${child.exitCode}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('organization crash and resume', () => {
  it('a SIGKILLed organization sweep resumes through the parent without a blind double write', async () => {
    useEmulatorCredentials();
    emulator = await startTestEmulator({
      fleet: {
        ...smallFleet(),
        accounts: MEMBER_IDS.map((id, i) => memberAccount(id, i + 1, { perRegion: 120 })),
      },
      faults: { latencyMs: 10 },
    });
    const state = tempState();
    const args = ['--role', DESIGNATED_ROLE, '--region', ORG_REGIONS.join(','), '--accounts', 'all'];
    const rate = ['--rate-control', '{"Mode":"Concurrency","Concurrency":10,"MaxErrors":0}'];
    const common = ['--endpoint', emulator.endpoint, '--state', state];
    const child = spawn(process.execPath, [BIN, 'sweep', ...args, ...rate, ...common, '--quiet'], {
      env: builtCliEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, signal) => resolve(signal)),
    );
    // 3 accounts x 3 regions x 119 role-less instances in chunks of 10: ~108 attach calls; kill at 40.
    await until(() => (emulator!.stats().calls['AttachInstanceRamRole'] ?? 0) >= 40, child);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const listed = await runCli(['list', '--state', state, '--output', 'json']);
    const children = listed.json<{ executionId: string; status: string }[]>();
    expect(children.some((c) => c.status === 'Running')).toBe(true);
    const organizationId = children[0]!.executionId.split('.')[0]!;

    const resumed = await runCli(['resume', organizationId, ...common, '--output', 'json', '--quiet']);
    const report = resumed.json<OrganizationReport>();
    expect(report.status).toBe('Success');
    expect(report.totals).toMatchObject({
      children: 9,
      targets: 1080,
      alreadyAttached: 9,
      attached: 1071,
      failed: 0,
    });
    for (const accountId of MEMBER_IDS) {
      for (const instance of emulator.instances(undefined, accountId)) {
        expect(instance.RamRoleName).toBe(DESIGNATED_ROLE);
        expect(instance.AttachCount).toBe(/^i-m\d[a-z]{2}0$/.test(instance.InstanceId) ? 0 : 1);
      }
    }
    expect(emulator.crossAccountAttempts()).toEqual([]);
    // A second sweep finds the organization compliant and starts a new parent.
    const again = await runCli(['sweep', ...args, ...common, '--output', 'json', '--quiet']);
    expect(again.json<OrganizationReport>().totals).toMatchObject({ attached: 0, alreadyAttached: 1080 });
  });

  it('a SIGKILLed organization rollback resumes through its parent, detaching each instance exactly once', async () => {
    useEmulatorCredentials();
    emulator = await startTestEmulator({
      fleet: {
        ...smallFleet(),
        accounts: MEMBER_IDS.map((id, i) => memberAccount(id, i + 1, { perRegion: 120 })),
      },
    });
    const state = tempState();
    const common = ['--endpoint', emulator.endpoint, '--state', state];
    const swept = await runCli([
      'sweep',
      '--role',
      DESIGNATED_ROLE,
      '--region',
      ORG_REGIONS.join(','),
      '--accounts',
      'all',
      // Ten instances per call, so that the rollback (which keeps the rate control) takes ~108 detach calls.
      '--rate-control',
      '{"Mode":"Concurrency","Concurrency":10,"MaxErrors":0}',
      ...common,
      '--output',
      'json',
      '--quiet',
    ]);
    const original = swept.json<OrganizationReport>();
    expect(original.totals).toMatchObject({ attached: 1071, failed: 0 });

    emulator.setFaults({ latencyMs: 10 });
    const child = spawn(process.execPath, [BIN, 'rollback', original.organizationId, ...common, '--quiet'], {
      env: builtCliEnv(),
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, signal) => resolve(signal)),
    );
    await until(() => (emulator!.stats().calls['DetachInstanceRamRole'] ?? 0) >= 40, child);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    emulator.setFaults({});

    // The rollback parent's children are named `<rollback parent>.<account>.<region>`; it creates them as it
    // reaches them, so a killed one has some, not necessarily all nine, and not all of them finished.
    const listed = await runCli(['list', '--state', state, '--output', 'json']);
    const rollbackChildren = listed
      .json<{ executionId: string; status: string }[]>()
      .filter((c) => !c.executionId.startsWith(`${original.organizationId}.`));
    expect(rollbackChildren.length).toBeGreaterThan(0);
    expect(rollbackChildren.filter((c) => c.status === 'Success').length).toBeLessThan(9);
    const rollbackId = rollbackChildren[0]!.executionId.split('.')[0]!;

    const resumed = await runCli(['resume', rollbackId, ...common, '--output', 'json', '--quiet']);
    const report = resumed.json<OrganizationReport>();
    expect(report).toMatchObject({
      status: 'Success',
      kind: 'rollback',
      rollbackOf: original.organizationId,
    });
    expect(report.totals).toMatchObject({ children: 9, detached: 1071, restored: 0, failed: 0 });
    for (const accountId of MEMBER_IDS) {
      for (const instance of emulator.instances(undefined, accountId)) {
        // The instances that bore the role before the sweep keep it and were never touched.
        const before = /^i-m\d[a-z]{2}0$/.test(instance.InstanceId);
        expect([instance.InstanceId, instance.RamRoleName, instance.DetachCount]).toEqual([
          instance.InstanceId,
          before ? DESIGNATED_ROLE : '',
          before ? 0 : 1,
        ]);
      }
    }
    expect(emulator.crossAccountAttempts()).toEqual([]);
  });
});
