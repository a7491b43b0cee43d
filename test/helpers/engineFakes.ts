/**
 * Tiny in-memory implementations of the engine's ports, for pure engine unit tests.
 * (Integration tests use the real SDKs against the emulator instead.)
 */
import { CloudApiError, ExecutionNotFoundError } from '../../src/engine/errors';
import type {
  EcsApi,
  ExecutionStore,
  InstanceCallResult,
  InstanceQuery,
  RamApi,
  RoleInfo,
  StoredExecution,
} from '../../src/engine/ports';
import type {
  ExecutionPlan,
  ExecutionRecord,
  ExecutionSummary,
  InstanceInfo,
  JournalEntry,
  NewJournalEntry,
} from '../../src/engine/types';

export interface FakeInstance extends InstanceInfo {
  role?: string;
}

export class FakeEcs implements EcsApi {
  public readonly instances = new Map<string, FakeInstance>();
  /** Per-instance forced attach error code. */
  public readonly failAttach = new Map<string, string>();
  /** Per-instance forced detach error code (the detach is not applied). */
  public readonly failDetach = new Map<string, string>();
  /**
   * Emulator-style detach codes: `RamRoleNotAttached` for a role-less instance and `RamRoleMismatch`
   * when a RamRoleName is given and differs (default: both `InvalidRamRole.NotAttached`).
   */
  public emulatorDetachCodes = false;
  /** Throw this once from the next detach call (after applying it when `applied`: landed, then lost). */
  public nextDetachError: { error: Error; applied: boolean } | undefined;
  /** Throw this from every DescribeInstanceRamRole call while set. */
  public describeRolesError: Error | undefined;
  public readonly calls: { action: string; ids: string[]; role?: string }[] = [];
  /** Throw this once from the next attach call (after applying it when `applied`). */
  public nextAttachError: { error: Error; applied: boolean } | undefined;
  /**
   * Whole-call refusals: an attach call holding one of these ids throws that code (HTTP 403), like ECS's
   * request-level `IncorrectInstanceStatus`; `'*'` refuses every attach and detach call (a permission).
   */
  public readonly refuseCall = new Map<string, string>();

  public constructor(instances: FakeInstance[] = []) {
    for (const instance of instances) this.instances.set(instance.instanceId, { ...instance });
  }

  public attachCount(): number {
    return this.calls.filter((call) => call.action === 'AttachInstanceRamRole').length;
  }

  public async describeInstances(query: InstanceQuery): Promise<InstanceInfo[]> {
    this.calls.push({ action: 'DescribeInstances', ids: query.instanceIds ?? [] });
    return this.#matching(query);
  }

  /** Like the real adapter: every page of up to 100 (MaxResults) is handed to `onPage`. */
  public async scanInstances(query: InstanceQuery, onPage: (page: InstanceInfo[]) => void): Promise<void> {
    this.calls.push({ action: 'DescribeInstances', ids: query.instanceIds ?? [] });
    const found = this.#matching(query);
    for (let i = 0; i < found.length; i += 100) onPage(found.slice(i, i + 100));
  }

  #matching(query: InstanceQuery): InstanceInfo[] {
    return [...this.instances.values()]
      .filter((instance) => instance.regionId === query.regionId)
      .filter((instance) => !query.instanceIds || query.instanceIds.includes(instance.instanceId))
      .filter((instance) => !query.status || instance.status === query.status)
      .filter((instance) => !query.resourceGroupId || instance.resourceGroupId === query.resourceGroupId)
      .filter((instance) =>
        (query.tags ?? []).every((tag) =>
          tag.value === undefined ? tag.key in instance.tags : instance.tags[tag.key] === tag.value,
        ),
      )
      .map(({ role: _role, ...info }) => info);
  }

  public async describeInstanceRamRoles(
    _regionId: string,
    ids: string[],
  ): Promise<Map<string, string | undefined>> {
    this.calls.push({ action: 'DescribeInstanceRamRole', ids });
    if (this.describeRolesError) throw this.describeRolesError;
    const roles = new Map<string, string | undefined>();
    for (const id of ids) {
      const instance = this.instances.get(id);
      if (instance) roles.set(id, instance.role);
    }
    return roles;
  }

  public async attachInstanceRamRole(
    _regionId: string,
    role: string,
    ids: string[],
  ): Promise<InstanceCallResult[]> {
    this.calls.push({ action: 'AttachInstanceRamRole', ids });
    if (ids.length < 1 || ids.length > 100) throw apiError('InvalidInstanceIds.Malformed', 400);
    if (ids.some((id) => !this.instances.has(id))) throw apiError('InvalidInstanceId.NotFound', 404);
    for (const id of ['*', ...ids]) {
      const refusal = this.refuseCall.get(id);
      if (refusal !== undefined) throw apiError(refusal, 403);
    }
    const pending = this.nextAttachError;
    if (pending && !pending.applied) {
      this.nextAttachError = undefined;
      throw pending.error;
    }
    const results = ids.map((id): InstanceCallResult => {
      const instance = this.instances.get(id)!;
      const forced = this.failAttach.get(id);
      if (forced) return { instanceId: id, success: false, code: forced, message: `forced ${forced}` };
      if (instance.role) {
        return {
          instanceId: id,
          success: false,
          code: 'InvalidParameter.RoleAttached',
          message: 'has a role',
        };
      }
      instance.role = role;
      return { instanceId: id, success: true, code: '200', message: 'success' };
    });
    if (pending?.applied) {
      this.nextAttachError = undefined;
      throw pending.error;
    }
    return results;
  }

  public async detachInstanceRamRole(
    _regionId: string,
    ids: string[],
    role?: string,
  ): Promise<InstanceCallResult[]> {
    this.calls.push({ action: 'DetachInstanceRamRole', ids, ...(role === undefined ? {} : { role }) });
    const refusal = this.refuseCall.get('*');
    if (refusal !== undefined) throw apiError(refusal, 403);
    const pending = this.nextDetachError;
    if (pending && !pending.applied) {
      this.nextDetachError = undefined;
      throw pending.error;
    }
    const results = ids.map((id): InstanceCallResult => {
      const instance = this.instances.get(id);
      const forced = this.failDetach.get(id);
      if (forced) return { instanceId: id, success: false, code: forced, message: `forced ${forced}` };
      if (!instance?.role || (role && instance.role !== role)) {
        const code = !this.emulatorDetachCodes
          ? 'InvalidRamRole.NotAttached'
          : instance?.role
            ? 'RamRoleMismatch'
            : 'RamRoleNotAttached';
        return { instanceId: id, success: false, code, message: 'no such role' };
      }
      delete instance.role;
      return { instanceId: id, success: true, code: '200', message: 'success' };
    });
    if (pending?.applied) {
      this.nextDetachError = undefined;
      throw pending.error;
    }
    return results;
  }
}

export function apiError(code: string, statusCode: number): CloudApiError {
  return new CloudApiError({
    action: 'AttachInstanceRamRole',
    code,
    message: code,
    statusCode,
    retryable: false,
  });
}

export class FakeRam implements RamApi {
  public readonly roles = new Map<string, RoleInfo>();
  public constructor(roleNames: string[] = ['EcsAppRole'], untrusted: string[] = []) {
    for (const name of roleNames) this.add(name, 'ecs.aliyuncs.com');
    for (const name of untrusted) this.add(name, 'fc.aliyuncs.com');
  }
  private add(name: string, service: string): void {
    this.roles.set(name, {
      roleName: name,
      arn: `acs:ram::1234567890:role/${name.toLowerCase()}`,
      assumeRolePolicy: {
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [service] } }],
      },
    });
  }
  public async getRole(name: string): Promise<RoleInfo | undefined> {
    return this.roles.get(name);
  }
}

export class MemoryStore implements ExecutionStore {
  readonly #executions = new Map<
    string,
    { record: ExecutionRecord; plan: ExecutionPlan; journal: JournalEntry[] }
  >();
  readonly #documents = new Map<string, unknown>();
  readonly #summaries = new Map<string, ExecutionSummary>();
  readonly #locks = new Map<string, { owner: string; expires: number }>();
  /** Fail the append whose 1-based count equals this number (simulates a crash). */
  public crashOnAppend: number | undefined;
  public appends = 0;

  public async create(record: ExecutionRecord, plan: ExecutionPlan): Promise<void> {
    this.#executions.set(record.executionId, { record: clone(record), plan: clone(plan), journal: [] });
  }
  public async load(id: string): Promise<StoredExecution> {
    const stored = this.#executions.get(id);
    if (!stored) throw new ExecutionNotFoundError(id, 'memory');
    return clone(stored);
  }
  public async saveRecord(record: ExecutionRecord): Promise<void> {
    const stored = this.#executions.get(record.executionId);
    if (!stored) throw new ExecutionNotFoundError(record.executionId, 'memory');
    stored.record = clone(record);
  }
  public async saveSummary(summary: ExecutionSummary): Promise<void> {
    this.#summaries.set(summary.executionId, clone(summary));
  }
  public async loadSummary(id: string): Promise<ExecutionSummary | undefined> {
    const summary = this.#summaries.get(id);
    return summary && clone(summary);
  }
  public async append(id: string, entry: NewJournalEntry): Promise<JournalEntry> {
    this.appends += 1;
    if (this.crashOnAppend === this.appends) throw new Error('simulated crash');
    const stored = this.#executions.get(id);
    if (!stored) throw new ExecutionNotFoundError(id, 'memory');
    const full = { ...clone(entry), seq: stored.journal.length + 1 } as JournalEntry;
    stored.journal.push(full);
    return clone(full);
  }
  public async list(): Promise<ExecutionRecord[]> {
    return [...this.#executions.values()].map((e) => clone(e.record)).reverse();
  }
  public async tryLock(
    name: string,
    owner: string,
    ttlMs: number,
    canTakeOver?: (holder: string) => boolean,
  ): Promise<boolean> {
    const held = this.#locks.get(name);
    if (held && held.expires > Date.now() && held.owner !== owner && !canTakeOver?.(held.owner)) return false;
    this.#locks.set(name, { owner, expires: Date.now() + ttlMs });
    return true;
  }
  public async unlock(name: string, owner: string): Promise<void> {
    if (this.#locks.get(name)?.owner === owner) this.#locks.delete(name);
  }
  public async getDocument<T>(key: string): Promise<T | undefined> {
    return this.#documents.has(key) ? clone(this.#documents.get(key) as T) : undefined;
  }
  public async putDocument(key: string, value: unknown): Promise<void> {
    this.#documents.set(key, clone(value));
  }
}

/** A deterministic fleet of VPC instances in cn-hangzhou named i-t0000, i-t0001, ... */
export function fleet(
  count: number,
  extra: (index: number) => Partial<FakeInstance> = () => ({}),
): FakeInstance[] {
  return Array.from({ length: count }, (_, index) => ({
    instanceId: `i-t${String(index).padStart(4, '0')}`,
    regionId: 'cn-hangzhou',
    status: 'Running',
    networkType: 'vpc',
    tags: { env: index % 2 === 0 ? 'prod' : 'dev' },
    resourceGroupId: 'rg-aaa',
    ...extra(index),
  }));
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
