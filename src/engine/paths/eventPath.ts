/**
 * The event path: attach the designated role to instances named by creation / state-change events,
 * within one invocation's time budget, behind a circuit breaker.
 *
 * Per region and invocation the calls are, where possible: one DescribeInstances and one
 * DescribeInstanceRamRole (through {@link planExecution}, so the classification rules are exactly the
 * batch path's: exclusions, classic network, already attached, other role -> onConflict), then one
 * AttachInstanceRamRole per 100 instances ({@link attachChunk}: bisection of NotFound, settlement of
 * failures). GetRole is memoised per warm instance ({@link memoizeRoleChecks}).
 *
 * A role that does not exist or does not trust ECS fails every instance of the invocation (codes
 * `RoleNotFound` / `RoleNotTrustedByEcs`, no attach call), which opens the breaker like any failure.
 *
 * Instances that are not attachable yet (`IncorrectInstanceStatus*`, e.g. still Pending) are retried
 * with exponential backoff on the injected clock until the deadline, then reported as skipped with
 * reason `NotYetAttachable`: the next state-change event (Running) brings them back. They do not count
 * against the breaker.
 *
 * Circuit breaker (document `event-path/<region>/<role>` in the store): every Failed instance adds one
 * to `consecutiveFailures`, every Attached/AlreadyAttached/Replaced resets it; at `breakerThreshold` the
 * breaker opens. While open, instance ids go to the backlog document `event-path/<region>/<role>/backlog`
 * instead of being attached (the failed ids of the invocation that opened it are queued too, so that a
 * resume re-attempts them). {@link resumeEventPath} turns the backlog into a batch execution
 * (ResourceIds targets, origin `event-backlog`) and closes the breaker.
 */

import { attachChunk, type ChunkContext, replaceChunk } from '../chunk.js';
import { CallRefusedError, RoleNotUsableError } from '../errors.js';
import { mergeExclusions } from '../exclusions.js';
import { createExecution, type EngineDeps } from '../execution/index.js';
import type { ExecutionReport } from '../execution/report.js';
import { conflictOutcome } from '../execution/report.js';
import type { Notifier } from '../notifications.js';
import { assertRolesUsable, planExecution } from '../planner.js';
import type { Clock, EcsApi, ExecutionStore, Logger, RamApi, RoleInfo } from '../ports.js';
import { type Assignment, assignmentKey, assignmentOf } from '../rules.js';
import type {
  ConflictPolicy,
  Exclusions,
  ExecutionMode,
  ExecutionParameters,
  ExecutionPlan,
  InstanceOutcome,
  RateControl,
  RoleRules,
} from '../types.js';
import { RULES_LABEL } from '../types.js';

/** Defaults of the event path, in one place. */
export const EVENT_PATH_DEFAULTS = {
  /** @default 5 consecutive failed instances open the breaker */
  breakerThreshold: 5,
  /** @default 1000 ms before the first re-attempt of a not-yet-attachable instance, doubling */
  initialRetryDelayMs: 1_000,
  /** @default 8000 ms between re-attempts at most */
  maxRetryDelayMs: 8_000,
  /** @default 30000 ms lease of the breaker lock */
  lockTtlMs: 30_000,
  /** @default 5000 ms to wait for the breaker lock before writing without it */
  lockWaitMs: 5_000,
  /** @default 300000 ms a successful GetRole check is trusted */
  roleCheckTtlMs: 300_000,
  /** Rate control of a backlog execution: one call per 100 instances, every instance gets its outcome. */
  backlogRateControl: { Mode: 'Concurrency', Concurrency: 100, MaxErrors: '100%' } as RateControl,
} as const;

/** ECS per-instance codes meaning "not in a state that accepts a role yet" (e.g. Pending). */
export function isNotYetAttachable(code: string): boolean {
  return code.startsWith('IncorrectInstanceStatus') && code !== 'IncorrectInstanceStatus.OperationConflict';
}

/** Region and role of a breaker document key (`event-path/<region>/<role>`). */
function breakerScope(key: string): { regionId: string; ramRoleName: string } {
  const [, regionId = '', ramRoleName = ''] = key.split('/');
  return { regionId, ramRoleName };
}

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
export function eventPathKeys(regionId: string, ramRoleName: string): { breaker: string; backlog: string } {
  const breaker = `event-path/${regionId}/${ramRoleName}`;
  return { breaker, backlog: `${breaker}/backlog` };
}

export interface EventPathSettings {
  /** The one role; {@link RULES_LABEL} (ignored) when `rules` assign the role per instance. */
  ramRoleName: string;
  /** Role rules (validated, e.g. `ROLE_RULES`): the role, policy and conflict policy per instance. */
  rules?: RoleRules;
  onConflict: ConflictPolicy;
  /** The deployment's exclusions, merged by {@link mergeExclusions} (the default tag always excludes). */
  exclusions: Exclusions;
  /** @default EVENT_PATH_DEFAULTS.breakerThreshold */
  breakerThreshold?: number;
  /** Absolute time (deps.clock) after which no re-attempt starts. */
  deadline: number;
  /** @default EVENT_PATH_DEFAULTS.initialRetryDelayMs */
  initialRetryDelayMs?: number;
  /** @default EVENT_PATH_DEFAULTS.maxRetryDelayMs */
  maxRetryDelayMs?: number;
}

export interface EventPathDeps {
  ecs: EcsApi;
  ram: RamApi;
  store: ExecutionStore;
  clock: Clock;
  logger: Logger;
  /** Lock owner, e.g. the FC request id. */
  owner: string;
  /** Told when the breaker opens (`eventpath.breaker-opened`). @default none */
  notifier?: Notifier;
  /** Flags repeated in the command the notification shows, e.g. ` --state oss://bucket/prefix`. */
  commandFlags?: string;
}

/** What happened to each instance of one region. */
export interface EventPathSummary {
  attached: string[];
  alreadyAttached: string[];
  skipped: { instanceId: string; reason: string; message?: string }[];
  failed: { instanceId: string; code: string; message: string }[];
  /** Queued for `resume-events` because the breaker is (or just became) open. */
  backlogged: string[];
}

/** An empty summary (to merge regions into). */
export function emptySummary(): EventPathSummary {
  return { attached: [], alreadyAttached: [], skipped: [], failed: [], backlogged: [] };
}

/**
 * Attaches the role to `instanceIds` of one region (see the module comment for the rules).
 * @example
 * const summary = await remediateInstances('cn-hangzhou', ['i-bp1...'], deps,
 *   { ramRoleName: 'EcsAppRole', onConflict: 'skip', exclusions, deadline: clock.now() + 90_000 });
 */
export async function remediateInstances(
  regionId: string,
  instanceIds: string[],
  deps: EventPathDeps,
  settings: EventPathSettings,
): Promise<EventPathSummary> {
  const summary = emptySummary();
  const ids = [...new Set(instanceIds)];
  if (ids.length === 0) return summary;
  const label = settings.rules ? RULES_LABEL : settings.ramRoleName;
  const keys = eventPathKeys(regionId, label);
  const breaker = await deps.store.getDocument<BreakerState>(keys.breaker);
  if (breaker?.state === 'open') {
    await addToBacklog(keys, ids, deps);
    summary.backlogged.push(...ids);
    for (const instanceId of ids)
      logInstance(deps.logger, regionId, instanceId, 'Backlogged', 'breaker open');
    return summary;
  }

  const parameters: ExecutionParameters = {
    regionId,
    ramRoleName: label,
    ...(settings.rules ? { rules: settings.rules } : {}),
    targets: { Type: 'ResourceIds', ResourceIds: ids, RegionId: regionId },
    rateControl: { Mode: 'Concurrency', Concurrency: 100, MaxErrors: 0 },
    mode: 'Automatic',
    onConflict: settings.onConflict,
    exclusions: mergeExclusions(settings.exclusions),
  };
  let plan: ExecutionPlan;
  try {
    // The role first (memoised per warm instance): an unusable role costs no DescribeInstances either.
    await assertRolesUsable(deps.ram, parameters);
    plan = await planExecution(`event-${deps.owner}`, parameters, deps);
  } catch (error) {
    if (!(error instanceof RoleNotUsableError)) throw error;
    // Every instance would fail the same way: count them against the breaker (which then queues them
    // for `resume-events` once the role is fixed) instead of failing the invocation over and over.
    const outcomes = ids.map(
      (instanceId): InstanceOutcome => ({
        instanceId,
        outcome: 'Failed',
        code: error.code,
        message: error.message,
      }),
    );
    for (const outcome of outcomes) addOutcome(summary, outcome);
    await updateBreaker(keys, breaker, summary, outcomes, deps, settings);
    for (const outcome of outcomes) logOutcome(deps.logger, regionId, outcome, summary);
    return summary;
  }
  const outcomes: InstanceOutcome[] = [];
  // AttachInstanceRamRole takes one role and one policy per call: one group of writes per assignment.
  const groups = new Map<string, WriteGroup>();
  const assigned = new Map<string, Assignment>();
  for (const target of plan.targets) {
    const assignment = assignmentOf(parameters, target);
    if (target.rule !== undefined) assigned.set(target.instanceId, assignment);
    if (target.decided) outcomes.push(target.decided);
    else if (target.work === 'conflict') {
      outcomes.push(conflictOutcome(target.instanceId, target.currentRole ?? '', assignment.role));
    } else {
      const group = groupFor(groups, assignment, { ecs: deps.ecs, regionId });
      if (target.work === 'replace') group.replace.set(target.instanceId, target.currentRole ?? '');
      else group.attach.push(target.instanceId);
    }
  }
  const log = (outcome: InstanceOutcome) =>
    logOutcome(deps.logger, regionId, outcome, summary, assigned.get(outcome.instanceId));

  let written: InstanceOutcome[];
  try {
    written = await writeWithRetries([...groups.values()], deps, settings);
  } catch (error) {
    if (!(error instanceof CallRefusedError)) throw error;
    // Refused for the caller (a permission, credentials, a quota exhausted past the budget): no instance
    // failed; the breaker opens at once and every instance not settled waits in the backlog.
    outcomes.push(...error.settled);
    for (const outcome of outcomes) addOutcome(summary, outcome);
    const settled = new Set(outcomes.map((o) => o.instanceId));
    const queued = [...groups.values()]
      .flatMap((group) => [...group.attach, ...group.replace.keys()])
      .filter((id) => !settled.has(id));
    await openBreaker(keys, `${error.code}: ${error.message}`, deps);
    await addToBacklog(keys, queued, deps);
    summary.backlogged.push(...queued);
    for (const outcome of outcomes) log(outcome);
    for (const instanceId of queued)
      logInstance(deps.logger, regionId, instanceId, 'Backlogged', error.message);
    return summary;
  }
  outcomes.push(...written);

  for (const outcome of outcomes) addOutcome(summary, outcome);
  await updateBreaker(keys, breaker, summary, outcomes, deps, settings);
  for (const outcome of outcomes) log(outcome);
  return summary;
}

/** The writes of one (role, policy). */
interface WriteGroup {
  context: ChunkContext;
  attach: string[];
  /** Instance id -> the role it bears now (replace). */
  replace: Map<string, string>;
}

function groupFor(
  groups: Map<string, WriteGroup>,
  assignment: Assignment,
  base: Pick<ChunkContext, 'ecs' | 'regionId'>,
): WriteGroup {
  const key = assignmentKey(assignment);
  let group = groups.get(key);
  if (!group) {
    const context: ChunkContext = {
      ...base,
      ramRoleName: assignment.role,
      ...(assignment.policy === undefined ? {} : { policy: assignment.policy }),
    };
    group = { context, attach: [], replace: new Map() };
    groups.set(key, group);
  }
  return group;
}

/**
 * The writes of every group, then re-attempts of instances not attachable yet (Pending) with backoff
 * while the budget lasts (all groups in each round, so that no group waits on another's backoff).
 * A call refused for the caller throws {@link CallRefusedError} whose `settled` holds every outcome so far.
 */
async function writeWithRetries(
  groups: WriteGroup[],
  deps: EventPathDeps,
  settings: EventPathSettings,
): Promise<InstanceOutcome[]> {
  let written: InstanceOutcome[] = [];
  const groupOf = new Map<string, WriteGroup>();
  const guarded = async (write: () => Promise<InstanceOutcome[]>) => {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof CallRefusedError)) throw error;
      // Everything written so far stays known, the refused call's own outcomes last.
      const known = new Map(written.map((o) => [o.instanceId, o]));
      for (const outcome of error.settled) known.set(outcome.instanceId, outcome);
      throw error.withSettled([...known.values()]);
    }
  };
  for (const group of groups) {
    for (const id of [...group.attach, ...group.replace.keys()]) groupOf.set(id, group);
    written.push(...(await guarded(() => writeChunks(group.context, group.attach, group.replace))));
  }
  let delay = settings.initialRetryDelayMs ?? EVENT_PATH_DEFAULTS.initialRetryDelayMs;
  const maxDelay = settings.maxRetryDelayMs ?? EVENT_PATH_DEFAULTS.maxRetryDelayMs;
  for (;;) {
    const waiting = written.filter((o) => o.outcome === 'Failed' && isNotYetAttachable(o.code));
    if (waiting.length === 0 || deps.clock.now() + delay >= settings.deadline) break;
    await deps.clock.sleep(delay);
    delay = Math.min(delay * 2, maxDelay);
    const again = new Map<string, InstanceOutcome>();
    for (const group of groups) {
      const ids = waiting.map((o) => o.instanceId).filter((id) => groupOf.get(id) === group);
      if (ids.length === 0) continue;
      for (const outcome of await guarded(() => attachChunks(group.context, ids))) {
        again.set(outcome.instanceId, outcome);
      }
    }
    written = written.map((o) => again.get(o.instanceId) ?? o);
  }
  return written;
}

/** Opens the breaker at once (a call refused for the caller), keeping the failure streak. */
async function openBreaker(
  keys: { breaker: string; backlog: string },
  reason: string,
  deps: EventPathDeps,
): Promise<void> {
  await withLock(keys.breaker, deps, async () => {
    const now = new Date(deps.clock.now()).toISOString();
    const state: BreakerState = (await deps.store.getDocument<BreakerState>(keys.breaker)) ?? {
      state: 'closed',
      consecutiveFailures: 0,
      updatedAt: now,
    };
    if (state.state !== 'open') {
      state.state = 'open';
      state.openedAt = now;
      state.reason = reason;
    }
    state.updatedAt = now;
    await deps.store.putDocument(keys.breaker, state);
    deps.logger.error(
      { breaker: keys.breaker, reason },
      'event path paused: a call was refused for the caller; new instances go to the backlog until `resume-events`',
    );
  });
}

/** Attach chunks (<= 100 ids each) and replace chunks, in order. */
async function writeChunks(
  context: ChunkContext,
  attach: string[],
  replace: Map<string, string>,
): Promise<InstanceOutcome[]> {
  const outcomes = await attachChunks(context, attach);
  const replaceIds = [...replace.keys()];
  for (let i = 0; i < replaceIds.length; i += 100) {
    outcomes.push(...(await replaceChunk(context, replaceIds.slice(i, i + 100), replace)));
  }
  return outcomes;
}

async function attachChunks(context: ChunkContext, ids: string[]): Promise<InstanceOutcome[]> {
  const outcomes: InstanceOutcome[] = [];
  for (let i = 0; i < ids.length; i += 100)
    outcomes.push(...(await attachChunk(context, ids.slice(i, i + 100))));
  return outcomes;
}

function addOutcome(summary: EventPathSummary, outcome: InstanceOutcome): void {
  switch (outcome.outcome) {
    case 'Attached':
    case 'Replaced':
      summary.attached.push(outcome.instanceId);
      return;
    case 'AlreadyAttached':
      summary.alreadyAttached.push(outcome.instanceId);
      return;
    case 'Skipped':
      summary.skipped.push({
        instanceId: outcome.instanceId,
        reason: outcome.reason,
        ...(outcome.message === undefined ? {} : { message: outcome.message }),
      });
      return;
    case 'Failed':
      if (isNotYetAttachable(outcome.code)) {
        summary.skipped.push({
          instanceId: outcome.instanceId,
          reason: 'NotYetAttachable',
          message: `${outcome.code}: ${outcome.message}; left for the next state-change event`,
        });
      } else
        summary.failed.push({ instanceId: outcome.instanceId, code: outcome.code, message: outcome.message });
      return;
    case 'Cancelled':
      return;
  }
}

/** Counts consecutive failures (only when something changed) and opens the breaker at the threshold. */
async function updateBreaker(
  keys: { breaker: string; backlog: string },
  initial: BreakerState | undefined,
  summary: EventPathSummary,
  outcomes: InstanceOutcome[],
  deps: EventPathDeps,
  settings: EventPathSettings,
): Promise<void> {
  const decisive = outcomes.filter(
    (o) =>
      o.outcome === 'Attached' ||
      o.outcome === 'AlreadyAttached' ||
      o.outcome === 'Replaced' ||
      (o.outcome === 'Failed' && !isNotYetAttachable(o.code)),
  );
  if (!decisive.some((o) => o.outcome === 'Failed')) {
    // The common case: no failure. Write only when a previous streak must be reset.
    if (!initial || initial.consecutiveFailures === 0 || decisive.length === 0) return;
  }
  const threshold = settings.breakerThreshold ?? EVENT_PATH_DEFAULTS.breakerThreshold;
  await withLock(keys.breaker, deps, async () => {
    const now = new Date(deps.clock.now()).toISOString();
    const state: BreakerState = (await deps.store.getDocument<BreakerState>(keys.breaker)) ?? {
      state: 'closed',
      consecutiveFailures: 0,
      updatedAt: now,
    };
    let opened: InstanceOutcome | undefined;
    for (const outcome of decisive) {
      if (outcome.outcome === 'Failed') {
        state.consecutiveFailures += 1;
        if (state.state === 'closed' && state.consecutiveFailures >= threshold) opened = outcome;
      } else if (state.state === 'closed') state.consecutiveFailures = 0;
    }
    if (opened && opened.outcome === 'Failed') {
      state.state = 'open';
      state.openedAt = now;
      state.reason = `${opened.instanceId}: ${opened.code} ${opened.message}`;
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
    state.updatedAt = now;
    await deps.store.putDocument(keys.breaker, state);
    if (state.state === 'open') {
      const queued = summary.failed.map((f) => f.instanceId);
      if (queued.length > 0) {
        await appendBacklog(keys, queued, deps);
        summary.backlogged.push(...queued);
      }
    }
  });
}

async function addToBacklog(
  keys: { breaker: string; backlog: string },
  ids: string[],
  deps: EventPathDeps,
): Promise<void> {
  await withLock(keys.breaker, deps, () => appendBacklog(keys, ids, deps));
}

async function appendBacklog(
  keys: { breaker: string; backlog: string },
  ids: string[],
  deps: Pick<EventPathDeps, 'store' | 'clock'>,
): Promise<void> {
  const backlog = (await deps.store.getDocument<BacklogDocument>(keys.backlog)) ?? {
    instanceIds: [],
    updatedAt: '',
  };
  const known = new Set(backlog.instanceIds);
  for (const id of ids) if (!known.has(id)) backlog.instanceIds.push(id);
  backlog.updatedAt = new Date(deps.clock.now()).toISOString();
  await deps.store.putDocument(keys.backlog, backlog);
}

/**
 * Runs `body` holding the store lock `name` (read-modify-write of the breaker and backlog documents by up
 * to 20 concurrent invocations). After `lockWaitMs` without the lock it runs anyway and logs a warning:
 * a lost backlog entry is recovered by the next sweep, a blocked event path is not.
 */
async function withLock<T>(
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

function logOutcome(
  logger: Logger,
  regionId: string,
  outcome: InstanceOutcome,
  summary: EventPathSummary,
  assignment?: Assignment,
) {
  const backlogged = summary.backlogged.includes(outcome.instanceId);
  // Role rules: each line names the instance's rule and the role it assigns.
  const rule = assignment ? { rule: assignment.rule, role: assignment.role } : {};
  switch (outcome.outcome) {
    case 'Failed':
      logInstance(
        logger,
        regionId,
        outcome.instanceId,
        isNotYetAttachable(outcome.code) ? 'NotYetAttachable' : 'Failed',
        outcome.message,
        {
          code: outcome.code,
          ...(backlogged ? { backlogged } : {}),
          ...rule,
        },
      );
      return;
    case 'Skipped':
      logInstance(logger, regionId, outcome.instanceId, 'Skipped', outcome.message, {
        reason: outcome.reason,
        ...rule,
      });
      return;
    default:
      logInstance(logger, regionId, outcome.instanceId, outcome.outcome, undefined, rule);
  }
}

function logInstance(
  logger: Logger,
  regionId: string,
  instanceId: string,
  outcome: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): void {
  const line = { instanceId, regionId, outcome, ...extra, ...(detail === undefined ? {} : { detail }) };
  if (outcome === 'Failed') logger.warn(line, 'event path instance');
  else logger.info(line, 'event path instance');
}

/** What {@link resumeEventPath} did. */
export interface ResumeEventsResult {
  regionId: string;
  ramRoleName: string;
  /** Instance ids taken from the backlog. */
  backlog: number;
  /** The batch execution created for them (absent when the backlog was empty). */
  execution?: ExecutionReport;
  /** Breaker state before the resume. */
  wasOpen: boolean;
}

/**
 * Operator `resume-events`: runs the backlog as a batch execution (planned and stored here, run by the
 * caller with runExecution) and closes the breaker. When planning fails (e.g. the role is still not
 * usable) nothing changes: the backlog stays and the breaker stays open.
 */
export async function resumeEventPath(
  regionId: string,
  ramRoleName: string,
  deps: EngineDeps & { owner: string },
  settings: {
    onConflict: ConflictPolicy;
    /** Merged by {@link mergeExclusions} (the default tag always excludes). */
    exclusions: Exclusions;
    rateControl?: RateControl;
    mode?: ExecutionMode;
    /** Role rules of the event path (`ROLE_RULES`); `ramRoleName` is then {@link RULES_LABEL}. */
    rules?: RoleRules;
  },
): Promise<ResumeEventsResult> {
  if (settings.rules) ramRoleName = RULES_LABEL;
  const keys = eventPathKeys(regionId, ramRoleName);
  return withLock(keys.breaker, deps, async () => {
    const breaker = await deps.store.getDocument<BreakerState>(keys.breaker);
    const backlog = (await deps.store.getDocument<BacklogDocument>(keys.backlog))?.instanceIds ?? [];
    const result: ResumeEventsResult = {
      regionId,
      ramRoleName,
      backlog: backlog.length,
      wasOpen: breaker?.state === 'open',
    };
    if (backlog.length > 0) {
      result.execution = await createExecution(
        {
          regionId,
          ramRoleName,
          ...(settings.rules ? { rules: settings.rules } : {}),
          targets: { Type: 'ResourceIds', ResourceIds: backlog, RegionId: regionId },
          rateControl: settings.rateControl ?? EVENT_PATH_DEFAULTS.backlogRateControl,
          mode: settings.mode ?? 'Automatic',
          onConflict: settings.onConflict,
          exclusions: mergeExclusions(settings.exclusions),
        },
        deps,
        { origin: 'event-backlog' },
      );
    }
    const now = new Date(deps.clock.now()).toISOString();
    await deps.store.putDocument(keys.backlog, { instanceIds: [], updatedAt: now } satisfies BacklogDocument);
    await deps.store.putDocument(keys.breaker, {
      state: 'closed',
      consecutiveFailures: 0,
      updatedAt: now,
    } satisfies BreakerState);
    deps.logger.info(
      { regionId, ramRoleName, backlog: backlog.length, executionId: result.execution?.executionId },
      'event path resumed',
    );
    if (result.wasOpen) {
      deps.notifier?.publish({
        type: 'eventpath.breaker-closed',
        at: now,
        regionId,
        ramRoleName,
        backlog: backlog.length,
        ...(result.execution ? { executionId: result.execution.executionId } : {}),
      });
    }
    return result;
  });
}

/**
 * A RamApi whose successful GetRole answers are reused for `ttlMs` (per warm FC instance): the event path
 * checks the role on every invocation, and 20 concurrent invocations should not cost 20 GetRole calls.
 * Missing roles are not cached, so a role created after an alert is seen at once.
 */
export function memoizeRoleChecks(
  ram: RamApi,
  clock: Pick<Clock, 'now'>,
  cache: Map<string, { role: RoleInfo; expiresAt: number }>,
  ttlMs: number = EVENT_PATH_DEFAULTS.roleCheckTtlMs,
): RamApi {
  return {
    getRole: async (roleName) => {
      const hit = cache.get(roleName);
      if (hit && hit.expiresAt > clock.now()) return hit.role;
      const role = await ram.getRole(roleName);
      if (role) cache.set(roleName, { role, expiresAt: clock.now() + ttlMs });
      else cache.delete(roleName);
      return role;
    },
  };
}

/** Merges the per-region summaries of one invocation. */
export function mergeSummaries(summaries: EventPathSummary[]): EventPathSummary {
  const merged = emptySummary();
  for (const summary of summaries) {
    merged.attached.push(...summary.attached);
    merged.alreadyAttached.push(...summary.alreadyAttached);
    merged.skipped.push(...summary.skipped);
    merged.failed.push(...summary.failed);
    merged.backlogged.push(...summary.backlogged);
  }
  return merged;
}

/** Instance ids grouped by region, in first-seen order. */
export function groupByRegion(instances: { instanceId: string; regionId: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { instanceId, regionId } of instances) {
    const group = groups.get(regionId);
    if (group) group.push(instanceId);
    else groups.set(regionId, [instanceId]);
  }
  return groups;
}
