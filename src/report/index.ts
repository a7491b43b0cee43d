/**
 * Exports of executions: the JSON document, CSV (one row per instance) and a self-contained HTML page.
 * Shells load a {@link ReportDocument} ({@link loadReportDocument}, {@link sweepReportDocument}) and
 * render it with {@link renderReport}.
 */
import { InvalidInputError } from '../engine/index.js';
import { renderCsv } from './csv.js';
import { REPORT_FORMATS, type ReportDocument, type ReportFormat } from './model.js';
import { renderHtml } from './page.js';

export { CSV_COLUMNS, csvField, renderCsv } from './csv.js';
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

/** The document in one format (JSON: the document itself, pretty-printed). */
export function renderReport(document: ReportDocument, format: ReportFormat): string {
  switch (format) {
    case 'csv':
      return renderCsv(document);
    case 'html':
      return renderHtml(document);
    default:
      return `${JSON.stringify(document, null, 2)}\n`;
  }
}

/** A `--format` value; anything else is the flag's error (exit 2). */
export function reportFormat(value: string | undefined, field: string): ReportFormat {
  if ((REPORT_FORMATS as readonly (string | undefined)[]).includes(value)) return value as ReportFormat;
  throw new InvalidInputError(field, `must be one of ${REPORT_FORMATS.join(', ')}`, value);
}

/** The format a report file's name asks for: `.json`, `.csv`, `.html` or `.htm`. */
export function reportFormatOfFile(path: string, field: string): ReportFormat {
  const extension = /\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase();
  const format = extension === 'htm' ? 'html' : extension;
  if ((REPORT_FORMATS as readonly (string | undefined)[]).includes(format)) return format as ReportFormat;
  throw new InvalidInputError(field, 'must name a file ending in .json, .csv or .html', path);
}
