/**
 * Crash safety: a `run` child process (the built CLI) is killed with SIGKILL in the middle of an
 * execution; `resume` finishes it, and every target's recorded outcome matches the emulator's truth.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { ExecutionReport } from '../../../src/engine/index';
import { builtCliEnv, cliFleet, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { admin, DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

const BIN = join(__dirname, '../../../bin/ecs-role-attach.js');
const BUILT = join(__dirname, '../../../dist/cli/main.js');

let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Resolves once `predicate` holds, checking on every emulator request's turn of the event loop. */
async function until(predicate: () => boolean, child: ChildProcess): Promise<void> {
  while (!predicate()) {
    if (child.exitCode !== null) throw new Error(`child exited early with ${child.exitCode}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('crash and resume', () => {
  it('a SIGKILLed run resumes to exactly one outcome per target, matching the emulator', async () => {
    expect(existsSync(BUILT)).toBe(true); // npm ci builds dist/ through `prepare`
    useEmulatorCredentials();
    emulator = await startTestEmulator({ fleet: cliFleet(1500), faults: { latencyMs: 15 } });
    const state = tempState();
    const child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '--region',
        'cn-hangzhou',
        '--role',
        DESIGNATED_ROLE,
        '--targets',
        '{"Type":"All"}',
        '--rate-control',
        '{"Mode":"Batch","Batch":["10%"],"ConcurrencyInBatches":50}',
        '--max-targets',
        '100%',
        '--endpoint',
        emulator.endpoint,
        '--state',
        state,
        '--quiet',
      ],
      {
        env: builtCliEnv(),
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Kill it a third of the way through: 10 of ~30 attach calls done.
    await until(() => (emulator!.stats().calls['AttachInstanceRamRole'] ?? 0) >= 10, child);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const listed = await runCli(['list', '--state', state, '--output', 'json']);
    const [execution] = listed.json<{ executionId: string; status: string }[]>();
    expect(execution?.status).toBe('Running');
    const before = emulator.stats().calls['AttachInstanceRamRole'] ?? 0;

    const resumed = await runCli([
      'resume',
      execution!.executionId,
      '--endpoint',
      emulator.endpoint,
      '--state',
      state,
      '--output',
      'json',
    ]);
    expect(resumed.code).toBe(0);
    const report = resumed.json<ExecutionReport>();
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({ total: 1500, attached: 1500, pending: 0, failed: 0 });
    // the resumed run wrote only what was left: fewer calls than the 30 a fresh run needs
    expect((emulator.stats().calls['AttachInstanceRamRole'] ?? 0) - before).toBeLessThan(30);

    const { body } = await admin<{
      Instances: { InstanceId: string; RamRoleName: string; AttachCount: number }[];
    }>(emulator, '/_emulator/instances');
    const truth = new Map(body.Instances.map((i) => [i.InstanceId, i]));
    for (const instance of report.instances) {
      expect(truth.get(instance.instanceId)?.RamRoleName).toBe(DESIGNATED_ROLE);
      expect(truth.get(instance.instanceId)?.AttachCount).toBe(1);
    }
  });
});
