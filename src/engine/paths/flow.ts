/**
 * The `workflow` function's use-case: one decoded request of the CloudFlow flow (plan, step, await, an
 * operator's control, resume-events) → the engine step it calls, for one execution or an organization
 * parent (`org-…`). The FC handler decodes and validates the request, then calls {@link answerWorkflow}.
 */
import { planAccounts } from '../accounts.js';
import { RoleAttachError } from '../errors.js';
import { mergeExclusions } from '../exclusions.js';
import type { EngineDeps } from '../execution/deps.js';
import type { ReviewedPlan } from '../reviewedPlan.js';
import type { ConflictPolicy, Exclusions, ExecutionParameters, OperatorAction, RoleRules } from '../types.js';
import { resumeEventPath } from './event/index.js';
import { isOrganizationId, type OrganizationDeps } from './organization.js';
import type { TimerOrganization } from './timer.js';
import {
  awaitOrganizationStep,
  awaitStep,
  type CallbackDeps,
  controlOrganizationStep,
  controlStep,
  planOrganizationStep,
  planReviewedStep,
  planStep,
  runOrganizationStep,
  runStep,
} from './workflow.js';

/**
 * The `workflow` function's request, validated at the boundary (src/inputs/workflowRequest.ts): the flow's
 * plan/step/await bodies, or an operator's control input. A plan's input comes beside it
 * ({@link WorkflowPlanInput}).
 */
export type WorkflowRequest =
  | { action: 'plan'; executionName?: string }
  | { action: 'step'; executionId: string; budgetMs?: number }
  | { action: 'await'; executionId: string; taskToken: string }
  | { action: OperatorAction; executionId: string }
  | { action: 'resume-events'; regionId?: string; ramRoleName?: string };

/**
 * A plan request's input, validated at the boundary: the parameters and the organization scope if any,
 * or the store key of a reviewed plan (`{"plan":"store:<key>"}`).
 */
export type WorkflowPlanInput =
  | { parameters: ExecutionParameters; organization?: TimerOrganization & { regions: string[] } }
  | { reviewedPlan: string };

export interface WorkflowPorts extends CallbackDeps {
  engine(regionId: string): EngineDeps;
  organization(): { apis: Parameters<typeof planAccounts>[2]; deps: OrganizationDeps };
  /** A reviewed plan from the state store, validated, the deployment's exclusions added. */
  reviewedPlan(key: string): Promise<ReviewedPlan>;
  /** `ROLE_RULES` of the function, if it has them. */
  roleRules(): Promise<RoleRules | undefined>;
  /** The absolute time a step may run until: the request's budget, or the function's. */
  deadline(budgetMs?: number): number;
  /** The FC request id: the event path's lock owner. */
  requestId: string;
  /** The function's environment. */
  config: {
    regionId: string;
    ramRoleName: string;
    onConflict: ConflictPolicy;
    excludeTags: Exclusions['tags'];
  };
}

export async function answerWorkflow(
  request: WorkflowRequest,
  plan: WorkflowPlanInput | undefined,
  ports: WorkflowPorts,
): Promise<object> {
  const { config } = ports;
  switch (request.action) {
    case 'plan': {
      if (plan && 'reviewedPlan' in plan) {
        const reviewed = await ports.reviewedPlan(plan.reviewedPlan);
        const { regionId, targets } = reviewed.parameters;
        return planReviewedStep(reviewed, ports.engine(targets.RegionId ?? regionId), request.executionName);
      }
      if (!plan) throw new RoleAttachError('answerWorkflow: a plan request needs its decoded input');
      // The one exclusion rule: default tag + the deployment's EXCLUDE_TAG + the execution's own.
      const parameters = {
        ...plan.parameters,
        exclusions: mergeExclusions(plan.parameters.exclusions, { tags: config.excludeTags }),
      };
      const { organization } = plan;
      if (organization) {
        const { apis, deps } = ports.organization();
        const planned = {
          input: { kind: 'run' as const, parameters },
          origin: 'workflow' as const,
          ...(await planAccounts(organization, organization.regions, apis)),
          accountConcurrency: organization.accountConcurrency,
        };
        return planOrganizationStep(planned, deps, request.executionName);
      }
      return planStep(
        parameters,
        ports.engine(parameters.targets.RegionId ?? parameters.regionId),
        request.executionName,
      );
    }
    case 'step': {
      const deadline = ports.deadline(request.budgetMs);
      if (isOrganizationId(request.executionId)) {
        return runOrganizationStep(request.executionId, ports.organization().deps, deadline);
      }
      const { parameters: stored } = (await ports.store.load(request.executionId)).record;
      return runStep(request.executionId, ports.engine(stored.targets.RegionId ?? stored.regionId), deadline);
    }
    case 'await':
      return isOrganizationId(request.executionId)
        ? awaitOrganizationStep(request.executionId, request.taskToken, ports)
        : awaitStep(request.executionId, request.taskToken, ports);
    case 'resume-events': {
      const regionId = request.regionId ?? config.regionId;
      const engine = { ...ports.engine(regionId), owner: ports.requestId };
      // A role named by the request resumes that role's event path; else the function's own (ROLE_RULES too).
      const rules = request.ramRoleName === undefined ? await ports.roleRules() : undefined;
      const resumed = await resumeEventPath(regionId, request.ramRoleName ?? config.ramRoleName, engine, {
        onConflict: config.onConflict,
        // resumeEventPath merges them with the default tag (mergeExclusions).
        exclusions: { tags: config.excludeTags, instanceIds: [] },
        ...(rules ? { rules } : {}),
      });
      const execution =
        resumed.execution && (await runStep(resumed.execution.executionId, engine, ports.deadline()));
      return { ...resumed, execution };
    }
    default:
      return isOrganizationId(request.executionId)
        ? controlOrganizationStep(request.executionId, request.action, ports)
        : controlStep(request.executionId, request.action, ports);
  }
}
