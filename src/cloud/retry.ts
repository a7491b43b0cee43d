/**
 * Retries with exponential backoff and full jitter (delay = random() * min(maxDelay, base * 2^retry)),
 * bounded by attempts and by total time, for throttling, 5xx and network errors only. Every attempt is
 * counted in {@link ApiStats} so benchmarks and tests can observe the cost of a run.
 */
import {
  type Clock,
  type CloudApiError,
  InvalidInputError,
  type Logger,
  type RandomSource,
} from '../engine/index.js';
import { type RetryReason, retryAfterMs, retryReason, toCloudApiError } from './errors.js';

export interface RetryOptions {
  /**
   * Attempts in total, the first included.
   * @default 8
   */
  maxAttempts?: number;
  /**
   * Backoff base: the cap of the first retry's delay, doubled on each retry.
   * @default 200
   */
  baseDelayMs?: number;
  /**
   * Cap of a single backoff delay (before jitter) and of an honoured `retryAfter`.
   * @default 10000
   */
  maxDelayMs?: number;
  /**
   * Budget from the first attempt: no retry is started whose backoff would end after it.
   * @default 60000
   */
  maxTotalMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxTotalMs: 60_000,
});

/** Counters of one API action. */
export interface ActionStats {
  /** HTTP attempts (first tries and retries). */
  calls: number;
  /** Attempts that were retries. */
  retries: number;
  /** Attempts answered with a throttling error. */
  throttled: number;
  /** Attempts that failed with a 5xx or a network error. */
  transient: number;
  /** Calls that finally failed (a CloudApiError reached the caller). */
  failures: number;
}

/** Per-action call counters; shared by every adapter of one `createCloudApis`. */
export class ApiStats {
  private readonly byAction = new Map<string, ActionStats>();

  public for(action: string): ActionStats {
    let stats = this.byAction.get(action);
    if (stats === undefined) {
      stats = { calls: 0, retries: 0, throttled: 0, transient: 0, failures: 0 };
      this.byAction.set(action, stats);
    }
    return stats;
  }

  /** A copy of every action's counters. */
  public snapshot(): Record<string, ActionStats> {
    return Object.fromEntries([...this.byAction].map(([action, stats]) => [action, { ...stats }]));
  }

  /** Sums over all actions. */
  public total(): ActionStats {
    const sum: ActionStats = { calls: 0, retries: 0, throttled: 0, transient: 0, failures: 0 };
    for (const stats of this.byAction.values()) {
      sum.calls += stats.calls;
      sum.retries += stats.retries;
      sum.throttled += stats.throttled;
      sum.transient += stats.transient;
      sum.failures += stats.failures;
    }
    return sum;
  }
}

export interface RetryContext {
  clock: Clock;
  random: RandomSource;
  stats?: ApiStats;
  logger?: Logger;
  options?: RetryOptions;
}

/** Validates and fills retry options; throws {@link InvalidInputError} naming the option. */
export function resolveRetryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  const resolved = { ...DEFAULT_RETRY, ...definedOnly(options) };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new InvalidInputError('retry.maxAttempts', 'must be an integer >= 1', resolved.maxAttempts);
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxTotalMs'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidInputError(`retry.${key}`, 'must be a non-negative number of milliseconds', value);
    }
  }
  return resolved;
}

/**
 * The full-jitter delay before retry number `retry` (0 for the first retry): uniform in
 * [0, min(maxDelayMs, baseDelayMs * 2^retry)).
 */
export function backoffDelay(retry: number, random: RandomSource, options: Required<RetryOptions>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the attempt or time budget is spent.
 * Throttling errors carrying `retryAfter` wait that long (capped by `maxDelayMs`) instead of the jittered delay.
 * @throws CloudApiError for the last error, `retryable` telling whether it was a transient kind.
 */
export async function withRetry<T>(
  action: string,
  attempt: () => Promise<T>,
  context: RetryContext,
): Promise<T> {
  const options = resolveRetryOptions(context.options);
  const stats = context.stats?.for(action);
  const started = context.clock.now();
  for (let retry = 0; ; retry++) {
    if (stats !== undefined) {
      stats.calls++;
      if (retry > 0) stats.retries++;
    }
    let reason: RetryReason | undefined;
    try {
      return await attempt();
    } catch (error) {
      reason = retryReason(error);
      if (stats !== undefined && reason === 'throttled') stats.throttled++;
      if (stats !== undefined && (reason === 'server' || reason === 'network')) stats.transient++;
      const failure = (why: string): CloudApiError => {
        const cloudError = toCloudApiError(action, error);
        if (stats !== undefined) stats.failures++;
        context.logger?.warn(
          { action, code: cloudError.code, requestId: cloudError.requestId, attempts: retry + 1, why },
          'cloud API call failed',
        );
        return cloudError;
      };
      if (reason === undefined) throw failure('not retryable');
      if (retry + 1 >= options.maxAttempts) throw failure(`gave up after ${options.maxAttempts} attempts`);
      const hinted = reason === 'throttled' ? retryAfterMs(error) : undefined;
      const delay =
        hinted !== undefined
          ? Math.min(hinted, options.maxDelayMs)
          : backoffDelay(retry, context.random, options);
      const elapsed = context.clock.now() - started;
      if (elapsed + delay > options.maxTotalMs) {
        throw failure(`retry budget of ${options.maxTotalMs} ms spent (${elapsed} ms elapsed)`);
      }
      context.logger?.debug({ action, reason, retry: retry + 1, delayMs: delay }, 'retrying cloud API call');
      if (delay > 0) await context.clock.sleep(delay);
    }
  }
}

function definedOnly(options: RetryOptions): RetryOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as RetryOptions;
}
