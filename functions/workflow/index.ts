/**
 * FC entry point of `workflow` (handler `index.handler`), the steps of workflows/bulk-attach.yaml:
 * `{"action":"plan","params":{OOS parameters + extras}}` (or `"params":{"plan":"store:<key>"}`, a reviewed
 * plan saved in the state store), `{"action":"step","executionId"}`,
 * `{"action":"await","executionId","taskToken"}`; and the operator's control input from the FC console
 * `{"executionId","action":"continue|retry|cancel"}` or `{"action":"resume-events","regionId"?}`.
 * With `accounts` in the plan's params (organization scope), the execution is a parent (`org-…`) whose
 * children, one per (member account, region), the same steps drive. Returns the small flow state
 * `{executionId, status, counts}` (plus control details).
 */
import {
  awaitOrganizationStep,
  awaitStep,
  controlOrganizationStep,
  controlStep,
  decodeWorkflowRequest,
  isOrganizationId,
  mergeExclusions,
  planAccounts,
  planOrganizationStep,
  planReviewedStep,
  planStep,
  resumeEventPath,
  runOrganizationStep,
  runStep,
  stepBudgetMs,
} from '../../src/engine/index.js';
import { splitWorkflowInput } from '../../src/inputs/events.js';
import { parseExecutionInput } from '../../src/inputs/parameters.js';
import { planReferenceOf } from '../../src/inputs/plan.js';
import { createRuntime, type FcContext, type RuntimeOverrides } from '../shared/runtime.js';

/** Builds the handler; tests pass a clock, a logger or an environment. */
export function createHandler(overrides: RuntimeOverrides = {}) {
  return async (event: unknown, context: FcContext): Promise<object> => {
    const request = decodeWorkflowRequest(event);
    // Validated before anything else: invalid input makes no call at all.
    const planKey = request.action === 'plan' ? planReferenceOf(request.params) : undefined;
    const input =
      request.action === 'plan' && planKey === undefined ? splitWorkflowInput(request.params) : undefined;
    const parameters = input && parseExecutionInput(input.parameters, 'params.');
    const runtime = createRuntime(context, overrides);
    const { store, config } = runtime;
    const callbacks = { ...runtime, flow: runtime.flow(), owner: `fc:${runtime.requestId}` };
    const budget = (explicit?: number) => runtime.deadline(explicit ?? stepBudgetMs(runtime.timeoutSeconds));
    return runtime.withNotifications(await answer());

    async function answer(): Promise<object> {
      switch (request.action) {
        case 'plan': {
          if (planKey !== undefined) {
            const reviewed = await runtime.reviewedPlan(planKey);
            const { regionId, targets } = reviewed.parameters;
            return planReviewedStep(
              reviewed,
              runtime.engine(targets.RegionId ?? regionId),
              request.executionName,
            );
          }
          // The one exclusion rule: default tag + the deployment's EXCLUDE_TAG + the execution's own.
          const exclusions = mergeExclusions(parameters!.exclusions, { tags: config.excludeTags });
          const organization = input?.organization;
          if (organization) {
            const { apis, deps } = runtime.organization();
            const plan = {
              input: { kind: 'run' as const, parameters: { ...parameters!, exclusions } },
              origin: 'workflow' as const,
              ...(await planAccounts(organization, organization.regions, apis)),
              accountConcurrency: organization.accountConcurrency,
            };
            return planOrganizationStep(plan, deps, request.executionName);
          }
          const engine = runtime.engine(parameters!.targets.RegionId ?? parameters!.regionId);
          return planStep({ ...parameters!, exclusions }, engine, request.executionName);
        }
        case 'step': {
          if (isOrganizationId(request.executionId))
            return runOrganizationStep(
              request.executionId,
              runtime.organization().deps,
              budget(request.budgetMs),
            );
          const { parameters: stored } = (await store.load(request.executionId)).record;
          const engine = runtime.engine(stored.targets.RegionId ?? stored.regionId);
          return runStep(request.executionId, engine, budget(request.budgetMs));
        }
        case 'await':
          if (isOrganizationId(request.executionId))
            return awaitOrganizationStep(request.executionId, request.taskToken, callbacks);
          return awaitStep(request.executionId, request.taskToken, callbacks);
        case 'resume-events': {
          const regionId = request.regionId ?? config.regionId;
          const engine = { ...runtime.engine(regionId), owner: runtime.requestId };
          // resumeEventPath merges them with the default tag (mergeExclusions).
          const exclusions = { tags: config.excludeTags, instanceIds: [] };
          // A role named by the request resumes that role's event path; else the function's own (ROLE_RULES too).
          const rules = request.ramRoleName === undefined ? await runtime.roleRules() : undefined;
          const resumed = await resumeEventPath(regionId, request.ramRoleName ?? config.ramRoleName, engine, {
            onConflict: config.onConflict,
            exclusions,
            ...(rules ? { rules } : {}),
          });
          const execution =
            resumed.execution && (await runStep(resumed.execution.executionId, engine, budget()));
          return { ...resumed, execution };
        }
        default:
          if (isOrganizationId(request.executionId))
            return controlOrganizationStep(request.executionId, request.action, callbacks);
          return controlStep(request.executionId, request.action, callbacks);
      }
    }
  };
}

export const handler = createHandler();
