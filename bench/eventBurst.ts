/**
 * Benchmark 2, event burst: `instances` instances are launched within 10 s (emulator admin route
 * `POST /_emulator/instances`, in 20 waves 0.5 s apart); each launch publishes an
 * `ecs:Instance:StateChange` (Running) CloudEvent. A simulated EventBridge push delivers them to the
 * bundled `on-instance-created` handler (dist/functions/on-instance-created/index.js, loaded in this
 * process like one FC instance with instance concurrency 20) in batches of up to 20 events, with at most
 * 20 invocations at once and a batch window of 200 ms (a batch leaves when it is full or its oldest event
 * has waited 200 ms). Emulator: 20 ms latency, 20 calls/s per action.
 *
 * Event-to-attached is measured from the event's publication (the launch) to the end of the invocation
 * that reported the instance attached: conservative, it includes the journal writes after the call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmulatorHandle, startEmulator } from '../src/emulator/index.js';
import { BENCH_REGION, BENCH_ROLE, benchFleet, benchInstance } from './fleet.js';
import { BENCH_LATENCY_MS, BENCH_QUOTAS } from './throughput.js';

export interface BurstResult {
  instances: number;
  launchSeconds: number;
  batchSize: number;
  batchWindowMs: number;
  maxConcurrentInvocations: number;
  attached: number;
  /** Instances bearing the role in the emulator at the end. */
  attachedInEmulator: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  wallSeconds: number;
  invocations: number;
  failedInvocations: number;
  failedInstances: number;
  throttlingFailures: number;
  backlogged: number;
  throttled: number;
  callsByAction: Record<string, number>;
  met: { allAttached: boolean; p99: boolean; noThrottlingFailures: boolean };
}

export const BURST_TARGETS = { p99Ms: 3000 } as const;

const BATCH_SIZE = 20;
const MAX_INVOCATIONS = 20;
const BATCH_WINDOW_MS = 200;
const WAVES = 20;
const WAVE_INTERVAL_MS = 500;

interface Summary {
  attached: string[];
  alreadyAttached: string[];
  failed: { instanceId: string; code: string }[];
  backlogged: string[];
}
type Handler = (event: Buffer, context: Record<string, unknown>) => Promise<Summary>;

interface PublishedEvent {
  instanceId: string;
  publishedAt: number;
  body: Record<string, unknown>;
}

function stateChange(
  emulator: EmulatorHandle,
  instanceId: string,
  sequence: number,
): Record<string, unknown> {
  return {
    id: `bench-${sequence.toString(16).padStart(12, '0')}`,
    source: 'acs.ecs',
    specversion: '1.0',
    subject: `acs:ecs:${BENCH_REGION}:${emulator.accountId}:instance/${instanceId}`,
    time: new Date().toISOString(),
    type: 'ecs:Instance:StateChange',
    aliyunaccountid: emulator.accountId,
    aliyunregionid: BENCH_REGION,
    aliyuneventbusname: 'default',
    datacontenttype: 'application/json;charset=utf-8',
    data: { resourceId: instanceId, resourceType: 'ALIYUN::ECS::Instance', state: 'Running' },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the burst; `root` is the repository root (the bundle is loaded from dist/functions). */
export async function benchEventBurst(
  instances: number,
  root: string,
  log: (line: string) => void,
): Promise<BurstResult> {
  const emulator = await startEmulator({
    fleet: benchFleet(0),
    latencyMs: BENCH_LATENCY_MS,
    quotas: { ...BENCH_QUOTAS },
  });
  const state = mkdtempSync(join(tmpdir(), 'era-burst-'));
  const saved = { ...process.env };
  Object.assign(process.env, {
    RAM_ROLE_NAME: BENCH_ROLE,
    FC_ACCOUNT_ID: emulator.accountId,
    FC_REGION: BENCH_REGION,
    STATE: state,
    ENDPOINT_OVERRIDE: emulator.endpoint,
    ALIBABA_CLOUD_ACCESS_KEY_ID: emulator.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: emulator.accessKeySecret,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    LOG_LEVEL: 'silent',
  });
  delete process.env['ALIBABA_CLOUD_SECURITY_TOKEN'];
  try {
    const { handler } = require(join(root, 'dist/functions/on-instance-created/index.js')) as {
      handler: Handler;
    };
    const queue: PublishedEvent[] = [];
    const publishedAt = new Map<string, number>();
    const attachedAt = new Map<string, number>();
    let inFlight = 0;
    let invocations = 0;
    let failedInvocations = 0;
    let throttlingFailures = 0;
    let failedInstances = 0;
    let backlogged = 0;
    let launched = 0;
    let launching = true;
    const running = new Set<Promise<void>>();

    const invoke = (batch: PublishedEvent[]) => {
      inFlight++;
      invocations++;
      const context = {
        requestId: `bench-${invocations}`,
        accountId: emulator.accountId,
        region: BENCH_REGION,
        function: { name: 'on-instance-created', timeout: 60 },
      };
      const body = Buffer.from(JSON.stringify(batch.map((e) => e.body)), 'utf8');
      const done = handler(body, context)
        .then((summary) => {
          const now = performance.now();
          for (const id of [...summary.attached, ...summary.alreadyAttached]) {
            if (!attachedAt.has(id)) attachedAt.set(id, now);
          }
          failedInstances += summary.failed.length;
          throttlingFailures += summary.failed.filter((f) => f.code.includes('Throttling')).length;
          backlogged += summary.backlogged.length;
        })
        .catch((error: unknown) => {
          failedInvocations++;
          if (String((error as { code?: unknown }).code ?? error).includes('Throttling'))
            throttlingFailures += batch.length;
        })
        .finally(() => {
          inFlight--;
          running.delete(done);
        });
      running.add(done);
    };

    // EventBridge push: full batches leave at once, partial ones after the batch window.
    const dispatcher = (async () => {
      while (launching || queue.length > 0) {
        const oldest = queue[0];
        const due =
          oldest !== undefined &&
          (queue.length >= BATCH_SIZE || performance.now() - oldest.publishedAt >= BATCH_WINDOW_MS);
        if (due && inFlight < MAX_INVOCATIONS) invoke(queue.splice(0, BATCH_SIZE));
        else await sleep(5);
      }
    })();

    log(`burst: launching ${instances} instances in ${WAVES} waves...`);
    const started = performance.now();
    const perWave = Math.ceil(instances / WAVES);
    for (let wave = 0; wave < WAVES && launched < instances; wave++) {
      const target = started + wave * WAVE_INTERVAL_MS;
      const wait = target - performance.now();
      if (wait > 0) await sleep(wait);
      const count = Math.min(perWave, instances - launched);
      const batch = Array.from({ length: count }, (_, i) => benchInstance(launched + i, 'e'));
      const response = await fetch(`${emulator.endpoint}/_emulator/instances`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: batch }),
      });
      if (!response.ok) throw new Error(`launch failed: ${response.status} ${await response.text()}`);
      const now = performance.now();
      for (const instance of batch) {
        publishedAt.set(instance.InstanceId, now);
        queue.push({
          instanceId: instance.InstanceId,
          publishedAt: now,
          body: stateChange(emulator, instance.InstanceId, launched),
        });
        launched++;
      }
    }
    const launchSeconds = (performance.now() - started) / 1000;
    launching = false;
    await dispatcher;
    while (running.size > 0) await Promise.all([...running]);
    const wallSeconds = (performance.now() - started) / 1000;

    const latencies = [...publishedAt]
      .map(([id, at]) => (attachedAt.has(id) ? attachedAt.get(id)! - at : Number.POSITIVE_INFINITY))
      .sort((a, b) => a - b);
    const stats = emulator.stats();
    const attachedInEmulator = emulator.instances().filter((i) => i.RamRoleName === BENCH_ROLE).length;
    const p99Ms = percentile(latencies, 99);
    return {
      instances,
      launchSeconds,
      batchSize: BATCH_SIZE,
      batchWindowMs: BATCH_WINDOW_MS,
      maxConcurrentInvocations: MAX_INVOCATIONS,
      attached: attachedAt.size,
      attachedInEmulator,
      p50Ms: percentile(latencies, 50),
      p99Ms,
      maxMs: latencies[latencies.length - 1] ?? Number.NaN,
      wallSeconds,
      invocations,
      failedInvocations,
      failedInstances,
      throttlingFailures,
      backlogged,
      throttled: Object.values(stats.throttled).reduce((a, b) => a + b, 0),
      callsByAction: stats.calls,
      met: {
        allAttached: attachedAt.size === instances && attachedInEmulator === instances,
        p99: p99Ms < BURST_TARGETS.p99Ms,
        noThrottlingFailures: throttlingFailures === 0,
      },
    };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await emulator.close();
    rmSync(state, { recursive: true, force: true });
  }
}
