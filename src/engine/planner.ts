/**
 * Planning: role check, target resolution, classification of every target, batches.
 * Reads only (GetRole, DescribeInstances, DescribeInstanceRamRole); never writes.
 */

import { RoleNotUsableError } from './errors.js';
import type { EcsApi, RamApi } from './ports.js';
import { planBatches, resolveMaxErrors } from './rateControl.js';
import { ineligibility, resolveTargets, targetRegion } from './targets.js';
import { trustsEcs } from './trust.js';
import type { ExecutionParameters, ExecutionPlan, PlannedTarget } from './types.js';

export interface PlannerDeps {
  ecs: EcsApi;
  ram: RamApi;
}

/**
 * Checks that the role exists and trusts ECS; throws {@link RoleNotUsableError} with an actionable
 * message otherwise (so that no attach call is ever made with it).
 */
export async function assertRoleUsable(ram: RamApi, roleName: string): Promise<void> {
  const role = await ram.getRole(roleName);
  if (!role) {
    throw new RoleNotUsableError(
      roleName,
      'RoleNotFound',
      `RAM role "${roleName}" does not exist in this account. Create it (trusted entity: Alibaba Cloud service ECS) or pass the right --role; no instance was changed.`,
    );
  }
  if (!trustsEcs(role.assumeRolePolicy)) {
    throw new RoleNotUsableError(
      roleName,
      'RoleNotTrustedByEcs',
      `RAM role "${roleName}" (${role.arn}) does not trust ecs.aliyuncs.com, so ECS would refuse it (InvalidRamRole.NotEcsRole). Add {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}} to its trust policy; no instance was changed.`,
    );
  }
}

/**
 * Builds the plan of an execution: every target resolved once, in order, with the outcome decided
 * now where no write is needed (AlreadyAttached, Skipped) or the work it needs (attach, replace,
 * conflict), then the work split into batches.
 */
export async function planExecution(
  executionId: string,
  parameters: ExecutionParameters,
  deps: PlannerDeps,
): Promise<ExecutionPlan> {
  // The role check runs beside the first DescribeInstances pages (reads only); a failed check stops
  // paging at the next page, and nothing is written before it has passed.
  let roleError: unknown;
  const roleCheck = assertRoleUsable(deps.ram, parameters.ramRoleName).catch((error: unknown) => {
    roleError = error;
  });
  const region = targetRegion(parameters.targets, parameters.regionId);
  // Role lookups start page by page while DescribeInstances pages on: the two actions have separate
  // quotas, so planning takes about as long as the slower of the two instead of their sum.
  const excludedIds = new Set(parameters.exclusions.instanceIds);
  const lookups: Promise<Map<string, string | undefined>>[] = [];
  const resolved = await resolveTargets(parameters.targets, parameters.regionId, deps.ecs, (page) => {
    if (roleError !== undefined) throw roleError;
    const ids = page
      .filter((instance) => !ineligibility(instance, parameters.exclusions, excludedIds))
      .map((instance) => instance.instanceId);
    if (ids.length === 0) return;
    const lookup = deps.ecs.describeInstanceRamRoles(region, ids);
    lookup.catch(() => undefined); // awaited below; marked handled so paging can go on meanwhile
    lookups.push(lookup);
  });

  await roleCheck;
  if (roleError !== undefined) throw roleError;
  const roles = new Map<string, string | undefined>();
  for (const found of await Promise.all(lookups)) for (const [id, role] of found) roles.set(id, role);
  if (lookups.length === 0) {
    // An adapter that does not report pages: look every eligible instance up now.
    const eligible = resolved.instances
      .filter((instance) => !ineligibility(instance, parameters.exclusions, excludedIds))
      .map((instance) => instance.instanceId);
    if (eligible.length > 0) {
      for (const [id, role] of await deps.ecs.describeInstanceRamRoles(region, eligible)) roles.set(id, role);
    }
  }

  const targets: PlannedTarget[] = resolved.instances.map((instance) => {
    const decided = ineligibility(instance, parameters.exclusions, excludedIds);
    return decided
      ? { instanceId: instance.instanceId, decided }
      : classify(instance.instanceId, roles.get(instance.instanceId), parameters);
  });
  for (const instanceId of resolved.missingIds) {
    targets.push({
      instanceId,
      decided: { instanceId, outcome: 'Skipped', reason: 'Gone', message: `not found in ${region}` },
    });
  }

  const work = targets.filter((target) => target.work !== undefined).map((target) => target.instanceId);
  return {
    executionId,
    targets,
    batches: planBatches(work, parameters.rateControl),
    maxErrors: resolveMaxErrors(parameters.rateControl.MaxErrors, work.length),
  };
}

/**
 * What an eligible instance needs, from the role it bears. An id absent from the role lookup is
 * treated as role-less: whether DescribeInstanceRamRole lists instances without a role is
 * unconfirmed, and a released instance is caught by the attach bisect.
 */
function classify(
  instanceId: string,
  role: string | undefined,
  parameters: ExecutionParameters,
): PlannedTarget {
  if (role === undefined || role === '') return { instanceId, work: 'attach' };
  if (role === parameters.ramRoleName)
    return { instanceId, decided: { instanceId, outcome: 'AlreadyAttached' } };
  if (parameters.onConflict === 'skip') {
    return {
      instanceId,
      currentRole: role,
      decided: {
        instanceId,
        outcome: 'Skipped',
        reason: 'OtherRole',
        message: `bears role ${role}; onConflict is skip`,
      },
    };
  }
  return {
    instanceId,
    currentRole: role,
    work: parameters.onConflict === 'replace' ? 'replace' : 'conflict',
  };
}
