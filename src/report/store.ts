/**
 * Reports kept beside the executions: the functions write `reports/<id>.json`, `.csv` and `.html` of an
 * execution (or of a parent `org-…`) into the state store when it ends or pauses, the same files
 * `ecs-role-attach report <id> --format …` prints.
 */
import type { ExecutionStore, Logger, OrganizationReport, SweepReport } from '../engine/index.js';
import type { ObjectExecutionStore } from '../store/index.js';
import { loadReportDocument } from './load.js';
import { REPORT_FORMATS } from './model.js';
import { renderReport } from './render.js';

/** A state store that keeps reports. */
export type ReportStore = ExecutionStore & Pick<ObjectExecutionStore, 'putReport'>;

/** The name of a stored report: `<id>.<format>` (its key is `reports/<id>.<format>`). */
export function storedReportName(id: string, format: string): string {
  return `${id}.${format}`;
}

/**
 * Writes the three reports of `id` and returns their names. Never throws: the execution is the truth and
 * its result stands; a report that could not be written is logged as an error and left out.
 */
export async function storeReports(
  id: string,
  store: ReportStore,
  logger: Logger,
  now: Date,
): Promise<string[]> {
  try {
    const document = await loadReportDocument(id, store, now);
    const names: string[] = [];
    for (const format of REPORT_FORMATS) {
      const name = storedReportName(id, format);
      await store.putReport(name, renderReport(document, format));
      names.push(name);
    }
    return names;
  } catch (error) {
    logger.error({ executionId: id, err: String(error) }, 'report not written to the state store');
    return [];
  }
}

/**
 * After a step of the workflow: the reports of an execution (or parent) that ended or paused; nothing for
 * one still `Running` (the next step goes on) or for an answer that is not an execution's state.
 */
export async function storeReportsAfterStep(
  answer: object,
  store: ReportStore,
  logger: Logger,
  now: Date,
): Promise<void> {
  const { executionId, status } = answer as { executionId?: unknown; status?: unknown };
  if (typeof executionId === 'string' && typeof status === 'string' && status !== 'Running')
    await storeReports(executionId, store, logger, now);
}

/**
 * After a timer sweep: the reports of each region execution it ran that ended or paused (an unfinished one
 * resumes next time), or of the organization parent.
 */
export async function storeSweepReports(
  report: SweepReport | OrganizationReport,
  store: ReportStore,
  logger: Logger,
  now: Date,
): Promise<void> {
  if ('organizationId' in report) {
    if (report.status !== 'Running') await storeReports(report.organizationId, store, logger, now);
    return;
  }
  for (const region of report.regions) {
    if (region.state === 'swept' && region.executionId !== undefined && region.status !== 'Running')
      await storeReports(region.executionId, store, logger, now);
  }
}
