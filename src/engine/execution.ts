/**
 * The execution state machine: create (plan + persist), run (batches, rate control, pause on
 * failure, crash-safe journal), control (continue / retry / cancel). Every shell drives these three.
 *
 * Journal protocol: the plan is stored before the first write; before each API write an `intent`
 * entry names the chunk and its ids; after it a `result` entry records one outcome per id. A run that
 * finds intents without results (the process died mid-call) settles them with DescribeInstanceRamRole
 * before anything else, so no target is lost and no instance is written twice blindly.
 */
import { attachChunk, type ChunkContext, replaceChunk } from './chunk.js';
import { InvalidActionError } from './errors.js';
import { newExecutionId } from './ids.js';
import { type PlannerDeps, planExecution } from './planner.js';
import type { Clock, ExecutionStore, Logger, RandomSource } from './ports.js';
import { chunkLayout } from './rateControl.js';
import { runRollbackExecution } from './rollback.js';
import {
  applyEntry,
  buildReport,
  conflictOutcome,
  countOutcomes,
  deriveState,
  type ExecutionReport,
  type ExecutionState,
  type IntentEntry,
  predictedOutcome,
} from './state.js';
import type {
  ExecutionParameters,
  ExecutionRecord,
  InstanceOutcome,
  NewJournalEntry,
  OperatorAction,
  PlannedBatch,
} from './types.js';
import { TERMINAL_STATUSES } from './types.js';

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
  options: { origin: ExecutionRecord['origin']; dryRun?: boolean },
): Promise<ExecutionReport> {
  const executionId = newExecutionId(deps.clock.now(), deps.random);
  const plan = await planExecution(executionId, parameters, deps);
  const now = new Date(deps.clock.now()).toISOString();
  const outcomes = new Map(
    plan.targets.flatMap((target) => (target.decided ? [[target.instanceId, target.decided]] : [])),
  );
  const record: ExecutionRecord = {
    executionId,
    createdAt: now,
    updatedAt: now,
    status: options.dryRun ? 'Planned' : 'Running',
    parameters,
    nextBatch: 0,
    errorBase: 0,
    lastBatchPause: -1,
    counts: countOutcomes(plan.targets.length, outcomes.values()),
    origin: options.origin,
  };
  if (options.dryRun) {
    const predicted = new Map(
      plan.targets.map((target) => [target.instanceId, predictedOutcome(target, parameters.ramRoleName)]),
    );
    return {
      ...buildReport({ record, plan, outcomes: predicted }),
      counts: countOutcomes(plan.targets.length, []),
    };
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
  const stored = await deps.store.load(executionId);
  // A rollback's targets are detach/restore work: it has its own runner (see rollback.ts).
  if (stored.record.origin === 'rollback') return runRollbackExecution(stored, deps, options);
  const runner = new ExecutionRunner(deriveState(stored), deps, options);
  return runner.run();
}

/**
 * Applies an operator decision to a Waiting execution (cancel also applies to Running ones):
 * `continue` keeps failures as failed and resets the error budget; `retry` makes the failed targets
 * pending again, then continues; `cancel` ends the execution, remaining targets Cancelled.
 * Returns the report after the decision; call {@link runExecution} to go on.
 */
export async function controlExecution(
  executionId: string,
  action: OperatorAction,
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger'>,
): Promise<ExecutionReport> {
  const state = deriveState(await deps.store.load(executionId));
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
  const failedBefore = countOutcomes(state.plan.targets.length, state.outcomes.values()).failed;
  const decision: NewJournalEntry = { at, type: 'decision', action, failedBefore };
  await deps.store.append(executionId, decision);
  applyEntry({ ...decision, seq: 0 }, state.outcomes, new Map());
  if (action === 'cancel') {
    const cancelled = pendingTargets(state).map(
      (instanceId): InstanceOutcome => ({ instanceId, outcome: 'Cancelled' }),
    );
    if (cancelled.length > 0) {
      await deps.store.append(executionId, { at, type: 'result', chunkId: 'cancel', outcomes: cancelled });
      for (const outcome of cancelled) state.outcomes.set(outcome.instanceId, outcome);
    }
    setStatus(
      record,
      'Cancelled',
      `cancelled by the operator; ${cancelled.length} targets were never attempted`,
    );
  } else {
    if (action === 'retry') {
      const firstPending = state.plan.batches.find((batch) =>
        batch.instanceIds.some((id) => !state.outcomes.has(id)),
      );
      if (firstPending) record.nextBatch = Math.min(record.nextBatch, firstPending.index);
    }
    record.errorBase = countOutcomes(state.plan.targets.length, state.outcomes.values()).failed;
    setStatus(record, 'Running');
  }
  record.updatedAt = at;
  record.counts = countOutcomes(state.plan.targets.length, state.outcomes.values());
  await deps.store.saveRecord(record);
  deps.logger.info({ executionId, action, status: record.status }, 'operator decision recorded');
  return buildReport(state);
}

function pendingTargets(state: ExecutionState): string[] {
  return state.plan.targets.map((target) => target.instanceId).filter((id) => !state.outcomes.has(id));
}

function setStatus(record: ExecutionRecord, status: ExecutionRecord['status'], reason?: string): void {
  record.status = status;
  if (reason === undefined) delete record.statusReason;
  else record.statusReason = reason;
  if (status !== 'Waiting') delete record.pauseReason;
}

/** Drives one run of one execution. Store writes are serialised; API calls run in parallel. */
class ExecutionRunner {
  readonly #state: ExecutionState;
  readonly #deps: EngineDeps;
  readonly #options: RunOptions;
  readonly #openIntents = new Map<string, IntentEntry>();
  #writes: Promise<unknown> = Promise.resolve();
  #chunkCounter = 0;

  public constructor(state: ExecutionState, deps: EngineDeps, options: RunOptions) {
    this.#state = state;
    this.#deps = deps;
    this.#options = options;
    for (const intent of state.openIntents) this.#openIntents.set(intent.chunkId, intent);
    this.#chunkCounter = state.journalLength;
  }

  get #record(): ExecutionRecord {
    return this.#state.record;
  }

  get #context(): ChunkContext {
    const { parameters } = this.#record;
    return {
      ecs: this.#deps.ecs,
      regionId: parameters.targets.RegionId ?? parameters.regionId,
      ramRoleName: parameters.ramRoleName,
    };
  }

  public async run(): Promise<ExecutionReport> {
    if (this.#record.status !== 'Running') return buildReport(this.#state);
    await this.#settleOpenIntents();
    const { batches } = this.#state.plan;
    while (this.#record.status === 'Running') {
      const batch = batches[this.#record.nextBatch];
      if (!batch) {
        setStatus(this.#record, 'Success');
        break;
      }
      const stopped = await this.#runBatch(batch);
      if (stopped === 'deadline') break;
      if (stopped === 'threshold') {
        this.#onThresholdExceeded();
        break;
      }
      this.#record.nextBatch = batch.index + 1;
      const pause = this.#batchPauseAfter(batch);
      if (pause) {
        this.#record.lastBatchPause = batch.index;
        setStatus(
          this.#record,
          'Waiting',
          `paused after batch ${batch.index + 1} of ${batches.length} (${pause}); continue to go on, or cancel`,
        );
        this.#record.pauseReason = pause;
      }
    }
    await this.#saveRecord();
    const report = buildReport(this.#state);
    this.#deps.logger.info(
      { executionId: this.#record.executionId, status: report.status, counts: report.counts },
      'execution run ended',
    );
    return report;
  }

  #batchPauseAfter(batch: PlannedBatch): 'FirstBatchPause' | 'EveryBatchPause' | undefined {
    const { rateControl } = this.#record.parameters;
    if (rateControl.Mode !== 'Batch' || batch.index <= this.#record.lastBatchPause) return undefined;
    if (batch.index >= this.#state.plan.batches.length - 1) return undefined;
    if (rateControl.BatchPauseOption === 'EveryBatchPause') return 'EveryBatchPause';
    return rateControl.BatchPauseOption === 'FirstBatchPause' && batch.index === 0
      ? 'FirstBatchPause'
      : undefined;
  }

  #budgetUsed(): number {
    return this.#counts().failed - this.#record.errorBase;
  }

  #counts() {
    return countOutcomes(this.#state.plan.targets.length, this.#state.outcomes.values());
  }

  #thresholdExceeded(): boolean {
    return this.#budgetUsed() > this.#state.plan.maxErrors;
  }

  #onThresholdExceeded(): void {
    const { maxErrors } = this.#state.plan;
    const used = this.#budgetUsed();
    if (this.#record.parameters.mode === 'FailurePause') {
      setStatus(
        this.#record,
        'Waiting',
        `${used} failed, more than MaxErrors ${maxErrors}; paused: continue, retry or cancel`,
      );
      this.#record.pauseReason = 'MaxErrorsExceeded';
      return;
    }
    const at = new Date(this.#deps.clock.now()).toISOString();
    const cancelled = pendingTargets(this.#state).map(
      (instanceId): InstanceOutcome => ({ instanceId, outcome: 'Cancelled' }),
    );
    if (cancelled.length > 0) {
      this.#write({ at, type: 'result', chunkId: 'cancel', outcomes: cancelled });
    }
    setStatus(
      this.#record,
      'Failed',
      `${used} failed, more than MaxErrors ${maxErrors}; the remaining ${cancelled.length} targets were cancelled`,
    );
  }

  /** Runs the pending targets of one batch; returns why it stopped early, if it did. */
  async #runBatch(batch: PlannedBatch): Promise<'threshold' | 'deadline' | undefined> {
    const pending = batch.instanceIds.filter((id) => !this.#state.outcomes.has(id));
    // Conflicts (onConflict fail) are recorded without a call, in batch order.
    const conflicts: InstanceOutcome[] = [];
    const attach: string[] = [];
    const replace: string[] = [];
    for (const id of pending) {
      const target = this.#state.targets.get(id);
      if (target?.work === 'conflict') {
        conflicts.push(conflictOutcome(id, target.currentRole ?? '', this.#record.parameters.ramRoleName));
      } else if (target?.work === 'replace') replace.push(id);
      else attach.push(id);
    }
    if (conflicts.length > 0) {
      await this.#write({
        at: this.#now(),
        type: 'result',
        chunkId: `conflict-${this.#nextChunk()}`,
        outcomes: conflicts,
      });
      this.#emitProgress(batch);
      if (this.#thresholdExceeded()) return 'threshold';
    }
    const { chunkSize, parallelCalls } = chunkLayout(batch.concurrency);
    const queue: { operation: 'attach' | 'replace'; ids: string[] }[] = [];
    for (let i = 0; i < attach.length; i += chunkSize)
      queue.push({ operation: 'attach', ids: attach.slice(i, i + chunkSize) });
    for (let i = 0; i < replace.length; i += chunkSize) {
      queue.push({ operation: 'replace', ids: replace.slice(i, i + chunkSize) });
    }
    let stop: 'threshold' | 'deadline' | undefined;
    const worker = async (): Promise<void> => {
      while (stop === undefined) {
        if (this.#options.deadline !== undefined && this.#deps.clock.now() >= this.#options.deadline) {
          stop = 'deadline';
          return;
        }
        const chunk = queue.shift();
        if (!chunk) return;
        await this.#runChunk(chunk.operation, chunk.ids);
        this.#emitProgress(batch);
        if (this.#thresholdExceeded()) stop = 'threshold';
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelCalls, queue.length) }, worker));
    await this.#writes;
    if (stop === 'deadline' && queue.length === 0 && this.#thresholdExceeded()) return 'threshold';
    return stop;
  }

  async #runChunk(operation: 'attach' | 'replace', ids: string[]): Promise<void> {
    const chunkId = `chunk-${this.#nextChunk()}`;
    await this.#write({ at: this.#now(), type: 'intent', chunkId, operation, instanceIds: ids });
    let outcomes: InstanceOutcome[];
    try {
      outcomes =
        operation === 'attach'
          ? await attachChunk(this.#context, ids)
          : await replaceChunk(this.#context, ids, this.#previousRoles(ids));
    } catch (error) {
      // Only DescribeInstanceRamRole inside replace can throw here; leave the intent open so that the
      // next run settles it.
      this.#deps.logger.error(
        { executionId: this.#record.executionId, chunkId, err: String(error) },
        'chunk error',
      );
      throw error;
    }
    await this.#write({ at: this.#now(), type: 'result', chunkId, outcomes });
    for (const outcome of outcomes) {
      if (outcome.outcome === 'Failed') {
        this.#deps.logger.warn(
          { executionId: this.#record.executionId, instanceId: outcome.instanceId, code: outcome.code },
          outcome.message,
        );
      }
    }
  }

  #previousRoles(ids: string[]): Map<string, string> {
    return new Map(ids.map((id) => [id, this.#state.targets.get(id)?.currentRole ?? '']));
  }

  /**
   * Intents without results: the calls may or may not have landed. Ask ECS which instances bear
   * the role now; those get their outcome, the others stay pending and are written again normally.
   */
  async #settleOpenIntents(): Promise<void> {
    const context = this.#context;
    for (const intent of [...this.#openIntents.values()]) {
      const ids = intent.instanceIds.filter((id) => !this.#state.outcomes.has(id));
      const roles =
        ids.length > 0 ? await context.ecs.describeInstanceRamRoles(context.regionId, ids) : new Map();
      const outcomes: InstanceOutcome[] = [];
      for (const id of ids) {
        if (roles.get(id) !== context.ramRoleName) continue;
        outcomes.push(
          intent.operation === 'replace'
            ? {
                instanceId: id,
                outcome: 'Replaced',
                previousRole: this.#state.targets.get(id)?.currentRole ?? '',
              }
            : { instanceId: id, outcome: 'Attached' },
        );
      }
      this.#deps.logger.info(
        {
          executionId: this.#record.executionId,
          chunkId: intent.chunkId,
          settled: outcomes.length,
          retried: ids.length - outcomes.length,
        },
        'settled an unfinished write after restart',
      );
      await this.#write({ at: this.#now(), type: 'result', chunkId: intent.chunkId, outcomes });
    }
  }

  /** Appends a journal entry (serialised) and applies it to the live state. */
  #write(entry: NewJournalEntry): Promise<unknown> {
    const write = this.#writes.then(async () => {
      const stored = await this.#deps.store.append(this.#record.executionId, entry);
      applyEntry(stored, this.#state.outcomes, this.#openIntents);
      if (entry.type === 'result') await this.#saveRecordNow();
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  async #saveRecord(): Promise<void> {
    await this.#writes;
    await this.#saveRecordNow();
  }

  async #saveRecordNow(): Promise<void> {
    this.#record.updatedAt = this.#now();
    this.#record.counts = this.#counts();
    await this.#deps.store.saveRecord({ ...this.#record });
  }

  #emitProgress(batch: PlannedBatch): void {
    if (!this.#deps.onProgress) return;
    const counts = this.#counts();
    this.#deps.onProgress({
      executionId: this.#record.executionId,
      batchIndex: batch.index,
      batchCount: this.#state.plan.batches.length,
      done: counts.total - counts.pending,
      total: counts.total,
      failed: counts.failed,
      maxErrors: this.#state.plan.maxErrors,
      budgetUsed: this.#budgetUsed(),
    });
  }

  #nextChunk(): number {
    this.#chunkCounter += 1;
    return this.#chunkCounter;
  }

  #now(): string {
    return new Date(this.#deps.clock.now()).toISOString();
  }
}

/** Whether an execution status is final. */
export function isTerminal(status: ExecutionRecord['status']): boolean {
  return TERMINAL_STATUSES.includes(status);
}
