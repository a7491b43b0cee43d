/**
 * The one path every SDK call takes: retry (outside) around the limiter (inside), so each retry also waits
 * for a token and a slot, and the quota holds during a throttling storm.
 */
import type { ApiLimiter } from './limiter.js';
import { type RetryContext, withRetry } from './retry.js';

/** Runs one SDK call for `action` under limits and retries; failures surface as CloudApiError. */
export type CallApi = <T>(action: string, fn: () => Promise<T>) => Promise<T>;

/** Builds the {@link CallApi} shared by the ECS and RAM adapters of one account. */
export function createCaller(limiter: ApiLimiter, retry: RetryContext): CallApi {
  return (action, fn) => withRetry(action, () => limiter.schedule(action, fn), retry);
}
