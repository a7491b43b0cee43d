/**
 * The OOS template `ACS-ECS-BulkyAttachInstanceRamRole` reimplemented over the raw ECS SDK, as faithfully
 * as its public definition allows (aliyun/oos-templates, research notes §1):
 *
 * 1. `getInstance` (`ACS::SelectTargets`): DescribeInstances with NextToken paging, MaxResults 100.
 * 2. `attachInstanceRamRole` (`ACS::ExecuteApi` in a `Loop`): one AttachInstanceRamRole call per instance
 *    (`InstanceIds: ['{{ ACS::TaskLoopItem }}']`), at most `Concurrency` (10, the template default) in flight,
 *    no batching.
 *
 * Assumptions (OOS does not document them; each one favours the baseline):
 * - Throttled (`Throttling*`) and 5xx/network-failed calls are retried until they succeed, with exponential
 *   backoff and full jitter, base 200 ms, cap 10 s — the same policy as this product's adapters, so the
 *   comparison isolates the strategy (one id per call vs up to 100) from retry tuning. OOS would give up
 *   after its own retries and fail the task.
 * - No per-task scheduling overhead: real OOS spends time creating and tracking a child task per item.
 * - The Loop limit of 1,000 items is ignored (a real 2,000-instance run needs two executions).
 */
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';

export interface OosStrategyOptions {
  /** `host:port` of the endpoint (http). */
  endpointHost: string;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  ramRoleName: string;
  /** Items in flight (`rateControl.Concurrency`). @default 10 */
  concurrency?: number;
  /** @default 200 */
  baseDelayMs?: number;
  /** @default 10000 */
  maxDelayMs?: number;
}

export interface OosStrategyOutcome {
  instanceIds: string[];
  failed: { instanceId: string; code: string }[];
  /** Seconds spent in SelectTargets. */
  selectSeconds: number;
  retries: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryable(error: unknown): boolean {
  const fields = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : '';
  if (code.includes('Throttling')) return true;
  if (typeof fields.statusCode === 'number' && fields.statusCode >= 500) return true;
  if (/^E[A-Z]+$/.test(code)) return true;
  return /socket hang up|ECONNRESET|Unexpected end of JSON/.test(String(fields.message ?? ''));
}

/** Runs the template's two tasks; resolves when every item has a final result. */
export async function runOosStrategy(options: OosStrategyOptions): Promise<OosStrategyOutcome> {
  const client = new Ecs(
    new $OpenApiUtil.Config({
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      endpoint: options.endpointHost,
      protocol: 'http',
      regionId: options.regionId,
      connectTimeout: 5_000,
      readTimeout: 15_000,
    }),
  );
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 10_000;
  let retries = 0;
  const withRetry = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!retryable(error)) throw error;
        retries++;
        await sleep(Math.floor(Math.random() * Math.min(cap, base * 2 ** attempt)));
      }
    }
  };

  const started = performance.now();
  const instanceIds: string[] = [];
  let nextToken: string | undefined;
  do {
    const request = new $Ecs.DescribeInstancesRequest({
      regionId: options.regionId,
      maxResults: 100,
      ...(nextToken ? { nextToken } : {}),
    });
    const response = await withRetry(() => client.describeInstances(request));
    for (const instance of response.body?.instances?.instance ?? []) {
      if (instance.instanceId) instanceIds.push(instance.instanceId);
    }
    nextToken = response.body?.nextToken || undefined;
  } while (nextToken);
  const selectSeconds = (performance.now() - started) / 1000;

  const failed: OosStrategyOutcome['failed'] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < instanceIds.length) {
      const instanceId = instanceIds[next++]!;
      const request = new $Ecs.AttachInstanceRamRoleRequest({
        regionId: options.regionId,
        ramRoleName: options.ramRoleName,
        instanceIds: JSON.stringify([instanceId]),
      });
      try {
        const response = await withRetry(() => client.attachInstanceRamRole(request));
        const result = response.body?.attachInstanceRamRoleResults?.attachInstanceRamRoleResult?.[0];
        if (!result?.success) failed.push({ instanceId, code: result?.code ?? 'NoResult' });
      } catch (error) {
        failed.push({ instanceId, code: String((error as { code?: unknown }).code ?? 'Error') });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 10 }, worker));
  return { instanceIds, failed, selectSeconds, retries };
}
