/**
 * The execution state machine: create (plan + persist), run (batches, rate control, pause on
 * failure, crash-safe journal), control (continue / retry / cancel). Every shell drives these three.
 *
 * Journal protocol: the plan is stored before the first write; before each API write an `intent`
 * entry names the chunk and its ids; after it a `result` entry records one outcome per id. A run that
 * finds intents without results (the process died mid-call) settles them with DescribeInstanceRamRole
 * before anything else, so no target is lost and no instance is written twice blindly.
 */
import { blastRadiusViolation } from '../blastRadius.js';

import { attachChunk, type ChunkContext, replaceChunk } from '../chunk.js';
import { ExecutionNotFoundError, InvalidActionError, InvalidInputError } from '../errors.js';
import { newExecutionId } from '../ids.js';
import { ExecutionBusyError, type LeaseHolder, leaseName, takeLease, withLease } from '../lease.js';
import { continuedEvent, executionEvent, type Notifier } from '../notifications.js';
import { type PlannerDeps, planExecution } from '../planner.js';
import type { Clock, ExecutionStore, Logger, RandomSource } from '../ports.js';
import { assignmentOf, isAcceptedRole } from '../rules.js';
import { createSourceExecution, isSourceKind, runSourceExecution } from '../sources/execution.js';
import type { SourceApis } from '../sources/ports.js';
import { ineligibility } from '../targets.js';
import type {
  ExecutionParameters,
  ExecutionRecord,
  InstanceOutcome,
  NewJournalEntry,
  OperatorAction,
} from '../types.js';
import { TERMINAL_STATUSES } from '../types.js';
import { runRollbackExecution } from './rollback.js';
import {
  BatchRunner,
  type CancelRequest,
  type Chunk,
  cancelEntries,
  cancelReason,
  cancelRequestKey,
  markCancelHandled,
  pendingTargets,
  saveRecordAndSummary,
  setStatus,
} from './runner.js';
import {
  acceptedOutcome,
  applyEntry,
  buildReport,
  conflictOutcome,
  countOutcomes,
  decidedOutcomes,
  deriveState,
  type ExecutionReport,
  type ExecutionState,
  type IntentEntry,
  newExecutionRecord,
  predictedOutcome,
} from './state.js';

/** Progress of a running execution, emitted after every chunk (for progress bars and logs). */
export interface ExecutionProgress {
  executionId: string;
  batchIndex: number;
  batchCount: number;
  done: number;
  total: number;
  failed: number;
  maxErrors: number;
  /** Failures that count against MaxErrors (since the last continue/retry). */
  budgetUsed: number;
}

export interface EngineDeps extends PlannerDeps {
  store: ExecutionStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  onProgress?: (progress: ExecutionProgress) => void;
  /** Who holds an execution's lease while changing it; default: a fresh id per call. */
  owner?: string;
  /** Whether another holder's live lease may be taken over (its process is known dead). */
  canTakeOver?: (holder: string) => boolean;
  /** Launch templates, Auto Scaling and metadata options: needed by `harden-metadata` and `templates` executions. */
  sources?: SourceApis;
  /** Told when an execution is planned (dry run), pauses, is continued or ends; never waits for it. @default none */
  notifier?: Notifier;
  /** Flags repeated in the commands a notification shows, e.g. ` --state oss://bucket/prefix`. */
  commandFlags?: string;
}

/** Publishes the event a report calls for (planned, waiting, finished), when a notifier is set. */
function notifyReport(
  report: ExecutionReport,
  deps: Pick<EngineDeps, 'clock'> & Partial<Pick<EngineDeps, 'notifier' | 'commandFlags'>>,
): ExecutionReport {
  const event = deps.notifier && executionEvent(report, isoNow(deps.clock), deps.commandFlags ?? '');
  if (event) deps.notifier?.publish(event);
  return report;
}

function isoNow(clock: Pick<Clock, 'now'>): string {
  return new Date(clock.now()).toISOString();
}

/** The lease holder of one engine call. */
function leaseHolder(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'owner' | 'canTakeOver'> & { random?: RandomSource },
): LeaseHolder {
  const random = deps.random ?? Math.random;
  return {
    store: deps.store,
    clock: deps.clock,
    owner: deps.owner ?? `engine:${Math.floor(random() * 2 ** 48).toString(16)}`,
    ...(deps.canTakeOver ? { canTakeOver: deps.canTakeOver } : {}),
  };
}

export interface RunOptions {
  /** Absolute time (deps.clock) after which no new chunk starts; the execution stays Running. */
  deadline?: number;
}

/**
 * Plans an execution and stores it (status Running, no write made yet). With `dryRun`, nothing is
 * stored and the report shows status `Planned` with the outcome each target would get.
 */
export async function createExecution(
  parameters: ExecutionParameters,
  deps: Omit<EngineDeps, 'store'> & { store?: ExecutionStore },
  options: {
    origin: ExecutionRecord['origin'];
    dryRun?: boolean;
    /**
     * A caller-chosen id that makes planning idempotent (the workflow derives it from the CloudFlow
     * execution name, so that a retried Plan step finds its execution instead of creating another).
     */
    executionId?: string;
  },
): Promise<ExecutionReport> {
  // harden-metadata and templates plan other resources and write with another call (sources/).
  if (isSourceKind(parameters)) return createSourceExecution(parameters, deps, options);
  if (options.executionId !== undefined && deps.store && !options.dryRun) {
    const existing = await deps.store.load(options.executionId).catch((error: unknown) => {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    });
    if (existing) {
      // The same flow execution planning again (a retried Plan) reuses it; another run under a reused
      // name must not silently inherit an old execution.
      if (JSON.stringify(existing.record.parameters) !== JSON.stringify(parameters)) {
        throw new InvalidInputError(
          'executionName',
          `was already used for execution ${options.executionId} with other parameters; start the flow under a new name`,
          options.executionId,
        );
      }
      deps.logger.info(
        { executionId: options.executionId },
        'planned before; the stored execution is reused',
      );
      return buildReport(deriveState(existing));
    }
  }
  const executionId = options.executionId ?? newExecutionId(deps.clock.now(), deps.random);
  const plan = await planExecution(executionId, parameters, deps);
  const overLimit = blastRadiusViolation(plan, parameters);
  if (overLimit && !options.dryRun) throw overLimit;
  const outcomes = decidedOutcomes(plan);
  const record = newExecutionRecord(plan, {
    parameters,
    origin: options.origin,
    at: new Date(deps.clock.now()).toISOString(),
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  if (options.dryRun) {
    const predicted = new Map(
      plan.targets.map((target) => [
        target.instanceId,
        predictedOutcome(target, assignmentOf(parameters, target).role),
      ]),
    );
    return notifyReport(
      {
        ...buildReport({ record, plan, outcomes: predicted }),
        counts: countOutcomes(plan.targets.length, []),
        // A dry run is never stopped by the belt (it writes nothing); it says whether the run would be.
        ...(overLimit ? { statusReason: `a real run would be refused: ${overLimit.message}` } : {}),
      },
      deps,
    );
  }
  if (!deps.store) throw new TypeError('createExecution needs a store unless dryRun is set');
  await deps.store.create(record, plan);
  deps.logger.info(
    {
      executionId,
      targets: plan.targets.length,
      work: plan.batches.reduce((n, b) => n + b.instanceIds.length, 0),
    },
    'execution planned',
  );
  return buildReport({ record, plan, outcomes });
}

/** Loads an execution and returns its report. */
export async function getExecutionReport(
  executionId: string,
  store: ExecutionStore,
): Promise<ExecutionReport> {
  return buildReport(deriveState(await store.load(executionId)));
}

/**
 * Runs a Running execution until it ends (Success / Failed / Cancelled), pauses (Waiting) or reaches
 * the deadline (still Running). Anything else is returned as it is.
 */
export async function runExecution(
  executionId: string,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<ExecutionReport> {
  const lease = leaseHolder(deps);
  return withLease(executionId, lease, async () => {
    const stored = await deps.store.load(executionId);
    const report = isSourceKind(stored.record.parameters)
      ? await runSourceExecution(stored, deps, options, lease)
      : // A rollback's targets are detach/restore work: it has its own runner (see rollback.ts).
        stored.record.origin === 'rollback'
        ? await runRollbackExecution(stored, deps, options, lease)
        : await new ExecutionRunner(deriveState(stored), deps, options, lease).run();
    return notifyReport(report, deps);
  });
}

/**
 * Applies an operator decision to a Waiting execution: `continue` keeps failures as failed and resets
 * the error budget; `retry` makes the failed targets pending again, then continues; `cancel` ends the
 * execution, remaining targets Cancelled. Returns the report after the decision; call
 * {@link runExecution} to go on.
 *
 * `cancel` also applies to a Running execution. When another process runs it (it holds the lease), the
 * cancel is left as a request that process honours before its next chunk, and the report still says
 * Running. When none does (it crashed), unfinished writes are first settled with
 * DescribeInstanceRamRole (`deps.ecs`), so that an instance attached by the interrupted call is not
 * recorded as never attempted; without `deps.ecs` the request waits for the next run.
 *
 * `leaseHeld`: the caller already holds the execution's lease (the workflow's control action).
 */
export async function controlExecution(
  executionId: string,
  action: OperatorAction,
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger'> & Partial<EngineDeps>,
  options: { leaseHeld?: boolean } = {},
): Promise<ExecutionReport> {
  const holder = leaseHolder(deps);
  if (action === 'cancel') await requestCancel(executionId, deps, holder.owner);
  if (!options.leaseHeld && !(await takeLease(executionId, holder))) {
    if (action !== 'cancel') throw new ExecutionBusyError(executionId, 'its lease is held');
    return cancelRequestedReport(executionId, deps.store);
  }
  try {
    const report = await applyDecision(executionId, action, deps, holder);
    if (action === 'cancel') return notifyReport(report, deps);
    deps.notifier?.publish(continuedEvent(report, action, isoNow(deps.clock)));
    return report;
  } finally {
    if (!options.leaseHeld) await deps.store.unlock(leaseName(executionId), holder.owner);
  }
}

/**
 * Leaves an operator's cancel for the process running the execution (it checks before every chunk
 * and before pausing). Nothing is requested for an execution that has ended.
 */
export async function requestCancel(
  executionId: string,
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  by: string,
): Promise<void> {
  const { record } = await deps.store.load(executionId);
  if (record.status !== 'Running' && record.status !== 'Waiting') return;
  const request: CancelRequest = { requestedAt: new Date(deps.clock.now()).toISOString(), by };
  await deps.store.putDocument(cancelRequestKey(executionId), request);
}

/** The report of an execution whose cancel waits for the process running it. */
export async function cancelRequestedReport(
  executionId: string,
  store: ExecutionStore,
): Promise<ExecutionReport> {
  return {
    ...(await getExecutionReport(executionId, store)),
    statusReason: 'cancel requested: the process running this execution stops before its next chunk',
  };
}

async function applyDecision(
  executionId: string,
  action: OperatorAction,
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger'> & Partial<EngineDeps>,
  holder: LeaseHolder,
): Promise<ExecutionReport> {
  const stored = await deps.store.load(executionId);
  const state = deriveState(stored);
  const { record } = state;
  const allowed = action === 'cancel' ? ['Waiting', 'Running'] : ['Waiting'];
  if (!allowed.includes(record.status)) {
    const hint =
      record.status === 'Running'
        ? 'It is still running; use `resume` to drive it after a crash, or `cancel`.'
        : 'It has ended; start a new execution instead.';
    throw new InvalidActionError(executionId, action, record.status, hint);
  }
  const at = new Date(deps.clock.now()).toISOString();
  const append = async (entry: NewJournalEntry): Promise<void> => {
    applyEntry(await deps.store.append(executionId, entry), state.outcomes, new Map());
  };
  if (action === 'cancel') {
    if (state.openIntents.length > 0) {
      // A run died mid-call. Its runner settles unfinished writes (finishing an interrupted replace or
      // rollback step) and then honours the cancel request written above; without cloud access that
      // waits for the next run.
      if (!isEngineDeps(deps)) {
        deps.logger.info(
          { executionId },
          'cancel requested; the next run settles unfinished writes and cancels',
        );
        return {
          ...buildReport(state),
          statusReason: 'cancel requested: the next run settles unfinished writes, then cancels',
        };
      }
      if (isSourceKind(record.parameters)) return runSourceExecution(stored, deps, {}, holder);
      return record.origin === 'rollback'
        ? runRollbackExecution(stored, deps, {}, holder)
        : new ExecutionRunner(state, deps, {}, holder).run();
    }
    for (const entry of cancelEntries(state, at)) await append(entry);
    state.cancelDecided = true;
    setStatus(record, 'Cancelled', cancelReason(state));
    await markCancelHandled(deps.store, executionId, at);
  } else {
    const failedBefore = countOutcomes(state.plan.targets.length, state.outcomes.values()).failed;
    await append({ at, type: 'decision', action, failedBefore });
    // The latest decision wins over a cancel request nobody honoured (it came as the run paused).
    await markCancelHandled(deps.store, executionId, at);
    if (action === 'retry') {
      const firstPending = state.plan.batches.find((batch) =>
        batch.instanceIds.some((id) => !state.outcomes.has(id)),
      );
      if (firstPending) record.nextBatch = Math.min(record.nextBatch, firstPending.index);
    }
    record.errorBase = countOutcomes(state.plan.targets.length, state.outcomes.values()).failed;
    record.recheckEligibility = true;
    setStatus(record, 'Running');
  }
  record.updatedAt = at;
  await saveRecordAndSummary(deps.store, record, state.plan, state.outcomes, state.openIntents);
  deps.logger.info({ executionId, action, status: record.status }, 'operator decision recorded');
  return buildReport(state);
}

function isEngineDeps(deps: Partial<EngineDeps>): deps is EngineDeps {
  return (
    deps.ecs !== undefined && deps.ram !== undefined && deps.store !== undefined && deps.random !== undefined
  );
}

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
      const id = outcome.instanceId;
      if (outcome.outcome === 'Attached' || outcome.outcome === 'AlreadyAttached') {
        outcomes.push({ instanceId: id, outcome: 'Replaced', previousRole: previousRole(id) });
      } else if (outcome.outcome === 'Failed') {
        outcomes.push({
          ...outcome,
          message: `role ${previousRole(id)} was detached but attaching failed: ${outcome.message}`,
        });
      } else outcomes.push(outcome);
    }
  }
  return outcomes;
}

/** Attach executions: conflicts recorded without a call, attach and replace chunks, settlement by describe. */
class ExecutionRunner extends BatchRunner {
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

/** Whether an execution status is final. */
export function isTerminal(status: ExecutionRecord['status']): boolean {
  return TERMINAL_STATUSES.includes(status);
}
