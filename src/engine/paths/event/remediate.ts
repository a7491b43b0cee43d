/**
 * The event path's remediation of one region: attach the designated role to the instances named by
 * creation / state-change events, within one invocation's time budget, behind the circuit breaker
 * (./breaker.ts). Four steps: classify -> write -> reattempt -> summarise.
 *
 * Per region and invocation the calls are, where possible: one DescribeInstances and one
 * DescribeInstanceRamRole (through {@link planExecution}, so the classification rules are exactly the
 * batch path's: exclusions, classic network, already attached, other role -> onConflict), then one
 * AttachInstanceRamRole per 100 instances ({@link attachChunk}: bisection of NotFound, settlement of
 * failures). GetRole is memoised per warm instance (./roleChecks.ts).
 *
 * A role that does not exist or does not trust ECS fails every instance of the invocation (codes
 * `RoleNotFound` / `RoleNotTrustedByEcs`, no attach call), which opens the breaker like any failure.
 *
 * Instances that are not attachable yet (`IncorrectInstanceStatus*`, e.g. still Pending) are retried
 * with exponential backoff on the injected clock until the deadline, then reported as skipped with
 * reason `NotYetAttachable`: the next state-change event (Running) brings them back. They do not count
 * against the breaker.
 */
import { attachChunk, type ChunkContext, chunk, replaceChunk } from '../../chunk.js';
import { EVENT_PATH_DEFAULTS, MAX_IDS_PER_WRITE } from '../../defaults.js';
import { CallRefusedError, RoleNotUsableError } from '../../errors.js';
import { mergeExclusions } from '../../exclusions.js';
import { conflictOutcome } from '../../execution/report.js';
import { assertRolesUsable, planExecution } from '../../planner.js';
import type { Logger } from '../../ports.js';
import { type Assignment, assignmentKey, assignmentOf } from '../../rules.js';
import type { ExecutionParameters, ExecutionPlan, InstanceOutcome } from '../../types.js';
import { RULES_LABEL } from '../../types.js';
import {
  addToBacklog,
  type EventPathKeys,
  eventPathKeys,
  openBreaker,
  readBreaker,
  recordOutcomes,
} from './breaker.js';
import {
  type EventPathDeps,
  type EventPathSettings,
  type EventPathSummary,
  emptySummary,
  isNotYetAttachable,
} from './settings.js';

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
  const breaker = await readBreaker(keys, deps);
  if (breaker?.state === 'open') {
    await addToBacklog(keys, ids, deps);
    summary.backlogged.push(...ids);
    for (const instanceId of ids)
      logInstance(deps.logger, regionId, instanceId, 'Backlogged', 'breaker open');
    return summary;
  }
  const threshold = settings.breakerThreshold ?? EVENT_PATH_DEFAULTS.breakerThreshold;

  const classified = await classifyInstances(regionId, ids, label, deps, settings);
  if ('unusable' in classified) {
    // Every instance would fail the same way: count them against the breaker (which then queues them
    // for `resume-events` once the role is fixed) instead of failing the invocation over and over.
    const outcomes = ids.map(
      (instanceId): InstanceOutcome => ({
        instanceId,
        outcome: 'Failed',
        code: classified.unusable.code,
        message: classified.unusable.message,
      }),
    );
    for (const outcome of outcomes) addOutcome(summary, outcome);
    await recordOutcomes(keys, breaker, summary, outcomes, deps, threshold);
    for (const outcome of outcomes) logOutcome(deps.logger, regionId, outcome, summary);
    return summary;
  }
  const { decided: outcomes, groups, assigned } = classified;
  const log = (outcome: InstanceOutcome) =>
    logOutcome(deps.logger, regionId, outcome, summary, assigned.get(outcome.instanceId));

  try {
    outcomes.push(...(await writeWithRetries(groups, deps, settings)));
  } catch (error) {
    if (!(error instanceof CallRefusedError)) throw error;
    await refused(keys, error, outcomes, groups, summary, deps);
    for (const outcome of outcomes) log(outcome);
    for (const instanceId of summary.backlogged)
      logInstance(deps.logger, regionId, instanceId, 'Backlogged', error.message);
    return summary;
  }

  for (const outcome of outcomes) addOutcome(summary, outcome);
  await recordOutcomes(keys, breaker, summary, outcomes, deps, threshold);
  for (const outcome of outcomes) log(outcome);
  return summary;
}

/** The writes of one (role, policy). */
export interface WriteGroup {
  context: ChunkContext;
  attach: string[];
  /** Instance id -> the role it bears now (replace). */
  replace: Map<string, string>;
}

export interface Classified {
  /** Outcomes known without a write (skips, already attached, conflicts), in plan order. */
  decided: InstanceOutcome[];
  /** AttachInstanceRamRole takes one role and one policy per call: one group of writes per assignment. */
  groups: WriteGroup[];
  /** Role rules: the assignment of each instance that matched a rule (for the log lines). */
  assigned: Map<string, Assignment>;
}

/**
 * Step 1, classify: the role check (memoised per warm instance; an unusable role costs no
 * DescribeInstances either), then the batch planner over the ids; returns what needs no write and the
 * write groups. An unusable role is returned, not thrown: it is every instance's outcome.
 */
export async function classifyInstances(
  regionId: string,
  ids: string[],
  label: string,
  deps: EventPathDeps,
  settings: EventPathSettings,
): Promise<Classified | { unusable: RoleNotUsableError }> {
  const parameters: ExecutionParameters = {
    regionId,
    ramRoleName: label,
    ...(settings.rules ? { rules: settings.rules } : {}),
    targets: { Type: 'ResourceIds', ResourceIds: ids, RegionId: regionId },
    rateControl: { Mode: 'Concurrency', Concurrency: MAX_IDS_PER_WRITE, MaxErrors: 0 },
    mode: 'Automatic',
    onConflict: settings.onConflict,
    exclusions: mergeExclusions(settings.exclusions),
  };
  let plan: ExecutionPlan;
  try {
    await assertRolesUsable(deps.ram, parameters);
    plan = await planExecution(`event-${deps.owner}`, parameters, deps);
  } catch (error) {
    if (error instanceof RoleNotUsableError) return { unusable: error };
    throw error;
  }
  const decided: InstanceOutcome[] = [];
  const groups = new Map<string, WriteGroup>();
  const assigned = new Map<string, Assignment>();
  for (const target of plan.targets) {
    const assignment = assignmentOf(parameters, target);
    if (target.rule !== undefined) assigned.set(target.instanceId, assignment);
    if (target.decided) decided.push(target.decided);
    else if (target.work === 'conflict') {
      decided.push(conflictOutcome(target.instanceId, target.currentRole ?? '', assignment.role));
    } else {
      const group = groupFor(groups, assignment, { ecs: deps.ecs, regionId });
      if (target.work === 'replace') group.replace.set(target.instanceId, target.currentRole ?? '');
      else group.attach.push(target.instanceId);
    }
  }
  return { decided, groups: [...groups.values()], assigned };
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
 * Steps 2 and 3, write and reattempt: the writes of every group, then re-attempts of instances not
 * attachable yet (Pending) with backoff while the budget lasts (all groups in each round, so that no group
 * waits on another's backoff). A call refused for the caller throws {@link CallRefusedError} whose
 * `settled` holds every outcome so far.
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

/** Attach chunks (<= 100 ids each) and replace chunks, in order. */
async function writeChunks(
  context: ChunkContext,
  attach: string[],
  replace: Map<string, string>,
): Promise<InstanceOutcome[]> {
  const outcomes = await attachChunks(context, attach);
  const replaceIds = [...replace.keys()];
  for (const ids of chunk(replaceIds)) {
    outcomes.push(...(await replaceChunk(context, ids, replace)));
  }
  return outcomes;
}

async function attachChunks(context: ChunkContext, ids: string[]): Promise<InstanceOutcome[]> {
  const outcomes: InstanceOutcome[] = [];
  for (const part of chunk(ids)) outcomes.push(...(await attachChunk(context, part)));
  return outcomes;
}

/**
 * A call refused for the caller (a permission, credentials, a quota exhausted past the budget): no
 * instance failed; the breaker opens at once and every instance not settled waits in the backlog.
 * `outcomes` receives the settled ones.
 */
async function refused(
  keys: EventPathKeys,
  error: CallRefusedError,
  outcomes: InstanceOutcome[],
  groups: WriteGroup[],
  summary: EventPathSummary,
  deps: EventPathDeps,
): Promise<void> {
  outcomes.push(...error.settled);
  for (const outcome of outcomes) addOutcome(summary, outcome);
  const settled = new Set(outcomes.map((o) => o.instanceId));
  const queued = groups
    .flatMap((group) => [...group.attach, ...group.replace.keys()])
    .filter((id) => !settled.has(id));
  await openBreaker(keys, `${error.code}: ${error.message}`, deps);
  await addToBacklog(keys, queued, deps);
  summary.backlogged.push(...queued);
}

/** Step 4, summarise: one outcome into the region's summary (Pending ones as `NotYetAttachable` skips). */
export function addOutcome(summary: EventPathSummary, outcome: InstanceOutcome): void {
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
