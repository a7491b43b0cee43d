/**
 * Builds {@link ReportDocument}s from the state store: one execution, a parent (`org-…`) with its
 * children (each row carries the member account), or the region executions of a sweep. Reads only.
 */
import {
  ExecutionNotFoundError,
  type ExecutionStore,
  isOrganizationId,
  loadOrganization,
  type OrganizationChild,
  reportOfStored,
  type SweepReport,
} from '../engine/index.js';
import {
  exportExecution,
  type ReportDocument,
  type ReportExecution,
  type ReportRow,
  reportDocument,
} from './model.js';

type Part = { execution: ReportExecution; rows: ReportRow[] };

/** The export of an execution or of a parent execution (`org-…`); throws ExecutionNotFoundError. */
export async function loadReportDocument(
  id: string,
  store: ExecutionStore,
  now: Date = new Date(),
): Promise<ReportDocument> {
  if (isOrganizationId(id)) return organizationDocument(id, store, now);
  const part = await loadPart(id, '', store);
  const { execution } = part;
  return reportDocument(
    {
      kind: 'execution',
      id,
      status: execution.status,
      ...(execution.statusReason === undefined ? {} : { statusReason: execution.statusReason }),
      ramRoleName: execution.ramRoleName,
    },
    [part],
    now,
  );
}

/** The export of a sweep: its region executions (regions not swept are listed with the sweep's note). */
export async function sweepReportDocument(
  sweep: SweepReport,
  store: ExecutionStore,
  now: Date = new Date(),
): Promise<ReportDocument> {
  const parts: Part[] = [];
  for (const region of sweep.regions) {
    if (region.executionId !== undefined) {
      parts.push(await loadPart(region.executionId, '', store));
      continue;
    }
    parts.push({
      execution: {
        executionId: '',
        accountId: '',
        regionId: region.regionId,
        status: 'NotRun',
        statusReason: region.note,
        ramRoleName: sweep.role,
        batches: [],
      },
      rows: [],
    });
  }
  const clean = sweep.regions.every((r) => r.state === 'swept' && r.status === 'Success');
  const t = sweep.totals;
  return reportDocument(
    {
      kind: 'sweep',
      id: sweep.role,
      status: clean && t.failed === 0 ? 'Success' : 'Failed',
      statusReason: `${t.evaluated} evaluated, ${t.compliantAfter} compliant after the sweep (${t.compliant} already, ${t.attachedNow} attached now), ${t.skipped} skipped, ${t.failed} failed`,
      ramRoleName: sweep.role,
    },
    parts,
    now,
  );
}

async function organizationDocument(id: string, store: ExecutionStore, now: Date): Promise<ReportDocument> {
  const record = await loadOrganization(id, store);
  const parts: Part[] = [];
  for (const child of record.children) parts.push(await childPart(child, record.ramRoleName, store));
  return reportDocument(
    {
      kind: 'organization',
      id,
      status: record.status,
      ...(record.statusReason === undefined ? {} : { statusReason: record.statusReason }),
      ramRoleName: record.ramRoleName,
    },
    parts,
    now,
  );
}

/** A child's execution; a child never created (its account unreachable, say) has no rows, only its reason. */
async function childPart(
  child: OrganizationChild,
  ramRoleName: string,
  store: ExecutionStore,
): Promise<Part> {
  try {
    return await loadPart(child.executionId, child.accountId, store);
  } catch (error) {
    if (!(error instanceof ExecutionNotFoundError)) throw error;
    return {
      execution: {
        executionId: child.executionId,
        accountId: child.accountId,
        regionId: child.regionId,
        status: child.status,
        ...(child.reason === undefined ? {} : { statusReason: child.reason }),
        ...(child.code === undefined ? {} : { code: child.code }),
        ramRoleName,
        batches: [],
      },
      rows: [],
    };
  }
}

async function loadPart(executionId: string, accountId: string, store: ExecutionStore): Promise<Part> {
  const stored = await store.load(executionId);
  return exportExecution({ report: reportOfStored(stored), plan: stored.plan, accountId });
}
