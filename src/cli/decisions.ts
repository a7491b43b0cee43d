/**
 * An operator's decision on an execution (`continue`, `retry`, `cancel`), as every operator-facing shell
 * takes it: the CLI's `resume|retry|cancel` and the console's buttons call {@link takeDecision}, so the
 * journal cannot tell which of them decided.
 *
 * - A workflow-owned execution (a task token is stored): the decision is recorded and the waiting CloudFlow
 *   workflow is resumed with ReportTaskSucceeded; its next Step drives the execution. When CloudFlow
 *   refuses the token (the flow was stopped or timed out), the decision stands and this process drives it.
 * - Any other execution: the decision is recorded under the execution's lease (refused with
 *   ExecutionBusyError while another process holds it), then this process drives the execution on.
 */
import { createCloudFlowApi } from '../cloud/cloudflow.js';
import {
  controlExecution,
  controlOrganizationStep,
  controlStep,
  type EngineDeps,
  type ExecutionReport,
  getExecutionReport,
  loadOrganization,
  type OperatorAction,
  type OrganizationReport,
  organizationReport,
  runExecution,
  systemClock,
} from '../engine/index.js';
import { CLI_OWNER, cliLogger, engineDeps, isDeadLocalProcess, openStore } from './deps.js';
import type { CommonOptions } from './options.js';

/** Where the decision goes: the store and endpoints of the command that takes it. */
export interface DecisionOptions extends Pick<CommonOptions, 'state' | 'endpoint' | 'qps' | 'logFormat'> {
  /** CloudFlow endpoint of the callback (default: `endpoint`, else CloudFlow in the execution's region). */
  flowEndpoint?: string;
  /** Lease holder of the decision and of the run after it. @default CLI_OWNER */
  owner?: string;
}

/** What {@link takeDecision} did, and what is left to do. */
export interface Decision {
  /** The report right after the decision was recorded. */
  report: ExecutionReport;
  /** A waiting CloudFlow workflow was resumed (or none was waiting): the workflow drives it on. */
  handedBack: boolean;
  /** One line for the operator on what happened with the workflow, if the execution is workflow-owned. */
  notice?: string;
  /**
   * Drives the execution on in this process (until it ends, pauses or another process takes over), as
   * the CLI does before it prints; undefined when nothing is left to drive here (handed back, cancelled).
   */
  drive?: () => Promise<ExecutionReport>;
}

/**
 * Records `action` (or, with `undefined`, only reads) and says how the execution goes on.
 * @example
 * const decision = await takeDecision(id, 'continue', { state: './state' }, onProgress);
 * const final = decision.drive ? await decision.drive() : decision.report;
 */
export async function takeDecision(
  executionId: string,
  action: OperatorAction | undefined,
  options: DecisionOptions,
  onProgress?: EngineDeps['onProgress'],
): Promise<Decision> {
  const store = openStore(options);
  if (action === undefined)
    return { report: await getExecutionReport(executionId, store), handedBack: false };
  const { record } = await store.load(executionId);
  const owner = options.owner ?? CLI_OWNER;
  const deps = (): EngineDeps => ({
    ...engineDeps(record.parameters.regionId, options, onProgress),
    store,
    owner,
  });
  if (record.taskToken !== undefined) {
    const endpoint = options.flowEndpoint ?? options.endpoint;
    const result = await controlStep(executionId, action, {
      store,
      clock: systemClock,
      logger: cliLogger(options),
      flow: createCloudFlowApi({
        regionId: process.env['ECS_ROLE_ATTACH_FLOW_REGION'] ?? record.parameters.regionId,
        ...(endpoint === undefined ? {} : { endpoint }),
      }),
      owner,
      canTakeOver: isDeadLocalProcess,
    });
    const report = await getExecutionReport(executionId, store);
    if (result.callbackRefused !== undefined && action !== 'cancel') {
      // The flow is gone (stopped or timed out): drive the execution from here instead.
      const notice = `${action} recorded for ${executionId}; CloudFlow refused the stored task token (${result.callbackRefused}), so this process drives the execution itself.`;
      return { report, handedBack: false, notice, drive: () => runExecution(executionId, deps()) };
    }
    const notice = `${action} recorded for ${executionId}; ${result.callbackReported ? 'the waiting CloudFlow workflow was resumed (ReportTaskSucceeded) and drives it on' : 'no workflow was waiting'}.`;
    return { report, handedBack: true, notice };
  }
  const engine = deps();
  // `resume` of a Running execution drives it after a crash: there is no decision to record.
  const report =
    action === 'continue' && record.status === 'Running'
      ? await getExecutionReport(executionId, store)
      : await controlExecution(executionId, action, engine);
  if (action === 'cancel') return { report: await getExecutionReport(executionId, store), handedBack: false };
  return { report, handedBack: false, drive: () => runExecution(executionId, engine) };
}

/**
 * A parent (`org-…`) a CloudFlow workflow waits on (task token stored): the decision is recorded for the
 * flow's next Step, which applies it to every Waiting child, and the flow is resumed (ReportTaskSucceeded).
 * Undefined for a parent no workflow waits on (the caller runs it with the decision itself).
 */
export async function takeParentDecision(
  organizationId: string,
  action: OperatorAction,
  options: DecisionOptions,
): Promise<{ report: OrganizationReport; handedBack: boolean; notice: string } | undefined> {
  const store = openStore(options);
  const record = await loadOrganization(organizationId, store);
  if (record.taskToken === undefined) return undefined;
  const endpoint = options.flowEndpoint ?? options.endpoint;
  const regionId =
    process.env['ECS_ROLE_ATTACH_FLOW_REGION'] ?? record.accounts[0]?.regions[0] ?? 'cn-hangzhou';
  const result = await controlOrganizationStep(organizationId, action, {
    store,
    clock: systemClock,
    logger: cliLogger(options),
    flow: createCloudFlowApi({ regionId, ...(endpoint === undefined ? {} : { endpoint }) }),
    owner: options.owner ?? CLI_OWNER,
    canTakeOver: isDeadLocalProcess,
  });
  return {
    report: organizationReport(await loadOrganization(organizationId, store)),
    handedBack: result.callbackReported,
    notice: result.callbackReported
      ? `${action} recorded for ${organizationId}; the waiting CloudFlow workflow was resumed (ReportTaskSucceeded) and drives it on`
      : `${action} recorded for ${organizationId}; CloudFlow refused the stored task token (${result.callbackRefused ?? 'unknown'}): run \`ecs-role-attach resume ${organizationId}\` to drive it from here`,
  };
}
