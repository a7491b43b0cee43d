/**
 * The one path every SDK call takes: retry (outside) around the limiter (inside), so each retry also waits
 * for a token and a slot, and the quota holds during a throttling storm. Every answer tells the limiter
 * whether the action was throttled or passed, so that it probes while throttled and learns the quota.
 */
import { retryReason } from './errors.js';
import type { ApiLimiter } from './limiter.js';
import { type RetryContext, withRetry } from './retry.js';

/**
 * Runs one SDK call for `action` under limits and retries; failures surface as CloudApiError. `scope` is
 * where the service counts its quota besides the action: the region id for ECS, '' for global APIs.
 */
export type CallApi = <T>(action: string, fn: () => Promise<T>, scope?: string) => Promise<T>;

/** Builds the {@link CallApi} shared by the ECS and RAM adapters of one account. */
export function createCaller(limiter: ApiLimiter, retry: RetryContext): CallApi {
  return (action, fn, scope = '') =>
    withRetry(
      action,
      async () => {
        try {
          const result = await limiter.schedule(action, fn, scope);
          limiter.passed(action, scope);
          return result;
        } catch (error) {
          const reason = retryReason(error);
          // Any other answer from the service passed its quota; a broken connection tells nothing.
          if (reason === 'throttled') limiter.throttled(action, scope);
          else if (reason !== 'network') limiter.passed(action, scope);
          throw error;
        }
      },
      retry,
    );
}
