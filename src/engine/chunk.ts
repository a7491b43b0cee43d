/**
 * One API write over a chunk of up to 100 instances, turned into one outcome per instance.
 * Used by batch executions and directly by the event path.
 */
import { CloudApiError } from './errors.js';
import type { EcsApi, InstanceCallResult } from './ports.js';
import type { InstanceOutcome, SkipReason } from './types.js';

/** Whole-call errors caused by one bad id among many: split the call to isolate it. */
const ISOLATABLE_CODES: Readonly<Record<string, SkipReason>> = {
  'InvalidInstanceId.NotFound': 'Gone',
  'InvalidNetworkType.MismatchRamRole': 'ClassicNetwork',
};

export interface ChunkContext {
  ecs: EcsApi;
  regionId: string;
  ramRoleName: string;
}

/**
 * Attaches the role to `instanceIds` (1-100) in one call. A whole-call NotFound or classic-network
 * error is bisected so that only the offending ids end Skipped (Gone / ClassicNetwork). Per-instance
 * failures and unexpected call errors are checked against DescribeInstanceRamRole before being
 * recorded as Failed: an instance that bears the role by then (another path attached it, or the call
 * landed before the connection broke) is not a failure.
 */
export async function attachChunk(context: ChunkContext, instanceIds: string[]): Promise<InstanceOutcome[]> {
  let results: InstanceCallResult[];
  try {
    results = await context.ecs.attachInstanceRamRole(context.regionId, context.ramRoleName, instanceIds);
  } catch (error) {
    const reason = error instanceof CloudApiError ? ISOLATABLE_CODES[error.code] : undefined;
    if (reason) {
      if (instanceIds.length === 1) {
        return [
          { instanceId: instanceIds[0]!, outcome: 'Skipped', reason, message: (error as CloudApiError).code },
        ];
      }
      const middle = Math.ceil(instanceIds.length / 2);
      const left = await attachChunk(context, instanceIds.slice(0, middle));
      const right = await attachChunk(context, instanceIds.slice(middle));
      return [...left, ...right];
    }
    const { code, message } = describeError(error);
    return settleFailures(
      context,
      instanceIds.map((instanceId) => ({ instanceId, code, message })),
      'Attached',
    );
  }
  const byId = new Map(results.map((result) => [result.instanceId, result]));
  const outcomes: InstanceOutcome[] = [];
  const failures: { instanceId: string; code: string; message: string }[] = [];
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
  return [...outcomes, ...(await settleFailures(context, failures, 'AlreadyAttached'))];
}

/**
 * Replace: detach whatever role the instances bear, then attach ours. `previousRoles` is what
 * planning saw, recorded so that rollback can restore it.
 */
export async function replaceChunk(
  context: ChunkContext,
  instanceIds: string[],
  previousRoles: ReadonlyMap<string, string>,
): Promise<InstanceOutcome[]> {
  let detached: string[];
  const outcomes: InstanceOutcome[] = [];
  try {
    const results = await context.ecs.detachInstanceRamRole(context.regionId, instanceIds);
    const byId = new Map(results.map((result) => [result.instanceId, result]));
    detached = [];
    for (const instanceId of instanceIds) {
      const result = byId.get(instanceId);
      if (result?.success) detached.push(instanceId);
      else
        outcomes.push({
          instanceId,
          outcome: 'Failed',
          code: result?.code ?? 'NoResult',
          message: `could not detach role ${previousRoles.get(instanceId)}: ${result?.message ?? 'no result'}`,
        });
    }
  } catch (error) {
    // Unknown whether anything was detached: look before deciding.
    const roles = await context.ecs.describeInstanceRamRoles(context.regionId, instanceIds);
    const { code, message } = describeError(error);
    detached = [];
    for (const instanceId of instanceIds) {
      const role = roles.get(instanceId);
      // Absent means no role here: whether DescribeInstanceRamRole lists role-less instances is unconfirmed.
      if (!role) detached.push(instanceId);
      else
        outcomes.push({
          instanceId,
          outcome: 'Failed',
          code,
          message: `could not detach role ${role}: ${message}`,
        });
    }
  }
  if (detached.length === 0) return outcomes;
  for (const outcome of await attachChunk(context, detached)) {
    if (outcome.outcome === 'Attached' || outcome.outcome === 'AlreadyAttached') {
      outcomes.push({
        instanceId: outcome.instanceId,
        outcome: 'Replaced',
        previousRole: previousRoles.get(outcome.instanceId) ?? '',
      });
    } else if (outcome.outcome === 'Failed') {
      outcomes.push({
        ...outcome,
        message: `role ${previousRoles.get(outcome.instanceId)} was detached but attaching failed: ${outcome.message}`,
      });
    } else outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * Detach (rollback): detaches `ramRoleName` from the instances; instances that no longer bear it
 * count as done.
 */
export async function detachChunk(
  context: ChunkContext,
  instanceIds: string[],
): Promise<InstanceCallResult[]> {
  try {
    return await context.ecs.detachInstanceRamRole(context.regionId, instanceIds, context.ramRoleName);
  } catch (error) {
    const { code, message } = describeError(error);
    const roles = await context.ecs.describeInstanceRamRoles(context.regionId, instanceIds);
    return instanceIds.map((instanceId) => {
      const gone = roles.get(instanceId) !== context.ramRoleName;
      return { instanceId, success: gone, code: gone ? '200' : code, message: gone ? 'success' : message };
    });
  }
}

/**
 * Instances whose write failed: those that bear the role now get `bearing` (Attached when our call
 * may have landed, AlreadyAttached when ECS said no), the rest Failed.
 */
async function settleFailures(
  context: ChunkContext,
  failures: { instanceId: string; code: string; message: string }[],
  bearing: 'Attached' | 'AlreadyAttached',
): Promise<InstanceOutcome[]> {
  let roles: Map<string, string | undefined> | undefined;
  try {
    roles = await context.ecs.describeInstanceRamRoles(
      context.regionId,
      failures.map((failure) => failure.instanceId),
    );
  } catch {
    roles = undefined;
  }
  return failures.map(({ instanceId, code, message }): InstanceOutcome => {
    if (roles?.get(instanceId) === context.ramRoleName) return { instanceId, outcome: bearing };
    return { instanceId, outcome: 'Failed', code, message };
  });
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof CloudApiError) return { code: error.code, message: error.message };
  return { code: 'InternalError', message: error instanceof Error ? error.message : String(error) };
}
