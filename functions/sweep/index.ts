/**
 * FC entry point of `sweep` (handler `index.handler`), fired by the timer trigger with
 * `{"triggerTime","triggerName","payload"}` where `payload` is the JSON string
 * `{"regions":[...],"role":...,"targets"?,"rateControl"?,"mode"?,"maxTargets"?}` (or `"rules"`, a role-rules document,
 * instead of `"role"`: compliance is then counted per rule). Sweeps each region as a stored
 * execution (never overlapping a running or waiting sweep of the same region and role), logs the
 * compliance summary as one structured line and returns the report. With `"accounts"` (and optionally
 * `excludeAccounts`, `assumeRole`, `includeManagement`, `accountConcurrency`) it sweeps every (account,
 * region) of the Resource Directory scope as one parent execution instead. Every region execution that
 * ended or paused (or the parent) leaves its reports in the state store, `reports/<executionId>.{json,csv,html}`.
 */

import {
  type DeliveryStats,
  type OrganizationReport,
  type SweepReport,
  stepBudgetMs,
  timerSweep,
} from '../../src/engine/index.js';
import { decodeTimerEvent } from '../../src/inputs/timer.js';
import { storeSweepReports } from '../../src/report/index.js';
import { createRuntime, type FcContext, type RuntimeOverrides } from '../shared/runtime.js';

/** Builds the handler; tests pass a clock, a logger or an environment. */
export function createHandler(overrides: RuntimeOverrides = {}) {
  return async (
    event: unknown,
    context: FcContext,
  ): Promise<(SweepReport & { notifications?: DeliveryStats }) | OrganizationReport> => {
    const timer = decodeTimerEvent(event);
    const runtime = createRuntime(context, overrides);
    const report = await timerSweep(timer, runtime, {
      onConflict: runtime.config.onConflict,
      excludeTags: runtime.config.excludeTags,
      deadline: runtime.deadline(stepBudgetMs(runtime.timeoutSeconds)),
      owner: runtime.requestId,
      lockTtlMs: runtime.timeoutSeconds * 1000 * 2,
    });
    await storeSweepReports(report, runtime.store, runtime.logger, new Date(runtime.clock.now()));
    return 'organizationId' in report ? report : runtime.withNotifications(report);
  };
}

export const handler = createHandler();
