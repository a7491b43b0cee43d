/**
 * Benchmark 1, fleet throughput: this product (engine + real SDK adapters + FS store) against the OOS
 * template's per-instance strategy (bench/oosStrategy.ts), each on its own emulator with the same fleet,
 * latency and quotas.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudApis } from '../src/cloud/clients.js';
import { type EmulatorHandle, startEmulator } from '../src/emulator/index.js';
import { createExecution, runExecution, silentLogger, systemClock } from '../src/engine/index.js';
import { parseExecutionInput } from '../src/inputs/parameters.js';
import { openExecutionStore } from '../src/store/index.js';
import { BENCH_REGION, BENCH_ROLE, benchFleet } from './fleet.js';
import { acceptedCalls, type QuotaFloor, quotaFloor } from './floor.js';
import { runOosStrategy } from './oosStrategy.js';

/** Per-action quotas of the benchmark emulator (calls per second). */
export const BENCH_QUOTAS: Readonly<Record<string, number>> = Object.freeze({
  DescribeInstances: 20,
  DescribeInstanceRamRole: 20,
  AttachInstanceRamRole: 20,
  DetachInstanceRamRole: 20,
  GetRole: 20,
});
export const BENCH_LATENCY_MS = 20;

/** What one strategy did. */
export interface StrategyResult {
  strategy: string;
  instances: number;
  attached: number;
  wallSeconds: number;
  /** Seconds spent before the first write (product: planning). */
  planSeconds?: number;
  callsByAction: Record<string, number>;
  throttledByAction: Record<string, number>;
  calls: number;
  throttled: number;
  callsPerInstance: number;
  floor: QuotaFloor;
  /** wallSeconds / floor.seconds */
  floorRatio: number;
  /** wallSeconds / floor.sequentialSeconds */
  sequentialFloorRatio: number;
}

export interface ThroughputResult {
  product: StrategyResult;
  oos: StrategyResult;
  /** oos.wallSeconds / product.wallSeconds */
  speedup: number;
  targets: { speedup: number; floorRatio: number; callsPerInstance: number };
  met: { speedup: boolean; floorRatio: boolean; callsPerInstance: boolean };
}

export const THROUGHPUT_TARGETS = { speedup: 25, floorRatio: 1.2, callsPerInstance: 0.05 } as const;

async function withEmulator<T>(
  instances: number,
  body: (emulator: EmulatorHandle) => Promise<T>,
): Promise<T> {
  const emulator = await startEmulator({
    fleet: benchFleet(instances),
    latencyMs: BENCH_LATENCY_MS,
    quotas: { ...BENCH_QUOTAS },
  });
  try {
    return await body(emulator);
  } finally {
    await emulator.close();
  }
}

function summarise(
  strategy: string,
  emulator: EmulatorHandle,
  instances: number,
  wallSeconds: number,
  planSeconds?: number,
): StrategyResult {
  const stats = emulator.stats();
  const calls = Object.values(stats.calls).reduce((a, b) => a + b, 0);
  const throttled = Object.values(stats.throttled).reduce((a, b) => a + b, 0);
  const floor = quotaFloor({ calls: acceptedCalls(stats.calls, stats.throttled), quotas: BENCH_QUOTAS });
  const attached = emulator.instances().filter((i) => i.RamRoleName === BENCH_ROLE).length;
  return {
    strategy,
    instances,
    attached,
    wallSeconds,
    ...(planSeconds === undefined ? {} : { planSeconds }),
    callsByAction: stats.calls,
    throttledByAction: stats.throttled,
    calls,
    throttled,
    callsPerInstance: calls / instances,
    floor,
    floorRatio: wallSeconds / floor.seconds,
    sequentialFloorRatio: wallSeconds / floor.sequentialSeconds,
  };
}

/** This product with Batch ["10%"] and every other setting at its default. */
export async function runProduct(instances: number): Promise<StrategyResult> {
  return withEmulator(instances, async (emulator) => {
    const directory = mkdtempSync(join(tmpdir(), 'era-bench-'));
    try {
      const cloud = createCloudApis({
        regionId: BENCH_REGION,
        endpoint: emulator.endpoint,
        credential: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
      });
      const deps = {
        ecs: cloud.ecs,
        ram: cloud.ram,
        store: openExecutionStore(directory),
        clock: systemClock,
        random: Math.random,
        logger: silentLogger,
      };
      const parameters = parseExecutionInput({
        regionId: BENCH_REGION,
        RamRoleName: BENCH_ROLE,
        targets: { Type: 'All' },
        rateControl: { Mode: 'Batch', Batch: ['10%'] },
        maxTargets: '100%',
      });
      const started = performance.now();
      const created = await createExecution(parameters, deps, { origin: 'cli' });
      const planned = performance.now();
      const report = await runExecution(created.executionId, deps);
      const ended = performance.now();
      if (report.status !== 'Success')
        throw new Error(`product run ended ${report.status}: ${report.statusReason}`);
      return summarise(
        'ecs-role-attach',
        emulator,
        instances,
        (ended - started) / 1000,
        (planned - started) / 1000,
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
}

/** The OOS template's strategy over the raw SDK. */
export async function runOos(instances: number): Promise<StrategyResult> {
  return withEmulator(instances, async (emulator) => {
    const started = performance.now();
    const outcome = await runOosStrategy({
      endpointHost: emulator.host,
      accessKeyId: emulator.accessKeyId,
      accessKeySecret: emulator.accessKeySecret,
      regionId: BENCH_REGION,
      ramRoleName: BENCH_ROLE,
      concurrency: 10,
    });
    const ended = performance.now();
    if (outcome.failed.length > 0) throw new Error(`OOS strategy failed ${outcome.failed.length} instances`);
    return summarise(
      'OOS per-instance',
      emulator,
      instances,
      (ended - started) / 1000,
      outcome.selectSeconds,
    );
  });
}

/** Runs both strategies, product first. */
export async function benchThroughput(
  instances: number,
  log: (line: string) => void,
): Promise<ThroughputResult> {
  log(`throughput: product over ${instances} instances...`);
  const product = await runProduct(instances);
  log(`throughput: product ${product.wallSeconds.toFixed(2)} s; OOS per-instance strategy...`);
  const oos = await runOos(instances);
  log(`throughput: OOS ${oos.wallSeconds.toFixed(2)} s`);
  const speedup = oos.wallSeconds / product.wallSeconds;
  return {
    product,
    oos,
    speedup,
    targets: { ...THROUGHPUT_TARGETS },
    met: {
      speedup: speedup >= THROUGHPUT_TARGETS.speedup,
      floorRatio: product.floorRatio <= THROUGHPUT_TARGETS.floorRatio,
      callsPerInstance: product.callsPerInstance <= THROUGHPUT_TARGETS.callsPerInstance,
    },
  };
}
