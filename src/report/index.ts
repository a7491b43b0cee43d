/**
 * Exports of executions: the JSON document, CSV (one row per instance) and a self-contained HTML page.
 * Shells load a {@link ReportDocument} ({@link loadReportDocument}, {@link sweepReportDocument}) and
 * render it with {@link renderReport}; the functions store them with {@link storeReports}.
 */
export { CSV_COLUMNS, csvField, renderCsv } from './csv.js';
export { type ReportFile, reportFiles, writeReportFiles } from './files.js';
export { loadReportDocument, sweepReportDocument } from './load.js';
export {
  exportExecution,
  REPORT_FORMATS,
  REPORT_SCHEMA,
  type ReportDocument,
  type ReportExecution,
  type ReportFormat,
  type ReportRow,
  reportDocument,
} from './model.js';
export { renderHtml } from './page.js';
export { renderReport, reportFormat, reportFormatOfFile } from './render.js';
export {
  type ReportStore,
  storedReportName,
  storeReports,
  storeReportsAfterStep,
  storeSweepReports,
} from './store.js';
