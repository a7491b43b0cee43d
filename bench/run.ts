/**
 * `npm run bench` (= `node dist/bench/run.js`): runs the benchmarks against the embedded emulator, prints
 * a table on stdout and writes bench/results/<timestamp>.json. Progress lines go to stderr.
 *
 *   npm run bench                                   # all four, full sizes
 *   npm run bench -- --only throughput --instances 500
 *   npm run bench -- --only scale --scale-instances 20000
 *   npm run bench -- --only cold-start,burst
 *   npm run bench -- --only console               # the console's 100,000-target execution page
 *   npm run bench -- --only windowed --windowed-instances 10000
 *
 * Flags: --only <list> (throughput, burst, cold-start, scale, console, windowed), --instances <n> (throughput, default 2000),
 * --windowed-instances <n> (default 10000),
 * --burst-instances <n> (default 1000), --scale-instances <n> (default 100000, also the console benchmark's targets), --cold-runs <n> (default 5),
 * --out <dir> (default bench/results).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { benchColdStart, COLD_START_TARGETS, type ColdStartBench } from './coldStart.js';
import { benchConsole, type ConsoleResult } from './console.js';
import { BURST_TARGETS, type BurstResult, benchEventBurst } from './eventBurst.js';
import { benchScale, type ScaleResult } from './scale.js';
import { benchThroughput, type ThroughputResult } from './throughput.js';
import { benchWindowed, WINDOWED_TARGETS, type WindowedResult } from './windowed.js';

export const BENCHMARKS = ['throughput', 'burst', 'cold-start', 'scale', 'console', 'windowed'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface BenchOptions {
  only: BenchmarkName[];
  instances: number;
  burstInstances: number;
  scaleInstances: number;
  windowedInstances: number;
  coldRuns: number;
  out: string;
}

/** Parses the command line; throws a message naming the flag on bad input. */
export function parseBenchArgs(argv: readonly string[], root: string): BenchOptions {
  const options: BenchOptions = {
    only: [...BENCHMARKS],
    instances: 2000,
    burstInstances: 1000,
    scaleInstances: 100_000,
    windowedInstances: 10_000,
    coldRuns: 5,
    out: join(root, 'bench/results'),
  };
  const positive = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case '--only': {
        const names = (value ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = names.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
        if (names.length === 0 || bad.length > 0) {
          throw new Error(
            `--only takes a comma-separated list of ${BENCHMARKS.join(', ')}, got ${JSON.stringify(value)}`,
          );
        }
        options.only = names as BenchmarkName[];
        break;
      }
      case '--instances':
        options.instances = positive(flag, value);
        break;
      case '--burst-instances':
        options.burstInstances = positive(flag, value);
        break;
      case '--scale-instances':
        options.scaleInstances = positive(flag, value);
        break;
      case '--windowed-instances':
        options.windowedInstances = positive(flag, value);
        break;
      case '--cold-runs':
        options.coldRuns = positive(flag, value);
        break;
      case '--out':
        if (!value) throw new Error('--out needs a directory');
        options.out = resolve(value);
        break;
      default:
        throw new Error(
          `unknown flag ${JSON.stringify(flag)} (flags: --only, --instances, --burst-instances, --scale-instances, --windowed-instances, --cold-runs, --out)`,
        );
    }
    i++;
  }
  return options;
}

const yes = (met: boolean) => (met ? 'yes' : 'NO');
const s = (seconds: number) => `${seconds.toFixed(2)} s`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows.map((row) => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`).join('\n');
}

function byAction(calls: Record<string, number>): string {
  return Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([action, n]) => `${action.replace('Instance', '')} ${n}`)
    .join(', ');
}

/** The throughput table: both strategies side by side. */
export function renderThroughput(result: ThroughputResult): string {
  const { product: p, oos: o } = result;
  const ratio = (a: number, b: number) => (b === 0 ? '-' : `${(a / b).toFixed(1)}x`);
  return [
    `Fleet throughput: ${p.instances} instances needing the role, 20 ms latency, quotas 20 calls/s per action`,
    table([
      ['', 'ecs-role-attach (Batch ["10%"])', 'OOS per-instance (10 in flight)', 'OOS / ours'],
      ['wall time', s(p.wallSeconds), s(o.wallSeconds), ratio(o.wallSeconds, p.wallSeconds)],
      [
        'quota floor max(n/q)',
        s(p.floor.seconds),
        s(o.floor.seconds),
        ratio(o.floor.seconds, p.floor.seconds),
      ],
      ['wall / floor', `${p.floorRatio.toFixed(2)}x`, `${o.floorRatio.toFixed(2)}x`, ''],
      ['floor if phases run in sequence', s(p.floor.sequentialSeconds), s(o.floor.sequentialSeconds), ''],
      [
        'wall / sequential floor',
        `${p.sequentialFloorRatio.toFixed(2)}x`,
        `${o.sequentialFloorRatio.toFixed(2)}x`,
        '',
      ],
      ['time before first write', s(p.planSeconds ?? 0), s(o.planSeconds ?? 0), ''],
      ['API calls', String(p.calls), String(o.calls), ratio(o.calls, p.calls)],
      ['API calls per instance', p.callsPerInstance.toFixed(4), o.callsPerInstance.toFixed(4), ''],
      ['calls by action', byAction(p.callsByAction), byAction(o.callsByAction), ''],
      ['throttled calls', String(p.throttled), String(o.throttled), ''],
      ['instances attached', String(p.attached), String(o.attached), ''],
    ]),
    `targets: >= ${result.targets.speedup}x faster: ${yes(result.met.speedup)} (${result.speedup.toFixed(1)}x); ` +
      `<= ${result.targets.floorRatio}x quota floor: ${yes(result.met.floorRatio)} (${p.floorRatio.toFixed(2)}x); ` +
      `<= ${result.targets.callsPerInstance} calls/instance: ${yes(result.met.callsPerInstance)} (${p.callsPerInstance.toFixed(4)})`,
  ].join('\n');
}

export function renderBurst(result: BurstResult): string {
  return [
    `Event burst: ${result.instances} instances launched within ${result.launchSeconds.toFixed(1)} s, EventBridge batches of ${result.batchSize}, ${result.maxConcurrentInvocations} invocations at once`,
    table([
      ['measure', 'value', 'target', 'met'],
      ['instances attached', `${result.attached} / ${result.instances}`, 'all', yes(result.met.allAttached)],
      ['event-to-attached p50', `${result.p50Ms.toFixed(0)} ms`, '', ''],
      [
        'event-to-attached p99',
        `${result.p99Ms.toFixed(0)} ms`,
        `< ${BURST_TARGETS.p99Ms} ms`,
        yes(result.met.p99),
      ],
      ['event-to-attached max', `${result.maxMs.toFixed(0)} ms`, '', ''],
      ['invocations (failed)', `${result.invocations} (${result.failedInvocations})`, '', ''],
      [
        'failures caused by throttling',
        String(result.throttlingFailures),
        '0',
        yes(result.met.noThrottlingFailures),
      ],
      ['throttled calls (retried)', String(result.throttled), '', ''],
      ['calls by action', byAction(result.callsByAction), '', ''],
    ]),
  ].join('\n');
}

export function renderColdStart(result: ColdStartBench): string {
  return [
    `Cold start and size (median of fresh Node processes; baseline: bare \`node -e 0\` ${result.baselineMs.toFixed(0)} ms)`,
    table([
      [
        'function',
        'bundle',
        'require',
        'require + no-op answer',
        'process wall (node start incl.)',
        'wall / node -e 0',
        'answer',
        'met',
      ],
      ...result.functions.map((r) => [
        r.name,
        `${(r.bundleBytes / 1024).toFixed(0)} KiB`,
        `${r.requireMs.toFixed(0)} ms`,
        `${r.loadAndAnswerMs.toFixed(0)} ms`,
        `${r.processMs.toFixed(0)} ms`,
        `${r.ratio.toFixed(2)}x`,
        r.answer.slice(0, 60),
        yes(r.met.bundle && r.met.loadMs && r.met.ratio),
      ]),
    ]),
    `targets: load + answer < ${COLD_START_TARGETS.loadMs} ms, bundle < ${COLD_START_TARGETS.bundleBytes / 2 ** 20} MiB, wall <= ${COLD_START_TARGETS.ratio}x node -e 0`,
  ].join('\n');
}

export function renderConsole(result: ConsoleResult): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    `Console: the execution page of a ${result.targets}-target execution (${result.journalEntries} journal entries), 100 rows a page, over HTTP`,
    table([
      ['measure', 'value', 'target', 'met'],
      ['status --output json (in process, median of 3)', ms(result.statusMs), 'baseline', ''],
      [
        'first view after start (execution.json + summary.json)',
        `${ms(result.firstPageMs)} (${(result.firstRatio * 100).toFixed(1)}% of status)`,
        `< ${result.targets_.pageMs} ms`,
        yes(result.met.firstPageMs),
      ],
      [
        '  then page 2 (waits for plan and journal, read in the background)',
        ms(result.backgroundLoadMs),
        '',
        '',
      ],
      [
        'first view of a store without summary.json (reads plan and journal)',
        ms(result.firstPageWithoutSummaryMs),
        '',
        '',
      ],
      [
        `following pages, median of ${result.pageMs.count}`,
        `${ms(result.pageMs.median)} (${(result.ratio * 100).toFixed(1)}% of status)`,
        '',
        '',
      ],
      ['following pages, p95', ms(result.pageMs.p95), '', ''],
      [
        'following pages, max',
        ms(result.pageMs.max),
        `< ${result.targets_.pageMs} ms`,
        yes(result.met.pageMs),
      ],
    ]),
  ].join('\n');
}

export function renderWindowed(result: WindowedResult): string {
  return [
    `Windowed quotas: ${result.instances} instances needing the role, ${result.quota} per ECS action and region, 20 ms latency, default settings`,
    table([
      ['measure', 'value', 'target', 'met'],
      ['status', result.status, 'Success', yes(result.status === 'Success')],
      ['instances attached', `${result.attached} / ${result.instances}`, 'all', yes(result.met.allAttached)],
      ['failed', String(result.failed), String(WINDOWED_TARGETS.failed), yes(result.met.noFailures)],
      ['wall time', s(result.wallSeconds), '', ''],
      [
        'window floor',
        `${s(result.floorSeconds)} (${result.bindingAction}: ${result.windows[result.bindingAction ?? ''] ?? 0} windows)`,
        '',
        '',
      ],
      [
        'wall / window floor',
        `${result.floorRatio.toFixed(2)}x`,
        `<= ${WINDOWED_TARGETS.floorRatio}x`,
        yes(result.met.floorRatio),
      ],
      [
        'wall / plan-then-write window floor',
        `${result.planThenWriteRatio.toFixed(2)}x (floor ${s(result.planThenWriteSeconds)})`,
        '',
        '',
      ],
      ['calls by action', byAction(result.callsByAction), '', ''],
      ['throttled calls (waited out)', byAction(result.throttledByAction), '', ''],
    ]),
  ].join('\n');
}

export function renderScale(result: ScaleResult): string {
  return [
    `Scale: dry run over ${result.instances} instances, no quotas (CLI child process)`,
    table([
      ['measure', 'value', 'target', 'met'],
      ['wall time', s(result.wallSeconds), `< ${result.targets.seconds} s`, yes(result.met.seconds)],
      [
        'CLI peak RSS',
        `${result.cliPeakRssMb.toFixed(0)} MB`,
        `< ${result.targets.rssMb} MB`,
        yes(result.met.rssMb),
      ],
      ['CLI CPU time', s(result.cliCpuSeconds), '', ''],
      [
        'targets in report',
        String(result.targetsInReport),
        String(result.instances),
        yes(result.targetsInReport === result.instances),
      ],
      ['emulator process RSS (separate)', `${result.emulatorProcessRssMb.toFixed(0)} MB`, '', ''],
      ['calls by action', byAction(result.apiCalls), '', ''],
    ]),
  ].join('\n');
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '../..');
  const options = parseBenchArgs(process.argv.slice(2), root);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    options,
  };
  const sections: string[] = [];
  for (const name of options.only) {
    if (name === 'throughput') {
      const result = await benchThroughput(options.instances, log);
      results['throughput'] = result;
      sections.push(renderThroughput(result));
    } else if (name === 'burst') {
      const result = await benchEventBurst(options.burstInstances, root, log);
      results['burst'] = result;
      sections.push(renderBurst(result));
    } else if (name === 'cold-start') {
      const result = await benchColdStart(root, options.coldRuns, log);
      results['coldStart'] = result;
      sections.push(renderColdStart(result));
    } else if (name === 'console') {
      const result = await benchConsole(options.scaleInstances, root, log);
      results['console'] = result;
      sections.push(renderConsole(result));
    } else if (name === 'windowed') {
      const result = await benchWindowed(options.windowedInstances, log);
      results['windowed'] = result;
      sections.push(renderWindowed(result));
    } else {
      const result = await benchScale(options.scaleInstances, root, log);
      results['scale'] = result;
      sections.push(renderScale(result));
    }
  }
  process.stdout.write(`${sections.join('\n\n')}\n`);
  mkdirSync(options.out, { recursive: true });
  const file = join(options.out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
