/**
 * FC entry point of `sweep` (handler `index.handler`), fired by the timer trigger with
 * `{"triggerTime","triggerName","payload"}` where `payload` is the JSON string
 * `{"regions":[...],"role":...,"targets"?,"rateControl"?,"mode"?,"maxTargets"?}` (or `"rules"`, a role-rules document,
 * instead of `"role"`: compliance is then counted per rule). Sweeps each region as a stored
 * execution (never overlapping a running or waiting sweep of the same region and role), logs the
 * compliance summary as one structured line and returns the report. With `"accounts"` (and optionally
 * `excludeAccounts`, `assumeRole`, `includeManagement`, `accountConcurrency`) it sweeps every (account,
 * region) of the Resource Directory scope as one parent execution instead.
 */

import {
  type DeliveryStats,
  type OrganizationReport,
  organizationSweep,
  planAccounts,
  runSweep,
  type SweepReport,
  stepBudgetMs,
} from '../../src/engine/index.js';
import { decodeTimerEvent } from '../../src/inputs/events.js';
import { createRuntime, type FcContext, type RuntimeOverrides } from '../shared/runtime.js';

/** Builds the handler; tests pass a clock, a logger or an environment. */
export function createHandler(overrides: RuntimeOverrides = {}) {
  return async (
    event: unknown,
    context: FcContext,
  ): Promise<(SweepReport & { notifications?: DeliveryStats }) | OrganizationReport> => {
    const timer = decodeTimerEvent(event);
    const runtime = createRuntime(context, overrides);
    const { config, logger } = runtime;
    const { organization, ...request } = timer.request;
    if (organization) {
      // Every (account, region) as one parent execution; a Running one left by the last invocation resumes.
      const { apis, deps } = runtime.organization();
      const report = await organizationSweep(
        request.role,
        async () => ({
          input: {
            kind: 'sweep' as const,
            request,
            settings: {
              onConflict: config.onConflict,
              exclusions: { tags: config.excludeTags, instanceIds: [] },
            },
          },
          origin: 'sweep' as const,
          ...(await planAccounts(organization, request.regions, apis)),
          accountConcurrency: organization.accountConcurrency,
        }),
        deps,
        { deadline: runtime.deadline(stepBudgetMs(runtime.timeoutSeconds)) },
      );
      logger.info(
        {
          triggerName: timer.triggerName,
          organizationId: report.organizationId,
          status: report.status,
          totals: report.totals,
          failuresByCode: report.failuresByCode,
          accounts: report.accounts.map((a) => ({ accountId: a.accountId, status: a.status })),
        },
        'organization sweep compliance',
      );
      return report;
    }
    const report = await runSweep(request, (regionId) => runtime.engine(regionId), {
      onConflict: config.onConflict,
      exclusions: { tags: config.excludeTags, instanceIds: [] },
      deadline: runtime.deadline(stepBudgetMs(runtime.timeoutSeconds)),
      owner: runtime.requestId,
      // A lease longer than the function may run: a crashed sweep's lock frees itself after that.
      lockTtlMs: runtime.timeoutSeconds * 1000 * 2,
    });
    logger.info(
      {
        triggerName: timer.triggerName,
        triggerTime: timer.triggerTime,
        role: report.role,
        totals: report.totals,
        regions: report.regions.map((r) => ({
          regionId: r.regionId,
          state: r.state,
          executionId: r.executionId,
          status: r.status,
          compliant: r.compliant,
          attachedNow: r.attachedNow,
          skipped: Object.fromEntries(
            Object.entries(r.skipped).map(([reason, ids]) => [reason, ids?.length ?? 0]),
          ),
          failed: r.failed.length,
          notAttempted: r.notAttempted,
          ...(r.byRule ? { byRule: r.byRule } : {}),
        })),
      },
      'sweep compliance',
    );
    return runtime.withNotifications(report);
  };
}

export const handler = createHandler();
