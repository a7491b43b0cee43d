/**
 * Crash-and-resume harness shared by the fast reliability test and the soak test: the built CLI runs
 * `run`, then `resume` as often as needed, as child processes; each is SIGKILLed at a seeded point
 * (the arrival of the k-th AttachInstanceRamRole call at the emulator, plus a seeded extra delay so
 * that some kills land during journal writes rather than during the call). The emulator re-attaching
 * a role an instance already bears *succeeds* here (`sameRoleAttach: 'succeed'`) and counts it, so a
 * blind second write would show as AttachCount 2.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorHandle, EmulatorService } from '../../src/emulator/index';
import type { ExecutionReport } from '../../src/engine/index';
import type { JournalEntry } from '../../src/engine/types';
import { builtCliEnv, cliFleet, tempState } from '../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../helpers/emulator';
import { seededRandom } from '../helpers/seededRandom';

export const BIN = join(__dirname, '../../bin/ecs-role-attach.js');
export const BUILT = join(__dirname, '../../dist/cli/main.js');

export interface CrashOptions {
  instances: number;
  kills: number;
  seed: number;
  /** @default 10 */
  latencyMs?: number;
  /** rateControl JSON of the run. */
  rateControl: string;
}

export interface CrashOutcome {
  emulator: EmulatorHandle;
  state: string;
  executionId: string;
  /** The final `status --output json` report. */
  report: ExecutionReport;
  /** Signals / exit codes of every child, in order. */
  exits: { command: string; signal: NodeJS.Signals | null; code: number | null; killAt?: number }[];
  journal: JournalEntry[];
}

function cli(args: string[]): {
  child: ChildProcess;
  done: Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: builtCliEnv(),
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string }>(
    (resolve) =>
      child.on('close', (code, signal) =>
        resolve({ code, signal, stdout: Buffer.concat(chunks).toString('utf8') }),
      ),
  );
  return { child, done };
}

/** Reads an execution's journal from the FS store, in seq order. */
export function readJournal(state: string, executionId: string): JournalEntry[] {
  const dir = join(state, 'executions', executionId, 'journal');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as JournalEntry)
    .sort((a, b) => a.seq - b.seq);
}

function findExecutionId(state: string): string | undefined {
  const dir = join(state, 'executions');
  if (!existsSync(dir)) return undefined;
  const ids = readdirSync(dir).filter((name) => existsSync(join(dir, name, 'execution.json')));
  return ids[0];
}

/**
 * Runs the execution to its end through `kills` SIGKILLs. Kill points are seeded attach-call ordinals,
 * strictly increasing so that every child makes progress before it dies. Close the returned emulator.
 */
export async function crashAndResume(options: CrashOptions): Promise<CrashOutcome> {
  const random = seededRandom(options.seed);
  let attachCalls = 0;
  let onAttach: (() => void) | undefined;
  // Claims nothing; sees every API request first, so the kill lands exactly at a write's arrival.
  const observer: EmulatorService = {
    name: 'crash-observer',
    hostId: '127.0.0.1',
    claims: (request) => {
      if (request.action === 'AttachInstanceRamRole') {
        attachCalls++;
        onAttach?.();
      }
      return false;
    },
    handle: () => ({ body: {} }),
  };
  const emulator = await startTestEmulator({
    fleet: cliFleet(options.instances),
    faults: { latencyMs: options.latencyMs ?? 10 },
    sameRoleAttach: 'succeed',
    services: [observer],
  });
  const state = tempState();
  const exits: CrashOutcome['exits'] = [];
  const common = ['--endpoint', emulator.endpoint, '--state', state, '--quiet', '--output', 'json'];
  let executionId: string | undefined;
  for (let kill = 0; kill < options.kills; kill++) {
    // Each child must write at least once more before it dies: 1 or 2 further attach calls (so that 20
    // kills fit in 40 calls), then 0-25 ms more.
    const killAt = attachCalls + 1 + Math.floor(random() * 2);
    const extraDelay = Math.floor(random() * 26);
    const args = executionId
      ? ['resume', executionId, ...common]
      : [
          'run',
          '--region',
          'cn-hangzhou',
          '--role',
          DESIGNATED_ROLE,
          '--targets',
          '{"Type":"All"}',
          '--rate-control',
          options.rateControl,
          ...common,
        ];
    const { child, done } = cli(args);
    onAttach = () => {
      if (attachCalls < killAt) return;
      onAttach = undefined;
      const fire = () => child.kill('SIGKILL');
      if (extraDelay === 0) fire();
      else setTimeout(fire, extraDelay);
    };
    const exit = await done;
    onAttach = undefined;
    exits.push({ command: args[0]!, signal: exit.signal, code: exit.code, killAt });
    executionId ??= findExecutionId(state);
    if (exit.signal === null) break; // it finished before its kill point: nothing left to crash
  }
  if (!executionId) throw new Error('no execution was created');
  const last = exits[exits.length - 1];
  if (last?.signal !== null || exits.length === 0) {
    const { done } = cli(['resume', executionId, ...common]);
    const exit = await done;
    exits.push({ command: 'resume', signal: exit.signal, code: exit.code });
  }
  const status = await cli(['status', executionId, ...common]).done;
  return {
    emulator,
    state,
    executionId,
    report: JSON.parse(status.stdout) as ExecutionReport,
    exits,
    journal: readJournal(state, executionId),
  };
}

/** The checks both crash tests make; throws via `expect`. */
export function expectConsistent(outcome: CrashOutcome, instances: number): void {
  const { report, emulator, journal } = outcome;
  expect(report.status).toBe('Success');
  expect(report.counts).toMatchObject({ total: instances, attached: instances, pending: 0, failed: 0 });
  // exactly one outcome per target in the report...
  const ids = report.instances.map((i) => i.instanceId);
  expect(new Set(ids).size).toBe(instances);
  // ...and exactly one recorded result per target in the journal
  const results = new Map<string, number>();
  for (const entry of journal) {
    if (entry.type !== 'result') continue;
    for (const o of entry.outcomes) results.set(o.instanceId, (results.get(o.instanceId) ?? 0) + 1);
  }
  expect(results.size).toBe(instances);
  expect([...results.values()].every((n) => n === 1)).toBe(true);
  // it matches the emulator's truth, and nothing was written twice
  const truth = new Map(emulator.instances().map((i) => [i.InstanceId, i]));
  for (const instance of report.instances) {
    expect(instance.outcome).toBe('Attached');
    expect(truth.get(instance.instanceId)?.RamRoleName).toBe(DESIGNATED_ROLE);
  }
  const attachCounts = [...truth.values()].map((i) => i.AttachCount);
  expect(Math.max(...attachCounts)).toBe(1);
}
