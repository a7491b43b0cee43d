/**
 * FC entry point of `workflow` (handler `index.handler`), the steps of workflows/bulk-attach.yaml:
 * `{"action":"plan","params":{OOS parameters + extras}}` (or `"params":{"plan":"store:<key>"}`, a reviewed
 * plan saved in the state store), `{"action":"step","executionId"}`,
 * `{"action":"await","executionId","taskToken"}`; and the operator's control input from the FC console
 * `{"executionId","action":"continue|retry|cancel"}` or `{"action":"resume-events","regionId"?}`.
 * With `accounts` in the plan's params (organization scope), the execution is a parent (`org-…`) whose
 * children, one per (member account, region), the same steps drive. Returns the small flow state
 * `{executionId, status, counts}` (plus control details). A `step` that ends or pauses the execution (or
 * parent) leaves its reports in the state store, `reports/<executionId>.{json,csv,html}`.
 */
import { answerWorkflow, stepBudgetMs } from '../../src/engine/index.js';
import { decodeWorkflowRequest } from '../../src/inputs/workflowRequest.js';
import { storeReportsAfterStep } from '../../src/report/index.js';
import { createRuntime, type FcContext, type RuntimeOverrides } from '../shared/runtime.js';

/** Builds the handler; tests pass a clock, a logger or an environment. */
export function createHandler(overrides: RuntimeOverrides = {}) {
  return async (event: unknown, context: FcContext): Promise<object> => {
    // Validated before anything else: invalid input makes no call at all.
    const { request, plan } = decodeWorkflowRequest(event);
    const runtime = createRuntime(context, overrides);
    const ports = {
      ...runtime,
      flow: runtime.flow(),
      owner: `fc:${runtime.requestId}`,
      deadline: (budgetMs?: number) => runtime.deadline(budgetMs ?? stepBudgetMs(runtime.timeoutSeconds)),
    };
    const answer = await answerWorkflow(request, plan, ports);
    if (request.action === 'step')
      await storeReportsAfterStep(answer, runtime.store, runtime.logger, new Date(runtime.clock.now()));
    return runtime.withNotifications(answer);
  };
}

export const handler = createHandler();
