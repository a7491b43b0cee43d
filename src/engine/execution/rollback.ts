/**
 * Rollback of an execution: detach the role from the instances it `Attached` (only those that still
 * bear it) and restore the previous role on the instances it `Replaced` (detach ours, attach theirs).
 *
 * A rollback is an execution of its own (origin `rollback`, `rollbackOf` = the original id), stored
 * with the same plan + journal protocol, under the original's rate control (batches, chunks of at most
 * 100 ids, MaxErrors, mode). So it is crash-safe, shows in `list` / `status`, and `resume`, `retry`
 * and `cancel` apply to it like to any execution ({@link runExecution} dispatches here).
 *
 * Crash safety: before each write a `detach` intent names the chunk's ids; after it a result. Every
 * chunk starts by reading the current roles, so a rerun never writes blindly. An id that appeared in
 * an earlier intent and now bears no role was detached by us (and for a restore still needs the
 * previous role attached); an id never attempted that bears no role, or another role, was changed by
 * someone else and is left alone (`Skipped/RoleChanged`).
 */
import { afterReattach, attachChunk, type ChunkContext, detachChunk } from '../chunk.js';
import { InvalidActionError } from '../errors.js';
import { newExecutionId } from '../ids.js';
import type { LeaseHolder } from '../lease.js';
import type { StoredExecution } from '../ports.js';
import { planBatches, resolveMaxErrors } from '../rateControl.js';
import { assignmentOf } from '../rules.js';
import { createSourceRollback, isSourceKind } from '../sources/execution.js';
import { trustsEcs } from '../trust.js';
import type { ExecutionParameters, ExecutionPlan, InstanceOutcome, PlannedTarget } from '../types.js';
import type { EngineDeps, RunOptions } from './deps.js';
import { decidedOutcomes, deriveState, newExecutionRecord } from './machine.js';
import { buildReport, type ExecutionReport } from './report.js';
import { BatchRunner, type Chunk } from './runner.js';

/** Options of {@link createRollback}. */
export interface RollbackOptions {
  /** Plan only: read the current roles and report what would happen (status `Planned`); zero writes. */
  dryRun?: boolean;
  /** A caller-chosen id (an organization rollback derives its children's ids from the parent's). */
  executionId?: string;
}

/**
 * Plans the rollback of `executionId` and stores it (status Running), or with `dryRun` returns the
 * predicted report without storing anything. Call {@link runExecution} with the returned id to run it.
 *
 * @throws {@link InvalidActionError} when the original is still Running or is itself a rollback.
 * @example
 * const planned = await createRollback('exec-20260105T030000Z-4f3a9c', deps);
 * const report = await runExecution(planned.executionId, deps);
 */
export async function createRollback(
  executionId: string,
  deps: Omit<EngineDeps, 'onProgress'>,
  options: RollbackOptions = {},
): Promise<ExecutionReport> {
  const original = deriveState(await deps.store.load(executionId));
  const { record } = original;
  if (isSourceKind(record.parameters) && record.origin !== 'rollback') {
    return createSourceRollback(original, deps, options);
  }
  if (record.origin === 'rollback') {
    throw new InvalidActionError(
      executionId,
      'roll back',
      `a rollback of ${record.rollbackOf ?? 'another execution'}`,
      'Run the original execution again instead; nothing was changed.',
    );
  }
  if (record.status === 'Running' || record.status === 'Planned') {
    throw new InvalidActionError(
      executionId,
      'roll back',
      record.status,
      'Cancel it first (`ecs-role-attach cancel <id>`), or let it finish; nothing was changed.',
    );
  }
  const regionId = record.parameters.targets.RegionId ?? record.parameters.regionId;
  const targets: PlannedTarget[] = [];
  for (const target of original.plan.targets) {
    const outcome = original.outcomes.get(target.instanceId);
    // The rule stays with the target: the role to detach is the one its rule attached.
    const rule = target.rule === undefined ? {} : { rule: target.rule };
    if (outcome?.outcome === 'Attached')
      targets.push({ instanceId: target.instanceId, ...rule, work: 'detach' });
    if (outcome?.outcome === 'Replaced') {
      targets.push(
        outcome.previousRole === ''
          ? { instanceId: target.instanceId, ...rule, work: 'detach' }
          : { instanceId: target.instanceId, ...rule, work: 'restore', restoreRole: outcome.previousRole },
      );
    }
  }
  await decideUnusableRestoreRoles(targets, deps);

  const ids = targets.map((target) => target.instanceId);
  const parameters: ExecutionParameters = {
    ...record.parameters,
    targets: { Type: 'ResourceIds', ResourceIds: ids, RegionId: regionId },
    exclusions: { tags: [], instanceIds: [] },
  };
  const rollbackId = options.executionId ?? newExecutionId(deps.clock.now(), deps.random);
  const work = targets.filter((target) => !target.decided).map((target) => target.instanceId);
  const plan: ExecutionPlan = {
    executionId: rollbackId,
    targets,
    batches: planBatches(work, parameters.rateControl),
    maxErrors: resolveMaxErrors(parameters.rateControl.MaxErrors, work.length),
  };
  const decided = decidedOutcomes(plan);
  const rollback = newExecutionRecord(plan, {
    parameters,
    origin: 'rollback',
    rollbackOf: executionId,
    at: new Date(deps.clock.now()).toISOString(),
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  if (options.dryRun) {
    const roles = work.length > 0 ? await deps.ecs.describeInstanceRamRoles(regionId, work) : new Map();
    const predicted = new Map(decided);
    const byId = new Map(plan.targets.map((target) => [target.instanceId, target]));
    for (const id of work) {
      const target = byId.get(id)!;
      const ours = assignmentOf(parameters, target).role;
      const context: ChunkContext = { ecs: deps.ecs, regionId, ramRoleName: ours };
      const decision = precheck(context, target, roles.get(id), false);
      predicted.set(id, decision === undefined || decision === 'restore' ? wouldDo(target, ours) : decision);
    }
    return buildReport({ record: rollback, plan, outcomes: predicted });
  }
  await deps.store.create(rollback, plan);
  deps.logger.info(
    { executionId: rollbackId, rollbackOf: executionId, targets: targets.length },
    'rollback planned',
  );
  return buildReport({ record: rollback, plan, outcomes: decided });
}

/**
 * Restoring a role that no longer exists (or no longer trusts ECS) would detach ours and leave the
 * instance bare: such targets are decided Failed at planning, with no write.
 */
async function decideUnusableRestoreRoles(
  targets: PlannedTarget[],
  deps: Pick<EngineDeps, 'ram'>,
): Promise<void> {
  const names = [...new Set(targets.flatMap((target) => (target.restoreRole ? [target.restoreRole] : [])))];
  const unusable = new Map<string, string>();
  for (const name of names) {
    const role = await deps.ram.getRole(name);
    if (!role) unusable.set(name, `previous role ${name} no longer exists; our role was left in place`);
    else if (!trustsEcs(role.assumeRolePolicy)) {
      unusable.set(
        name,
        `previous role ${name} no longer trusts ecs.aliyuncs.com; our role was left in place`,
      );
    }
  }
  for (const target of targets) {
    const reason = target.restoreRole ? unusable.get(target.restoreRole) : undefined;
    if (reason) {
      target.decided = {
        instanceId: target.instanceId,
        outcome: 'Failed',
        code: 'RoleNotUsable',
        message: reason,
      };
    }
  }
}

function wouldDo(target: PlannedTarget, ours: string): InstanceOutcome {
  return target.work === 'restore'
    ? { instanceId: target.instanceId, outcome: 'Restored', previousRole: target.restoreRole ?? '' }
    : { instanceId: target.instanceId, outcome: 'Detached', role: ours };
}

/**
 * What the current role says before any write: `undefined` = our role is there, write; an outcome =
 * nothing to write (already done by an interrupted run, or changed by someone else); `'restore'` =
 * ours is gone after an interrupted run, the previous role still has to be attached.
 */
function precheck(
  context: ChunkContext,
  target: PlannedTarget,
  role: string | undefined,
  attempted: boolean,
): InstanceOutcome | 'restore' | undefined {
  const { instanceId } = target;
  if (role === context.ramRoleName) return undefined;
  const bare = role === undefined || role === '';
  if (attempted && bare) {
    return target.work === 'restore'
      ? 'restore'
      : { instanceId, outcome: 'Detached', role: context.ramRoleName };
  }
  if (attempted && target.work === 'restore' && role !== undefined && role === target.restoreRole) {
    return { instanceId, outcome: 'Restored', previousRole: role };
  }
  return {
    instanceId,
    outcome: 'Skipped',
    reason: 'RoleChanged',
    message: bare
      ? `bears no role now (or was released), not ${context.ramRoleName}; left alone`
      : `bears role ${role} now, not ${context.ramRoleName}; left alone`,
  };
}

/**
 * One rollback chunk (1-100 ids): read roles, detach ours where it is still there, then attach the
 * previous role for restores (grouped by role, one call per role).
 */
export async function rollbackChunk(
  context: ChunkContext,
  instanceIds: string[],
  targets: ReadonlyMap<string, PlannedTarget>,
  attempted: ReadonlySet<string>,
  /** Settle an interrupted chunk only: finish restores, record what is done, detach nothing new. */
  settleOnly = false,
): Promise<InstanceOutcome[]> {
  const roles = await context.ecs.describeInstanceRamRoles(context.regionId, instanceIds);
  const outcomes: InstanceOutcome[] = [];
  const toDetach: string[] = [];
  const toRestore: string[] = [];
  for (const id of instanceIds) {
    const target = targets.get(id) ?? { instanceId: id, work: 'detach' as const };
    const decision = precheck(context, target, roles.get(id), attempted.has(id));
    if (decision === undefined) toDetach.push(id);
    else if (decision === 'restore') toRestore.push(id);
    else outcomes.push(decision);
  }
  if (toDetach.length > 0 && !settleOnly) {
    for (const result of await detachChunk(context, toDetach)) {
      const target = targets.get(result.instanceId);
      if (!result.success) {
        outcomes.push({
          instanceId: result.instanceId,
          outcome: 'Failed',
          code: result.code,
          message: `could not detach ${context.ramRoleName}: ${result.message}`,
        });
      } else if (target?.work === 'restore') toRestore.push(result.instanceId);
      else outcomes.push({ instanceId: result.instanceId, outcome: 'Detached', role: context.ramRoleName });
    }
  }
  const byRole = new Map<string, string[]>();
  for (const id of toRestore) {
    const role = targets.get(id)?.restoreRole ?? '';
    byRole.set(role, [...(byRole.get(role) ?? []), id]);
  }
  for (const [role, ids] of byRole) {
    // The previous role goes back without a policy: DescribeInstanceRamRole does not tell which one it had.
    const restore: ChunkContext = { ecs: context.ecs, regionId: context.regionId, ramRoleName: role };
    for (const outcome of await attachChunk(restore, ids)) {
      outcomes.push(
        afterReattach(
          outcome,
          { instanceId: outcome.instanceId, outcome: 'Restored', previousRole: role },
          (message) =>
            `${context.ramRoleName} was detached but attaching the previous role ${role} failed: ${message}`,
        ),
      );
    }
  }
  return outcomes;
}

/**
 * Runs a stored rollback execution (called by {@link runExecution} for origin `rollback`): batches in
 * order, chunks in parallel within a batch, MaxErrors and batch pauses as the original had them.
 */
export async function runRollbackExecution(
  stored: StoredExecution,
  deps: EngineDeps,
  options: RunOptions = {},
  lease?: LeaseHolder,
): Promise<ExecutionReport> {
  return new RollbackRunner(stored, deps, options, lease).run();
}

/**
 * Rollbacks: every chunk re-reads the current roles first, so an interrupted chunk needs no settling
 * beyond closing its intent; `attempted` remembers which ids earlier runs wrote to.
 */
class RollbackRunner extends BatchRunner {
  protected readonly label = 'rollback';
  readonly #attempted = new Set<string>();

  public constructor(stored: StoredExecution, deps: EngineDeps, options: RunOptions, lease?: LeaseHolder) {
    super(deriveState(stored), deps, options, lease);
    for (const entry of stored.journal) {
      if (entry.type === 'intent') for (const id of entry.instanceIds) this.#attempted.add(id);
    }
  }

  /**
   * Interrupted chunks: what they did is recorded (a detached instance Detached, a restore target left
   * bare gets its previous role back); instances still bearing our role stay pending. So a cancel that
   * follows never records a half-done instance as never attempted.
   */
  protected async settleOpenIntents(): Promise<void> {
    for (const intent of [...this.openIntents.values()]) {
      const pending = intent.instanceIds.filter((id) => !this.state.outcomes.has(id));
      const outcomes: InstanceOutcome[] = [];
      for (const { context, ids } of this.groupByAssignment(pending)) {
        outcomes.push(...(await rollbackChunk(context, ids, this.state.targets, this.#attempted, true)));
      }
      await this.write({ at: this.now(), type: 'result', chunkId: intent.chunkId, outcomes });
    }
  }

  /** Chunks per role: the role to detach is the one each target's rule attached (one role per call). */
  protected async prepareBatch(
    pending: string[],
    chunkSize: number,
  ): Promise<{ chunks: Chunk[]; decided: number }> {
    return { chunks: this.splitByAssignment('detach', pending, chunkSize), decided: 0 };
  }

  protected processChunk(chunk: Chunk): Promise<InstanceOutcome[]> {
    // `#attempted` holds only ids of earlier (interrupted) runs' intents: this chunk's own intent must
    // not make a bare instance look like our work.
    return rollbackChunk(
      this.contextFor(chunk.assignment),
      chunk.instanceIds,
      this.state.targets,
      this.#attempted,
    );
  }
}
