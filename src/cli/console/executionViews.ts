/**
 * The console's live, in-memory view of executions, kept fast for 100,000 targets: the plan is read
 * once (it never changes), the journal is followed from the last seq read (only new entries are read
 * and folded in with the engine's own {@link applyEntry}), and execution.json is re-read on every
 * request (one small object). A page of the per-instance table is then a filter and a slice in memory,
 * never a reload of the whole execution as `status --output json` does.
 */
import {
  applyEntry,
  type BatchStatus,
  batchStatus,
  countOutcomes,
  decidedOutcomes,
  type ExecutionCounts,
  type ExecutionPlan,
  type ExecutionRecord,
  type InstanceOutcome,
  type IntentEntry,
  TERMINAL_STATUSES,
} from '../../engine/index.js';
import type { ObjectExecutionStore } from '../../store/index.js';

/** What a filter on the instance table can select: a terminal outcome, or `Pending`. */
export type OutcomeFilter = InstanceOutcome['outcome'] | 'Pending';

/** A failure code or skip reason with how many instances it has and the first few of them. */
export interface OutcomeGroup {
  key: string;
  count: number;
  /** The first message seen (failures), and how many other distinct messages there are. */
  message?: string;
  otherMessages: number;
  /** Up to {@link GROUP_SAMPLE} instance ids, in plan order. */
  sample: string[];
}

/** How many instances a failure or skip group lists on the page (the table shows all of them). */
export const GROUP_SAMPLE = 20;

/** Figures derived from the state, recomputed only when the journal or the record changed. */
export interface ExecutionSummary {
  counts: ExecutionCounts;
  batches: { index: number; size: number; status: BatchStatus }[];
  failures: OutcomeGroup[];
  skipped: OutcomeGroup[];
  /** Writes recorded as intents whose results are not in yet (calls in flight, or a crashed run's). */
  inFlight: number;
}

/** One row of the per-instance table. */
export interface InstanceRow {
  instanceId: string;
  outcome: OutcomeFilter;
  /** Skip reason, failure code, or the previous role of a replace/restore. */
  detail?: string;
  message?: string;
}

export interface InstanceQuery {
  outcome?: OutcomeFilter;
  /** Failure code or skip reason (with the matching outcome). */
  detail?: string;
  /** Case-insensitive substring of the instance id, code, reason or message. */
  search?: string;
  /** 1-based. */
  page: number;
  pageSize: number;
}

export interface InstancePage {
  rows: InstanceRow[];
  /** Rows matching the filter, over all pages. */
  matching: number;
  page: number;
  pages: number;
}

/** The state the console keeps of one execution. */
export class ExecutionView {
  public record: ExecutionRecord;
  public readonly plan: ExecutionPlan;
  private readonly outcomes: Map<string, InstanceOutcome>;
  private readonly intents = new Map<string, IntentEntry>();
  private lastSeq = 0;
  /** The journal was read after the execution had ended. */
  private settled = false;
  private cached: ExecutionSummary | undefined;
  /** Outcomes in plan order, rebuilt after a change: filters scan an array, not 100,000 map lookups. */
  private aligned: (InstanceOutcome | undefined)[] | undefined;
  /** Instance ids in lower case, in plan order, for search. */
  private readonly lowerIds: string[];

  public constructor(record: ExecutionRecord, plan: ExecutionPlan) {
    this.record = record;
    this.plan = plan;
    this.outcomes = decidedOutcomes(plan);
    this.lowerIds = plan.targets.map((target) => target.instanceId.toLowerCase());
  }

  /** Re-reads execution.json and the journal entries written since the last refresh. */
  public async refresh(store: ObjectExecutionStore): Promise<void> {
    const record = await store.loadRecord(this.record.executionId);
    const unchanged = record.updatedAt === this.record.updatedAt && record.status === this.record.status;
    this.record = record;
    // A finished execution whose record did not change has nothing new in its journal either.
    if (this.settled && unchanged) return;
    const entries = await store.loadJournal(record.executionId, this.lastSeq);
    for (const entry of entries) {
      applyEntry(entry, this.outcomes, this.intents);
      this.lastSeq = Math.max(this.lastSeq, entry.seq);
    }
    if (entries.length > 0) {
      this.cached = undefined;
      this.aligned = undefined;
    }
    this.settled = TERMINAL_STATUSES.includes(record.status);
  }

  public summary(): ExecutionSummary {
    this.cached ??= this.summarize();
    return this.cached;
  }

  private summarize(): ExecutionSummary {
    const failures = new Map<string, OutcomeGroup & { messages: Set<string> }>();
    const skipped = new Map<string, OutcomeGroup & { messages: Set<string> }>();
    // One pass over the plan: the groups, and the outcomes in plan order for the table's filters.
    const aligned: (InstanceOutcome | undefined)[] = new Array(this.plan.targets.length);
    for (const [index, target] of this.plan.targets.entries()) {
      const outcome = this.outcomes.get(target.instanceId);
      aligned[index] = outcome;
      if (outcome?.outcome === 'Failed') group(failures, outcome.code, target.instanceId, outcome.message);
      if (outcome?.outcome === 'Skipped') group(skipped, outcome.reason, target.instanceId, outcome.message);
    }
    const finish = (groups: Map<string, OutcomeGroup & { messages: Set<string> }>): OutcomeGroup[] =>
      [...groups.values()]
        .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
        .map(({ messages: _messages, ...rest }) => rest);
    this.aligned = aligned;
    return {
      counts: countOutcomes(this.plan.targets.length, this.outcomes.values()),
      batches: this.plan.batches.map((batch) => ({
        index: batch.index,
        size: batch.instanceIds.length,
        status: batchStatus(batch.instanceIds, this.outcomes),
      })),
      failures: finish(failures),
      skipped: finish(skipped),
      inFlight: [...this.intents.values()].reduce((n, intent) => n + intent.instanceIds.length, 0),
    };
  }

  /** One page of the per-instance table, in plan order. */
  public instances(query: InstanceQuery): InstancePage {
    const search = query.search?.trim().toLowerCase() ?? '';
    const targets = this.plan.targets;
    const rows: InstanceRow[] = [];
    let matching = 0;
    let page = Math.max(1, query.page);
    if (query.outcome === undefined && query.detail === undefined && !search) {
      // No filter: the page is a slice of the plan, whatever its size.
      matching = targets.length;
      page = Math.min(page, Math.max(1, Math.ceil(matching / query.pageSize)));
      const from = (page - 1) * query.pageSize;
      for (const target of targets.slice(from, from + query.pageSize)) rows.push(this.row(target.instanceId));
    } else {
      const from = (page - 1) * query.pageSize;
      if (!this.aligned) this.summary();
      const aligned = this.aligned ?? [];
      for (let index = 0; index < targets.length; index += 1) {
        const outcome = aligned[index];
        if (query.outcome !== undefined && (outcome?.outcome ?? 'Pending') !== query.outcome) continue;
        if (query.detail !== undefined && detailOf(outcome) !== query.detail) continue;
        if (search && !this.lowerIds[index]!.includes(search) && !matchesOutcome(outcome, search)) continue;
        if (matching >= from && rows.length < query.pageSize) rows.push(this.row(targets[index]!.instanceId));
        matching += 1;
      }
    }
    const pages = Math.max(1, Math.ceil(matching / query.pageSize));
    return { rows, matching, page: Math.min(page, pages), pages };
  }

  /** The instances that do not bear the role after this execution (for the compliance page). */
  public nonCompliant(): InstanceRow[] {
    const rows: InstanceRow[] = [];
    for (const target of this.plan.targets) {
      const row = this.row(target.instanceId);
      if (row.outcome !== 'Attached' && row.outcome !== 'AlreadyAttached' && row.outcome !== 'Replaced') {
        rows.push(row);
      }
    }
    return rows;
  }

  private row(instanceId: string): InstanceRow {
    const outcome = this.outcomes.get(instanceId);
    if (!outcome) return { instanceId, outcome: 'Pending' };
    const row: InstanceRow = { instanceId, outcome: outcome.outcome };
    switch (outcome.outcome) {
      case 'Failed':
        row.detail = outcome.code;
        row.message = outcome.message;
        break;
      case 'Skipped':
        row.detail = outcome.reason;
        if (outcome.message !== undefined) row.message = outcome.message;
        break;
      case 'Replaced':
      case 'Restored':
        row.message = `previous role ${outcome.previousRole || '(none)'}`;
        break;
      case 'Detached':
        row.message = `detached ${outcome.role}`;
        break;
    }
    return row;
  }
}

/** The failure code or skip reason of an outcome. */
function detailOf(outcome: InstanceOutcome | undefined): string | undefined {
  if (outcome?.outcome === 'Failed') return outcome.code;
  if (outcome?.outcome === 'Skipped') return outcome.reason;
  return undefined;
}

function matchesOutcome(outcome: InstanceOutcome | undefined, search: string): boolean {
  if (!outcome) return false;
  const detail = detailOf(outcome);
  if (detail?.toLowerCase().includes(search)) return true;
  const message = 'message' in outcome ? outcome.message : undefined;
  return message?.toLowerCase().includes(search) ?? false;
}

function group(
  groups: Map<string, OutcomeGroup & { messages: Set<string> }>,
  key: string,
  instanceId: string,
  message: string | undefined,
): void {
  let entry = groups.get(key);
  if (!entry) {
    entry = { key, count: 0, otherMessages: 0, sample: [], messages: new Set() };
    if (message !== undefined) entry.message = message;
    groups.set(key, entry);
  }
  entry.count += 1;
  if (entry.sample.length < GROUP_SAMPLE) entry.sample.push(instanceId);
  if (message !== undefined && !entry.messages.has(message)) {
    entry.messages.add(message);
    entry.otherMessages = entry.messages.size - 1;
  }
}

/**
 * The views of the executions the console has shown, at most `capacity` of them (least recently used
 * dropped first: a 100,000-target view holds its plan and outcomes, some tens of MB).
 */
export class ExecutionViews {
  private readonly views = new Map<string, ExecutionView>();

  public constructor(
    private readonly store: ObjectExecutionStore,
    private readonly capacity = 8,
  ) {}

  /** The execution's view, refreshed from the store. Throws ExecutionNotFoundError when absent. */
  public async get(executionId: string): Promise<ExecutionView> {
    let view = this.views.get(executionId);
    if (view) {
      this.views.delete(executionId);
    } else {
      const record = await this.store.loadRecord(executionId);
      view = new ExecutionView(record, await this.store.loadPlan(executionId));
    }
    this.views.set(executionId, view);
    while (this.views.size > this.capacity) {
      const oldest = this.views.keys().next().value;
      if (oldest === undefined) break;
      this.views.delete(oldest);
    }
    await view.refresh(this.store);
    return view;
  }
}
