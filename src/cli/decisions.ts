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
  controlStep,
  type EngineDeps,
  type ExecutionReport,
  getExecutionReport,
  type OperatorAction,
  runExecution,
  systemClock,
} from '../engine/index.js';
import {
  CLI_OWNER,
  type CommonOptions,
  cliLogger,
  engineDeps,
  isDeadLocalProcess,
  openStore,
} from './runtime.js';

/** Where the decision goes: the store and endpoints of the command that takes it. */
export interface DecisionOptions extends Pick<CommonOptions, 'state' | 'endpoint' | 'qps'> {
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
      logger: cliLogger(),
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
