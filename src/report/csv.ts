/**
 * The CSV export: one row per instance, RFC 4180 (a header line, CRLF line ends, a field quoted when it
 * holds a comma, a double quote, CR or LF, with inner quotes doubled). No library: these ~20 lines are
 * the whole of the format we write, and the project has no CSV dependency to reuse.
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a CR as a formula (CSV
 * injection, OWASP): such a cell gets a leading `'`, which Excel, LibreOffice and Google Sheets show as
 * text. ECS error messages are the one field an outsider can shape; ids and role names never start so.
 */
import type { ReportDocument, ReportRow } from './model.js';

/** The columns, in order: header name and the field of {@link ReportRow}. */
export const CSV_COLUMNS = [
  ['account', 'accountId'],
  ['region', 'regionId'],
  ['execution', 'executionId'],
  ['batch', 'batch'],
  ['instance', 'instanceId'],
  ['rule', 'rule'],
  ['role', 'role'],
  ['outcome', 'outcome'],
  ['reason', 'reason'],
  ['message', 'message'],
  ['previousRole', 'previousRole'],
] as const satisfies readonly (readonly [string, keyof ReportRow])[];

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field: neutralised when a spreadsheet would run it, quoted when RFC 4180 requires it.
 * @example
 * csvField('a,b') // '"a,b"'
 * csvField('=HYPERLINK("x")') // '"\'=HYPERLINK(""x"")"'
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The document's rows as CSV text (header first, CRLF after every line). */
export function renderCsv(document: Pick<ReportDocument, 'instances'>): string {
  const lines = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const row of document.instances) {
    lines.push(CSV_COLUMNS.map(([, field]) => csvField(row[field])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
