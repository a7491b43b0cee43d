/**
 * The CloudFlow batch loop's steps (workflows/bulk-attach.yaml): plan, step, await, control. Shared by the
 * `workflow` FC function and the CLI (`resume|retry|cancel` of an execution a workflow waits on).
 *
 * The flow state stays small ({@link FlowState}: id, status, counts); everything else is in the store.
 * A `WaitForCustomCallback` task token is kept in execution.json while the execution is Waiting. Await and
 * control both read-modify-write execution.json, so they hold the store lock `execution/<id>`: whichever
 * comes second sees the other's write (an operator who decides before the token is stored gets the
 * callback sent by await itself).
 */

import { WORKFLOW_DEFAULTS } from '../defaults.js';
import { CloudApiError, InvalidActionError, InvalidInputError } from '../errors.js';
import {
  cancelRequestedReport,
  controlExecution,
  createExecution,
  type EngineDeps,
  getExecutionReport,
  requestCancel,
  runExecution,
} from '../execution/index.js';
import { emptyCounts } from '../execution/machine.js';
import type { ExecutionReport } from '../execution/report.js';
import { ExecutionBusyError, withLease } from '../lease.js';
import type { Clock, ExecutionStore, Logger } from '../ports.js';
import { createExecutionFromPlan, type ReviewedPlan } from '../reviewedPlan.js';
import type { ExecutionCounts, ExecutionParameters, ExecutionStatus, OperatorAction } from '../types.js';
import { TERMINAL_STATUSES } from '../types.js';
import {
  createOrganization,
  loadOrganization,
  type OrganizationDeps,
  type OrganizationPlan,
  type OrganizationRecord,
  type OrganizationReport,
  organizationReport,
  runOrganization,
  updateOrganization,
} from './organization.js';

/** The state a workflow carries between its states (far below CloudFlow's 64 KiB limit). */
export interface FlowState {
  executionId: string;
  status: ExecutionStatus;
  counts: ExecutionCounts;
}

/** The CloudFlow callback the control step makes (the FnF adapter satisfies it). */
export interface TaskCallbacks {
  reportTaskSucceeded(taskToken: string, output: Record<string, unknown>): Promise<void>;
}

/**
 * The time a step may spend starting chunks, from the function's timeout (seconds, as FC gives it):
 * the timeout minus max(5 s, 20 %), at least 1 s. E.g. 600 s -> 480 s; 60 s -> 48 s; 10 s -> 5 s.
 */
export function stepBudgetMs(timeoutSeconds: number): number {
  const timeoutMs = timeoutSeconds * 1000;
  const margin = Math.max(
    WORKFLOW_DEFAULTS.minSafetyMarginMs,
    timeoutMs * WORKFLOW_DEFAULTS.safetyMarginShare,
  );
  return Math.max(WORKFLOW_DEFAULTS.minBudgetMs, timeoutMs - margin);
}

export function toFlowState(report: ExecutionReport): FlowState {
  return { executionId: report.executionId, status: report.status, counts: report.counts };
}

/** Plan: stores the execution (no write made yet) and returns its small state. Parameters are validated. */
export async function planStep(
  parameters: ExecutionParameters,
  deps: EngineDeps,
  executionName?: string,
): Promise<FlowState> {
  return toFlowState(
    await createExecution(parameters, deps, {
      origin: 'workflow',
      ...(executionName === undefined ? {} : { executionId: `flow-${executionName}` }),
    }),
  );
}

/**
 * Plan of a reviewed plan (the flow input `{"plan":"store:<key>"}`): stores the execution of exactly the
 * plan's instances, those changed since planning decided `Skipped/ChangedSincePlan` (see reviewedPlan.ts).
 * A retried Plan under the same execution name finds it, as {@link planStep}.
 */
export async function planReviewedStep(
  reviewed: ReviewedPlan,
  deps: EngineDeps,
  executionName?: string,
): Promise<FlowState> {
  return toFlowState(
    await createExecutionFromPlan(reviewed, deps, {
      origin: 'workflow',
      ...(executionName === undefined ? {} : { executionId: `flow-${executionName}` }),
    }),
  );
}

/**
 * Step: runs until the deadline, a pause or the end; the execution stays Running at the deadline.
 * When another process holds the execution (an operator's CLI, or a step that died and whose lease
 * has not expired yet), it waits for it within the budget and returns Running, so the flow steps again.
 */
export async function runStep(executionId: string, deps: EngineDeps, deadline: number): Promise<FlowState> {
  for (;;) {
    try {
      return toFlowState(await runExecution(executionId, deps, { deadline }));
    } catch (error) {
      if (!(error instanceof ExecutionBusyError)) throw error;
      const left = deadline - deps.clock.now();
      if (left <= 0) return toFlowState(await getExecutionReport(executionId, deps.store));
      deps.logger.info({ executionId }, 'execution busy in another process; waiting');
      await deps.clock.sleep(Math.min(left, WORKFLOW_DEFAULTS.busyPollMs));
    }
  }
}

export interface CallbackDeps {
  store: ExecutionStore;
  clock: Clock;
  logger: Logger;
  flow: TaskCallbacks;
  /** Lease owner, e.g. `fc:<request id>` or the CLI's `cli:<host>:<pid>:<nonce>`. */
  owner: string;
  /** Whether another holder's live lease may be taken over (its process is known dead). */
  canTakeOver?: (holder: string) => boolean;
}

/**
 * Await: keeps the task token in execution.json while the execution is Waiting. If it is no longer
 * Waiting (an operator decided already), reports the callback at once so that the flow goes on.
 */
export async function awaitStep(
  executionId: string,
  taskToken: string,
  deps: CallbackDeps,
): Promise<FlowState> {
  return withExecutionLock(executionId, deps, async () => {
    const { record } = await deps.store.load(executionId);
    if (record.status === 'Waiting') {
      await deps.store.saveRecord({ ...record, taskToken });
      deps.logger.info({ executionId }, 'waiting for an operator decision (task token stored)');
    } else {
      await deps.flow.reportTaskSucceeded(taskToken, { executionId, status: record.status });
      deps.logger.info({ executionId, status: record.status }, 'decision already made; callback reported');
    }
    return toFlowState(await getExecutionReport(executionId, deps.store));
  });
}

/** What {@link controlStep} did. */
export interface ControlResult extends FlowState {
  action: OperatorAction;
  /** Whether a waiting workflow was resumed (ReportTaskSucceeded sent). */
  callbackReported: boolean;
  /** A Step was running the execution: the cancel waits for it, before its next chunk. */
  cancelRequested?: boolean;
  /**
   * Why the stored task token was given up: CloudFlow refused it (the flow execution was stopped or
   * timed out). The decision stands; nothing drives the execution until a caller does.
   */
  callbackRefused?: string;
}

/**
 * Control: records the operator's decision, then, when a workflow waits on the execution (a task token
 * is stored), reports ReportTaskSucceeded(token, {executionId, status}) and clears the token. A repeated
 * control after a failed callback (decision recorded, token still stored) only re-sends the callback.
 * The execution is not driven here: the workflow's next Step does that.
 */
export async function controlStep(
  executionId: string,
  action: OperatorAction,
  deps: CallbackDeps,
): Promise<ControlResult> {
  // A cancel is requested before taking the lease: a Step running the execution honours it before its
  // next chunk, where waiting for the lease would fail (Steps follow each other back to back).
  if (action === 'cancel') await requestCancel(executionId, deps, deps.owner);
  try {
    return await decide(executionId, action, deps);
  } catch (error) {
    if (action !== 'cancel' || !(error instanceof ExecutionBusyError)) throw error;
    const report = await cancelRequestedReport(executionId, deps.store);
    return { ...toFlowState(report), action, callbackReported: false, cancelRequested: true };
  }
}

function decide(executionId: string, action: OperatorAction, deps: CallbackDeps): Promise<ControlResult> {
  return withExecutionLock(executionId, deps, async () => {
    const before = (await deps.store.load(executionId)).record;
    // A decision already recorded whose callback failed: send the callback again (unless this is a
    // cancel of an execution that went on running, which is a new decision).
    const redeliver =
      before.taskToken !== undefined &&
      before.status !== 'Waiting' &&
      !(action === 'cancel' && before.status === 'Running');
    if (!redeliver) await controlExecution(executionId, action, deps, { leaseHeld: true });
    const { record } = await deps.store.load(executionId);
    let callbackReported = false;
    let callbackRefused: string | undefined;
    if (record.taskToken !== undefined) {
      try {
        await deps.flow.reportTaskSucceeded(record.taskToken, { executionId, status: record.status });
        callbackReported = true;
      } catch (error) {
        // A transient failure keeps the token, so the operator can repeat the action; a refused token
        // (the flow is gone) would otherwise block every later decision.
        if (!(error instanceof CloudApiError) || error.retryable) throw error;
        callbackRefused = error.message;
        deps.logger.warn(
          { executionId, code: error.code },
          'CloudFlow refused the task token; it is dropped',
        );
      }
      const { taskToken: _reported, ...rest } = record;
      await deps.store.saveRecord(rest);
    }
    deps.logger.info({ executionId, action, status: record.status, callbackReported }, 'operator decision');
    return {
      ...toFlowState(await getExecutionReport(executionId, deps.store)),
      action,
      callbackReported,
      ...(callbackRefused === undefined ? {} : { callbackRefused }),
    };
  });
}

/** Holds the execution's lease around `body`, waiting for it up to {@link WORKFLOW_DEFAULTS}.lockWaitMs. */
function withExecutionLock<T>(
  executionId: string,
  deps: Pick<CallbackDeps, 'store' | 'clock' | 'owner' | 'canTakeOver'>,
  body: () => Promise<T>,
): Promise<T> {
  return withLease(executionId, deps, body, WORKFLOW_DEFAULTS.lockWaitMs);
}

// ---------------------------------------------------------------------------------------------
// Organization scope: the same flow steps through a parent execution (`org-…`)
//
// The flow does not fan out with a Map state: a Map over 100 accounts x 10 regions would carry 1,000
// items in its state and, with every child looping Step/Route until done, pass CloudFlow's 5,000 events
// per execution. The parent is one execution id instead: each Step runs as many children as fit the
// function's budget (accountConcurrency accounts at once), so the flow state stays {id, status, counts}.

/** The small flow state of a parent: its id and status, and its children's counts summed. */
export function organizationFlowState(report: OrganizationReport): FlowState {
  const counts: ExecutionCounts = emptyCounts(0);
  for (const child of report.accounts.flatMap((account) => account.regions)) {
    if (!child.counts) continue;
    for (const key of Object.keys(counts) as (keyof typeof counts)[])
      counts[key] = (counts[key] ?? 0) + (child.counts[key] ?? 0);
  }
  return { executionId: report.organizationId, status: report.status, counts };
}

/**
 * Plan of a parent: stores it under `org-flow-<executionName>` so that a retried Plan finds it. A name
 * reused with another input is refused, as for one execution.
 */
export async function planOrganizationStep(
  plan: OrganizationPlan,
  deps: OrganizationDeps,
  executionName?: string,
): Promise<FlowState> {
  const organizationId = executionName === undefined ? undefined : `org-flow-${executionName}`;
  if (organizationId !== undefined) {
    const existing = await loadOrganization(organizationId, deps.store).catch(() => undefined);
    if (existing) {
      if (JSON.stringify(existing.input) !== JSON.stringify(plan.input))
        throw new InvalidInputError(
          'executionName',
          `was already used for execution ${organizationId} with other parameters; start the flow under a new name`,
          organizationId,
        );
      return organizationFlowState(organizationReport(existing));
    }
  }
  const record = await createOrganization(
    { ...plan, ...(organizationId === undefined ? {} : { organizationId }) },
    deps,
  );
  return organizationFlowState(organizationReport(record));
}

/** Step of a parent: runs children until the deadline; while another process runs it, waits within the budget. */
export async function runOrganizationStep(
  organizationId: string,
  deps: OrganizationDeps,
  deadline: number,
): Promise<FlowState> {
  for (;;) {
    try {
      return organizationFlowState(await runOrganization(organizationId, deps, { deadline }));
    } catch (error) {
      if (!(error instanceof ExecutionBusyError)) throw error;
      const left = deadline - deps.clock.now();
      if (left <= 0)
        return organizationFlowState(organizationReport(await loadOrganization(organizationId, deps.store)));
      deps.logger.info({ organizationId }, 'organization execution busy in another process; waiting');
      await deps.clock.sleep(Math.min(left, WORKFLOW_DEFAULTS.busyPollMs));
    }
  }
}

/** Await of a parent: keeps the task token on the parent while it is Waiting with no decision yet. */
export async function awaitOrganizationStep(
  organizationId: string,
  taskToken: string,
  deps: CallbackDeps,
): Promise<FlowState> {
  const record = await updateOrganization(organizationId, deps, async (record) => {
    if (record.status === 'Waiting' && record.decision === undefined) {
      record.taskToken = taskToken;
      deps.logger.info({ organizationId }, 'waiting for an operator decision (task token stored)');
    } else {
      await deps.flow.reportTaskSucceeded(taskToken, { executionId: organizationId, status: record.status });
      deps.logger.info({ organizationId, status: record.status }, 'decision already made; callback reported');
    }
    return record;
  });
  return organizationFlowState(organizationReport(record));
}

/**
 * Control of a parent: records the decision for the flow's next Step (which applies it to every Waiting
 * child) and resumes the waiting flow (ReportTaskSucceeded). Only a Waiting parent takes continue or retry.
 */
export async function controlOrganizationStep(
  organizationId: string,
  action: OperatorAction,
  deps: CallbackDeps,
): Promise<ControlResult> {
  const result = await updateOrganization(organizationId, deps, async (record: OrganizationRecord) => {
    if (TERMINAL_STATUSES.includes(record.status) || (record.status !== 'Waiting' && action !== 'cancel'))
      throw new InvalidActionError(
        organizationId,
        action,
        record.status,
        TERMINAL_STATUSES.includes(record.status)
          ? 'it has ended'
          : 'only a paused (Waiting) organization execution takes continue or retry',
      );
    record.decision = action;
    let callbackReported = false;
    let callbackRefused: string | undefined;
    if (record.taskToken !== undefined) {
      try {
        await deps.flow.reportTaskSucceeded(record.taskToken, {
          executionId: organizationId,
          status: 'Running',
        });
        callbackReported = true;
      } catch (error) {
        if (!(error instanceof CloudApiError) || error.retryable) throw error;
        callbackRefused = error.message;
      }
      delete record.taskToken;
    }
    deps.logger.info({ organizationId, action, callbackReported }, 'operator decision');
    return { record, callbackReported, callbackRefused };
  });
  return {
    ...organizationFlowState(organizationReport(result.record)),
    action,
    callbackReported: result.callbackReported,
    ...(result.callbackRefused === undefined ? {} : { callbackRefused: result.callbackRefused }),
  };
}
