/**
 * Client-side API rate limits: one token bucket per API action and region (QPS configurable per action,
 * `default` for the rest) plus one global cap on calls in flight. ECS throttles per API, per region, per
 * account, in per-minute windows; staying under the quota here is cheaper than being throttled.
 *
 * When the service throttles anyway (its quota is lower than ours, or other callers share it), the bucket
 * learns: it switches to probing at `probeQps` (the ECS docs advise 1 call per second while throttled)
 * until a call passes, and it remembers how many calls passed before the throttle as the quota of one
 * window. After the window reopens it lets that many calls start back to back (the quota allows them),
 * then falls back to its configured rate until the next throttle refines the figure.
 */
import { type Clock, InvalidInputError } from '../engine/index.js';

/** QPS per action name (e.g. `AttachInstanceRamRole`), plus `default` for every other action. */
export type QpsTable = Readonly<Record<string, number>>;

export interface ApiLimiterOptions {
  /**
   * Requests per second per action. Keys are API action names; `default` applies to the others.
   * @default DEFAULT_QPS
   */
  qps?: QpsTable;
  /**
   * Calls in flight across all actions.
   * @default 10
   */
  maxInFlight?: number;
  /**
   * Bucket size: how many calls of one action may start back to back after an idle period. 1 spaces calls
   * evenly (1000/qps ms apart), so no 1-second window ever holds more than `qps` starts.
   * @default 1
   */
  burst?: number;
  /**
   * Rate of an action while it is throttled, until a call passes again (ECS: "probe at 1 QPS").
   * @default 1
   */
  probeQps?: number;
  clock: Clock;
}

/** What a bucket learned from throttle answers (observable for tests, benchmarks and logs). */
export interface LearnedQuota {
  /** Calls that passed in the last window before a throttle. */
  perWindow: number;
  /** Throttle answers seen. */
  throttles: number;
  /** True while throttled: calls go at `probeQps`. */
  probing: boolean;
}

/**
 * Conservative defaults. Alibaba Cloud publishes ECS API quotas only in Quota Center (numbers unconfirmed);
 * 20 QPS for the four calls we make stays well below any quota seen in practice and still moves 2,000
 * instances per second through AttachInstanceRamRole (100 ids per call).
 */
export const DEFAULT_QPS: QpsTable = Object.freeze({
  default: 10,
  DescribeInstances: 20,
  DescribeInstanceRamRole: 20,
  AttachInstanceRamRole: 20,
  DetachInstanceRamRole: 20,
  GetRole: 10,
});

export const DEFAULT_MAX_IN_FLIGHT = 10;

interface Bucket {
  /** Tokens available at `updatedAt`; negative while callers hold reservations on future tokens. */
  tokens: number;
  updatedAt: number;
  qps: number;
  /** Throttled and not yet passed again: calls go at the probe rate. */
  probing: boolean;
  /** Calls that passed since the last recovery (or the first call). */
  passed: number;
  /** Calls that passed before the last throttle: the learned quota of one window (0: unknown). */
  perWindow: number;
  throttles: number;
  /** While probing: the one call probing, settled when it ends (the next waiter may probe, or all go). */
  probe: Promise<void> | undefined;
  lastProbeAt: number;
}

export const DEFAULT_PROBE_QPS = 1;

/**
 * Schedules API calls under per-action token buckets and a global in-flight cap.
 * A caller first takes an in-flight slot (FIFO), then reserves the next token of its action and waits for it
 * on the injected clock, then runs. Taking the slot first means a call never starts later than its token
 * (which would let starts bunch up above the QPS after a slot frees).
 *
 * @example
 * const limiter = new ApiLimiter({ qps: { AttachInstanceRamRole: 20, default: 10 }, maxInFlight: 8, clock: systemClock });
 * await limiter.schedule('AttachInstanceRamRole', () => client.attachInstanceRamRole(request));
 */
export class ApiLimiter {
  private readonly qps: QpsTable;
  private readonly burst: number;
  private readonly probeQps: number;
  private readonly clock: Clock;
  private readonly buckets = new Map<string, Bucket>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  /** Highest number of calls ever in flight at once (observable for tests and benchmarks). */
  public peakInFlight = 0;
  public readonly maxInFlight: number;

  public constructor(options: ApiLimiterOptions) {
    const qps = { ...DEFAULT_QPS, ...(options.qps ?? {}) };
    for (const [action, value] of Object.entries(qps)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new InvalidInputError(
          `qps.${action}`,
          'must be a positive number of requests per second',
          value,
        );
      }
    }
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new InvalidInputError('maxInFlight', 'must be a positive integer', maxInFlight);
    }
    const burst = options.burst ?? 1;
    if (!Number.isFinite(burst) || burst < 1) {
      throw new InvalidInputError('burst', 'must be a number >= 1', burst);
    }
    const probeQps = options.probeQps ?? DEFAULT_PROBE_QPS;
    if (!Number.isFinite(probeQps) || probeQps <= 0) {
      throw new InvalidInputError('probeQps', 'must be a positive number of requests per second', probeQps);
    }
    this.qps = qps;
    this.maxInFlight = maxInFlight;
    this.burst = burst;
    this.probeQps = probeQps;
    this.clock = options.clock;
  }

  /**
   * The service throttled a call of `action` in `scope`: probe at the probe rate from now on, and take the
   * calls that passed since the last recovery as the quota of one window.
   */
  public throttled(action: string, scope = ''): void {
    const bucket = this.bucket(action, scope);
    bucket.throttles += 1;
    if (bucket.probing) return;
    bucket.probing = true;
    if (bucket.passed > 0) bucket.perWindow = bucket.passed;
    bucket.passed = 0;
    // The first probe goes one probe interval after this answer.
    bucket.lastProbeAt = this.clock.now();
  }

  /** A call of `action` in `scope` passed: after a throttle, the window has reopened. */
  public passed(action: string, scope = ''): void {
    const bucket = this.bucket(action, scope);
    bucket.passed += 1;
    if (!bucket.probing) return;
    bucket.probing = false;
    // The learned quota may start back to back in the reopened window (this call was the first of them).
    bucket.tokens = Math.max(bucket.tokens, Math.max(this.burst, bucket.perWindow - 1));
    bucket.updatedAt = this.clock.now();
  }

  /** What the bucket of `action` in `scope` learned, or undefined when it was never used. */
  public learned(action: string, scope = ''): LearnedQuota | undefined {
    const bucket = this.buckets.get(bucketKey(action, scope));
    if (bucket === undefined) return undefined;
    return { perWindow: bucket.perWindow, throttles: bucket.throttles, probing: bucket.probing };
  }

  /** The QPS applied to `action`. */
  public qpsFor(action: string): number {
    return this.qps[action] ?? this.qps['default'] ?? DEFAULT_QPS['default']!;
  }

  /** Calls currently running. */
  public get inFlight(): number {
    return this.running;
  }

  /**
   * Runs `fn` once a slot and a token of `action` in `scope` (a region id; '' for global APIs) are
   * available; resolves or rejects with its result.
   */
  public async schedule<T>(action: string, fn: () => Promise<T>, scope = ''): Promise<T> {
    const bucket = this.bucket(action, scope);
    for (;;) {
      // While throttled, one call at a time probes (at most probeQps); the others wait without holding a
      // slot, so that other actions and regions go on.
      while (bucket.probing && bucket.probe !== undefined) await bucket.probe;
      if (bucket.probing) return this.probe(bucket, fn);
      await this.acquireSlot();
      if (bucket.probing) {
        // Throttled while this call waited for its slot.
        this.releaseSlot();
        continue;
      }
      try {
        const delay = this.reserveToken(action, scope);
        if (delay > 0) await this.clock.sleep(delay);
        return await fn();
      } finally {
        this.releaseSlot();
      }
    }
  }

  private async probe<T>(bucket: Bucket, fn: () => Promise<T>): Promise<T> {
    let done!: () => void;
    bucket.probe = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      const wait = bucket.lastProbeAt + 1000 / this.probeQps - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      bucket.lastProbeAt = this.clock.now();
      await this.acquireSlot();
      try {
        return await fn();
      } finally {
        this.releaseSlot();
      }
    } finally {
      bucket.probe = undefined;
      done();
    }
  }

  private acquireSlot(): Promise<void> {
    if (this.running < this.maxInFlight) {
      this.took();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push(() => {
        this.took();
        resolve();
      });
    });
  }

  private took(): void {
    this.running++;
    this.peakInFlight = Math.max(this.peakInFlight, this.running);
  }

  private releaseSlot(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next !== undefined) next();
  }

  private bucket(action: string, scope: string): Bucket {
    const key = bucketKey(action, scope);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = {
        tokens: this.burst,
        updatedAt: this.clock.now(),
        qps: this.qpsFor(action),
        probing: false,
        passed: 0,
        perWindow: 0,
        throttles: 0,
        probe: undefined,
        lastProbeAt: Number.NEGATIVE_INFINITY,
      };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Takes one token (possibly in the future) and returns how long to wait for it, in ms. */
  private reserveToken(action: string, scope: string): number {
    const now = this.clock.now();
    const bucket = this.bucket(action, scope);
    const { qps } = bucket;
    const elapsed = Math.max(0, now - bucket.updatedAt);
    // Tokens above the burst (a learned window quota) are kept, not refilled.
    const cap = Math.max(this.burst, bucket.tokens);
    bucket.tokens = Math.min(cap, bucket.tokens + (elapsed * qps) / 1000);
    bucket.updatedAt = now;
    bucket.tokens -= 1;
    if (bucket.tokens >= 0) return 0;
    return Math.ceil((-bucket.tokens * 1000) / qps);
  }
}

function bucketKey(action: string, scope: string): string {
  return scope === '' ? action : `${action}@${scope}`;
}

const shared = new WeakMap<Clock, Map<string, ApiLimiter>>();

/**
 * The process-wide limiter for one account and endpoint: every execution, sweep region and event
 * batch of a process that calls with the same `budget` (e.g. an account id) and settings shares its
 * buckets, so they share one budget per action and region, as the quota does.
 */
export function sharedLimiter(options: ApiLimiterOptions & { budget?: string }): ApiLimiter {
  const { budget = '', clock, ...settings } = options;
  let limiters = shared.get(clock);
  if (limiters === undefined) {
    limiters = new Map();
    shared.set(clock, limiters);
  }
  const key = JSON.stringify([budget, settings]);
  let limiter = limiters.get(key);
  if (limiter === undefined) {
    limiter = new ApiLimiter(options);
    limiters.set(key, limiter);
  }
  return limiter;
}
