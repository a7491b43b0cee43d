/**
 * Organization scope: one parent execution over many accounts and regions, whose children are ordinary
 * executions, one per (account, region), each with its own credentials (the shell's `accountDeps`: STS
 * AssumeRole into the member), its own quota budget (ECS quotas are per account), lease and journal.
 *
 * The parent is the document `organizations/<id>` in the same store: the plan of children (their ids
 * derive from the parent's, `<parent>.<account>.<region>`, so a re-run finds them instead of creating
 * others), its own rate control over children (`accountConcurrency` accounts at once) and the outcome of
 * each child. Crash safety is the children's: a resumed parent re-runs every unfinished child, whose
 * journal settles any interrupted write before anything else. A member whose role cannot be assumed, or
 * whose designated role is unusable, ends `Failed` with the reason; the others go on.
 */
import { LEASE_DEFAULTS, ORGANIZATION_DEFAULTS } from '../defaults.js';
import { type Doc, doc, KEYS, LOCKS, readDoc, writeDoc } from '../documents.js';
import { CloudApiError, ExecutionNotFoundError, InvalidActionError, RoleAttachError } from '../errors.js';
import type { EngineDeps } from '../execution/index.js';
import { controlExecution, createExecution, getExecutionReport, runExecution } from '../execution/index.js';
import { countOutcomes } from '../execution/machine.js';
import type { ExecutionReport } from '../execution/report.js';
import { createRollback } from '../execution/rollback.js';
import { newExecutionId } from '../ids.js';
import { ExecutionBusyError } from '../lease.js';
import type { Clock, ExecutionStore, Logger, RandomSource } from '../ports.js';
import type {
  Amount,
  ExecutionCounts,
  ExecutionParameters,
  ExecutionRecord,
  ExecutionStatus,
  OperatorAction,
  SweepRequest,
} from '../types.js';
import { TERMINAL_STATUSES } from '../types.js';
import {
  renderSources,
  type SourceCompliance,
  type SweepSettings,
  sweepParameters,
  sweepSources,
} from './sweep.js';

/** One account of the parent's plan. */
export interface OrganizationAccount {
  accountId: string;
  displayName: string;
  /** The caller's own account: its children use the caller's credentials, no AssumeRole. */
  management: boolean;
  regions: string[];
  /** The role assumed in it. */
  assumeRole: string;
  /** Per-account QPS override (`--qps` syntax). */
  qps?: string;
}

/** Where a child stands, as the parent records it. `Pending`: not created yet. */
export type ChildStatus = ExecutionStatus | 'Pending';

/** One child of the parent's plan. */
export interface OrganizationChild {
  accountId: string;
  regionId: string;
  executionId: string;
  status: ChildStatus;
  /** Why it failed or was not run (e.g. `NoPermission: ...` when the role could not be assumed). */
  reason?: string;
  /** Error code of an account- or child-level failure (`EntityNotExist.Role`, `RoleNotFound`...). */
  code?: string;
  counts?: ExecutionCounts;
  /** Failed instances by error code. */
  failuresByCode?: Record<string, number>;
  /**
   * Sweep parents: the sources of this (account, region), as a single-account sweep reports them (and
   * fixes them with the request's `fix`), when the child's deps can read them and its execution ended.
   */
  sources?: SourceCompliance;
}

/**
 * What every child does: a sweep of the role, the same execution parameters in each (account, region), or
 * the rollback of the same child of another parent (`of`).
 */
export type OrganizationInput =
  | { kind: 'sweep'; request: SweepRequest; settings: Pick<SweepSettings, 'onConflict' | 'exclusions'> }
  | { kind: 'run'; parameters: ExecutionParameters }
  | { kind: 'rollback'; of: string; ramRoleName: string };

/** organizations/<id> */
export interface OrganizationRecord {
  organizationId: string;
  /**
   * `sweep`: children attach what lacks the role (origin sweep); `run`: children run the given targets;
   * `rollback`: each child rolls back the same (account, region) child of `rollbackOf`.
   */
  kind: OrganizationInput['kind'];
  rollbackOf?: string;
  origin: ExecutionRecord['origin'];
  createdAt: string;
  updatedAt: string;
  status: ExecutionStatus;
  statusReason?: string;
  ramRoleName: string;
  input: OrganizationInput;
  /** How many accounts run at once. */
  accountConcurrency: number;
  accounts: OrganizationAccount[];
  /** Accounts the scope named but the parent leaves out, with the reason. */
  leftOut: { accountId: string; reason: string }[];
  children: OrganizationChild[];
  /** A CloudFlow workflow's task token while it waits on this Waiting parent (workflow.ts). */
  taskToken?: string;
  /** An operator's decision recorded for the next run (a workflow's control): applied, then cleared. */
  decision?: OperatorAction;
}

/** The execution parameters of the child in `regionId` (the targets follow the child's region). */
export function childParameters(
  input: Exclude<OrganizationInput, { kind: 'rollback' }>,
  regionId: string,
): ExecutionParameters {
  if (input.kind === 'sweep')
    return sweepParameters(regionId, storedSweepRequest(input.request), input.settings);
  return { ...input.parameters, regionId, targets: { ...input.parameters.targets, RegionId: regionId } };
}

/**
 * A sweep request as a parent stored it. Releases before the input boundary (issue #16) stored the CLI's
 * `--max-targets` and `--rate-control` amounts as typed (`"50"`, `" 10% "`): read as the amounts they meant.
 */
function storedSweepRequest(request: SweepRequest): SweepRequest {
  const rc = request.rateControl;
  return {
    ...request,
    ...(request.maxTargets === undefined ? {} : { maxTargets: storedAmount(request.maxTargets) }),
    ...(rc === undefined
      ? {}
      : {
          rateControl: {
            ...rc,
            ...(rc.Concurrency === undefined ? {} : { Concurrency: storedAmount(rc.Concurrency) }),
            ...(rc.MaxErrors === undefined ? {} : { MaxErrors: storedAmount(rc.MaxErrors) }),
            ...(rc.Batch === undefined ? {} : { Batch: rc.Batch.map(storedAmount) }),
            ...(rc.ConcurrencyInBatches === undefined
              ? {}
              : {
                  ConcurrencyInBatches: Array.isArray(rc.ConcurrencyInBatches)
                    ? rc.ConcurrencyInBatches.map(Number)
                    : Number(rc.ConcurrencyInBatches),
                }),
          },
        }),
  };
}

function storedAmount(amount: Amount): Amount {
  if (typeof amount !== 'string') return amount;
  const text = amount.trim();
  return /^\d+$/.test(text) ? Number(text) : (text as Amount);
}

/** The role a parent is about (the sweep's or run's role, or the role its original attached). */
function roleOf(input: OrganizationInput): string {
  if (input.kind === 'sweep') return input.request.role;
  if (input.kind === 'rollback') return input.ramRoleName;
  return input.parameters.ramRoleName;
}

/** Engine deps for the regions of one account. Throws (e.g. CloudApiError `NoPermission`) when the account cannot be reached. */
export type AccountDeps = (
  account: OrganizationAccount,
  organizationId: string,
) => Promise<(regionId: string) => EngineDeps>;

export interface OrganizationDeps {
  store: ExecutionStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  accountDeps: AccountDeps;
  owner?: string;
  canTakeOver?: (holder: string) => boolean;
  /** Called after every child settles (progress lines). */
  onChild?: (child: OrganizationChild, record: OrganizationRecord) => void;
}

/** The store document of a parent execution. */
function organizationDoc(organizationId: string): Doc<OrganizationRecord> {
  return doc(KEYS.organization(organizationId));
}

/** Whether an id names a parent execution (`org-…`). */
export function isOrganizationId(id: string): boolean {
  return id.startsWith('org-');
}

/** The id of the child of (account, region). */
export function childExecutionId(organizationId: string, accountId: string, regionId: string): string {
  return `${organizationId}.${accountId}.${regionId}`;
}

/** What a parent execution is planned from (the accounts already resolved). */
export interface OrganizationPlan {
  input: OrganizationInput;
  origin: ExecutionRecord['origin'];
  accounts: OrganizationAccount[];
  leftOut: OrganizationRecord['leftOut'];
  accountConcurrency?: number;
  organizationId?: string;
}

/** Plans a parent execution: one Pending child per (account, region); stores it. Makes no cloud call. */
export async function createOrganization(
  plan: OrganizationPlan,
  deps: Pick<OrganizationDeps, 'store' | 'clock' | 'random'>,
): Promise<OrganizationRecord> {
  const record = newOrganizationRecord(plan, deps);
  await writeDoc(deps.store, organizationDoc(record.organizationId), record);
  return record;
}

function newOrganizationRecord(
  plan: OrganizationPlan,
  deps: Pick<OrganizationDeps, 'clock' | 'random'>,
): OrganizationRecord {
  const organizationId =
    plan.organizationId ?? newExecutionId(deps.clock.now(), deps.random).replace(/^exec-/, 'org-');
  const at = new Date(deps.clock.now()).toISOString();
  // Every child's parameters are checked before anything is stored: an invalid input makes zero calls.
  const input = plan.input;
  if (input.kind !== 'rollback')
    for (const account of plan.accounts)
      for (const regionId of account.regions) childParameters(input, regionId);
  return {
    organizationId,
    kind: plan.input.kind,
    ...(plan.input.kind === 'rollback' ? { rollbackOf: plan.input.of } : {}),
    origin: plan.origin,
    createdAt: at,
    updatedAt: at,
    status: 'Running',
    ramRoleName: roleOf(plan.input),
    input: plan.input,
    accountConcurrency: plan.accountConcurrency ?? ORGANIZATION_DEFAULTS.accountConcurrency,
    accounts: plan.accounts,
    leftOut: plan.leftOut,
    children: plan.accounts.flatMap((account) =>
      account.regions.map((regionId) => ({
        accountId: account.accountId,
        regionId,
        executionId: childExecutionId(organizationId, account.accountId, regionId),
        status: 'Pending' as const,
      })),
    ),
  };
}

/**
 * Runs `body` on the parent record under the parent's lock (the one {@link runOrganization} holds) and
 * stores the record after it; throws ExecutionBusyError while another process runs the parent.
 */
export async function updateOrganization<T>(
  organizationId: string,
  deps: Pick<OrganizationDeps, 'store' | 'clock' | 'canTakeOver'> & { owner: string },
  body: (record: OrganizationRecord) => Promise<T>,
): Promise<T> {
  const lock = LOCKS.organization(organizationId);
  if (!(await deps.store.tryLock(lock, deps.owner, LEASE_DEFAULTS.ttlMs, deps.canTakeOver)))
    throw new ExecutionBusyError(organizationId, 'another process runs this organization execution');
  try {
    const record = await loadOrganization(organizationId, deps.store);
    const result = await body(record);
    record.updatedAt = new Date(deps.clock.now()).toISOString();
    await writeDoc(deps.store, organizationDoc(organizationId), record);
    return result;
  } finally {
    await deps.store.unlock(lock, deps.owner);
  }
}

/** Where the last organization sweep of a role is named (one open organization sweep per role). */
function openSweepDoc(role: string): Doc<{ organizationId: string }> {
  return doc(KEYS.openOrganizationSweep(role));
}

/**
 * An organization sweep: resumes the last one of the role while it is Running (its previous invocation ran
 * out of time or crashed), leaves a Waiting one to the operator (returned as it is), else plans a new one.
 * `plan` is called only for a new one (it resolves the accounts).
 */
export async function organizationSweep(
  role: string,
  plan: () => Promise<OrganizationPlan>,
  deps: OrganizationDeps,
  options: { deadline?: number } = {},
): Promise<OrganizationReport> {
  const last = await readDoc(deps.store, openSweepDoc(role));
  const open = last ? await readDoc(deps.store, organizationDoc(last.organizationId)) : undefined;
  if (open?.status === 'Waiting') return organizationReport(open);
  if (open?.status === 'Running') return runOrganization(open.organizationId, deps, options);
  const organizationId = newExecutionId(deps.clock.now(), deps.random).replace(/^exec-/, 'org-');
  const input = await plan();
  // Named in the index before it exists (as the region sweep does): a crash in between leaves a dangling name.
  await writeDoc(deps.store, openSweepDoc(role), { organizationId });
  await createOrganization({ ...input, organizationId }, deps);
  return runOrganization(organizationId, deps, options);
}

/** Loads a parent execution; throws ExecutionNotFoundError. */
export async function loadOrganization(
  organizationId: string,
  store: ExecutionStore,
): Promise<OrganizationRecord> {
  const record = await readDoc(store, organizationDoc(organizationId));
  if (!record) throw new ExecutionNotFoundError(organizationId, 'the state store');
  return record;
}

const OPEN: ReadonlySet<ChildStatus> = new Set(['Pending', 'Running', 'Waiting']);

/**
 * Runs every unfinished child, `accountConcurrency` accounts at once, and returns the aggregated report.
 * With `action` (an operator's decision on the parent), Waiting children get it first: `continue` /
 * `retry` go on, `cancel` cancels every unfinished child (Pending ones are never created).
 */
export async function runOrganization(
  organizationId: string,
  deps: OrganizationDeps,
  options: { action?: OperatorAction; deadline?: number } = {},
): Promise<OrganizationReport> {
  const owner = deps.owner ?? `org:${Math.floor(deps.random() * 2 ** 48).toString(16)}`;
  const lock = LOCKS.organization(organizationId);
  if (!(await deps.store.tryLock(lock, owner, LEASE_DEFAULTS.ttlMs, deps.canTakeOver)))
    throw new ExecutionBusyError(organizationId, 'another process runs this organization execution');
  try {
    const record = await loadOrganization(organizationId, deps.store);
    if (TERMINAL_STATUSES.includes(record.status)) {
      if (options.action !== undefined)
        throw new InvalidActionError(organizationId, options.action, record.status, 'it has ended');
      return organizationReport(record);
    }
    // A decision a workflow's control recorded applies now (an explicit one wins), once.
    const decided = record.decision;
    delete record.decision;
    if (options.action === undefined && decided !== undefined) options = { ...options, action: decided };
    let saving = Promise.resolve();
    const save = () => {
      record.updatedAt = new Date(deps.clock.now()).toISOString();
      saving = saving.then(async () => {
        await writeDoc(deps.store, organizationDoc(organizationId), record);
        await deps.store.tryLock(lock, owner, LEASE_DEFAULTS.ttlMs);
      });
      return saving;
    };
    if (options.action === 'cancel') {
      await cancelChildren(record, deps);
    } else {
      await forEachAccount(
        record,
        deps,
        save,
        (child, engine) => runChild(record, child, engine, options),
        options.deadline,
      );
    }
    settleParent(record);
    await save();
    return organizationReport(record);
  } finally {
    await deps.store.unlock(lock, owner);
  }
}

/** What is done to one open child, with the engine deps of its account and region. */
type ChildStep = (child: OrganizationChild, engine: EngineDeps) => Promise<void>;

/** `step` for every open child, `accountConcurrency` accounts at once, the regions of one account in turn. */
async function forEachAccount(
  record: OrganizationRecord,
  deps: OrganizationDeps,
  save: () => Promise<void>,
  step: ChildStep,
  deadline?: number,
): Promise<void> {
  const queue = record.accounts.filter((account) =>
    record.children.some((c) => c.accountId === account.accountId && OPEN.has(c.status)),
  );
  const worker = async () => {
    for (let account = queue.shift(); account; account = queue.shift()) {
      await runAccount(record, account, deps, save, step, deadline);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, record.accountConcurrency) }, worker));
}

async function runAccount(
  record: OrganizationRecord,
  account: OrganizationAccount,
  deps: OrganizationDeps,
  save: () => Promise<void>,
  step: ChildStep,
  deadline: number | undefined,
): Promise<void> {
  const children = record.children.filter((c) => c.accountId === account.accountId && OPEN.has(c.status));
  let depsFor: (regionId: string) => EngineDeps;
  try {
    depsFor = await deps.accountDeps(account, record.organizationId);
  } catch (error) {
    if (!(error instanceof RoleAttachError)) throw error;
    const code = (error as { code?: unknown }).code;
    if (error instanceof CloudApiError && error.retryable) {
      // Throttled or unreachable for now: "not yet", never the member's failure; the next resume goes on.
      for (const child of children) child.reason = `not started yet: ${error.message}`;
      deps.logger.warn(
        { accountId: account.accountId, code },
        'member account not reachable yet; left for resume',
      );
      await save();
      return;
    }
    for (const child of children) {
      child.status = 'Failed';
      child.reason = `account ${account.accountId} could not be reached with role ${account.assumeRole}: ${error.message}`;
      if (typeof code === 'string') child.code = code;
      deps.onChild?.(child, record);
    }
    deps.logger.warn(
      { accountId: account.accountId, code },
      'member account not reachable; its children failed',
    );
    await save();
    return;
  }
  for (const child of children) {
    if (deadline !== undefined && deps.clock.now() >= deadline) return;
    await step(child, depsFor(child.regionId));
    deps.onChild?.(child, record);
    await save();
  }
}

async function runChild(
  record: OrganizationRecord,
  child: OrganizationChild,
  engine: EngineDeps,
  options: { action?: OperatorAction; deadline?: number },
): Promise<void> {
  try {
    const existing = await engine.store.load(child.executionId).catch((error: unknown) => {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    });
    const input = record.input;
    if (!existing) {
      if (input.kind === 'rollback') {
        await createRollback(childExecutionId(input.of, child.accountId, child.regionId), engine, {
          executionId: child.executionId,
        });
      } else {
        await createExecution(childParameters(input, child.regionId), engine, {
          origin: record.origin,
          executionId: child.executionId,
        });
      }
    } else if (existing.record.status === 'Waiting') {
      if (options.action === undefined) {
        recordReport(child, await getExecutionReport(child.executionId, engine.store));
        return;
      }
      await controlExecution(child.executionId, options.action, engine);
    }
    const runOptions = options.deadline === undefined ? {} : { deadline: options.deadline };
    const report = await runExecution(child.executionId, engine, runOptions);
    recordReport(child, report);
    if (input.kind === 'sweep' && engine.sources && TERMINAL_STATUSES.includes(report.status)) {
      child.sources = await childSources(input, child.regionId, engine, runOptions);
    }
  } catch (error) {
    if (error instanceof ExecutionBusyError) {
      child.status = 'Running';
      child.reason = error.message;
      return;
    }
    if (!(error instanceof RoleAttachError)) throw error;
    const stored = await engine.store.load(child.executionId).catch(() => undefined);
    const unfinished = stored !== undefined && !TERMINAL_STATUSES.includes(stored.record.status);
    if ((error instanceof CloudApiError && error.retryable) || unfinished) {
      // Not finished, not failed: the execution (or its planning) goes on at the next resume.
      child.status = stored ? stored.record.status : 'Pending';
      child.reason = `not finished: ${error.message}`;
      return;
    }
    child.status = 'Failed';
    child.reason = error.message;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') child.code = code;
  }
}

/** A sweep child's sources; a refusal reading them is reported there and never fails the child. */
async function childSources(
  input: Extract<OrganizationInput, { kind: 'sweep' }>,
  regionId: string,
  engine: EngineDeps,
  runOptions: { deadline?: number },
): Promise<SourceCompliance> {
  try {
    return await sweepSources(childParameters(input, regionId), engine, input.request.fix ?? [], runOptions);
  } catch (error) {
    if (!(error instanceof RoleAttachError)) throw error;
    return { unavailable: [`sources: ${error.message}`], fixed: [] };
  }
}

function recordReport(child: OrganizationChild, report: ExecutionReport): void {
  child.status = report.status;
  child.counts = report.counts;
  if (report.statusReason) child.reason = report.statusReason;
  else delete child.reason;
  const byCode: Record<string, number> = {};
  for (const instance of report.instances) {
    if (instance.outcome === 'Failed')
      byCode[instance.code ?? 'Unknown'] = (byCode[instance.code ?? 'Unknown'] ?? 0) + 1;
  }
  child.failuresByCode = byCode;
}

/**
 * A dry run of a parent: the accounts reached as a run reaches them (AssumeRole), every child planned with
 * `dryRun` (the targets read, nothing written, nothing stored) and its predicted outcomes counted. The
 * report has status `Planned`; a member that cannot be reached, or a child that cannot be planned (an
 * unusable role), is `Failed` with the reason, as it would be in the run.
 */
export async function dryRunOrganization(
  plan: OrganizationPlan,
  deps: OrganizationDeps,
): Promise<OrganizationReport> {
  const record = newOrganizationRecord(plan, deps);
  const nothingStored = async () => {};
  await forEachAccount(record, deps, nothingStored, (child, engine) => planChild(record, child, engine));
  const failed = record.children.filter((c) => c.status === 'Failed').length;
  const unplanned = record.children.filter((c) => c.status === 'Pending').length;
  record.status = 'Planned';
  const reasons = [
    ...(failed > 0 ? [`${failed} of ${record.children.length} children would fail`] : []),
    ...(unplanned > 0 ? [`${unplanned} could not be planned now (throttled or unreachable)`] : []),
  ];
  if (reasons.length > 0) record.statusReason = reasons.join('; ');
  return organizationReport(record);
}

async function planChild(
  record: OrganizationRecord,
  child: OrganizationChild,
  engine: EngineDeps,
): Promise<void> {
  try {
    const input = record.input;
    const report =
      input.kind === 'rollback'
        ? await createRollback(childExecutionId(input.of, child.accountId, child.regionId), engine, {
            dryRun: true,
          })
        : await createExecution(childParameters(input, child.regionId), engine, {
            origin: record.origin,
            dryRun: true,
          });
    recordReport(child, report);
    // A dry-run report counts nothing as done: the parent sums the predicted outcomes instead.
    child.counts = countOutcomes(
      report.instances.length,
      report.instances.flatMap((i) => (i.outcome === 'Pending' ? [] : [{ outcome: i.outcome }])),
    );
  } catch (error) {
    if (!(error instanceof RoleAttachError)) throw error;
    const code = (error as { code?: unknown }).code;
    if (error instanceof CloudApiError && error.retryable) {
      child.reason = `not planned: ${error.message}`;
      return;
    }
    child.status = 'Failed';
    child.reason = error.message;
    if (typeof code === 'string') child.code = code;
  }
}

/**
 * The plan of the rollback of a parent: one child per child of the original that changed something
 * (attached or replaced a role), each rolling back that child's execution; accounts with nothing to undo
 * are left out with the reason. Reads the store only.
 *
 * @throws {@link InvalidActionError} when the original is still open, or is itself a rollback.
 */
export async function planOrganizationRollback(
  organizationId: string,
  store: ExecutionStore,
): Promise<OrganizationPlan> {
  const original = await loadOrganization(organizationId, store);
  if (original.kind === 'rollback') {
    throw new InvalidActionError(
      organizationId,
      'roll back',
      `a rollback of ${original.rollbackOf ?? 'another execution'}`,
      'Run the original again instead; nothing was changed.',
    );
  }
  if (!TERMINAL_STATUSES.includes(original.status)) {
    throw new InvalidActionError(
      organizationId,
      'roll back',
      original.status,
      `Cancel it first (\`ecs-role-attach cancel ${organizationId}\`), or let it finish; nothing was changed.`,
    );
  }
  const changed = (child: OrganizationChild) =>
    (child.counts?.attached ?? 0) + (child.counts?.replaced ?? 0) > 0;
  const accounts: OrganizationAccount[] = [];
  const leftOut: OrganizationRecord['leftOut'] = [];
  for (const account of original.accounts) {
    const children = original.children.filter((c) => c.accountId === account.accountId);
    const regions = children.filter(changed).map((c) => c.regionId);
    if (regions.length > 0) accounts.push({ ...account, regions });
    else
      leftOut.push({
        accountId: account.accountId,
        reason: `nothing to roll back (${children.map((c) => `${c.regionId} ${c.status}`).join(', ')})`,
      });
  }
  return {
    input: { kind: 'rollback', of: organizationId, ramRoleName: original.ramRoleName },
    origin: 'rollback',
    accounts,
    leftOut,
    accountConcurrency: original.accountConcurrency,
  };
}

async function cancelChildren(record: OrganizationRecord, deps: OrganizationDeps): Promise<void> {
  for (const account of record.accounts) {
    const children = record.children.filter((c) => c.accountId === account.accountId && OPEN.has(c.status));
    if (children.length === 0) continue;
    let depsFor: ((regionId: string) => EngineDeps) | undefined;
    try {
      depsFor = await deps.accountDeps(account, record.organizationId);
    } catch (error) {
      if (!(error instanceof RoleAttachError)) throw error;
    }
    for (const child of children) {
      if (child.status === 'Pending') {
        const exists = await deps.store.load(child.executionId).then(
          () => true,
          () => false,
        );
        if (!exists) {
          child.status = 'Cancelled';
          child.reason = 'cancelled before it started';
          continue;
        }
      }
      // Without the member's clients the cancel still lands (interrupted writes settle on the next run).
      const engine = depsFor?.(child.regionId) ?? {
        store: deps.store,
        clock: deps.clock,
        logger: deps.logger,
      };
      try {
        recordReport(child, await controlExecution(child.executionId, 'cancel', engine));
      } catch (error) {
        if (!(error instanceof RoleAttachError)) throw error;
        child.reason = error.message;
      }
    }
  }
}

/** The parent's status from its children's. */
function settleParent(record: OrganizationRecord): void {
  const statuses = record.children.map((c) => c.status);
  const count = (status: ChildStatus) => statuses.filter((s) => s === status).length;
  delete record.statusReason;
  if (count('Pending') + count('Running') > 0) {
    record.status = 'Running';
    record.statusReason = `${count('Pending') + count('Running')} of ${statuses.length} children unfinished; resume ${record.organizationId} to go on`;
  } else if (count('Waiting') > 0) {
    record.status = 'Waiting';
    record.statusReason = `${count('Waiting')} children paused; resume, retry or cancel ${record.organizationId}`;
  } else if (count('Failed') > 0) {
    record.status = 'Failed';
    record.statusReason = `${count('Failed')} of ${statuses.length} children failed`;
  } else if (count('Cancelled') > 0) {
    record.status = 'Cancelled';
  } else {
    record.status = 'Success';
  }
}

/** The aggregated report of a parent execution: per account and region, totals, failures by code. */
export interface OrganizationReport {
  organizationId: string;
  kind: OrganizationRecord['kind'];
  /** `Planned` for a dry run (the counts are the predicted outcomes; nothing was written or stored). */
  status: ExecutionStatus;
  statusReason?: string;
  ramRoleName: string;
  /** A rollback parent: the parent it rolls back. */
  rollbackOf?: string;
  accounts: {
    accountId: string;
    displayName: string;
    /** Failed when any of its children failed, else the least finished child status. */
    status: ChildStatus;
    regions: OrganizationChild[];
  }[];
  leftOut: OrganizationRecord['leftOut'];
  totals: {
    accounts: number;
    children: number;
    childrenByStatus: Partial<Record<ChildStatus, number>>;
    /** Instances examined. */
    targets: number;
    /** Bore the role before (compliant). */
    alreadyAttached: number;
    attached: number;
    replaced: number;
    skipped: number;
    failed: number;
    notAttempted: number;
    /** alreadyAttached + attached + replaced. */
    compliantAfter: number;
    /** Rollback parents: roles detached, and previous roles restored. */
    detached: number;
    restored: number;
  };
  /** Failed instances by code, plus account- and child-level failures (one per child). */
  failuresByCode: Record<string, number>;
}

export function organizationReport(record: OrganizationRecord): OrganizationReport {
  const totals: OrganizationReport['totals'] = {
    accounts: record.accounts.length,
    children: record.children.length,
    childrenByStatus: {},
    targets: 0,
    alreadyAttached: 0,
    attached: 0,
    replaced: 0,
    skipped: 0,
    failed: 0,
    notAttempted: 0,
    compliantAfter: 0,
    detached: 0,
    restored: 0,
  };
  const failuresByCode: Record<string, number> = {};
  for (const child of record.children) {
    totals.childrenByStatus[child.status] = (totals.childrenByStatus[child.status] ?? 0) + 1;
    const c = child.counts;
    if (c) {
      totals.targets += c.total;
      totals.alreadyAttached += c.alreadyAttached;
      totals.attached += c.attached;
      totals.replaced += c.replaced;
      totals.skipped += c.skipped;
      totals.failed += c.failed;
      totals.notAttempted += c.cancelled + c.pending;
      totals.detached += c.detached ?? 0;
      totals.restored += c.restored ?? 0;
    }
    for (const [code, n] of Object.entries(child.failuresByCode ?? {}))
      failuresByCode[code] = (failuresByCode[code] ?? 0) + n;
    if (child.status === 'Failed' && child.code !== undefined && !c)
      failuresByCode[child.code] = (failuresByCode[child.code] ?? 0) + 1;
  }
  totals.compliantAfter = totals.alreadyAttached + totals.attached + totals.replaced;
  const order: ChildStatus[] = ['Failed', 'Pending', 'Running', 'Waiting', 'Cancelled', 'Planned', 'Success'];
  return {
    organizationId: record.organizationId,
    kind: record.kind,
    status: record.status,
    ...(record.statusReason ? { statusReason: record.statusReason } : {}),
    ramRoleName: record.ramRoleName,
    ...(record.rollbackOf === undefined ? {} : { rollbackOf: record.rollbackOf }),
    accounts: record.accounts.map((account) => {
      const regions = record.children.filter((c) => c.accountId === account.accountId);
      const status = order.find((s) => regions.some((c) => c.status === s)) ?? 'Success';
      return { accountId: account.accountId, displayName: account.displayName, status, regions };
    }),
    leftOut: record.leftOut,
    totals,
    failuresByCode,
  };
}

/** One line per account and region, then totals, for terminals and logs. */
export function renderOrganizationText(report: OrganizationReport): string {
  const planned = report.status === 'Planned';
  const rollback = report.kind === 'rollback';
  const what = rollback
    ? `rollback of ${report.rollbackOf ?? '?'}, role ${report.ramRoleName}`
    : `${report.kind} of role ${report.ramRoleName}`;
  const lines = [
    planned
      ? `Organization dry run (${what}): plan only, nothing written or stored${report.statusReason ? ` — ${report.statusReason}` : ''}`
      : `Organization execution ${report.organizationId} (${what}): ${report.status}${report.statusReason ? ` — ${report.statusReason}` : ''}`,
  ];
  const would = planned ? 'would be ' : '';
  const changes = (c: Pick<ExecutionCounts, 'attached' | 'replaced' | 'detached' | 'restored'>) =>
    rollback
      ? `${would}detached ${c.detached ?? 0}, ${would}restored ${c.restored ?? 0}`
      : `${would}attached ${c.attached + c.replaced}`;
  for (const account of report.accounts) {
    lines.push(
      `  account ${account.accountId}${account.displayName ? ` (${account.displayName})` : ''}: ${account.status}`,
    );
    for (const child of account.regions) {
      const c = child.counts;
      const figures = c
        ? ` — targets ${c.total}: ${rollback ? '' : `already ${c.alreadyAttached}, `}${changes(c)}, ${would}skipped ${c.skipped}, ${would}failed ${c.failed}${c.cancelled + c.pending ? `, not attempted ${c.cancelled + c.pending}` : ''}`
        : '';
      lines.push(
        `    ${child.regionId}: ${child.status}${figures}${child.reason && child.status !== 'Success' ? ` (${child.reason})` : ''}${planned ? '' : ` [${child.executionId}]`}`,
      );
      if (child.sources) lines.push(...renderSources(child.sources).map((line) => `  ${line}`));
    }
  }
  for (const left of report.leftOut) lines.push(`  left out ${left.accountId}: ${left.reason}`);
  const t = report.totals;
  lines.push(
    `  total: ${t.accounts} accounts, ${t.children} account-regions (${Object.entries(t.childrenByStatus)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}); ${t.targets} instances: ${
      rollback
        ? changes(t)
        : planned
          ? `${t.alreadyAttached} bear ${report.ramRoleName} already, ${changes(t)}`
          : `${t.compliantAfter} bear ${report.ramRoleName} now (${t.alreadyAttached} already, ${t.attached + t.replaced} attached now)`
    }, ${would}skipped ${t.skipped}, ${would}failed ${t.failed}${t.notAttempted && !planned ? `, ${t.notAttempted} not attempted` : ''}`,
  );
  const codes = Object.entries(report.failuresByCode);
  if (codes.length > 0)
    lines.push(`  failures by code: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  if (report.status === 'Waiting' || report.status === 'Running')
    lines.push(`  next: ecs-role-attach resume ${report.organizationId}`);
  const ended = !planned && report.status !== 'Waiting' && report.status !== 'Running';
  if (ended && !rollback && t.attached + t.replaced > 0)
    lines.push(`  undo: ecs-role-attach rollback ${report.organizationId} --dry-run`);
  return `${lines.join('\n')}\n`;
}
