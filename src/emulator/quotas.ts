/**
 * Per-action calls-per-second quotas with fixed one-second windows aligned to the clock
 * (window = floor(now / 1000)). The first `limit` calls of an action within a window pass; further calls in
 * the same window are throttled and do not consume quota. A limit of 0 throttles every call of that action.
 * Real ECS documents per-minute windows ("throttled at minute T, callable again at T+1"); one-second windows
 * keep tests and benchmarks fast while producing the same client-visible error.
 */
export class QuotaTracker {
  private limits: Record<string, number> = {};
  private readonly windows = new Map<string, { window: number; used: number }>();

  constructor(private readonly now: () => number) {}

  /** Replaces (`replace: true`) or merges the limits; a `null` value removes an action's quota. */
  set(limits: Record<string, number | null>, replace = false): Record<string, number> {
    const next: Record<string, number> = replace ? {} : { ...this.limits };
    for (const [action, limit] of Object.entries(limits)) {
      if (limit === null) {
        delete next[action];
        continue;
      }
      if (!Number.isFinite(limit) || limit < 0) {
        throw new Error(
          `quota for ${action} must be a number of calls per second >= 0, got ${limit}; nothing was changed`,
        );
      }
      next[action] = limit;
    }
    this.limits = next;
    return { ...next };
  }

  current(): Record<string, number> {
    return { ...this.limits };
  }

  /**
   * Counts one call of `action` by `scope` (the caller's account: each account has its own windows, as ECS
   * quotas are per account); false when it exceeds the quota of the current window.
   */
  tryAcquire(action: string, scope = ''): boolean {
    const limit = this.limits[action];
    if (limit === undefined) return true;
    const window = Math.floor(this.now() / 1000);
    const key = `${scope}|${action}`;
    let slot = this.windows.get(key);
    if (!slot || slot.window !== window) {
      slot = { window, used: 0 };
      this.windows.set(key, slot);
    }
    if (slot.used >= limit) return false;
    slot.used += 1;
    return true;
  }
}
