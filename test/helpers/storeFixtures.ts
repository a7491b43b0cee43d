/** Small execution records and plans for store tests (filesystem and OSS alike). */
import type { ExecutionPlan, ExecutionRecord } from '../../src/engine/types';

export const STORE_TEST_ID = 'exec-20261122T231501Z-4f3a9c';

export function record(executionId: string, createdAt: string): ExecutionRecord {
  return {
    executionId,
    createdAt,
    updatedAt: createdAt,
    status: 'Running',
    parameters: {
      regionId: 'cn-hangzhou',
      ramRoleName: 'EcsRole',
      targets: { Type: 'ResourceIds', ResourceIds: ['i-1', 'i-2'] },
      rateControl: { Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 },
      mode: 'Automatic',
      onConflict: 'skip',
      exclusions: { tags: [], instanceIds: [] },
    },
    nextBatch: 0,
    errorBase: 0,
    lastBatchPause: -1,
    counts: {
      total: 2,
      attached: 0,
      alreadyAttached: 0,
      replaced: 0,
      skipped: 0,
      failed: 0,
      cancelled: 0,
      pending: 2,
    },
    origin: 'cli',
  };
}

export function plan(executionId: string): ExecutionPlan {
  return {
    executionId,
    targets: [
      { instanceId: 'i-1', work: 'attach' },
      { instanceId: 'i-2', work: 'attach' },
    ],
    batches: [{ index: 0, instanceIds: ['i-1', 'i-2'], concurrency: 100 }],
    maxErrors: 0,
  };
}
