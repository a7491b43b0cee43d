/**
 * The timer's compliance sweep as one use-case: every region of the payload, or, with `accounts`, every
 * (account, region) of the organization as one parent execution (a Running parent left by the last
 * invocation resumes); then one structured log line with the compliance summary. The FC `sweep` function
 * only decodes the timer event and calls {@link timerSweep}.
 */
import { planAccounts } from '../accounts.js';
import type { EngineDeps } from '../execution/deps.js';
import type { Logger } from '../ports.js';
import type { ConflictPolicy, Exclusions, SweepRequest } from '../types.js';
import { type OrganizationDeps, type OrganizationReport, organizationSweep } from './organization.js';
import { runSweep, type SweepReport } from './sweep.js';

/** The organization part of a timer payload, validated. */
export type TimerOrganization = Parameters<typeof planAccounts>[0] & { accountConcurrency: number };

export interface TimerSweepPorts {
  engine(regionId: string): EngineDeps;
  organization(): { apis: Parameters<typeof planAccounts>[2]; deps: OrganizationDeps };
  logger: Logger;
}

/** What the deployment decides (the function's environment and its timeout). */
export interface TimerSweepSettings {
  onConflict: ConflictPolicy;
  excludeTags: Exclusions['tags'];
  /** Absolute time after which no new chunk starts. */
  deadline: number;
  /** Lock owner (the FC request id). */
  owner: string;
  /** A lease longer than the function may run: a crashed sweep's lock frees itself after that. */
  lockTtlMs: number;
}

export async function timerSweep(
  timer: {
    triggerName: string;
    triggerTime: string;
    request: SweepRequest;
    organization?: TimerOrganization;
  },
  ports: TimerSweepPorts,
  settings: TimerSweepSettings,
): Promise<SweepReport | OrganizationReport> {
  const { organization, request } = timer;
  const exclusions = { tags: settings.excludeTags, instanceIds: [] };
  if (organization) {
    const { apis, deps } = ports.organization();
    const report = await organizationSweep(
      request.role,
      async () => ({
        input: { kind: 'sweep' as const, request, settings: { onConflict: settings.onConflict, exclusions } },
        origin: 'sweep' as const,
        ...(await planAccounts(organization, request.regions, apis)),
        accountConcurrency: organization.accountConcurrency,
      }),
      deps,
      { deadline: settings.deadline },
    );
    ports.logger.info(organizationSweepLine(timer.triggerName, report), 'organization sweep compliance');
    return report;
  }
  const report = await runSweep(request, (regionId) => ports.engine(regionId), {
    onConflict: settings.onConflict,
    exclusions,
    deadline: settings.deadline,
    owner: settings.owner,
    lockTtlMs: settings.lockTtlMs,
  });
  ports.logger.info(sweepLine(timer, report), 'sweep compliance');
  return report;
}

/** The structured log line of a sweep: totals, and per region its state and counts. */
export function sweepLine(timer: { triggerName: string; triggerTime: string }, report: SweepReport): object {
  return {
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
  };
}

/** The structured log line of an organization sweep. */
export function organizationSweepLine(triggerName: string, report: OrganizationReport): object {
  return {
    triggerName,
    organizationId: report.organizationId,
    status: report.status,
    totals: report.totals,
    failuresByCode: report.failuresByCode,
    accounts: report.accounts.map((a) => ({ accountId: a.accountId, status: a.status })),
  };
}
