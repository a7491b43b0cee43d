/**
 * Benchmark 5, console: the execution page of a 100,000-target execution, 100 instances a page, against
 * reading the same outcomes through the CLI's `status --output json` (which loads and prints the whole
 * execution: what an operator would otherwise page through).
 *
 * The execution is written through the store as a run writes it (plan, then an intent and a result entry
 * per chunk of 100: 2,000 journal entries, then execution.json with its summary), finished Success with
 * failures and skips. The console runs in its own process (`ecs-role-attach console`, as an operator
 * starts it), so that its work is not mixed with this client's; its pages are fetched over HTTP like a
 * browser would. Reported apart: the first view after the console starts (execution.json and summary.json), the
 * background read of plan and journal it starts, the pages after it, and the first view of a store
 * without summary.json (as stores written before summaries were), which reads plan and journal first.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main as cli } from '../src/cli/main.js';
import {
  applyEntry,
  type ExecutionPlan,
  type ExecutionRecord,
  type InstanceOutcome,
  planFold,
  saveRecordAndSummary,
} from '../src/engine/index.js';
import { openExecutionStore } from '../src/store/index.js';
import { BENCH_REGION, BENCH_ROLE } from './fleet.js';

export interface ConsoleResult {
  targets: number;
  journalEntries: number;
  /** `status --output json`, in this process (no Node start-up), median of runs, ms. */
  statusMs: number;
  /** The first execution page after the console starts (execution.json and summary.json), ms. */
  firstPageMs: number;
  /** From the first view until a page that needs the plan and journal (read in the background) answers, ms. */
  backgroundLoadMs: number;
  /** The first page over a store without summary.json (reads plan and journal first), ms. */
  firstPageWithoutSummaryMs: number;
  /** The following pages (random pages, searches, outcome filters), ms. */
  pageMs: { median: number; p95: number; max: number; count: number };
  /** pageMs.median / statusMs. */
  ratio: number;
  /** firstPageMs / statusMs. */
  firstRatio: number;
  targets_: { pageMs: number };
  met: { pageMs: boolean; firstPageMs: boolean };
}

export const CONSOLE_TARGETS = { pageMs: 300 } as const;

export const EXECUTION_ID = 'exec-20261201T120000Z-c0ffee';

/** Writes a finished execution of `targets` instances into the store at `state`. */
export async function writeExecution(state: string, targets: number): Promise<number> {
  const store = openExecutionStore(state);
  const ids = Array.from({ length: targets }, (_, i) => `i-bp${String(i).padStart(18, '0')}`);
  // 2% already bear the role, 1% are excluded: decided at planning, no write.
  const decided = (i: number): InstanceOutcome | undefined =>
    i % 50 === 7
      ? { instanceId: ids[i]!, outcome: 'AlreadyAttached' }
      : i % 100 === 3
        ? { instanceId: ids[i]!, outcome: 'Skipped', reason: 'Excluded' }
        : undefined;
  const work = ids.filter((_, i) => decided(i) === undefined);
  const batchSize = Math.ceil(work.length / 100);
  const plan: ExecutionPlan = {
    executionId: EXECUTION_ID,
    targets: ids.map((instanceId, i) => {
      const outcome = decided(i);
      return outcome ? { instanceId, decided: outcome } : { instanceId, work: 'attach' };
    }),
    batches: Array.from({ length: Math.ceil(work.length / batchSize) }, (_, index) => ({
      index,
      instanceIds: work.slice(index * batchSize, (index + 1) * batchSize),
      concurrency: 100,
    })),
    maxErrors: 100,
  };
  const at = '2026-12-01T12:00:00.000Z';
  const counts = {
    total: targets,
    attached: 0,
    alreadyAttached: 0,
    replaced: 0,
    skipped: 0,
    failed: 0,
    cancelled: 0,
    pending: 0,
  };
  const record: ExecutionRecord = {
    executionId: EXECUTION_ID,
    createdAt: at,
    updatedAt: at,
    status: 'Running',
    parameters: {
      regionId: BENCH_REGION,
      ramRoleName: BENCH_ROLE,
      targets: { Type: 'All' },
      rateControl: {
        Mode: 'Batch',
        Batch: ['1%'],
        ConcurrencyInBatches: 100,
        BatchPauseOption: 'Automatic',
        MaxErrors: 100,
      },
      mode: 'Automatic',
      onConflict: 'skip',
      exclusions: { tags: [], instanceIds: [] },
    },
    nextBatch: 0,
    errorBase: 0,
    lastBatchPause: -1,
    counts,
    origin: 'cli',
  };
  await store.create(record, plan);
  let entries = 0;
  for (let from = 0, chunk = 1; from < work.length; from += 100, chunk += 1) {
    const instanceIds = work.slice(from, from + 100);
    const chunkId = `chunk-${chunk}`;
    await store.append(EXECUTION_ID, { at, type: 'intent', chunkId, operation: 'attach', instanceIds });
    const outcomes: InstanceOutcome[] = instanceIds.map((instanceId, i) =>
      (from + i) % 1500 === 11
        ? {
            instanceId,
            outcome: 'Failed',
            code: 'InvalidInstance.Locked',
            message: `${instanceId} is locked.`,
          }
        : { instanceId, outcome: 'Attached' },
    );
    await store.append(EXECUTION_ID, { at, type: 'result', chunkId, outcomes });
    entries += 2;
  }
  // As the run's last save: counts and summary from the plan and the journal, then the record.
  const fold = planFold(plan);
  for (const entry of (await store.load(EXECUTION_ID)).journal) applyEntry(fold, entry);
  const done = { ...record, status: 'Success' as const, nextBatch: plan.batches.length };
  await saveRecordAndSummary(store, { ...fold, record: done, plan });
  return entries;
}

/** `ecs-role-attach console --state <state>` in a child process, until close(). */
async function spawnConsole(
  root: string,
  state: string,
): Promise<{ origin: string; token: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(root, 'bin/ecs-role-attach.js'), 'console', '--state', state], {
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (match) resolve(new URL(match[1]!));
    });
    child.once('exit', (code) => reject(new Error(`console exited ${code} before printing its URL`)));
  });
  return {
    origin: url.origin,
    token: url.searchParams.get('token') ?? '',
    close: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function warmUp(origin: string, token: string): Promise<void> {
  const response = await fetch(`${origin}/assets/console.css`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.text();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function statusOnce(state: string): Promise<number> {
  const sink = new PassThrough();
  sink.resume();
  const started = performance.now();
  const code = await cli(
    ['node', 'ecs-role-attach', 'status', EXECUTION_ID, '--state', state, '--output', 'json'],
    {
      stdout: sink,
      stderr: sink,
    },
  );
  if (code !== 0) throw new Error(`status exited ${code}`);
  return performance.now() - started;
}

/** Writes the execution, then times `status --output json` and console pages over it. */
export async function benchConsole(
  targets: number,
  root: string,
  log: (line: string) => void,
): Promise<ConsoleResult> {
  const state = mkdtempSync(join(tmpdir(), 'era-console-bench-'));
  try {
    log(`console: writing a finished ${targets}-target execution...`);
    const journalEntries = await writeExecution(state, targets);
    log('console: status --output json...');
    const statusRuns: number[] = [];
    for (let i = 0; i < 3; i += 1) statusRuns.push(await statusOnce(state));
    const page = async (origin: string, token: string, query: string): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${origin}/executions/${EXECUTION_ID}${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200 || !body.includes('<table class="instances">')) {
        throw new Error(`page ${query} answered ${response.status}`);
      }
      return elapsed;
    };
    const statusMs = median(statusRuns);
    let result: Omit<ConsoleResult, 'firstPageWithoutSummaryMs' | 'met'>;
    const handle = await spawnConsole(root, state);
    try {
      log('console: pages...');
      // The client's connection first (a browser has one from the token redirect): no store read.
      await warmUp(handle.origin, handle.token);
      const started = performance.now();
      const firstPageMs = await page(handle.origin, handle.token, '');
      // Page 2 needs the whole execution: it answers once the background read has ended.
      await page(handle.origin, handle.token, '?page=2');
      const backgroundLoadMs = performance.now() - started;
      log(
        `console: first view ${firstPageMs.toFixed(1)} ms, page 2 (plan and journal) after ${backgroundLoadMs.toFixed(0)} ms`,
      );
      const pages = Math.ceil(targets / 100);
      const queries = [
        ...Array.from({ length: 20 }, (_, i) => `?page=${1 + ((i * 7919) % pages)}`),
        `?page=${pages}`,
        '?outcome=Failed',
        '?outcome=Skipped&detail=Excluded&page=2',
        '?outcome=AlreadyAttached&page=5',
        '?q=i-bp0000000000000042',
        '?q=locked',
        `?q=${encodeURIComponent('i-bp00000000000000')}&page=3`,
      ];
      const times: number[] = [];
      for (const query of queries) {
        times.push(await page(handle.origin, handle.token, query));
        log(`console: ${query} ${times.at(-1)!.toFixed(1)} ms`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const pageMs = {
        median: median(times),
        p95: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0,
        max: sorted.at(-1) ?? 0,
        count: times.length,
      };
      result = {
        targets,
        journalEntries,
        statusMs,
        firstPageMs,
        backgroundLoadMs,
        pageMs,
        ratio: pageMs.median / statusMs,
        firstRatio: firstPageMs / statusMs,
        targets_: { pageMs: CONSOLE_TARGETS.pageMs },
      };
    } finally {
      await handle.close();
    }
    // A store written before summaries existed: the first view reads plan and journal.
    rmSync(join(state, 'executions', EXECUTION_ID, 'summary.json'));
    const old = await spawnConsole(root, state);
    let firstPageWithoutSummaryMs: number;
    try {
      await warmUp(old.origin, old.token);
      firstPageWithoutSummaryMs = await page(old.origin, old.token, '');
      log(`console: first view without summary.json ${firstPageWithoutSummaryMs.toFixed(1)} ms`);
    } finally {
      await old.close();
    }
    return {
      ...result,
      firstPageWithoutSummaryMs,
      met: {
        pageMs: result.pageMs.max < CONSOLE_TARGETS.pageMs,
        firstPageMs: result.firstPageMs < CONSOLE_TARGETS.pageMs,
      },
    };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
