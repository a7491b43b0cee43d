/**
 * Attach executions: conflicts recorded without a call, attach and replace chunks, and the settlement of
 * writes an earlier run left unfinished (read back with DescribeInstanceRamRole).
 */
import { afterReplaceAttach, attachChunk, type ChunkContext, replaceChunk } from '../chunk.js';
import { isAcceptedRole } from '../rules.js';
import { ineligibility } from '../targets.js';
import type { InstanceOutcome } from '../types.js';
import { type ExecutionState, type IntentEntry, pendingTargets } from './machine.js';
import { acceptedOutcome, conflictOutcome } from './report.js';
import { BatchRunner, type Chunk } from './runner.js';

/**
 * An intent without a result: its call may or may not have landed. The instances that bear their role
 * now get their outcome; the others stay pending (and are written again by the next run). `groups`
 * are the intent's pending ids by (role, policy) — one group unless the execution has role rules.
 */
async function settleIntent(
  intent: IntentEntry,
  state: ExecutionState,
  groups: { context: ChunkContext; ids: string[] }[],
): Promise<InstanceOutcome[]> {
  const outcomes: InstanceOutcome[] = [];
  for (const { context, ids } of groups) outcomes.push(...(await settleGroup(intent, state, context, ids)));
  return outcomes;
}

async function settleGroup(
  intent: IntentEntry,
  state: ExecutionState,
  context: ChunkContext,
  ids: string[],
): Promise<InstanceOutcome[]> {
  const roles =
    ids.length > 0 ? await context.ecs.describeInstanceRamRoles(context.regionId, ids) : new Map();
  const previousRole = (id: string) => state.targets.get(id)?.currentRole ?? '';
  const outcomes: InstanceOutcome[] = [];
  const bare: string[] = [];
  for (const id of ids) {
    const role = roles.get(id);
    if (role === context.ramRoleName) {
      outcomes.push(
        intent.operation === 'replace'
          ? { instanceId: id, outcome: 'Replaced', previousRole: previousRole(id) }
          : { instanceId: id, outcome: 'Attached' },
      );
    } else if (intent.operation === 'replace' && !role) bare.push(id);
  }
  // A replace that died between its detach and its attach left the instance with no role: finish it
  // now, so that neither a cancel nor anything else can leave it bare and unrecorded.
  if (bare.length > 0) {
    for (const outcome of await attachChunk(context, bare)) {
      outcomes.push(afterReplaceAttach(outcome, previousRole(outcome.instanceId)));
    }
  }
  return outcomes;
}

/** Attach executions: conflicts recorded without a call, attach and replace chunks, settlement by describe. */
export class AttachRunner extends BatchRunner {
  protected readonly label = 'execution';

  protected async prepareBatch(
    pending: string[],
    chunkSize: number,
  ): Promise<{ chunks: Chunk[]; decided: number }> {
    // Conflicts (onConflict fail) are decided without a write, on the role they bear now: planning
    // may be long past (pauses, retry), and a role removed meanwhile means the attach can go ahead.
    const conflicting: string[] = [];
    const attach: string[] = [];
    const replace: string[] = [];
    for (const id of pending) {
      const work = this.state.targets.get(id)?.work;
      if (work === 'conflict') conflicting.push(id);
      else if (work === 'replace') replace.push(id);
      else attach.push(id);
    }
    const conflicts: InstanceOutcome[] = [];
    if (conflicting.length > 0) {
      const roles = await this.deps.ecs.describeInstanceRamRoles(this.context.regionId, conflicting);
      for (const id of conflicting) {
        const role = roles.get(id);
        const ours = this.assignment(id).role;
        if (!role) attach.push(id);
        else if (role === ours) conflicts.push({ instanceId: id, outcome: 'AlreadyAttached' });
        else if (isAcceptedRole(this.record.parameters, role)) conflicts.push(acceptedOutcome(id, role));
        else conflicts.push(conflictOutcome(id, role, ours));
      }
    }
    if (conflicts.length > 0) {
      await this.write({
        at: this.now(),
        type: 'result',
        chunkId: this.nextChunkId('conflict'),
        outcomes: conflicts,
      });
    }
    return {
      chunks: [
        ...this.splitByAssignment('attach', attach, chunkSize),
        ...this.splitByAssignment('replace', replace, chunkSize),
      ],
      decided: conflicts.length,
    };
  }

  protected processChunk(chunk: Chunk): Promise<InstanceOutcome[]> {
    const context = this.contextFor(chunk.assignment);
    return chunk.operation === 'replace'
      ? replaceChunk(context, chunk.instanceIds, this.#previousRoles(chunk.instanceIds))
      : attachChunk(context, chunk.instanceIds);
  }

  #previousRoles(ids: string[]): Map<string, string> {
    return new Map(ids.map((id) => [id, this.state.targets.get(id)?.currentRole ?? '']));
  }

  /**
   * After a pause: instances tagged for exclusion (or otherwise ineligible) meanwhile end Skipped
   * instead of being attached. One DescribeInstances call per 100 pending targets.
   */
  protected override async beforeBatches(): Promise<void> {
    if (!this.record.recheckEligibility) return;
    const pending = pendingTargets(this.state).filter((id) => this.state.targets.get(id)?.work !== undefined);
    const { parameters } = this.record;
    const instances =
      pending.length > 0
        ? await this.deps.ecs.describeInstances({ regionId: this.context.regionId, instanceIds: pending })
        : [];
    const excludedIds = new Set(parameters.exclusions.instanceIds);
    const outcomes = instances.flatMap((instance) => {
      const outcome = ineligibility(instance, parameters.exclusions, this.deps.clock.now(), excludedIds);
      return outcome ? [outcome] : [];
    });
    if (outcomes.length > 0) {
      await this.write({ at: this.now(), type: 'result', chunkId: this.nextChunkId('recheck'), outcomes });
    }
    delete this.record.recheckEligibility;
  }

  /** Settles intents left without results by a run that died mid-call, before writing again. */
  protected async settleOpenIntents(): Promise<void> {
    for (const intent of [...this.openIntents.values()]) {
      const pending = intent.instanceIds.filter((id) => !this.state.outcomes.has(id));
      const outcomes = await settleIntent(intent, this.state, this.groupByAssignment(pending));
      this.deps.logger.info(
        {
          executionId: this.record.executionId,
          chunkId: intent.chunkId,
          settled: outcomes.length,
          retried: intent.instanceIds.length - outcomes.length,
        },
        'settled an unfinished write after restart',
      );
      await this.write({ at: this.now(), type: 'result', chunkId: intent.chunkId, outcomes });
    }
  }
}
