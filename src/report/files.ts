/**
 * Report files named on the command line (`sweep --report <file>`, repeatable): the format comes from the
 * name's extension; every name is checked (extension, a writable directory) before anything is called.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidInputError, RoleAttachError } from '../engine/index.js';
import type { ReportDocument, ReportFormat } from './model.js';
import { renderReport, reportFormatOfFile } from './render.js';

/** A report file to write. */
export interface ReportFile {
  path: string;
  format: ReportFormat;
}

/** The files of a repeatable flag, checked: throws InvalidInputError naming `field` (exit 2, no call made). */
export function reportFiles(paths: readonly string[], field: string): ReportFile[] {
  return paths.map((path) => {
    const format = reportFormatOfFile(path, field);
    try {
      accessSync(dirname(resolve(path)), constants.W_OK);
    } catch {
      throw new InvalidInputError(field, 'must name a file in an existing, writable directory', path);
    }
    return { path, format };
  });
}

/** Writes the document into each file in its format; a failed write is a RoleAttachError naming the file. */
export function writeReportFiles(files: readonly ReportFile[], document: ReportDocument): void {
  for (const file of files) {
    try {
      writeFileSync(file.path, renderReport(document, file.format));
    } catch (error) {
      throw new RoleAttachError(
        `the report ${file.path} could not be written (${(error as Error).message}); the sweep itself is done, run ecs-role-attach report <id> to export it again`,
      );
    }
  }
}
