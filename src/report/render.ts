/**
 * Renders a {@link ReportDocument} in one of its formats, and reads the format flags.
 */
import { InvalidInputError } from '../engine/index.js';
import { renderCsv } from './csv.js';
import { REPORT_FORMATS, type ReportDocument, type ReportFormat } from './model.js';
import { renderHtml } from './page.js';

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
