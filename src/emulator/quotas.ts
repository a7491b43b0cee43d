/**
 * API quotas as Alibaba Cloud writes them, counted per action and scope (ECS: per region; RAM, STS and
 * CloudFlow: per action).
 *
 * A quota is one of
 * - `N`: N calls per one-second window;
 * - `"N/Ks"`: N calls per K-second window, Alibaba's own notation (`"200/60(s)"` in Quota Center; the
 *   parentheses are accepted), e.g. `"600/60s"`;
 * - `{ "bucket": B, "refillPerSecond": R }`: a token bucket of B tokens refilled at R per second (how
 *   CloudFlow documents its limits).
 *
 * Windows are fixed and aligned to the clock (window = floor(now / K s)). The first N calls of a window
 * pass; once a call is throttled in window T, the action stays throttled in that scope until window T+1
 * ("If an API operation is throttled at minute T, the operation can continue to be called as of minute
 * T+1", ECS API throttling docs). Throttled calls consume no quota. A limit of 0 throttles every call.
 */
import { z } from 'zod';

export type QuotaSpec = number | string | { bucket: number; refillPerSecond: number };

/** The zod schema of one quota value (fleet file, admin route). */
export const quotaSpecSchema = z.union([
  z.number().min(0),
  z.string().regex(/^\d+\/\d+(s|\(s\))$/, 'must look like "N/Ks", e.g. "600/60s"'),
  z.strictObject({ bucket: z.number().min(0), refillPerSecond: z.number().positive() }),
]);

/**
 * Quotas of a generated fleet, after the documented shapes (real-cloud-evidence §3): ECS per-minute
 * windows per action and region (the numbers are not published; 1200 per minute equals the client's
 * default 20 calls per second), RAM GetRole and STS 100 per second, CloudFlow ReportTask* a bucket of
 * 10 refilled at 2 per second and StartExecution a bucket of 100 refilled at 100 per second.
 */
export const DEFAULT_QUOTAS: Readonly<Record<string, QuotaSpec>> = Object.freeze({
  DescribeInstances: '1200/60s',
  DescribeInstanceRamRole: '1200/60s',
  AttachInstanceRamRole: '1200/60s',
  DetachInstanceRamRole: '1200/60s',
  GetRole: 100,
  AssumeRole: 100,
  GetCallerIdentity: 100,
  ReportTaskSucceeded: { bucket: 10, refillPerSecond: 2 },
  ReportTaskFailed: { bucket: 10, refillPerSecond: 2 },
  StartExecution: { bucket: 100, refillPerSecond: 100 },
});

type Rule =
  | { kind: 'window'; limit: number; windowMs: number }
  | { kind: 'bucket'; size: number; refillPerMs: number };

/** Parses one quota value; throws an Error naming the action and the accepted forms. */
export function parseQuota(action: string, spec: unknown): Rule {
  const parsed = quotaSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new Error(
      `quota for ${action} must be a number of calls per second >= 0, "N/Ks" (e.g. "600/60s") or {"bucket": N, "refillPerSecond": R}, got ${JSON.stringify(spec)}; nothing was changed`,
    );
  }
  const value = parsed.data;
  if (typeof value === 'number') return { kind: 'window', limit: value, windowMs: 1000 };
  if (typeof value === 'string') {
    const [limit, seconds] = value.split('/').map((part) => Number.parseInt(part, 10)) as [number, number];
    if (seconds < 1) throw new Error(`quota for ${action} needs a window of at least 1 s, got ${value}`);
    return { kind: 'window', limit, windowMs: seconds * 1000 };
  }
  return { kind: 'bucket', size: value.bucket, refillPerMs: value.refillPerSecond / 1000 };
}

interface Slot {
  window: number;
  used: number;
  /** Bucket rules: tokens at `updatedAt`. */
  tokens: number;
  updatedAt: number;
  throttled: boolean;
}

export class QuotaTracker {
  private specs: Record<string, QuotaSpec> = {};
  private rules = new Map<string, Rule>();
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly now: () => number) {}

  /** Replaces (`replace: true`) or merges the quotas; a `null` value removes an action's quota. */
  set(quotas: Record<string, QuotaSpec | null>, replace = false): Record<string, QuotaSpec> {
    const next: Record<string, QuotaSpec> = replace ? {} : { ...this.specs };
    const rules = new Map(replace ? [] : this.rules);
    for (const [action, spec] of Object.entries(quotas)) {
      if (spec === null) {
        delete next[action];
        rules.delete(action);
        continue;
      }
      rules.set(action, parseQuota(action, spec));
      next[action] = spec;
    }
    this.specs = next;
    this.rules = rules;
    this.slots.clear();
    return { ...next };
  }

  current(): Record<string, QuotaSpec> {
    return { ...this.specs };
  }

  /**
   * Counts one call of `action` in `scope` (a region id for ECS; omitted for global services); false when
   * it is throttled.
   */
  tryAcquire(action: string, scope = ''): boolean {
    const rule = this.rules.get(action);
    if (rule === undefined) return true;
    const now = this.now();
    const key = `${action}\u0000${scope}`;
    let slot = this.slots.get(key);
    if (rule.kind === 'bucket') {
      if (!slot) {
        slot = { window: 0, used: 0, tokens: rule.size, updatedAt: now, throttled: false };
        this.slots.set(key, slot);
      }
      slot.tokens = Math.min(rule.size, slot.tokens + Math.max(0, now - slot.updatedAt) * rule.refillPerMs);
      slot.updatedAt = now;
      if (slot.tokens < 1) return false;
      slot.tokens -= 1;
      return true;
    }
    const window = Math.floor(now / rule.windowMs);
    if (!slot || slot.window !== window) {
      slot = { window, used: 0, tokens: 0, updatedAt: now, throttled: false };
      this.slots.set(key, slot);
    }
    if (slot.throttled || slot.used >= rule.limit) {
      slot.throttled = true;
      return false;
    }
    slot.used += 1;
    return true;
  }
}
