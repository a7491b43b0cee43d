/**
 * Retries with exponential backoff and full jitter (delay = random() * min(maxDelay, base * 2^retry)),
 * bounded by attempts and by total time, for 5xx and network errors; and waits out throttling on a
 * budget of its own. Every attempt is counted in {@link ApiStats} so benchmarks and tests can observe the
 * cost of a run.
 *
 * A throttled request is rejected before it is processed, so throttling is "not yet", never a failure:
 * throttled attempts count against neither `maxAttempts` nor `maxTotalMs` but against `throttleBudgetMs`
 * (from the first throttle answer), which outlasts two of ECS's per-minute windows ("throttled at minute T,
 * callable again at T+1"). The limiter paces the retries (probing at 1 call per second while throttled).
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
  /**
   * How long one call may wait out throttling, from its first throttle answer, before it fails with the
   * throttling error.
   * @default 150000 (two per-minute windows and a half)
   */
  throttleBudgetMs?: number;
  /**
   * Cap of the backoff before a throttled attempt is scheduled again (the limiter then paces it).
   * @default 1000
   */
  throttleDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxTotalMs: 60_000,
  throttleBudgetMs: 150_000,
  throttleDelayMs: 1_000,
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
  for (const key of [
    'baseDelayMs',
    'maxDelayMs',
    'maxTotalMs',
    'throttleBudgetMs',
    'throttleDelayMs',
  ] as const) {
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
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or its budget is spent: attempts and
 * total time for 5xx and network errors, `throttleBudgetMs` for throttling. Throttling errors carrying
 * `retryAfter` wait that long (capped by `maxDelayMs`) instead of the jittered delay.
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
  let errorRetries = 0;
  let throttleRetries = 0;
  let firstThrottleAt: number | undefined;
  let throttledMs = 0;
  for (let retry = 0; ; retry++) {
    if (stats !== undefined) {
      stats.calls++;
      if (retry > 0) stats.retries++;
    }
    let reason: RetryReason | undefined;
    const attemptStarted = context.clock.now();
    try {
      return await attempt();
    } catch (error) {
      reason = retryReason(error);
      if (stats !== undefined && reason === 'throttled') stats.throttled++;
      if (stats !== undefined && (reason === 'server' || reason === 'network')) stats.transient++;
      const failure = (why: string, level: 'info' | 'warn' = 'warn'): CloudApiError => {
        const cloudError = toCloudApiError(action, error);
        if (stats !== undefined) stats.failures++;
        context.logger?.[level](
          { action, code: cloudError.code, requestId: cloudError.requestId, attempts: retry + 1, why },
          'cloud API call failed',
        );
        return cloudError;
      };
      // An answer that is final (a refusal, an instance in the wrong state) is the engine's to record, as an
      // outcome or a stop with its own warning: at warn level here it would repeat every step of a bisect
      // (a 100-id chunk with one Pending instance is ~14 refused calls). Retries given up stay warnings.
      if (reason === undefined) throw failure('not retryable', 'info');
      const now = context.clock.now();
      let delay: number;
      if (reason === 'throttled') {
        firstThrottleAt ??= now;
        throttledMs += now - attemptStarted;
        if (now - firstThrottleAt >= options.throttleBudgetMs) {
          throw failure(
            `throttled for ${now - firstThrottleAt} ms, the throttling budget of ${options.throttleBudgetMs} ms`,
          );
        }
        const hinted = retryAfterMs(error);
        delay =
          hinted !== undefined
            ? Math.min(hinted, options.maxDelayMs)
            : backoffDelay(throttleRetries, context.random, {
                ...options,
                maxDelayMs: options.throttleDelayMs,
              });
        throttleRetries++;
        throttledMs += delay;
      } else {
        if (errorRetries + 1 >= options.maxAttempts) {
          throw failure(`gave up after ${errorRetries + 1} attempts that failed`);
        }
        delay = backoffDelay(errorRetries, context.random, options);
        errorRetries++;
        const elapsed = now - started - throttledMs;
        if (elapsed + delay > options.maxTotalMs) {
          throw failure(`retry budget of ${options.maxTotalMs} ms spent (${elapsed} ms elapsed)`);
        }
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
