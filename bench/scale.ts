/**
 * Benchmark 4, scale: `run --dry-run` of the built CLI (a child process) over a generated fleet of
 * 100,000 instances in one region, emulator without quotas or latency. The CLI's own limiter is raised to
 * 1,000 calls/s per action (its defaults of 20/s are meant for the real quotas and would make the dry run
 * take minutes: 1,000 DescribeInstances pages and 1,700 DescribeInstanceRamRole calls). The emulator runs
 * in this process; its memory is reported separately.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmulatorHandle, type FleetFile, generateFleet, startEmulator } from '../src/emulator/index.js';
import { BENCH_REGION, BENCH_ROLE } from './fleet.js';

export interface ScaleResult {
  instances: number;
  wallSeconds: number;
  /** Peak RSS of the CLI process, MB. */
  cliPeakRssMb: number;
  cliCpuSeconds: number;
  /** RSS of the benchmark process holding the emulator and its fleet, MB. */
  emulatorProcessRssMb: number;
  exitCode: number | null;
  targetsInReport: number;
  apiCalls: Record<string, number>;
  targets: { rssMb: number; seconds: number };
  met: { rssMb: boolean; seconds: boolean };
}

export const SCALE_TARGETS = { rssMb: 256, seconds: 30 } as const;

/** What one dry run of the CLI in a child process measured. */
export interface DryRunMeasure {
  wallSeconds: number;
  /** Peak RSS of the CLI process, MB. */
  cliPeakRssMb: number;
  cliCpuSeconds: number;
  exitCode: number | null;
  targetsInReport: number;
}

/** The generated fleet of the scale and rules benchmarks: `instances` in one region, seed 11, no quotas. */
export function scaleFleet(instances: number): FleetFile {
  const fleet = generateFleet({ instances, seed: 11, regions: { [BENCH_REGION]: 1 } });
  // No quotas: a generated fleet carries the documented ones (DescribeInstanceRamRole 1,200 a minute), which
  // would make a dry run wait for the next minute part way and measure the clock, not the CLI.
  fleet.quotas = {};
  return fleet;
}

/** Runs the dry run and measures it. `root` is the repository root (holding bin/ and dist/). */
export async function benchScale(
  instances: number,
  root: string,
  log: (line: string) => void,
  /** Extra Node flags for the CLI process, e.g. `--max-old-space-size=128` (for experiments). */
  nodeArgs: string[] = [],
): Promise<ScaleResult> {
  log(`scale: generating ${instances} instances...`);
  const emulator = await startEmulator({ fleet: scaleFleet(instances) });
  const scratch = mkdtempSync(join(tmpdir(), 'era-scale-'));
  try {
    log('scale: dry run in a child process...');
    const run = await dryRunInChild(emulator, root, ['--role', BENCH_ROLE], scratch, nodeArgs);
    return {
      instances,
      wallSeconds: run.wallSeconds,
      cliPeakRssMb: run.cliPeakRssMb,
      cliCpuSeconds: run.cliCpuSeconds,
      emulatorProcessRssMb: process.memoryUsage().rss / 2 ** 20,
      exitCode: run.exitCode,
      targetsInReport: run.targetsInReport,
      apiCalls: emulator.stats().calls,
      targets: { ...SCALE_TARGETS },
      met: {
        rssMb: run.cliPeakRssMb < SCALE_TARGETS.rssMb,
        seconds: run.wallSeconds < SCALE_TARGETS.seconds,
      },
    };
  } finally {
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `run --dry-run --targets {"Type":"All"}` of the built CLI in a child process against `emulator`, with the
 * role flags given (`--role <name>` or `--rules <file>`), its limiter raised to 1,000 calls/s; measures
 * wall time, peak RSS and CPU of the child. A fresh state directory under `scratch` each time.
 */
export async function dryRunInChild(
  emulator: EmulatorHandle,
  root: string,
  roleArgs: string[],
  scratch: string,
  nodeArgs: string[] = [],
): Promise<DryRunMeasure> {
  const run = mkdtempSync(join(scratch, 'run-'));
  const rssFile = join(run, 'rss.json');
  const args = [
    ...nodeArgs,
    '--require',
    join(root, 'dist/bench/rssProbe.js'),
    join(root, 'bin/ecs-role-attach.js'),
    'run',
    '--dry-run',
    '--region',
    BENCH_REGION,
    ...roleArgs,
    '--targets',
    '{"Type":"All"}',
    '--endpoint',
    emulator.endpoint,
    '--state',
    join(run, 'state'),
    '--qps',
    'DescribeInstances=1000,DescribeInstanceRamRole=1000,GetRole=1000',
    '--output',
    'json',
    '--quiet',
  ];
  const started = performance.now();
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: {
        PATH: process.env['PATH'] ?? '',
        ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
        BENCH_RSS_FILE: rssFile,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const usage = JSON.parse(readFileSync(rssFile, 'utf8')) as {
    maxRssKb: number;
    userCpuUs: number;
    systemCpuUs: number;
  };
  let targetsInReport = 0;
  try {
    targetsInReport = (JSON.parse(stdout) as { counts?: { total?: number } }).counts?.total ?? 0;
  } catch {
    targetsInReport = 0;
  }
  return {
    wallSeconds,
    cliPeakRssMb: usage.maxRssKb / 1024,
    cliCpuSeconds: (usage.userCpuUs + usage.systemCpuUs) / 1e6,
    exitCode: code,
    targetsInReport,
  };
}
