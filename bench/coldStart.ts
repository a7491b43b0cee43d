/**
 * Benchmark 3, cold start and size: each bundle under dist/functions/<name>/index.js, its size, and a
 * fresh Node process that loads it and answers a no-op event. Reported: the in-process time from
 * `require` to the answer (what FC adds to its own runtime start) and the whole process wall time
 * (node start included), median of `runs`. The baseline is a bare `node -e 0` on the same machine, spawned
 * between the bundle runs, so the ratio `process wall / baseline` carries no machine speed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ColdStartResult {
  name: string;
  bundleBytes: number;
  /** Median ms from `require` to the handler's answer, in the child. */
  loadAndAnswerMs: number;
  /** Median ms of `require` alone. */
  requireMs: number;
  /** Median ms from spawn to exit (Node start included). */
  processMs: number;
  /** processMs / the bare `node -e 0` baseline's median process wall. */
  ratio: number;
  /** What the handler answered: `ok` or the error's message (a refusal is an answer too). */
  answer: string;
  met: { loadMs: boolean; bundle: boolean; ratio: boolean };
}

export interface ColdStartBench {
  /** Median ms from spawn to exit of a bare `node -e 0`. */
  baselineMs: number;
  functions: ColdStartResult[];
}

export const COLD_START_TARGETS = { loadMs: 300, bundleBytes: 5 * 1024 * 1024, ratio: 1.5 } as const;

/** The no-op event of each function: something the handler must recognise and ignore or refuse. */
export function noOpEvent(name: string, accountId: string): unknown {
  switch (name) {
    case 'on-instance-created':
      // An event of another product on the default bus: decoded, logged as ignored, no call.
      return {
        id: 'bench-noop-1',
        source: 'acs.ebs',
        specversion: '1.0',
        type: 'ebs:Disk:DiskBPSExceedDiskMaxLimit',
        aliyunaccountid: accountId,
        aliyunregionid: 'cn-hangzhou',
        data: { resourceId: 'd-bench' },
      };
    case 'sweep':
      // A timer event whose payload fails validation: refused before any call.
      return { triggerTime: '2026-01-05T03:00:00Z', triggerName: 'sweep', payload: '{"unknownKey":true}' };
    default:
      // The workflow function: an unknown action, refused before any call.
      return { action: 'noop' };
  }
}

const CHILD = `
const t0 = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const event = Buffer.from(process.env.BENCH_EVENT, 'utf8');
const context = { requestId: 'bench', accountId: process.env.FC_ACCOUNT_ID, region: 'cn-hangzhou',
  function: { name: 'bench', timeout: 60 }, credentials: {} , logger: console };
Promise.resolve().then(() => mod.handler(event, context)).then(
  () => 'ok', (e) => 'error: ' + String(e && e.message || e).slice(0, 120)
).then((answer) => {
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ requireMs: t1 - t0, loadAndAnswerMs: t2 - t0, answer }) + '\\n');
});
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Ms from spawn to exit of a bare `node -e 0`. */
async function bareNode(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

async function once(bundle: string, event: unknown, env: Record<string, string>) {
  const started = performance.now();
  return new Promise<{ requireMs: number; loadAndAnswerMs: number; answer: string; processMs: number }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['-e', CHILD], {
        env: { ...env, BENCH_BUNDLE: bundle, BENCH_EVENT: JSON.stringify(event) },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', () => {
        // The handler's own log lines (pino, asynchronous) may come after the result line.
        const line =
          out
            .trim()
            .split('\n')
            .findLast((candidate) => candidate.includes('"requireMs"')) ?? '';
        try {
          resolve({ ...JSON.parse(line), processMs: performance.now() - started });
        } catch {
          reject(new Error(`cold start child for ${bundle} printed no result: ${out.slice(0, 200)}`));
        }
      });
    },
  );
}

/** Measures every bundle `runs` times. `root` is the repository root. */
export async function benchColdStart(
  root: string,
  runs: number,
  log: (line: string) => void,
): Promise<ColdStartBench> {
  const dir = join(root, 'dist/functions');
  if (!existsSync(dir)) throw new Error('dist/functions is missing: run `npm run build` first');
  const names = readdirSync(dir).filter((name) => existsSync(join(dir, name, 'index.js')));
  const accountId = '1234567890123456';
  const scratch = mkdtempSync(join(tmpdir(), 'era-cold-'));
  const env = {
    PATH: process.env['PATH'] ?? '',
    RAM_ROLE_NAME: 'EcsAppRole',
    FC_ACCOUNT_ID: accountId,
    FC_REGION: 'cn-hangzhou',
    STATE: scratch,
    // Any call would fail fast here; a no-op must not make one.
    ENDPOINT_OVERRIDE: 'http://127.0.0.1:9',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tBenchNoCallsExpected',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'bench-secret-not-used',
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
  };
  const measured: Omit<ColdStartResult, 'ratio' | 'met'>[] = [];
  const baseline: number[] = [];
  try {
    for (const name of names) {
      log(`cold start: ${name}`);
      const bundle = join(dir, name, 'index.js');
      // `tsc` alone writes an unbundled index.js at the same path; measuring that would mean nothing.
      if (readFileSync(bundle, 'utf8').includes('require("../../src/')) {
        throw new Error(
          `${bundle} is not an esbuild bundle: run \`npm run build\` (tsc, then scripts/bundle.mjs)`,
        );
      }
      const samples = [];
      for (let i = 0; i < runs; i++) {
        baseline.push(await bareNode(env));
        samples.push(await once(bundle, noOpEvent(name, accountId), env));
      }
      measured.push({
        name,
        bundleBytes: statSync(bundle).size,
        loadAndAnswerMs: median(samples.map((s) => s.loadAndAnswerMs)),
        requireMs: median(samples.map((s) => s.requireMs)),
        processMs: median(samples.map((s) => s.processMs)),
        answer: samples[0]?.answer ?? '',
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const baselineMs = median(baseline);
  const functions = measured.map((r) => {
    const ratio = r.processMs / baselineMs;
    return {
      ...r,
      ratio,
      met: {
        loadMs: r.loadAndAnswerMs < COLD_START_TARGETS.loadMs,
        bundle: r.bundleBytes < COLD_START_TARGETS.bundleBytes,
        ratio: ratio <= COLD_START_TARGETS.ratio,
      },
    };
  });
  return { baselineMs, functions };
}
