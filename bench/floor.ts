/**
 * The quota floor: the least wall time the per-action quotas allow for the calls a strategy made.
 *
 * Each action `a` with `n_a` accepted calls under a quota of `q_a` calls per second needs at least
 * `n_a / q_a` seconds at its sustained rate. Actions have separate quotas, so in the best case they run
 * side by side and the floor is the slowest action: `max_a(n_a / q_a)`. Throttled calls are not counted:
 * they consume no quota. Latency and local work are not counted either: the floor is what the quotas
 * alone impose, whatever the strategy.
 *
 * Two refinements are reported beside it:
 * - `sequentialSeconds = sum_a(n_a / q_a)`: the floor when the actions run one after the other, as a
 *   plan-then-write design does (describe, then look up roles, then attach). It is the fair bound for
 *   such a design; `max` is the bound for a fully pipelined one.
 * - `windowedSeconds = max_a(ceil(n_a / q_a) - 1)`: the emulator counts quotas in fixed one-second
 *   windows, so `q` calls at the end of one window and `q` more at the start of the next pass; a burst
 *   can beat the sustained-rate floor by up to one second. Only meaningful for small runs.
 */

/** Calls accepted per action, and the quota of each action in calls per second. */
export interface FloorInput {
  calls: Readonly<Record<string, number>>;
  quotas: Readonly<Record<string, number>>;
}

export interface QuotaFloor {
  /** `max_a(n_a / q_a)` in seconds. */
  seconds: number;
  /** The action that sets `seconds`. */
  bindingAction: string | undefined;
  /** `sum_a(n_a / q_a)` in seconds. */
  sequentialSeconds: number;
  /** `max_a(ceil(n_a / q_a) - 1)` in seconds (fixed one-second windows, bursts at window edges). */
  windowedSeconds: number;
  /** `n_a / q_a` per action with a quota. */
  byAction: Record<string, number>;
}

/**
 * Computes the quota floor of a run; actions without a quota add nothing.
 *
 * @example
 * quotaFloor({ calls: { DescribeInstances: 20, AttachInstanceRamRole: 20 }, quotas: { DescribeInstances: 20, AttachInstanceRamRole: 20 } })
 * // { seconds: 1, sequentialSeconds: 2, windowedSeconds: 0, ... }
 */
export function quotaFloor(input: FloorInput): QuotaFloor {
  const byAction: Record<string, number> = {};
  let seconds = 0;
  let bindingAction: string | undefined;
  let sequentialSeconds = 0;
  let windowedSeconds = 0;
  for (const [action, calls] of Object.entries(input.calls)) {
    const quota = input.quotas[action];
    if (quota === undefined || quota <= 0 || calls <= 0) continue;
    const time = calls / quota;
    byAction[action] = time;
    sequentialSeconds += time;
    windowedSeconds = Math.max(windowedSeconds, Math.ceil(calls / quota) - 1);
    if (time > seconds) {
      seconds = time;
      bindingAction = action;
    }
  }
  return { seconds, bindingAction, sequentialSeconds, windowedSeconds, byAction };
}

/** Accepted calls per action: calls seen by the emulator minus those it throttled. */
export function acceptedCalls(
  calls: Readonly<Record<string, number>>,
  throttled: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(calls).map(([action, n]) => [action, n - (throttled[action] ?? 0)]),
  );
}

/** A quota of `limit` calls per fixed window of `windowSeconds` (Alibaba's `"N/Ks"`). */
export interface WindowQuota {
  limit: number;
  windowSeconds: number;
}

/** The actions that write; the others are the reads planning makes. */
const WRITE_ACTIONS: readonly string[] = ['AttachInstanceRamRole', 'DetachInstanceRamRole'];

export interface WindowFloor {
  /** The start of the last window the slowest action needs: the bound for a fully pipelined run. */
  seconds: number;
  bindingAction: string | undefined;
  /** Windows each action needs. */
  windows: Record<string, number>;
  /**
   * The bound when writes start only once the reads are done (a plan-then-write design): the last read
   * window's start, plus the writes' own span; the first write window is the last read window.
   */
  planThenWriteSeconds: number;
}

/**
 * The floor under fixed windows, for a run that starts at a window boundary: an action with `n` accepted
 * calls under `N` per `K` s needs `ceil(n / N)` windows, and its last call cannot start before the last of
 * them opens, `(ceil(n / N) - 1) * K` s after the start. Actions count separately, so the floor is the
 * slowest action's; latency and the calls of the last window are not counted (a lower bound).
 * `planThenWriteSeconds` is the same bound when the writes wait for the reads (`writes` names them).
 *
 * @example
 * windowFloor({ DescribeInstanceRamRole: 200, AttachInstanceRamRole: 1000 }, { DescribeInstanceRamRole: { limit: 100, windowSeconds: 10 }, AttachInstanceRamRole: { limit: 100, windowSeconds: 10 } })
 * // { seconds: 90, bindingAction: 'AttachInstanceRamRole', windows: { DescribeInstanceRamRole: 2, AttachInstanceRamRole: 10 }, planThenWriteSeconds: 100 }
 */
export function windowFloor(
  calls: Readonly<Record<string, number>>,
  quotas: Readonly<Record<string, WindowQuota>>,
  writes: readonly string[] = WRITE_ACTIONS,
): WindowFloor {
  let seconds = 0;
  let readsEnd = 0;
  let writesSpan = 0;
  let bindingAction: string | undefined;
  const windows: Record<string, number> = {};
  for (const [action, n] of Object.entries(calls)) {
    const quota = quotas[action];
    if (quota === undefined || quota.limit <= 0 || n <= 0) continue;
    const needed = Math.ceil(n / quota.limit);
    windows[action] = needed;
    const start = (needed - 1) * quota.windowSeconds;
    if (writes.includes(action)) writesSpan = Math.max(writesSpan, start);
    else readsEnd = Math.max(readsEnd, start);
    if (bindingAction === undefined || start > seconds) {
      seconds = start;
      bindingAction = action;
    }
  }
  return { seconds, bindingAction, windows, planThenWriteSeconds: readsEnd + writesSpan };
}
