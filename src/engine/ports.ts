/**
 * Ports: the only things the engine needs from the outside world, named after the calls we make.
 * `src/cloud` implements the ECS/RAM ports over the real SDKs (with limiter and retry inside);
 * `src/store` implements {@link ExecutionStore} on the filesystem and on OSS.
 * Engine unit tests implement them with tiny in-memory fakes.
 */
import type {
  ExecutionPlan,
  ExecutionRecord,
  ExecutionSummary,
  InstanceInfo,
  JournalEntry,
  NewJournalEntry,
  TargetParameters,
} from './types.js';

/** Filters for DescribeInstances; every field optional, combined with AND. */
export interface InstanceQuery {
  regionId: string;
  instanceIds?: string[];
  tags?: { key: string; value?: string }[];
  resourceGroupId?: string;
  status?: TargetParameters['Status'];
  networkType?: TargetParameters['InstanceNetworkType'];
}

/** Per-instance result of AttachInstanceRamRole / DetachInstanceRamRole. */
export interface InstanceCallResult {
  instanceId: string;
  success: boolean;
  /** "200" on success, the ECS per-instance code otherwise. */
  code: string;
  message: string;
}

/** The four ECS calls we make. Implementations retry throttling/5xx/network errors and respect quotas. */
export interface EcsApi {
  /** All instances matching the query, following NextToken (MaxResults 100) to the end. */
  describeInstances(query: InstanceQuery): Promise<InstanceInfo[]>;
  /**
   * The same calls as {@link describeInstances}, each page (<= 100) handed to `onPage` as it arrives and
   * none kept, so that callers start per-page work (role lookups) while paging goes on and keep only
   * what they need of 100,000 instances. An error `onPage` throws stops paging and is the rejection.
   */
  scanInstances(query: InstanceQuery, onPage: (page: InstanceInfo[]) => void): Promise<void>;
  /**
   * The role each instance bears (`undefined` for none). Takes any number of ids; calls in chunks of 50.
   * Unknown ids are absent from the map.
   */
  describeInstanceRamRoles(regionId: string, instanceIds: string[]): Promise<Map<string, string | undefined>>;
  /**
   * One AttachInstanceRamRole call with 1-100 ids; `policy` is the optional extra restricting policy
   * (1-1024 characters). Throws {@link CloudApiError} for request-level errors (e.g. code
   * `InvalidInstanceId.NotFound` when any id is unknown).
   */
  attachInstanceRamRole(
    regionId: string,
    ramRoleName: string,
    instanceIds: string[],
    policy?: string,
  ): Promise<InstanceCallResult[]>;
  /** One DetachInstanceRamRole call with 1-100 ids; `ramRoleName` restricts it to that role. */
  detachInstanceRamRole(
    regionId: string,
    instanceIds: string[],
    ramRoleName?: string,
  ): Promise<InstanceCallResult[]>;
}

export interface RoleInfo {
  roleName: string;
  arn: string;
  /** The parsed AssumeRolePolicyDocument. */
  assumeRolePolicy: unknown;
}

export interface RamApi {
  /** The role, or `undefined` when RAM answers `EntityNotExist.Role`. */
  getRole(roleName: string): Promise<RoleInfo | undefined>;
}

/** A loaded execution: record, plan and the journal in seq order. */
export interface StoredExecution {
  record: ExecutionRecord;
  plan: ExecutionPlan;
  journal: JournalEntry[];
}

/**
 * Durable execution state. Key layout (FS and OSS alike): executions/<id>/execution.json,
 * executions/<id>/plan.json, executions/<id>/journal/<seq>.json. Every write is atomic.
 */
export interface ExecutionStore {
  /** Writes plan.json, then execution.json. Throws if the execution exists. */
  create(record: ExecutionRecord, plan: ExecutionPlan): Promise<void>;
  /** Throws {@link ExecutionNotFoundError} when absent. */
  load(executionId: string): Promise<StoredExecution>;
  saveRecord(record: ExecutionRecord): Promise<void>;
  /** Saves executions/<id>/summary.json; the runner saves it just before the record it describes. */
  saveSummary(summary: ExecutionSummary): Promise<void>;
  /** The saved summary; undefined when there is none (an execution stored before summaries existed). */
  loadSummary(executionId: string): Promise<ExecutionSummary | undefined>;
  /** Appends one entry with the next seq and returns it as stored. */
  append(executionId: string, entry: NewJournalEntry): Promise<JournalEntry>;
  /** Every execution record, newest first. */
  list(): Promise<ExecutionRecord[]>;
  /**
   * Takes a named lock (e.g. `sweep/cn-hangzhou/MyRole`) unless a live one exists; returns whether it was taken.
   * The same owner taking it again extends the lease. A lock older than `ttlMs` is considered abandoned
   * and may be taken over, as may a live one whose holder `canTakeOver` declares dead.
   */
  tryLock(
    name: string,
    owner: string,
    ttlMs: number,
    canTakeOver?: (holder: string) => boolean,
  ): Promise<boolean>;
  unlock(name: string, owner: string): Promise<void>;
  /** Small JSON documents beside executions (e.g. the event path's breaker state and backlog). */
  getDocument<T>(key: string): Promise<T | undefined>;
  putDocument(key: string, value: unknown): Promise<void>;
}

/** Time, injected so that tests run on a virtual clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** A random source in [0, 1), injected for jitter. */
export type RandomSource = () => number;

/** Structured logger port (pino satisfies it). Never pass secrets. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
};
