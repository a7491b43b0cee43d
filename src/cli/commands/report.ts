/**
 * `report <executionId>`: the export of a stored execution (or of a parent `org-…` with its children) as
 * JSON, CSV (one row per instance) or a self-contained HTML page, on stdout. Reads the state store only.
 */
import { type Command, Option } from 'commander';
import { loadReportDocument, renderReport, reportFormat } from '../../report/index.js';
import type { CommandContext } from '../context.js';
import { openStore } from '../deps.js';
import { guard } from '../exit.js';
import { executionIdArgument } from '../options.js';

/** Registers `report`. */
export function registerReportCommand(program: Command, context: CommandContext): void {
  program
    .command('report <executionId>')
    .description(
      'Export an execution (or an organization parent org-…, with its children) as JSON, CSV (one row per instance) or one self-contained HTML file.',
    )
    .addOption(new Option('--format <format>', 'json, csv or html').default('json'))
    .option(
      '--state <dir>',
      'execution state: a directory or oss://bucket/prefix (env ECS_ROLE_ATTACH_STATE)',
    )
    .option('--endpoint <url>', 'the endpoint of an oss:// state (e.g. the emulator)')
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach report exec-20261122T231501Z-4f3a9c --format csv > attach.csv
  $ ecs-role-attach report org-20261122T231501Z-4f3a9c --format html --state oss://my-bucket/ecs-role-attach > org.html

CSV columns: account, region, execution, batch, instance, rule, role, outcome, reason (skip reason or
error code), message, previousRole. Exit codes: 0 written, 1 no such execution, 2 invalid input.`,
    )
    .action((executionId: string, options: { format?: string; state?: string; endpoint?: string }) =>
      guard(context, async () => {
        executionIdArgument(executionId);
        const format = reportFormat(options.format, '--format');
        const document = await loadReportDocument(executionId, openStore(options));
        context.stdout.write(renderReport(document, format));
        return 0;
      }),
    );
}
