/**
 * The event path's circuit breaker and backlog, per (region, role), as two store documents:
 * `event-path/<region>/<role>` ({@link BreakerState}) and `event-path/<region>/<role>/backlog`
 * ({@link BacklogDocument}).
 *
 * Every Failed instance adds one to `consecutiveFailures`, every Attached/AlreadyAttached/Replaced resets
 * it (while closed); at the threshold the breaker opens. While open, instance ids go to the backlog
 * instead of being attached (the failed ids of the invocation that opened it are queued too, so that a
 * resume re-attempts them). `resume-events` ({@link resumeEventPath}) empties the backlog and closes it.
 *
 * Lock policy: read-modify-write of both documents holds the store lock named after the breaker key; after
 * `lockWaitMs` without it the update proceeds without the lock (logged): a lost backlog entry is recovered
 * by the next sweep, a blocked event path is not.
 */
import { EVENT_PATH_DEFAULTS } from '../../defaults.js';
import { type Doc, doc, KEYS, readDoc, writeDoc } from '../../documents.js';
import type { InstanceOutcome } from '../../types.js';
import { type EventPathDeps, type EventPathSummary, isDecisive } from './settings.js';

/** The breaker document. */
export interface BreakerState {
  state: 'closed' | 'open';
  consecutiveFailures: number;
  openedAt?: string;
  /** The failure that opened it, e.g. `i-abc: InvalidRamRole.NotEcsRole ...`. */
  reason?: string;
  updatedAt: string;
}

/** The backlog document: instance ids queued while the breaker was open, oldest first. */
export interface BacklogDocument {
  instanceIds: string[];
  updatedAt: string;
}

/** Store document keys of a (region, role) event path. */
export interface EventPathKeys {
  breaker: string;
  backlog: string;
}

/** Store document keys of a (region, role) event path. */
export function eventPathKeys(regionId: string, ramRoleName: string): EventPathKeys {
  return { breaker: KEYS.breaker(regionId, ramRoleName), backlog: KEYS.backlog(regionId, ramRoleName) };
}

/** The breaker document of an event path, typed. */
export function breakerDoc(keys: EventPathKeys): Doc<BreakerState> {
  return doc(keys.breaker);
}

/** The backlog document of an event path, typed. */
export function backlogDoc(keys: EventPathKeys): Doc<BacklogDocument> {
  return doc(keys.backlog);
}

/** Region and role of a breaker document key (`event-path/<region>/<role>`). */
export function breakerScope(key: string): { regionId: string; ramRoleName: string } {
  const [, regionId = '', ramRoleName = ''] = key.split('/');
  return { regionId, ramRoleName };
}

type FailedOutcome = Extract<InstanceOutcome, { outcome: 'Failed' }>;

/** A closed breaker with no streak, as of `now`. */
export function closedBreaker(now: string): BreakerState {
  return { state: 'closed', consecutiveFailures: 0, updatedAt: now };
}

/**
 * Whether the outcomes of an invocation call for a breaker write: any decisive failure, or a success that
 * resets a streak. The common case (no failure, no streak) writes nothing.
 */
export function breakerNeedsWrite(initial: BreakerState | undefined, outcomes: InstanceOutcome[]): boolean {
  const decisive = outcomes.filter(isDecisive);
  if (decisive.some((o) => o.outcome === 'Failed')) return true;
  return initial !== undefined && initial.consecutiveFailures > 0 && decisive.length > 0;
}

/**
 * The breaker arithmetic, pure: counts the decisive outcomes in order onto `state` and opens it when a
 * failure reaches `threshold` while closed. Returns the new state and the failure that opened it.
 * @example
 * tallyBreaker(closedBreaker(now), [failed, failed], 2, now).state.state // 'open'
 */
export function tallyBreaker(
  state: BreakerState,
  outcomes: InstanceOutcome[],
  threshold: number,
  now: string,
): { state: BreakerState; opened?: FailedOutcome } {
  const next: BreakerState = { ...state };
  let opened: FailedOutcome | undefined;
  for (const outcome of outcomes.filter(isDecisive)) {
    // Once a failure reaches the threshold the breaker is open from that outcome on: a later success in
    // the same invocation does not reset the count, and the opener is the failure that reached it.
    if (outcome.outcome === 'Failed') {
      next.consecutiveFailures += 1;
      if (!opened && next.state === 'closed' && next.consecutiveFailures >= threshold) opened = outcome;
    } else if (next.state === 'closed' && !opened) next.consecutiveFailures = 0;
  }
  if (opened) {
    next.state = 'open';
    next.openedAt = now;
    next.reason = `${opened.instanceId}: ${opened.code} ${opened.message}`;
  }
  next.updatedAt = now;
  return opened ? { state: next, opened } : { state: next };
}

/** Reads the breaker document (absent: never tripped). */
export function readBreaker(
  keys: EventPathKeys,
  deps: Pick<EventPathDeps, 'store'>,
): Promise<BreakerState | undefined> {
  return readDoc(deps.store, breakerDoc(keys));
}

/**
 * Counts an invocation's outcomes against the breaker (only when {@link breakerNeedsWrite}), opens it at
 * the threshold (logged, `eventpath.breaker-opened` notified), and while it is open queues the invocation's
 * failed ids (added to `summary.backlogged`).
 */
export async function recordOutcomes(
  keys: EventPathKeys,
  initial: BreakerState | undefined,
  summary: EventPathSummary,
  outcomes: InstanceOutcome[],
  deps: EventPathDeps,
  threshold: number = EVENT_PATH_DEFAULTS.breakerThreshold,
): Promise<void> {
  if (!breakerNeedsWrite(initial, outcomes)) return;
  await withBreakerLock(keys.breaker, deps, async () => {
    const now = new Date(deps.clock.now()).toISOString();
    const current = (await readBreaker(keys, deps)) ?? closedBreaker(now);
    const { state, opened } = tallyBreaker(current, outcomes, threshold, now);
    if (opened) {
      deps.logger.error(
        { breaker: keys.breaker, consecutiveFailures: state.consecutiveFailures, threshold },
        'event path paused: too many consecutive failures; new instances go to the backlog until `resume-events`',
      );
      const { regionId, ramRoleName } = breakerScope(keys.breaker);
      deps.notifier?.publish({
        type: 'eventpath.breaker-opened',
        at: now,
        regionId,
        ramRoleName,
        consecutiveFailures: state.consecutiveFailures,
        threshold,
        lastFailure: { instanceId: opened.instanceId, code: opened.code, message: opened.message },
        command: `ecs-role-attach resume-events --region ${regionId} --role ${ramRoleName}${deps.commandFlags ?? ''}`,
      });
    }
    await writeDoc(deps.store, breakerDoc(keys), state);
    if (state.state === 'open') {
      const queued = summary.failed.map((f) => f.instanceId);
      if (queued.length > 0) {
        await appendBacklog(keys, queued, deps);
        summary.backlogged.push(...queued);
      }
    }
  });
}

/** Opens the breaker at once (a call refused for the caller), keeping the failure streak. */
export async function openBreaker(keys: EventPathKeys, reason: string, deps: EventPathDeps): Promise<void> {
  await withBreakerLock(keys.breaker, deps, async () => {
    const now = new Date(deps.clock.now()).toISOString();
    const state = (await readBreaker(keys, deps)) ?? closedBreaker(now);
    if (state.state !== 'open') {
      state.state = 'open';
      state.openedAt = now;
      state.reason = reason;
    }
    state.updatedAt = now;
    await writeDoc(deps.store, breakerDoc(keys), state);
    deps.logger.error(
      { breaker: keys.breaker, reason },
      'event path paused: a call was refused for the caller; new instances go to the backlog until `resume-events`',
    );
  });
}

/** Queues `ids` in the backlog (holding the breaker lock). */
export async function addToBacklog(keys: EventPathKeys, ids: string[], deps: EventPathDeps): Promise<void> {
  await withBreakerLock(keys.breaker, deps, () => appendBacklog(keys, ids, deps));
}

/** Appends the ids not queued yet, oldest first (the caller holds the lock). */
async function appendBacklog(
  keys: EventPathKeys,
  ids: string[],
  deps: Pick<EventPathDeps, 'store' | 'clock'>,
): Promise<void> {
  const backlog = (await readDoc(deps.store, backlogDoc(keys))) ?? {
    instanceIds: [],
    updatedAt: '',
  };
  const known = new Set(backlog.instanceIds);
  for (const id of ids) if (!known.has(id)) backlog.instanceIds.push(id);
  backlog.updatedAt = new Date(deps.clock.now()).toISOString();
  await writeDoc(deps.store, backlogDoc(keys), backlog);
}

/**
 * Runs `body` holding the store lock `name` (read-modify-write of the breaker and backlog documents by up
 * to 20 concurrent invocations), polling with backoff 50, 100, ... 500 ms. After `lockWaitMs` without the
 * lock it proceeds without it and logs a warning (see the module comment for why).
 */
export async function withBreakerLock<T>(
  name: string,
  deps: Pick<EventPathDeps, 'store' | 'clock' | 'logger' | 'owner'>,
  body: () => Promise<T>,
): Promise<T> {
  const start = deps.clock.now();
  let held = false;
  for (let attempt = 0; ; attempt += 1) {
    held = await deps.store.tryLock(name, deps.owner, EVENT_PATH_DEFAULTS.lockTtlMs);
    if (held || deps.clock.now() - start >= EVENT_PATH_DEFAULTS.lockWaitMs) break;
    await deps.clock.sleep(Math.min(50 * 2 ** attempt, 500));
  }
  if (!held) deps.logger.warn({ lock: name }, 'breaker lock busy; updating without it');
  try {
    return await body();
  } finally {
    if (held) await deps.store.unlock(name, deps.owner);
  }
}
