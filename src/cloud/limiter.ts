/**
 * Client-side API rate limits: one token bucket per API action (QPS configurable per action, `default` for the
 * rest) plus one global cap on calls in flight. ECS throttles per API, per region, per account; staying under
 * the quota here is cheaper than being throttled and backing off.
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
  clock: Clock;
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
}

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
    this.qps = qps;
    this.maxInFlight = maxInFlight;
    this.burst = burst;
    this.clock = options.clock;
  }

  /** The QPS applied to `action`. */
  public qpsFor(action: string): number {
    return this.qps[action] ?? this.qps['default'] ?? DEFAULT_QPS['default']!;
  }

  /** Calls currently running. */
  public get inFlight(): number {
    return this.running;
  }

  /** Runs `fn` once a slot and a token of `action` are available; resolves or rejects with its result. */
  public async schedule<T>(action: string, fn: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      const delay = this.reserveToken(action);
      if (delay > 0) await this.clock.sleep(delay);
      return await fn();
    } finally {
      this.releaseSlot();
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

  /** Takes one token (possibly in the future) and returns how long to wait for it, in ms. */
  private reserveToken(action: string): number {
    const now = this.clock.now();
    let bucket = this.buckets.get(action);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, updatedAt: now, qps: this.qpsFor(action) };
      this.buckets.set(action, bucket);
    }
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * bucket.qps) / 1000);
    bucket.updatedAt = now;
    bucket.tokens -= 1;
    if (bucket.tokens >= 0) return 0;
    return Math.ceil((-bucket.tokens * 1000) / bucket.qps);
  }
}

/**
 * Parses the CLI's `--qps` value, e.g. `"AttachInstanceRamRole=20,DescribeInstances=10,default=5"`.
 * @throws InvalidInputError naming the bad entry.
 */
export function parseQps(text: string, field = '--qps'): Record<string, number> {
  const table: Record<string, number> = {};
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    throw new InvalidInputError(field, 'must list Action=number pairs like "AttachInstanceRamRole=20"', text);
  }
  for (const entry of entries) {
    const match = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (match === null) {
      throw new InvalidInputError(
        field,
        'entries must look like Action=number (e.g. "DescribeInstances=10")',
        entry,
      );
    }
    const [, action, value] = match as unknown as [string, string, string];
    const qps = Number(value);
    if (!(qps > 0)) throw new InvalidInputError(`${field} ${action}`, 'must be a positive number', value);
    if (action in table) throw new InvalidInputError(field, `names ${action} twice`, text);
    table[action] = qps;
  }
  return table;
}
