/**
 * The {@link ExecutionStore} logic, once, over the five {@link ObjectStorage} hooks; FS and OSS differ only
 * in the hooks. Key layout (same everywhere):
 *
 * ```
 * executions/<id>/execution.json      ExecutionRecord
 * executions/<id>/plan.json           ExecutionPlan
 * executions/<id>/summary.json        ExecutionSummary (saved with execution.json; absent in older stores)
 * executions/<id>/journal/<seq>.json  JournalEntry, seq zero-padded to 10 digits (lexicographic = numeric)
 * locks/<name>.json                   { owner, acquiredAt, expiresAt }
 * docs/<key>.json                     any small JSON document
 * reports/<name>                      exported reports (`<execution id>.json|csv|html`), written by the functions
 * ```
 */
import {
  type Clock,
  ExecutionNotFoundError,
  type ExecutionPlan,
  type ExecutionRecord,
  type ExecutionStore,
  type ExecutionSummary,
  type JournalEntry,
  type NewJournalEntry,
  RoleAttachError,
  type StoredExecution,
  systemClock,
} from '../engine/index.js';
import type { ObjectStorage } from './objectStorage.js';

/** Width of the zero-padded journal seq: 10 digits outlast any execution (10^10 entries). */
const SEQ_WIDTH = 10;
/** Concurrent reads when loading a journal or listing executions (an OSS round trip each). */
const READ_PARALLELISM = 16;

/** An id or key segment: letters, digits, `.`, `_`, `-`, `:`, `=`, `@`; not `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9_.:=@-]+$/;

/** A lock as stored in locks/<name>.json. */
export interface LockDocument {
  owner: string;
  acquiredAt: string;
  expiresAt: string;
  /** Set by unlock: the generation is free for the next taker. */
  releasedAt?: string;
}

/** The execution already exists: `create` never overwrites. */
export class ExecutionExistsError extends RoleAttachError {
  public readonly executionId: string;
  public constructor(executionId: string, where: string) {
    super(
      `Execution ${executionId} already exists in ${where}; execution ids must be unique, nothing was written.`,
    );
    this.name = 'ExecutionExistsError';
    this.executionId = executionId;
  }
}

/** A stored object that is not the JSON it should be (hand-edited or from another tool). */
export class CorruptStoreError extends RoleAttachError {
  public readonly key: string;
  public constructor(key: string, where: string, detail: string) {
    super(`${where}/${key} is unreadable (${detail}); restore it from a backup or remove the execution.`);
    this.name = 'CorruptStoreError';
    this.key = key;
  }
}

export interface ObjectExecutionStoreOptions {
  /** Lock expiry and `updatedAt`-free timestamps use it. @default systemClock */
  clock?: Clock;
}

/**
 * ExecutionStore over any {@link ObjectStorage}. Journal `append` is safe for one writer per execution;
 * a second writer cannot overwrite an entry (entries are created with create-if-absent) and would get the
 * next free seq. The next seq is derived from the stored keys the first time an execution is appended to
 * in this process, so it keeps increasing across restarts.
 */
export class ObjectExecutionStore implements ExecutionStore {
  private readonly clock: Clock;
  private readonly nextSeq = new Map<string, number>();

  public constructor(
    protected readonly storage: ObjectStorage,
    options: ObjectExecutionStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Where the store lives, for messages. */
  public get location(): string {
    return this.storage.location;
  }

  public async create(record: ExecutionRecord, plan: ExecutionPlan): Promise<void> {
    const id = checkSegment('executionId', record.executionId);
    if (plan.executionId !== id) {
      throw new RangeError(`plan.executionId ${plan.executionId} does not match record.executionId ${id}`);
    }
    if ((await this.storage.getObject(recordKey(id))) !== undefined) {
      throw new ExecutionExistsError(id, this.location);
    }
    // The plan first: an execution.json without its plan would be a half-created execution.
    await this.storage.putObject(planKey(id), toJson(plan));
    if (!(await this.storage.putObjectIfAbsent(recordKey(id), toJson(record)))) {
      throw new ExecutionExistsError(id, this.location);
    }
  }

  public async load(executionId: string): Promise<StoredExecution> {
    const record = await this.loadRecord(executionId);
    const plan = await this.loadPlan(record.executionId);
    return { record, plan, journal: await this.loadJournal(record.executionId) };
  }

  /** execution.json alone (one small read): for readers that keep the plan and follow the journal. */
  public async loadRecord(executionId: string): Promise<ExecutionRecord> {
    const id = checkSegment('executionId', executionId);
    const record = await this.readJson<ExecutionRecord>(recordKey(id));
    if (record === undefined) throw new ExecutionNotFoundError(id, this.location);
    return record;
  }

  /** The journal entries with a seq above `afterSeq` (all by default), in seq order. */
  public async loadJournal(executionId: string, afterSeq = 0): Promise<JournalEntry[]> {
    const id = checkSegment('executionId', executionId);
    const seqs = (await this.journalSeqs(id)).filter((seq) => seq > afterSeq);
    return mapLimited(seqs, READ_PARALLELISM, async (seq) => {
      const entry = await this.readJson<JournalEntry>(journalKey(id, seq));
      if (entry === undefined)
        throw new CorruptStoreError(journalKey(id, seq), this.location, 'vanished while loading');
      return entry;
    });
  }

  /** plan.json (written once, before execution.json, and never changed). */
  public async loadPlan(executionId: string): Promise<ExecutionPlan> {
    const id = checkSegment('executionId', executionId);
    const plan = await this.readJson<ExecutionPlan>(planKey(id));
    if (plan === undefined) throw new CorruptStoreError(planKey(id), this.location, 'plan.json is missing');
    return plan;
  }

  public async saveRecord(record: ExecutionRecord): Promise<void> {
    const id = checkSegment('executionId', record.executionId);
    if ((await this.storage.getObject(recordKey(id))) === undefined) {
      throw new ExecutionNotFoundError(id, this.location);
    }
    await this.storage.putObject(recordKey(id), toJson(record));
  }

  public async saveSummary(summary: ExecutionSummary): Promise<void> {
    const id = checkSegment('executionId', summary.executionId);
    await this.storage.putObject(summaryKey(id), toJson(summary));
  }

  public async loadSummary(executionId: string): Promise<ExecutionSummary | undefined> {
    return this.readJson<ExecutionSummary>(summaryKey(checkSegment('executionId', executionId)));
  }

  public async append(executionId: string, entry: NewJournalEntry): Promise<JournalEntry> {
    const id = checkSegment('executionId', executionId);
    let seq = this.nextSeq.get(id);
    if (seq === undefined) {
      if ((await this.storage.getObject(recordKey(id))) === undefined) {
        throw new ExecutionNotFoundError(id, this.location);
      }
      seq = ((await this.journalSeqs(id)).at(-1) ?? 0) + 1;
    }
    for (;;) {
      const stored = { seq, ...entry } as JournalEntry;
      if (await this.storage.putObjectIfAbsent(journalKey(id, seq), toJson(stored))) {
        this.nextSeq.set(id, seq + 1);
        return stored;
      }
      // Someone else wrote this seq (a second process); move past everything stored and try again.
      seq = Math.max(seq + 1, ((await this.journalSeqs(id)).at(-1) ?? 0) + 1);
    }
  }

  public async list(): Promise<ExecutionRecord[]> {
    const names = await this.storage.listKeys('executions/');
    const ids = names.filter((name) => name.endsWith('/')).map((name) => name.slice(0, -1));
    const records = await mapLimited(ids, READ_PARALLELISM, (id) =>
      SEGMENT.test(id) ? this.readJson<ExecutionRecord>(recordKey(id)) : Promise.resolve(undefined),
    );
    return records
      .filter((record): record is ExecutionRecord => record !== undefined)
      .sort((a, b) => compareDesc(a.createdAt, b.createdAt) || compareDesc(a.executionId, b.executionId));
  }

  /**
   * Locks are generations: `locks/<name>/<gen>.json`, the highest one is the lock. Taking a free,
   * expired, released or dead holder's lock, or renewing one's own, creates the next generation if
   * absent, so of two racing takers exactly one wins (a delete-then-create takeover, or an overwrite,
   * could let both win). The holder releases its own generation; older generations are pruned.
   */
  public async tryLock(
    name: string,
    owner: string,
    ttlMs: number,
    canTakeOver?: (holder: string) => boolean,
  ): Promise<boolean> {
    const now = this.clock.now();
    const lock: LockDocument = {
      owner,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlMs).toISOString(),
    };
    const current = await this.currentLock(name);
    // The holder renews like a taker: by creating the next generation. Overwriting its own could race
    // a takeover (after it stalled past expiry) and leave both believing they hold the lock.
    const mine = current?.lock?.owner === owner && !current.lock.releasedAt;
    const free =
      mine ||
      current?.lock === undefined ||
      current.lock.releasedAt !== undefined ||
      Date.parse(current.lock.expiresAt) <= now ||
      canTakeOver?.(current.lock.owner) === true;
    if (!free) return false;
    const generation = (current?.generation ?? 0) + 1;
    if (!(await this.storage.putObjectIfAbsent(lockKey(name, generation), toJson(lock)))) return false;
    if (current) await this.storage.deleteObject(lockKey(name, current.generation));
    return true;
  }

  public async unlock(name: string, owner: string): Promise<void> {
    const current = await this.currentLock(name);
    if (current?.lock?.owner === owner && !current.lock.releasedAt) {
      const released: LockDocument = {
        ...current.lock,
        releasedAt: new Date(this.clock.now()).toISOString(),
      };
      await this.storage.putObject(lockKey(name, current.generation), toJson(released));
    }
  }

  /** The highest lock generation of `name` and its document (undefined when unreadable). */
  private async currentLock(
    name: string,
  ): Promise<{ generation: number; lock: LockDocument | undefined } | undefined> {
    const names = await this.storage.listKeys(`${lockPrefix(name)}/`);
    const generations = names
      .map((entry) => /^(\d{10})\.json$/.exec(entry)?.[1])
      .filter((gen): gen is string => gen !== undefined)
      .map(Number);
    if (generations.length === 0) return undefined;
    const generation = Math.max(...generations);
    return { generation, lock: await this.readJson<LockDocument>(lockKey(name, generation)) };
  }

  public async getDocument<T>(key: string): Promise<T | undefined> {
    return this.readJson<T>(documentKey(key));
  }

  public async putDocument(key: string, value: unknown): Promise<void> {
    await this.storage.putObject(documentKey(key), toJson(value));
  }

  /** Writes (or replaces) the exported report `reports/<name>`, e.g. `exec-….csv`; any text. */
  public async putReport(name: string, body: string): Promise<void> {
    await this.storage.putObject(reportKey(name), body);
  }

  /** The exported report `reports/<name>`, or undefined when none was written. */
  public async getReport(name: string): Promise<string | undefined> {
    return this.storage.getObject(reportKey(name));
  }

  /** The journal seqs stored for an execution, ascending. */
  private async journalSeqs(id: string): Promise<number[]> {
    const names = await this.storage.listKeys(`executions/${id}/journal/`);
    return names
      .map((name) => /^(\d+)\.json$/.exec(name)?.[1])
      .filter((digits): digits is string => digits !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    const text = await this.storage.getObject(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new CorruptStoreError(key, this.location, error instanceof Error ? error.message : String(error));
    }
  }
}

/** executions/<id>/execution.json */
export function recordKey(executionId: string): string {
  return `executions/${executionId}/execution.json`;
}

/** executions/<id>/plan.json */
export function planKey(executionId: string): string {
  return `executions/${executionId}/plan.json`;
}

/** executions/<id>/summary.json */
export function summaryKey(executionId: string): string {
  return `executions/${executionId}/summary.json`;
}

/** executions/<id>/journal/<seq, 10 digits>.json */
export function journalKey(executionId: string, seq: number): string {
  return `executions/${executionId}/journal/${String(seq).padStart(SEQ_WIDTH, '0')}.json`;
}

/** locks/<name>.json; `name` may have `/`-separated segments (`sweep/cn-hangzhou/MyRole`). */
export function lockPrefix(name: string): string {
  return `locks/${checkPath('lock name', name)}`;
}

/** locks/<name>/<generation>.json, the generation zero-padded to 10 digits. */
export function lockKey(name: string, generation: number): string {
  return `${lockPrefix(name)}/${String(generation).padStart(10, '0')}.json`;
}

/** docs/<key>.json; `key` may have `/`-separated segments. */
export function documentKey(key: string): string {
  return `docs/${checkPath('document key', key)}.json`;
}

/** reports/<name> (one segment) */
export function reportKey(name: string): string {
  return `reports/${checkSegment('report name', name)}`;
}

function checkPath(field: string, value: string): string {
  for (const segment of value.split('/')) checkSegment(field, segment);
  return value;
}

function checkSegment(field: string, value: string): string {
  if (!SEGMENT.test(value) || value === '.' || value === '..') {
    throw new RangeError(
      `${field} ${JSON.stringify(value)} must use only letters, digits and . _ - : = @ (segments separated by /)`,
    );
  }
  return value;
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function compareDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
