/**
 * The console's live, in-memory view of executions, kept fast for 100,000 targets. The first view of an
 * execution is drawn from execution.json and the summary the engine saves with it (summary.json: batch
 * statuses, failure and skip groups, the first page of targets), two small reads, while the plan and the
 * journal load in the background. From then on the plan is kept (it never changes), the journal is
 * followed from the last seq read (only new entries are read and folded in with the engine's own
 * {@link applyEntry}), and execution.json is re-read on every request (one small object). A page of the
 * per-instance table is then a filter and a slice in memory, never a reload of the whole execution as
 * `status --output json` does. A store without summaries (written before they existed), or a summary
 * that does not match the record, is read the full way on the first view too.
 */
import {
  applyEntry,
  type ExecutionCounts,
  type ExecutionPlan,
  type ExecutionRecord,
  type InstanceOutcome,
  type JournalFold,
  planFold,
  type ExecutionSummary as StoredSummary,
  SUMMARY_LIMITS,
  summarizeExecution,
  summaryMatches,
  TERMINAL_STATUSES,
} from '../../engine/index.js';
import type { ObjectExecutionStore } from '../../store/index.js';

export type { OutcomeGroup } from '../../engine/index.js';

/** What a filter on the instance table can select: a terminal outcome, or `Pending`. */
export type OutcomeFilter = InstanceOutcome['outcome'] | 'Pending';

/** How many instances a failure or skip group lists on the page (the table shows all of them). */
export const GROUP_SAMPLE = SUMMARY_LIMITS.groupSample;

/** What the execution page shows above its table: the engine's summary and the record's counts. */
export type ExecutionSummary = Pick<StoredSummary, 'batches' | 'failures' | 'skipped' | 'inFlight'> & {
  counts: ExecutionCounts;
};

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

/** What the execution page reads: the record, the figures above the table, one page of the table. */
export interface ExecutionPageSource {
  readonly record: ExecutionRecord;
  summary(): ExecutionSummary;
  instances(query: InstanceQuery): InstancePage;
}

/** The state the console keeps of one execution. */
export class ExecutionView implements ExecutionPageSource {
  public record: ExecutionRecord;
  public readonly plan: ExecutionPlan;
  private readonly fold: JournalFold;
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
    this.fold = planFold(plan);
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
      applyEntry(this.fold, entry);
      this.lastSeq = Math.max(this.lastSeq, entry.seq);
    }
    if (entries.length > 0) {
      this.cached = undefined;
      this.aligned = undefined;
    }
    this.settled = TERMINAL_STATUSES.includes(record.status);
  }

  public summary(): ExecutionSummary {
    if (!this.cached) {
      const { batches, failures, skipped, inFlight } = summarizeExecution(
        this.record,
        this.plan,
        this.fold.outcomes,
        this.fold.openIntents.values(),
      );
      const counts = { ...this.fold.counts };
      this.cached = { counts, batches, failures, skipped, inFlight };
    }
    return this.cached;
  }

  /** Derives the figures and the table's filter array now (they are otherwise derived on first use). */
  public prepare(): void {
    this.summary();
    this.alignedOutcomes();
  }

  /** Outcomes in plan order, for the table's filters. */
  private alignedOutcomes(): (InstanceOutcome | undefined)[] {
    this.aligned ??= this.plan.targets.map((target) => this.fold.outcomes.get(target.instanceId));
    return this.aligned;
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
      const aligned = this.alignedOutcomes();
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

  /**
   * The instances that do not bear the role after this execution (for the compliance page); with role
   * rules, bearing an accepted role is compliant (as the sweep's complianceOf counts it).
   */
  public nonCompliant(): InstanceRow[] {
    const rows: InstanceRow[] = [];
    for (const target of this.plan.targets) {
      const row = this.row(target.instanceId);
      if (!bearsItsRole(row)) rows.push(row);
    }
    return rows;
  }

  private row(instanceId: string): InstanceRow {
    return rowOf(instanceId, this.fold.outcomes.get(instanceId));
  }
}

/**
 * The first view of an execution from its record and the summary saved with it: the figures above the
 * table and the table's first page, without the plan or the journal.
 */
export class SummaryView implements ExecutionPageSource {
  public constructor(
    public readonly record: ExecutionRecord,
    private readonly stored: StoredSummary,
  ) {}

  /** It can draw this page of the table: the first, unfiltered, within the summary's head. */
  public covers(query: InstanceQuery): boolean {
    return (
      query.page === 1 &&
      query.outcome === undefined &&
      query.detail === undefined &&
      !query.search?.trim() &&
      (query.pageSize <= this.stored.head.length || this.stored.head.length === this.record.counts.total)
    );
  }

  public summary(): ExecutionSummary {
    const { batches, failures, skipped, inFlight } = this.stored;
    return { counts: this.record.counts, batches, failures, skipped, inFlight };
  }

  public instances(query: InstanceQuery): InstancePage {
    const total = this.record.counts.total;
    const rows = this.stored.head
      .slice(0, query.pageSize)
      .map((target) => rowOf(target.instanceId, target.outcome));
    return { rows, matching: total, page: 1, pages: Math.max(1, Math.ceil(total / query.pageSize)) };
  }
}

/** The row's instance bears the role it should (or, with role rules, an accepted one). */
function bearsItsRole(row: InstanceRow): boolean {
  return (
    row.outcome === 'Attached' ||
    row.outcome === 'AlreadyAttached' ||
    row.outcome === 'Replaced' ||
    (row.outcome === 'Skipped' && row.detail === ACCEPTED_ROLE)
  );
}

/** The skip reason of an instance bearing one of the rules document's accepted roles. */
export const ACCEPTED_ROLE = 'AcceptedRole';

/** One row of the table for a target and its outcome (none yet: Pending). */
function rowOf(instanceId: string, outcome: InstanceOutcome | undefined): InstanceRow {
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

/**
 * The views of the executions the console has shown, at most `capacity` of them (least recently used
 * dropped first: a 100,000-target view holds its plan and outcomes, some tens of MB).
 */
export class ExecutionViews {
  private readonly views = new Map<string, ExecutionView>();
  /** Full views being read (plan and journal), by execution id. */
  private readonly loading = new Map<string, Promise<ExecutionView>>();

  public constructor(
    private readonly store: ObjectExecutionStore,
    private readonly capacity = 8,
  ) {}

  /**
   * What the execution page needs for `query`. Until the execution's full view is loaded, the first,
   * unfiltered page comes from the summary saved with the record (when it matches it), and the full
   * view loads in the background; any other page waits for it.
   */
  public async page(executionId: string, query: InstanceQuery): Promise<ExecutionPageSource> {
    if (!this.views.has(executionId)) {
      const record = await this.store.loadRecord(executionId);
      const stored = await this.store.loadSummary(executionId);
      if (summaryMatches(stored, record)) {
        const view = new SummaryView(record, stored);
        if (view.covers(query)) {
          // Its errors surface on the next request that needs the full view.
          this.load(executionId).catch(() => undefined);
          return view;
        }
      }
    }
    return this.get(executionId);
  }

  /** The figures above the table: from a matching summary.json until the full view is loaded (no read of it). */
  public async summaryOf(executionId: string): Promise<ExecutionSummary> {
    if (!this.views.has(executionId)) {
      const record = await this.store.loadRecord(executionId);
      const stored = await this.store.loadSummary(executionId);
      if (summaryMatches(stored, record)) return new SummaryView(record, stored).summary();
    }
    return (await this.get(executionId)).summary();
  }

  /** The execution's full view, refreshed from the store. Throws ExecutionNotFoundError when absent. */
  public async get(executionId: string): Promise<ExecutionView> {
    const view = this.views.get(executionId);
    if (!view) return this.load(executionId);
    this.remember(executionId, view);
    await view.refresh(this.store);
    return view;
  }

  /** Resolves when no full view is loading. */
  public async loaded(): Promise<void> {
    while (this.loading.size > 0) await Promise.allSettled([...this.loading.values()]);
  }

  /** Reads the plan and the journal once, however many requests ask meanwhile. */
  private load(executionId: string): Promise<ExecutionView> {
    let pending = this.loading.get(executionId);
    if (!pending) {
      pending = (async () => {
        const record = await this.store.loadRecord(executionId);
        const view = new ExecutionView(record, await this.store.loadPlan(executionId));
        await view.refresh(this.store);
        // Derived here, in the background, rather than by the first request that needs them.
        view.prepare();
        this.remember(executionId, view);
        return view;
      })().finally(() => this.loading.delete(executionId));
      this.loading.set(executionId, pending);
    }
    return pending;
  }

  /** Keeps the view as the most recently used, dropping the least recently used beyond capacity. */
  private remember(executionId: string, view: ExecutionView): void {
    this.views.delete(executionId);
    this.views.set(executionId, view);
    while (this.views.size > this.capacity) {
      const oldest = this.views.keys().next().value;
      if (oldest === undefined) break;
      this.views.delete(oldest);
    }
  }
}
