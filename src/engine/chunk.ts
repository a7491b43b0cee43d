/**
 * One API write over a chunk of up to 100 instances, turned into one outcome per instance.
 * Used by batch executions and directly by the event path.
 */

import { MAX_IDS_PER_WRITE } from './defaults.js';
import { CallRefusedError, CloudApiError, refusalKind } from './errors.js';
import type { EcsApi, InstanceCallResult } from './ports.js';
import type { InstanceOutcome, SkipReason } from './types.js';

/**
 * Whole-call errors caused by one instance among many: split the call to isolate it. A vanished or
 * classic instance ends Skipped; one whose status or role refuses the write (ECS answers
 * `IncorrectInstanceStatus` request-level everywhere else; "already has a role" may come either way) is
 * settled like a per-instance failure.
 */
const ISOLATABLE_CODES: Readonly<Record<string, SkipReason | 'settle'>> = {
  'InvalidInstanceId.NotFound': 'Gone',
  'InvalidNetworkType.MismatchRamRole': 'ClassicNetwork',
  IncorrectInstanceStatus: 'settle',
  RamRoleAlreadyAttached: 'settle',
};

/**
 * Throws {@link CallRefusedError} when `error` refused the call for the caller (permissions, credentials,
 * throttling past its budget); `settled` are outcomes to record before the execution stops.
 */
function throwIfRefused(
  context: ChunkContext,
  error: unknown,
  instanceIds: readonly string[],
  settled: InstanceOutcome[] = [],
): void {
  if (!(error instanceof CloudApiError)) return;
  if (error instanceof CallRefusedError) throw error;
  const kind = refusalKind(error.code);
  if (kind === undefined) return;
  throw new CallRefusedError({ kind, error, instanceIds, ramRoleName: context.ramRoleName, settled });
}

/**
 * Splits `items` into consecutive chunks of at most `size` (by default {@link MAX_IDS_PER_WRITE}, the most
 * ids one Attach/DetachInstanceRamRole call takes): the one chunker of the engine and the adapters.
 */
export function chunk<T>(items: readonly T[], size: number = MAX_IDS_PER_WRITE): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** One API write's fixed parts: a chunk has one role (and one policy) because the API takes one per call. */
export interface ChunkContext {
  ecs: EcsApi;
  regionId: string;
  ramRoleName: string;
  /** AttachInstanceRamRole's extra restricting policy, sent with every attach of the chunk. */
  policy?: string;
}

/**
 * Attaches the role to `instanceIds` (1-100) in one call. A whole-call NotFound or classic-network
 * error is bisected so that only the offending ids end Skipped (Gone / ClassicNetwork). Per-instance
 * failures and unexpected call errors are checked against DescribeInstanceRamRole before being
 * recorded as Failed.
 *
 * Contract: callers pass only instances that planning found NOT bearing the role (work `attach`).
 * So an instance that bears the role after this call is recorded `Attached`, never `AlreadyAttached`:
 * the usual cause is our own call landing before the connection broke (the adapters retry network
 * errors, and the retry then gets a per-instance "already attached"). Recording it as ours keeps
 * rollback (which undoes only Attached/Replaced) and the compliance counts right; the price is that an
 * attach by another path in the same instant is also counted as ours.
 */
export async function attachChunk(context: ChunkContext, instanceIds: string[]): Promise<InstanceOutcome[]> {
  let results: InstanceCallResult[];
  try {
    results = await context.ecs.attachInstanceRamRole(
      context.regionId,
      context.ramRoleName,
      instanceIds,
      ...(context.policy === undefined ? [] : [context.policy]),
    );
  } catch (error) {
    throwIfRefused(context, error, instanceIds);
    const reason = error instanceof CloudApiError ? ISOLATABLE_CODES[error.code] : undefined;
    if (reason) {
      if (instanceIds.length === 1) {
        const { code, message } = describeError(error);
        if (reason === 'settle') {
          return settleAttachFailures(context, [{ instanceId: instanceIds[0]!, code, message }]);
        }
        return [{ instanceId: instanceIds[0]!, outcome: 'Skipped', reason, message: code }];
      }
      const middle = Math.ceil(instanceIds.length / 2);
      const left = await attachChunk(context, instanceIds.slice(0, middle));
      const right = await attachChunk(context, instanceIds.slice(middle));
      return [...left, ...right];
    }
    const { code, message } = describeError(error);
    return settleAttachFailures(
      context,
      instanceIds.map((instanceId) => ({ instanceId, code, message })),
    );
  }
  const byId = new Map(results.map((result) => [result.instanceId, result]));
  const outcomes: InstanceOutcome[] = [];
  const failures: CallFailure[] = [];
  for (const instanceId of instanceIds) {
    const result = byId.get(instanceId);
    if (result?.success) outcomes.push({ instanceId, outcome: 'Attached' });
    else
      failures.push({
        instanceId,
        code: result?.code ?? 'NoResult',
        message: result?.message ?? 'AttachInstanceRamRole returned no result for this instance',
      });
  }
  if (failures.length === 0) return outcomes;
  return [...outcomes, ...(await settleAttachFailures(context, failures))];
}

/**
 * Replace: detach the role planning saw (`previousRoles`, one DetachInstanceRamRole per planned role,
 * with `RamRoleName` set so that a role changed since planning is not touched), then attach ours.
 *
 * Every detach failure (per instance, or the whole call throwing) is settled by reading the current
 * role, because a failure does not mean nothing happened: a rerun after a crash between detach and
 * attach, or an adapter retry after a detach that landed, answers "no role attached".
 * - no role: the detach is done, attach ours (Replaced with the planned previous role);
 * - ours: done earlier (Replaced);
 * - the planned previous role: Failed with the detach error;
 * - another role: Failed `RoleChanged`, left alone.
 */
export async function replaceChunk(
  context: ChunkContext,
  instanceIds: string[],
  previousRoles: ReadonlyMap<string, string>,
): Promise<InstanceOutcome[]> {
  const planned = (id: string): string => previousRoles.get(id) ?? '';
  const byRole = new Map<string, string[]>();
  for (const id of instanceIds) byRole.set(planned(id), [...(byRole.get(planned(id)) ?? []), id]);

  const detached: string[] = [];
  const failures: CallFailure[] = [];
  for (const [role, ids] of byRole) {
    try {
      // An empty planned role (not expected for replace work) detaches whatever is there.
      const results = await context.ecs.detachInstanceRamRole(context.regionId, ids, role || undefined);
      const byId = new Map(results.map((result) => [result.instanceId, result]));
      for (const instanceId of ids) {
        const result = byId.get(instanceId);
        if (result?.success) detached.push(instanceId);
        else
          failures.push({
            instanceId,
            code: result?.code ?? 'NoResult',
            message: result?.message ?? 'DetachInstanceRamRole returned no result for this instance',
          });
      }
    } catch (error) {
      // Detached earlier in this chunk and not attached again: recorded before the execution stops.
      throwIfRefused(context, error, instanceIds, detachedButNotAttached(context, detached, planned));
      const { code, message } = describeError(error);
      for (const instanceId of ids) failures.push({ instanceId, code, message });
    }
  }

  const outcomes: InstanceOutcome[] = [];
  if (failures.length > 0) {
    const roles = await currentRoles(context, failures);
    for (const { instanceId, code, message } of failures) {
      const previousRole = planned(instanceId);
      if (roles === undefined) {
        outcomes.push({
          instanceId,
          outcome: 'Failed',
          code,
          message: `could not detach role ${previousRole} (current role unknown: DescribeInstanceRamRole failed too): ${message}`,
        });
        continue;
      }
      // Absent = unknown id: attaching settles it (Skipped Gone) like any vanished instance.
      const role = roles.get(instanceId);
      if (role === undefined || role === '') detached.push(instanceId);
      else if (role === context.ramRoleName) outcomes.push({ instanceId, outcome: 'Replaced', previousRole });
      else if (role === previousRole) {
        outcomes.push({
          instanceId,
          outcome: 'Failed',
          code,
          message: `could not detach role ${previousRole}: ${message}`,
        });
      } else {
        outcomes.push({
          instanceId,
          outcome: 'Failed',
          code: 'RoleChanged',
          message: `bears role ${role} now, not the planned ${previousRole}; left alone`,
        });
      }
    }
  }
  if (detached.length === 0) return outcomes;
  let attached: InstanceOutcome[];
  try {
    attached = await attachChunk(context, detached);
  } catch (error) {
    if (!(error instanceof CallRefusedError)) throw error;
    throw error.withSettled([...outcomes, ...detachedButNotAttached(context, detached, planned, error.code)]);
  }
  for (const outcome of attached) outcomes.push(afterReplaceAttach(outcome, planned(outcome.instanceId)));
  return outcomes;
}

/**
 * The outcome of an attach that follows a detach of the same instance (a replace, its settlement after a
 * crash, a rollback's restore): success is `ok` (Replaced / Restored), a failure gets the message
 * `failed` writes (the instance was left without the detached role), anything else (Skipped) stays.
 */
export function afterReattach(
  outcome: InstanceOutcome,
  ok: InstanceOutcome,
  failed: (message: string) => string,
): InstanceOutcome {
  if (outcome.outcome === 'Attached' || outcome.outcome === 'AlreadyAttached') return ok;
  if (outcome.outcome === 'Failed') return { ...outcome, message: failed(outcome.message) };
  return outcome;
}

/** {@link afterReattach} for a replace: Replaced with the role it detached. */
export function afterReplaceAttach(outcome: InstanceOutcome, previousRole: string): InstanceOutcome {
  return afterReattach(
    outcome,
    { instanceId: outcome.instanceId, outcome: 'Replaced', previousRole },
    (message) => `role ${previousRole} was detached but attaching failed: ${message}`,
  );
}

/**
 * Detach (rollback): detaches `ramRoleName` from the instances. A failure, per instance or of the
 * whole call, is settled by reading the current role: an instance that no longer bears ours (an
 * earlier attempt landed, or someone removed it) counts as detached (`success`, code "200"). When the
 * roles cannot be read after per-instance failures, those failures are returned as they are.
 */
export async function detachChunk(
  context: ChunkContext,
  instanceIds: string[],
): Promise<InstanceCallResult[]> {
  let results: InstanceCallResult[];
  try {
    results = await context.ecs.detachInstanceRamRole(context.regionId, instanceIds, context.ramRoleName);
  } catch (error) {
    throwIfRefused(context, error, instanceIds);
    const { code, message } = describeError(error);
    const roles = await context.ecs.describeInstanceRamRoles(context.regionId, instanceIds);
    return instanceIds.map((instanceId) => settleDetach(context, roles, { instanceId, code, message }));
  }
  const failed = results.filter((result) => !result.success);
  if (failed.length === 0) return results;
  const roles = await currentRoles(context, failed);
  if (roles === undefined) return results;
  return results.map((result) => (result.success ? result : settleDetach(context, roles, result)));
}

/**
 * Instances whose old role this chunk detached while the execution stops before attaching ours: they bear
 * no role now, which an operator must see (Failed), not a pending target.
 */
function detachedButNotAttached(
  context: ChunkContext,
  detached: readonly string[],
  planned: (id: string) => string,
  code = 'AttachNotAttempted',
): InstanceOutcome[] {
  return detached.map((instanceId) => ({
    instanceId,
    outcome: 'Failed',
    code,
    message: `role ${planned(instanceId)} was detached, but ${context.ramRoleName} could not be attached: the call was refused for the caller; retry attaches it`,
  }));
}

interface CallFailure {
  instanceId: string;
  code: string;
  message: string;
}

function settleDetach(
  context: ChunkContext,
  roles: ReadonlyMap<string, string | undefined>,
  failure: CallFailure,
): InstanceCallResult {
  const gone = roles.get(failure.instanceId) !== context.ramRoleName;
  return gone
    ? { instanceId: failure.instanceId, success: true, code: '200', message: 'success' }
    : { ...failure, success: false };
}

/** The current roles of the failed instances, or `undefined` when they cannot be read. */
async function currentRoles(
  context: ChunkContext,
  failures: readonly { instanceId: string }[],
): Promise<Map<string, string | undefined> | undefined> {
  try {
    return await context.ecs.describeInstanceRamRoles(
      context.regionId,
      failures.map((failure) => failure.instanceId),
    );
  } catch {
    return undefined;
  }
}

/**
 * Attach failures: instances that bear the role now are `Attached` (see {@link attachChunk}'s
 * contract), the rest Failed with the call's error.
 */
async function settleAttachFailures(
  context: ChunkContext,
  failures: CallFailure[],
): Promise<InstanceOutcome[]> {
  const roles = await currentRoles(context, failures);
  return failures.map(({ instanceId, code, message }): InstanceOutcome => {
    if (roles?.get(instanceId) === context.ramRoleName) return { instanceId, outcome: 'Attached' };
    return { instanceId, outcome: 'Failed', code, message };
  });
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof CloudApiError) return { code: error.code, message: error.message };
  return { code: 'InternalError', message: error instanceof Error ? error.message : String(error) };
}
