/**
 * Benchmark: a run under windowed quotas as ECS applies them (fixed windows per action and region,
 * "throttled at minute T, callable again at T+1"), here `"100/10s"` per ECS action so that a run trips
 * many windows in a benchmark's time. 10,000 instances needing the role, 20 ms latency, the product
 * with every setting at its default (rate control Concurrency 10: 10 ids per attach call, 1,000 calls).
 *
 * Reported: wall time against the window floor (bench/floor.ts `windowFloor`), failures (must be 0) and
 * instances attached (must be all). The run starts at a window boundary, which the floor assumes.
 * Baseline: before this change the engine gave up on a throttled call after its error-retry budget
 * (~11 s on average) and recorded the chunk Failed: the first throttled window paused the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudApis } from '../src/cloud/clients.js';
import { startEmulator } from '../src/emulator/index.js';
import { createExecution, runExecution, silentLogger, systemClock } from '../src/engine/index.js';
import { parseExecutionInput } from '../src/inputs/parameters.js';
import { openExecutionStore } from '../src/store/index.js';
import { BENCH_REGION, BENCH_ROLE, benchFleet } from './fleet.js';
import { acceptedCalls, type WindowQuota, windowFloor } from './floor.js';
import { BENCH_LATENCY_MS } from './throughput.js';

export const WINDOW: WindowQuota = Object.freeze({ limit: 100, windowSeconds: 10 });
const ECS_ACTIONS = [
  'DescribeInstances',
  'DescribeInstanceRamRole',
  'AttachInstanceRamRole',
  'DetachInstanceRamRole',
];
export const WINDOWED_TARGETS = { floorRatio: 1.2, failed: 0 } as const;

export interface WindowedResult {
  instances: number;
  quota: string;
  attached: number;
  failed: number;
  status: string;
  wallSeconds: number;
  floorSeconds: number;
  /** The window floor when the writes wait for the plan (`windowFloor().planThenWriteSeconds`). */
  planThenWriteSeconds: number;
  bindingAction: string | undefined;
  windows: Record<string, number>;
  floorRatio: number;
  planThenWriteRatio: number;
  callsByAction: Record<string, number>;
  throttledByAction: Record<string, number>;
  met: { allAttached: boolean; noFailures: boolean; floorRatio: boolean };
}

export async function benchWindowed(instances: number, log: (line: string) => void): Promise<WindowedResult> {
  const quota = `${WINDOW.limit}/${WINDOW.windowSeconds}s`;
  const emulator = await startEmulator({
    fleet: benchFleet(instances),
    latencyMs: BENCH_LATENCY_MS,
    quotas: { ...Object.fromEntries(ECS_ACTIONS.map((action) => [action, quota])), GetRole: 100 },
  });
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
      maxTargets: '100%', // a first rollout over the whole region: lifts the default 1000 of Type All
    });
    // Start at a window boundary (the floor assumes it).
    const windowMs = WINDOW.windowSeconds * 1000;
    await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs)));
    log(`windowed: ${instances} instances under ${quota} per ECS action...`);
    const started = performance.now();
    const created = await createExecution(parameters, deps, { origin: 'cli' });
    const report = await runExecution(created.executionId, deps);
    const wallSeconds = (performance.now() - started) / 1000;
    const stats = emulator.stats();
    const accepted = acceptedCalls(stats.calls, stats.throttled);
    const floor = windowFloor(accepted, Object.fromEntries(ECS_ACTIONS.map((action) => [action, WINDOW])));
    const attached = emulator.instances().filter((i) => i.RamRoleName === BENCH_ROLE).length;
    log(`windowed: ${report.status} in ${wallSeconds.toFixed(1)} s (floor ${floor.seconds} s)`);
    return {
      instances,
      quota,
      attached,
      failed: report.counts.failed,
      status: report.status,
      wallSeconds,
      floorSeconds: floor.seconds,
      planThenWriteSeconds: floor.planThenWriteSeconds,
      bindingAction: floor.bindingAction,
      windows: floor.windows,
      floorRatio: wallSeconds / floor.seconds,
      planThenWriteRatio: wallSeconds / floor.planThenWriteSeconds,
      callsByAction: stats.calls,
      throttledByAction: stats.throttled,
      met: {
        allAttached: attached === instances,
        noFailures: report.counts.failed === 0,
        floorRatio: wallSeconds / floor.seconds <= WINDOWED_TARGETS.floorRatio,
      },
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
    await emulator.close();
  }
}
