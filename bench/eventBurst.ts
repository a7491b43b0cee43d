/**
 * Benchmark 2, event burst (placeholder until functions/on-instance-created lands).
 */
export interface BurstResult {
  instances: number;
  launchSeconds: number;
  batchSize: number;
  maxConcurrentInvocations: number;
  attached: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  invocations: number;
  failedInvocations: number;
  throttlingFailures: number;
  throttled: number;
  callsByAction: Record<string, number>;
  met: { allAttached: boolean; p99: boolean; noThrottlingFailures: boolean };
}

export const BURST_TARGETS = { p99Ms: 3000 } as const;

export async function benchEventBurst(
  _instances: number,
  _root: string,
  _log: (line: string) => void,
): Promise<BurstResult> {
  throw new Error('event burst: functions/on-instance-created is not implemented yet');
}
