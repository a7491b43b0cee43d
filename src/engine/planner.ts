/**
 * Planning: role check, target resolution, classification of every target, batches.
 * Reads only (GetRole, DescribeInstances, DescribeInstanceRamRole); never writes.
 */

import { RoleNotUsableError } from './errors.js';
import { exemptionNotice } from './exclusions.js';
import { acceptedOutcome } from './execution/report.js';
import type { Clock, EcsApi, RamApi } from './ports.js';
import { planBatches, resolveMaxErrors } from './rateControl.js';
import { assignmentOf, compileRules, isAcceptedRole, type RuleMatcher, rolesToCheck } from './rules.js';
import { ineligibility, inOrder, scanTargets, targetRegion } from './targets.js';
import { trustsEcs } from './trust.js';
import type {
  ExecutionParameters,
  ExecutionPlan,
  ExemptionNotice,
  InstanceInfo,
  PlannedTarget,
} from './types.js';

export interface PlannerDeps {
  ecs: EcsApi;
  ram: RamApi;
  /** Decides whether exemptions (exclusion tags with `until=`) have expired. */
  clock: Pick<Clock, 'now'>;
}

/**
 * Checks that the role exists and trusts ECS; throws {@link RoleNotUsableError} with an actionable
 * message otherwise (so that no attach call is ever made with it). `rule` names the role rule that
 * assigns it, when there is one.
 */
export async function assertRoleUsable(ram: RamApi, roleName: string, rule?: string): Promise<void> {
  const role = await ram.getRole(roleName);
  const whose = rule === undefined ? `RAM role "${roleName}"` : `RAM role "${roleName}" of rule "${rule}"`;
  const fix = rule === undefined ? 'pass the right --role' : `fix rule "${rule}"`;
  if (!role) {
    throw new RoleNotUsableError(
      roleName,
      'RoleNotFound',
      `${whose} does not exist in this account. Create it (trusted entity: Alibaba Cloud service ECS) or ${fix}; no instance was changed.`,
      rule,
    );
  }
  if (!trustsEcs(role.assumeRolePolicy)) {
    throw new RoleNotUsableError(
      roleName,
      'RoleNotTrustedByEcs',
      `${whose} (${role.arn}) does not trust ecs.aliyuncs.com, so ECS would refuse it (InvalidRamRole.NotEcsRole). Add {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}} to its trust policy; no instance was changed.`,
      rule,
    );
  }
}

/**
 * Checks every role the execution may attach (each rule's role, once) before any write; the first
 * unusable one, in rule order, is thrown.
 */
export async function assertRolesUsable(ram: RamApi, parameters: ExecutionParameters): Promise<void> {
  const checks = rolesToCheck(parameters);
  const results = await Promise.allSettled(checks.map(({ role, rule }) => assertRoleUsable(ram, role, rule)));
  for (const result of results) if (result.status === 'rejected') throw result.reason;
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
  return planInPages(executionId, parameters, deps);
}

/** A plan and what planning saw: every instance found and the role of each instance it looked up. */
export interface ObservedPlan {
  plan: ExecutionPlan;
  /** The instances DescribeInstances returned (ids it did not return are `Gone` targets). */
  instances: InstanceInfo[];
  /** The role of every instance looked up (`undefined`: none); ineligible ones are not looked up (no entry). */
  roles: ReadonlyMap<string, string | undefined>;
}

/** {@link planExecution}, also returning what it observed (a reviewed plan's snapshot, see reviewedPlan.ts). */
export async function observeAndPlan(
  executionId: string,
  parameters: ExecutionParameters,
  deps: PlannerDeps,
): Promise<ObservedPlan> {
  const observed = { instances: [] as InstanceInfo[], roles: new Map<string, string | undefined>() };
  const plan = await planInPages(executionId, parameters, deps, observed);
  return { plan, ...observed };
}

/**
 * Plans page by page: each DescribeInstances page is classified as it arrives (ineligible, no rule, or
 * waiting for its role) and its role lookup started; each lookup classifies its targets when it answers.
 * Only the targets are kept, not the instances (their tags and attributes), unless `observed` asks for
 * them: a dry run over 100,000 instances no longer holds every instance's tags and attributes until the
 * end (docs/benchmarks.md §4).
 */
async function planInPages(
  executionId: string,
  parameters: ExecutionParameters,
  deps: PlannerDeps,
  observed?: { instances: InstanceInfo[]; roles: Map<string, string | undefined> },
): Promise<ExecutionPlan> {
  // The role check runs beside the first DescribeInstances pages (reads only); a failed check stops
  // paging at the next page, and nothing is written before it has passed.
  let roleError: unknown;
  const roleCheck = assertRolesUsable(deps.ram, parameters).catch((error: unknown) => {
    roleError = error;
  });
  const matcher: RuleMatcher | undefined = parameters.rules ? compileRules(parameters.rules) : undefined;
  const region = targetRegion(parameters.targets, parameters.regionId);
  const excludedIds = new Set(parameters.exclusions.instanceIds);
  const now = deps.clock.now();
  const targets: PlannedTarget[] = [];
  const exemptions: ExemptionNotice[] = [];
  // Role lookups start page by page while DescribeInstances pages on: the two actions have separate
  // quotas, so planning takes about as long as the slower of the two instead of their sum.
  const lookups: Promise<void>[] = [];
  const scan = await scanTargets(parameters.targets, parameters.regionId, deps.ecs, (page) => {
    if (roleError !== undefined) throw roleError;
    const waiting: number[] = [];
    for (const instance of page) {
      observed?.instances.push(instance);
      const notice = exemptionNotice(instance, parameters.exclusions, now);
      if (notice) exemptions.push(notice);
      const { instanceId } = instance;
      const decided = ineligibility(instance, parameters.exclusions, now, excludedIds);
      if (decided) {
        targets.push({ instanceId, decided });
        continue;
      }
      if (matcher) {
        // Instances no rule matches need no role lookup: they end Skipped/NoRule.
        const rule = matcher(instance);
        if (rule === undefined) {
          targets.push(noRule(instanceId));
          continue;
        }
        targets.push({ instanceId, rule });
      } else {
        targets.push({ instanceId });
      }
      waiting.push(targets.length - 1);
    }
    if (waiting.length === 0) return;
    const lookup = deps.ecs
      .describeInstanceRamRoles(
        region,
        waiting.map((index) => (targets[index] as PlannedTarget).instanceId),
      )
      .then((found) => {
        for (const index of waiting) {
          const target = targets[index] as PlannedTarget;
          const role = found.get(target.instanceId);
          // Every id looked up gets an entry (undefined: no role), so that `roles` also says which were.
          observed?.roles.set(target.instanceId, role);
          targets[index] = classify(target, role, parameters);
        }
      });
    lookup.catch(() => undefined); // awaited below; marked handled so paging can go on meanwhile
    lookups.push(lookup);
  });

  await roleCheck;
  if (roleError !== undefined) throw roleError;
  // In page order, so that the first failed lookup is the one reported.
  for (const lookup of lookups) await lookup;
  const ordered = scan.order ? inOrder(targets, scan.order) : targets;
  for (const instanceId of scan.missingIds) {
    ordered.push({
      instanceId,
      decided: { instanceId, outcome: 'Skipped', reason: 'Gone', message: `not found in ${region}` },
    });
  }
  const notices = scan.order ? inOrder(exemptions, scan.order) : exemptions;
  return withBatches(
    { executionId, targets: ordered, ...(notices.length > 0 ? { exemptions: notices } : {}) },
    parameters,
  );
}

/** Completes a plan's targets with their batches and absolute MaxErrors (from the work they need). */
export function withBatches(
  plan: Omit<ExecutionPlan, 'batches' | 'maxErrors'>,
  parameters: Pick<ExecutionParameters, 'rateControl'>,
): ExecutionPlan {
  const work = plan.targets.filter((target) => target.work !== undefined).map((target) => target.instanceId);
  return {
    executionId: plan.executionId,
    targets: plan.targets,
    batches: planBatches(work, parameters.rateControl),
    maxErrors: resolveMaxErrors(parameters.rateControl.MaxErrors, work.length),
    ...(plan.exemptions ? { exemptions: plan.exemptions } : {}),
  };
}

/**
 * What an eligible instance needs, from the role it bears. An id absent from the role lookup is
 * treated as role-less: whether DescribeInstanceRamRole lists instances without a role is
 * unconfirmed, and a released instance is caught by the attach bisect.
 */
function classify(
  target: Pick<PlannedTarget, 'instanceId' | 'rule'>,
  role: string | undefined,
  parameters: ExecutionParameters,
): PlannedTarget {
  const { instanceId } = target;
  if (role === undefined || role === '') return { ...target, work: 'attach' };
  const assignment = assignmentOf(parameters, target);
  if (role === assignment.role) return { ...target, decided: { instanceId, outcome: 'AlreadyAttached' } };
  if (isAcceptedRole(parameters, role)) {
    return {
      ...target,
      currentRole: role,
      decided: acceptedOutcome(instanceId, role),
    };
  }
  if (assignment.onConflict === 'skip') {
    return {
      ...target,
      currentRole: role,
      decided: {
        instanceId,
        outcome: 'Skipped',
        reason: 'OtherRole',
        message: `bears role ${role}; onConflict is skip`,
      },
    };
  }
  return { ...target, currentRole: role, work: assignment.onConflict === 'replace' ? 'replace' : 'conflict' };
}

function noRule(instanceId: string): PlannedTarget {
  return {
    instanceId,
    decided: { instanceId, outcome: 'Skipped', reason: 'NoRule', message: 'no role rule matches it' },
  };
}
