/**
 * The execution state machine: create (plan + persist), run (batches, rate control, pause on
 * failure, crash-safe journal), control (continue / retry / cancel). Every shell drives these three.
 *
 * Journal protocol: the plan is stored before the first write; before each API write an `intent`
 * entry names the chunk and its ids; after it a `result` entry records one outcome per id. A run that
 * finds intents without results (the process died mid-call) settles them with DescribeInstanceRamRole
 * before anything else, so no target is lost and no instance is written twice blindly.
 */
import { blastRadiusViolation } from '../blastRadius.js';
import { ExecutionNotFoundError, InvalidActionError, InvalidInputError } from '../errors.js';
import { newExecutionId } from '../ids.js';
import { ExecutionBusyError, type LeaseHolder, leaseName, takeLease, withLease } from '../lease.js';
import { continuedEvent, executionEvent } from '../notifications.js';
import { planExecution } from '../planner.js';
import type { ExecutionStore, StoredExecution } from '../ports.js';
import { assignmentOf } from '../rules.js';
import { createSourceExecution, isSourceKind } from '../sources/execution.js';
import type { ExecutionParameters, ExecutionPlan, ExecutionRecord, OperatorAction } from '../types.js';
import { markCancelHandled, requestCancel } from './cancel.js';
import { type EngineDeps, isoNow, leaseHolder, type RunOptions } from './deps.js';
import {
  applyEntry,
  applyPatch,
  cancel,
  countOutcomes,
  DECISION_ALLOWED,
  decide,
  decidedOutcomes,
  deriveState,
  newExecutionRecord,
  type Transition,
} from './machine.js';
import { buildReport, type ExecutionReport, predictedOutcome } from './report.js';
import { saveRecordAndSummary } from './runner.js';
import { runStored } from './runners.js';

export { cancelRequestKey, requestCancel } from './cancel.js';
export type { EngineDeps, ExecutionProgress, RunOptions } from './deps.js';

/** Publishes the event a report calls for (planned, waiting, finished), when a notifier is set. */
function notifyReport(
  report: ExecutionReport,
  deps: Pick<EngineDeps, 'clock'> & Partial<Pick<EngineDeps, 'notifier' | 'commandFlags'>>,
): ExecutionReport {
  const event = deps.notifier && executionEvent(report, isoNow(deps.clock), deps.commandFlags ?? '');
  if (event) deps.notifier?.publish(event);
  return report;
}

/**
 * Plans an execution and stores it (status Running, no write made yet). With `dryRun`, nothing is
 * stored and the report shows status `Planned` with the outcome each target would get.
 */
export async function createExecution(
  parameters: ExecutionParameters,
  deps: Omit<EngineDeps, 'store'> & { store?: ExecutionStore },
  options: {
    origin: ExecutionRecord['origin'];
    dryRun?: boolean;
    /**
     * A caller-chosen id that makes planning idempotent (the workflow derives it from the CloudFlow
     * execution name, so that a retried Plan step finds its execution instead of creating another).
     */
    executionId?: string;
    /**
     * Planned already (a reviewed plan's execution, reviewedPlan.ts): used instead of planning; its
     * `executionId` is the execution's.
     */
    plan?: ExecutionPlan;
    /** The digest of the reviewed plan this execution carries out (kept in execution.json). */
    fromPlan?: string;
  },
): Promise<ExecutionReport> {
  // harden-metadata and templates plan other resources and write with another call (sources/).
  if (isSourceKind(parameters)) return createSourceExecution(parameters, deps, options);
  if (options.executionId !== undefined && deps.store && !options.dryRun) {
    const existing = await deps.store.load(options.executionId).catch((error: unknown) => {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    });
    if (existing) {
      // The same flow execution planning again (a retried Plan) reuses it; another run under a reused
      // name must not silently inherit an old execution.
      if (
        JSON.stringify(existing.record.parameters) !== JSON.stringify(parameters) ||
        existing.record.fromPlan !== options.fromPlan
      ) {
        throw new InvalidInputError(
          'executionName',
          `was already used for execution ${options.executionId} with other parameters; start the flow under a new name`,
          options.executionId,
        );
      }
      deps.logger.info(
        { executionId: options.executionId },
        'planned before; the stored execution is reused',
      );
      return buildReport(deriveState(existing));
    }
  }
  const executionId =
    options.plan?.executionId ?? options.executionId ?? newExecutionId(deps.clock.now(), deps.random);
  const plan = options.plan ?? (await planExecution(executionId, parameters, deps));
  const overLimit = blastRadiusViolation(plan, parameters);
  if (overLimit && !options.dryRun) throw overLimit;
  const record = newExecutionRecord(plan, {
    parameters,
    origin: options.origin,
    at: new Date(deps.clock.now()).toISOString(),
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.fromPlan === undefined ? {} : { fromPlan: options.fromPlan }),
  });
  if (options.dryRun) {
    const predicted = new Map(
      plan.targets.map((target) => [
        target.instanceId,
        predictedOutcome(target, assignmentOf(parameters, target).role),
      ]),
    );
    return notifyReport(
      {
        ...buildReport({ record, plan, outcomes: predicted }),
        counts: countOutcomes(plan.targets.length, []),
        // A dry run is never stopped by the belt (it writes nothing); it says whether the run would be.
        ...(overLimit ? { statusReason: `a real run would be refused: ${overLimit.message}` } : {}),
      },
      deps,
    );
  }
  if (!deps.store) throw new TypeError('createExecution needs a store unless dryRun is set');
  // Built only for a stored execution: a dry run's report needs the predicted outcomes, not these.
  const outcomes = decidedOutcomes(plan);
  await deps.store.create(record, plan);
  deps.logger.info(
    {
      executionId,
      targets: plan.targets.length,
      work: plan.batches.reduce((n, b) => n + b.instanceIds.length, 0),
    },
    'execution planned',
  );
  return buildReport({ record, plan, outcomes });
}

/** Loads an execution and returns its report. */
export async function getExecutionReport(
  executionId: string,
  store: ExecutionStore,
): Promise<ExecutionReport> {
  return reportOfStored(await store.load(executionId));
}

/** The report of an execution already loaded (exports read the plan's batches from the same load). */
export function reportOfStored(stored: StoredExecution): ExecutionReport {
  return buildReport(deriveState(stored));
}

/**
 * Runs a Running execution until it ends (Success / Failed / Cancelled), pauses (Waiting) or reaches
 * the deadline (still Running). Anything else is returned as it is.
 */
export async function runExecution(
  executionId: string,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<ExecutionReport> {
  const lease = leaseHolder(deps);
  return withLease(executionId, lease, async () =>
    notifyReport(await runStored(await deps.store.load(executionId), deps, options, lease), deps),
  );
}

/**
 * Applies an operator decision to a Waiting execution: `continue` keeps failures as failed and resets
 * the error budget; `retry` makes the failed targets pending again, then continues; `cancel` ends the
 * execution, remaining targets Cancelled. Returns the report after the decision; call
 * {@link runExecution} to go on.
 *
 * `cancel` also applies to a Running execution. When another process runs it (it holds the lease), the
 * cancel is left as a request that process honours before its next chunk, and the report still says
 * Running. When none does (it crashed), unfinished writes are first settled with
 * DescribeInstanceRamRole (`deps.ecs`), so that an instance attached by the interrupted call is not
 * recorded as never attempted; without `deps.ecs` the request waits for the next run.
 *
 * `leaseHeld`: the caller already holds the execution's lease (the workflow's control action).
 */
export async function controlExecution(
  executionId: string,
  action: OperatorAction,
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger'> & Partial<EngineDeps>,
  options: { leaseHeld?: boolean } = {},
): Promise<ExecutionReport> {
  const holder = leaseHolder(deps);
  if (action === 'cancel') await requestCancel(executionId, deps, holder.owner);
  if (!options.leaseHeld && !(await takeLease(executionId, holder))) {
    if (action !== 'cancel') throw new ExecutionBusyError(executionId, 'its lease is held');
    return cancelRequestedReport(executionId, deps.store);
  }
  try {
    const report = await applyDecision(executionId, action, deps, holder);
    if (action === 'cancel') return notifyReport(report, deps);
    deps.notifier?.publish(continuedEvent(report, action, isoNow(deps.clock)));
    return report;
  } finally {
    if (!options.leaseHeld) await deps.store.unlock(leaseName(executionId), holder.owner);
  }
}

/** The report of an execution whose cancel waits for the process running it. */
export async function cancelRequestedReport(
  executionId: string,
  store: ExecutionStore,
): Promise<ExecutionReport> {
  return {
    ...(await getExecutionReport(executionId, store)),
    statusReason: 'cancel requested: the process running this execution stops before its next chunk',
  };
}

async function applyDecision(
  executionId: string,
  action: OperatorAction,
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger'> & Partial<EngineDeps>,
  holder: LeaseHolder,
): Promise<ExecutionReport> {
  const stored = await deps.store.load(executionId);
  const state = deriveState(stored);
  const { record } = state;
  if (!DECISION_ALLOWED[action].includes(record.status)) {
    const hint =
      record.status === 'Running'
        ? 'It is still running; use `resume` to drive it after a crash, or `cancel`.'
        : 'It has ended; start a new execution instead.';
    throw new InvalidActionError(executionId, action, record.status, hint);
  }
  const at = isoNow(deps.clock);
  if (action === 'cancel' && state.openIntents.size > 0) {
    // A run died mid-call. Its runner settles unfinished writes (finishing an interrupted replace or
    // rollback step) and then honours the cancel request written above; without cloud access that
    // waits for the next run.
    if (isEngineDeps(deps)) return runStored(stored, deps, {}, holder);
    deps.logger.info({ executionId }, 'cancel requested; the next run settles unfinished writes and cancels');
    return {
      ...buildReport(state),
      statusReason: 'cancel requested: the next run settles unfinished writes, then cancels',
    };
  }
  const transition: Transition = action === 'cancel' ? cancel(state, at) : decide(state, action, at);
  for (const entry of transition.entries) applyEntry(state, await deps.store.append(executionId, entry));
  applyPatch(record, transition.patch);
  // The latest decision wins over a cancel request nobody honoured (it came as the run paused).
  await markCancelHandled(deps.store, executionId, at);
  record.updatedAt = at;
  await saveRecordAndSummary(deps.store, state);
  deps.logger.info({ executionId, action, status: record.status }, 'operator decision recorded');
  return buildReport(state);
}

function isEngineDeps(deps: Partial<EngineDeps>): deps is EngineDeps {
  return (
    deps.ecs !== undefined && deps.ram !== undefined && deps.store !== undefined && deps.random !== undefined
  );
}
