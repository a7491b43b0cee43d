/**
 * The batch loop every stored execution runs (attach executions and rollbacks alike): batches in
 * order, chunks in parallel within a batch under its concurrency, MaxErrors, batch pauses, the
 * deadline, and the journal protocol (intent before each write, result after). Subclasses say only
 * what a chunk does and how unfinished writes of an earlier run are settled.
 */
import { type ChunkContext, chunk } from '../chunk.js';
import { LEASE_DEFAULTS } from '../defaults.js';
import { CallRefusedError } from '../errors.js';
import { ExecutionBusyError, type LeaseHolder, takeLease } from '../lease.js';
import type { ExecutionStore } from '../ports.js';
import { chunkLayout } from '../rateControl.js';
import { type Assignment, assignmentKey, assignmentOf } from '../rules.js';
import type { ExecutionRecord, InstanceOutcome, NewJournalEntry, PlannedBatch } from '../types.js';
import { cancelRequested, markCancelHandled } from './cancel.js';
import type { EngineDeps, RunOptions } from './deps.js';
import {
  afterBatch,
  applyEntry,
  applyPatch,
  budgetUsed,
  cancel,
  type ExecutionState,
  finished,
  type IntentEntry,
  overBudget,
  overMaxErrors,
  refused,
  type Transition,
} from './machine.js';
import { buildReport, type ExecutionReport, summarizeExecution } from './report.js';

/** One API write over up to 100 instances, as its journal intent names it. */
export interface Chunk {
  operation: IntentEntry['operation'];
  instanceIds: string[];
  /** The role (and policy) of every instance in it; absent: the execution's one role. */
  assignment?: Pick<Assignment, 'role' | 'policy'>;
}

/** How often, at most, execution.json's counts are refreshed within a batch. @default 5000 ms */
const RECORD_REFRESH_MS = 5_000;

/** Why a batch stopped before its end. */
type BatchStop = 'threshold' | 'deadline' | 'cancel' | 'refused' | undefined;

/**
 * Saves execution.json with its counts and, just before it, its summary (summary.json). A crash between
 * the two leaves a summary that does not match the record, which readers then ignore.
 */
export async function saveRecordAndSummary(
  store: ExecutionStore,
  state: Pick<ExecutionState, 'record' | 'plan' | 'outcomes' | 'openIntents' | 'counts'>,
): Promise<void> {
  const { record } = state;
  record.counts = { ...state.counts };
  await store.saveSummary(summarizeExecution(record, state.plan, state.outcomes, state.openIntents.values()));
  await store.saveRecord({ ...record });
}

export abstract class BatchRunner {
  protected readonly state: ExecutionState;
  protected readonly deps: EngineDeps;
  readonly #options: RunOptions;
  readonly #lease: LeaseHolder | undefined;
  #writes: Promise<unknown> = Promise.resolve();
  #chunkCounter: number;
  /** When the lease was last taken or renewed (it is taken just before the run starts). */
  #renewedAt: number;
  #savedAt: number;
  /** The first call refused for the caller in this run: the execution stops before its next call. */
  #refusal: CallRefusedError | undefined;

  /** `lease`: the holder this run renews before every chunk (runExecution takes it first). */
  public constructor(state: ExecutionState, deps: EngineDeps, options: RunOptions, lease?: LeaseHolder) {
    this.state = state;
    this.deps = deps;
    this.#options = options;
    this.#lease = lease;
    this.#renewedAt = deps.clock.now();
    this.#savedAt = deps.clock.now();
    // A task token is only meaningful while Waiting; a Running execution's is stale.
    delete this.state.record.taskToken;
    // Chunk ids stay unique across runs: every earlier chunk wrote at least one journal entry.
    this.#chunkCounter = state.journalLength;
  }

  /** Names the runner in log lines, e.g. `execution` or `rollback`. */
  protected abstract readonly label: string;

  /** Settles intents left without results by an earlier run (the process died mid-call). */
  protected abstract settleOpenIntents(): Promise<void>;

  /**
   * Splits a batch's pending targets into chunks of API work, recording (with {@link write}) the
   * outcomes that need no call; returns the chunks and how many outcomes it recorded.
   */
  protected abstract prepareBatch(
    pending: string[],
    chunkSize: number,
  ): Promise<{ chunks: Chunk[]; decided: number }>;

  /** Work before the first batch of this run, after unfinished writes are settled. */
  protected async beforeBatches(): Promise<void> {}

  /** Performs one chunk's API work and returns one outcome per id. */
  protected abstract processChunk(chunk: Chunk): Promise<InstanceOutcome[]>;

  protected get record(): ExecutionRecord {
    return this.state.record;
  }

  /** Intents without a result (an earlier run died mid-call, or a call of this run is in flight). */
  protected get openIntents(): Map<string, IntentEntry> {
    return this.state.openIntents;
  }

  protected get context(): ChunkContext {
    const { parameters } = this.record;
    return {
      ecs: this.deps.ecs,
      regionId: parameters.targets.RegionId ?? parameters.regionId,
      ramRoleName: parameters.ramRoleName,
    };
  }

  /** The role (and policy) a target is to bear: its rule's, or the execution's one role. */
  protected assignment(instanceId: string): Assignment {
    return assignmentOf(this.record.parameters, this.state.targets.get(instanceId));
  }

  /** The chunk context of one (role, policy). */
  protected contextFor(assignment: Pick<Assignment, 'role' | 'policy'> | undefined): ChunkContext {
    if (!assignment) return this.context;
    return {
      ...this.context,
      ramRoleName: assignment.role,
      ...(assignment.policy === undefined ? {} : { policy: assignment.policy }),
    };
  }

  /**
   * Cuts ids into chunks of at most `size`, one (role, policy) per chunk (AttachInstanceRamRole takes
   * one role per call), keeping plan order within each group.
   */
  protected splitByAssignment(operation: Chunk['operation'], ids: readonly string[], size: number): Chunk[] {
    const groups = new Map<string, { assignment: Pick<Assignment, 'role' | 'policy'>; ids: string[] }>();
    for (const id of ids) {
      const { role, policy } = this.assignment(id);
      const assignment = policy === undefined ? { role } : { role, policy };
      const key = assignmentKey(assignment);
      const group = groups.get(key);
      if (group) group.ids.push(id);
      else groups.set(key, { assignment, ids: [id] });
    }
    const chunks: Chunk[] = [];
    for (const { assignment, ids: group } of groups.values()) {
      for (const instanceIds of chunk(group, size)) chunks.push({ operation, instanceIds, assignment });
    }
    return chunks;
  }

  /** Ids grouped by their (role, policy), in first-seen order. */
  protected groupByAssignment(ids: readonly string[]): { context: ChunkContext; ids: string[] }[] {
    return this.splitByAssignment('attach', ids, Number.MAX_SAFE_INTEGER).map((chunk) => ({
      context: this.contextFor(chunk.assignment),
      ids: chunk.instanceIds,
    }));
  }

  /**
   * Runs a Running execution until it ends, pauses, or reaches the deadline (still Running).
   * Anything that is not Running is reported as it is.
   */
  public async run(): Promise<ExecutionReport> {
    if (this.record.status !== 'Running') return buildReport(this.state);
    await this.settleOpenIntents();
    await this.beforeBatches();
    // A previous run may have died between recording a decision and saving the status it implies.
    if (this.state.cancelDecided || (await this.#cancelRequested())) await this.#finishCancel();
    else if (overMaxErrors(this.state)) await this.#apply(overBudget(this.state, this.now()));
    const { batches } = this.state.plan;
    while (this.record.status === 'Running') {
      const batch = batches[this.record.nextBatch];
      if (!batch) {
        await this.#apply(finished());
        break;
      }
      const stopped = await this.#runBatch(batch);
      if (stopped === 'deadline') break;
      if (stopped === 'cancel') {
        await this.#finishCancel();
        break;
      }
      if (stopped === 'threshold') {
        await this.#apply(overBudget(this.state, this.now()));
        break;
      }
      if (stopped === 'refused') {
        await this.#apply(refused(this.state, this.#refusal!, this.now()));
        break;
      }
      // A cancel requested during the batch's last chunk is honoured now, not after a pause.
      if (await this.#cancelRequested()) {
        await this.#finishCancel();
        break;
      }
      // The next batch and the pause it may need are saved together: saving the one without the
      // other would let a crash skip a FirstBatchPause (the canary approval).
      await this.#apply(afterBatch(this.state, batch));
      await this.#writes;
      await this.#saveRecord();
    }
    await this.#writes;
    await this.#saveRecord();
    const report = buildReport(this.state);
    this.deps.logger.info(
      { executionId: this.record.executionId, status: report.status, counts: report.counts },
      `${this.label} run ended`,
    );
    return report;
  }

  /** Appends a journal entry (writes are serialised) and applies it to the live state. */
  protected write(entry: NewJournalEntry): Promise<unknown> {
    const write = this.#writes.then(async () => {
      const stored = await this.deps.store.append(this.record.executionId, entry);
      applyEntry(this.state, stored);
      // The journal is the truth; execution.json's counts are a summary for `list`, refreshed at batch
      // ends and at most every few seconds in between (one write per chunk would double the writes).
      if (entry.type === 'result' && this.deps.clock.now() - this.#savedAt >= RECORD_REFRESH_MS) {
        await this.#saveRecord();
      }
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  protected nextChunkId(prefix: string): string {
    this.#chunkCounter += 1;
    return `${prefix}-${this.#chunkCounter}`;
  }

  protected now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Runs the pending targets of one batch; returns why it stopped early, if it did. */
  async #runBatch(batch: PlannedBatch): Promise<BatchStop> {
    const pending = batch.instanceIds.filter((id) => !this.state.outcomes.has(id));
    const { chunkSize, parallelCalls } = chunkLayout(batch.concurrency);
    const { chunks, decided } = await this.prepareBatch(pending, chunkSize);
    if (decided > 0) {
      await this.#writes;
      this.#emitProgress(batch);
      if (overMaxErrors(this.state)) return 'threshold';
    }
    let stop: BatchStop;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (stop === undefined && failure === undefined) {
        if (this.#options.deadline !== undefined && this.deps.clock.now() >= this.#options.deadline) {
          stop = 'deadline';
          return;
        }
        if (chunks.length === 0) return;
        if (await this.#mustStop()) {
          stop = 'cancel';
          return;
        }
        const chunk = chunks.shift();
        if (!chunk) return;
        const refused = await this.#runChunk(chunk);
        this.#emitProgress(batch);
        if (refused) stop = 'refused';
        else if (overMaxErrors(this.state)) stop = 'threshold';
      }
    };
    // An error in one worker stops the others before their next chunk; the run rethrows it only once
    // every call in flight has ended, so that nothing writes after the lease is released.
    const guarded = async (): Promise<void> => {
      try {
        await worker();
      } catch (error) {
        failure ??= { error };
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelCalls, chunks.length) }, guarded));
    await this.#writes;
    if (failure) throw failure.error;
    // A refusal in one worker outranks another worker's stop reason: the caller must act first.
    if (this.#refusal !== undefined) return 'refused';
    if (stop === 'deadline' && chunks.length === 0 && overMaxErrors(this.state)) return 'threshold';
    return stop;
  }

  /**
   * Intent, the write, result. A call refused for the caller closes the intent with the outcomes known
   * (usually none: the call changed nothing) and returns true. Another error leaves the intent open for
   * the next run to settle.
   */
  async #runChunk(chunk: Chunk): Promise<boolean> {
    const chunkId = this.nextChunkId(chunk.operation === 'detach' ? 'rollback' : 'chunk');
    await this.write({
      at: this.now(),
      type: 'intent',
      chunkId,
      operation: chunk.operation,
      instanceIds: chunk.instanceIds,
    });
    let outcomes: InstanceOutcome[];
    try {
      outcomes = await this.processChunk(chunk);
    } catch (error) {
      if (error instanceof CallRefusedError) {
        this.deps.logger.error(
          {
            executionId: this.record.executionId,
            chunkId,
            code: error.code,
            instances: error.instanceIds.length,
          },
          error.message,
        );
        await this.write({ at: this.now(), type: 'result', chunkId, outcomes: [...error.settled] });
        this.#refusal ??= error;
        return true;
      }
      this.deps.logger.error(
        { executionId: this.record.executionId, chunkId, err: String(error) },
        'chunk error',
      );
      throw error;
    }
    await this.write({ at: this.now(), type: 'result', chunkId, outcomes });
    for (const outcome of outcomes) {
      if (outcome.outcome === 'Failed') {
        this.deps.logger.warn(
          { executionId: this.record.executionId, instanceId: outcome.instanceId, code: outcome.code },
          outcome.message,
        );
      }
    }
    return false;
  }

  /**
   * Before each chunk: renew the lease (losing it means another process took over after this one
   * stalled past its expiry: stop at once) and look for an operator's cancel request.
   */
  async #mustStop(): Promise<boolean> {
    const now = this.deps.clock.now();
    if (this.#lease && now - this.#renewedAt >= LEASE_DEFAULTS.renewAfterMs) {
      if (!(await takeLease(this.record.executionId, this.#lease))) {
        throw new ExecutionBusyError(this.record.executionId, 'this run lost its lease while it was stalled');
      }
      this.#renewedAt = now;
    }
    return this.#cancelRequested();
  }

  #cancelRequested(): Promise<boolean> {
    return cancelRequested(this.deps.store, this.record.executionId);
  }

  /** Records the operator's cancel: targets never attempted end Cancelled. */
  async #finishCancel(): Promise<void> {
    await this.#apply(cancel(this.state, this.now()));
    await markCancelHandled(this.deps.store, this.record.executionId, this.now());
  }

  /** Appends a transition's entries (in order), then patches the record. */
  async #apply(transition: Transition): Promise<void> {
    for (const entry of transition.entries) await this.write(entry);
    await this.#writes;
    applyPatch(this.record, transition.patch);
  }

  async #saveRecord(): Promise<void> {
    this.#savedAt = this.deps.clock.now();
    this.record.updatedAt = this.now();
    await saveRecordAndSummary(this.deps.store, this.state);
  }

  #emitProgress(batch: PlannedBatch): void {
    if (!this.deps.onProgress) return;
    const { counts } = this.state;
    this.deps.onProgress({
      executionId: this.record.executionId,
      batchIndex: batch.index,
      batchCount: this.state.plan.batches.length,
      done: counts.total - counts.pending,
      total: counts.total,
      failed: counts.failed,
      maxErrors: this.state.plan.maxErrors,
      budgetUsed: budgetUsed(this.state),
    });
  }
}
