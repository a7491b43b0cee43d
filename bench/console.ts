/**
 * Benchmark 5, console: the execution page of a 100,000-target execution, 100 instances a page, against
 * reading the same outcomes through the CLI's `status --output json` (which loads and prints the whole
 * execution: what an operator would otherwise page through).
 *
 * The execution is written through the store as a run writes it (plan, then an intent and a result entry
 * per chunk of 100: 2,000 journal entries), finished Success with failures and skips. The console runs in
 * this process; its pages are fetched over HTTP like a browser would, the first one (which reads plan and
 * journal once) reported apart from the following ones (which re-read execution.json only).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startConsole } from '../src/cli/console/server.js';
import { main as cli } from '../src/cli/main.js';
import type { ExecutionPlan, ExecutionRecord, InstanceOutcome } from '../src/engine/index.js';
import { openExecutionStore } from '../src/store/index.js';
import { BENCH_REGION, BENCH_ROLE } from './fleet.js';

export interface ConsoleResult {
  targets: number;
  journalEntries: number;
  /** `status --output json`, in this process (no Node start-up), median of runs, ms. */
  statusMs: number;
  /** The first execution page (reads plan and journal), ms. */
  firstPageMs: number;
  /** The following pages (random pages, searches, outcome filters), ms. */
  pageMs: { median: number; p95: number; max: number; count: number };
  /** pageMs.median / statusMs. */
  ratio: number;
  targets_: { pageMs: number };
  met: { pageMs: boolean };
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
  await store.saveRecord({ ...record, status: 'Success', nextBatch: plan.batches.length });
  return entries;
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
export async function benchConsole(targets: number, log: (line: string) => void): Promise<ConsoleResult> {
  const state = mkdtempSync(join(tmpdir(), 'era-console-bench-'));
  try {
    log(`console: writing a finished ${targets}-target execution...`);
    const journalEntries = await writeExecution(state, targets);
    log('console: status --output json...');
    const statusRuns: number[] = [];
    for (let i = 0; i < 3; i += 1) statusRuns.push(await statusOnce(state));
    const handle = await startConsole({ state });
    try {
      const headers = { authorization: `Bearer ${handle.token}` };
      const page = async (query: string): Promise<number> => {
        const started = performance.now();
        const response = await fetch(`${handle.origin}/executions/${EXECUTION_ID}${query}`, { headers });
        const body = await response.text();
        const elapsed = performance.now() - started;
        if (response.status !== 200 || !body.includes('<table class="instances">')) {
          throw new Error(`page ${query} answered ${response.status}`);
        }
        return elapsed;
      };
      log('console: pages...');
      const firstPageMs = await page('');
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
        times.push(await page(query));
        log(`console: ${query || '(first page)'} ${times.at(-1)!.toFixed(1)} ms`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const pageMs = {
        median: median(times),
        p95: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0,
        max: sorted.at(-1) ?? 0,
        count: times.length,
      };
      const statusMs = median(statusRuns);
      return {
        targets,
        journalEntries,
        statusMs,
        firstPageMs,
        pageMs,
        ratio: pageMs.median / statusMs,
        targets_: { pageMs: CONSOLE_TARGETS.pageMs },
        met: { pageMs: pageMs.max < CONSOLE_TARGETS.pageMs },
      };
    } finally {
      await handle.close();
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
