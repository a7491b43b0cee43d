/**
 * `ecs-role-attach rollback <executionId>`: undo what an execution did — detach the role from the
 * instances it attached (only those that still bear it) and restore the previous role on those it
 * replaced — as a stored execution of its own, under the original's rate control.
 */
import type { Command } from 'commander';
import {
  createOrganization,
  createRollback,
  dryRunOrganization,
  type ExecutionReport,
  getExecutionReport,
  isOrganizationId,
  loadOrganization,
  organizationReport,
  planOrganizationRollback,
  runExecution,
  runOrganization,
} from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import { engineDeps, openStore } from '../deps.js';
import { exitCodeFor, guard } from '../exit.js';
import { addCommonOptions, type CommonOptions, executionIdArgument, outputFormat } from '../options.js';
import { organizationApis, organizationDeps, printOrganizationReport } from '../organization.js';
import { createProgressReporter } from '../progress.js';
import { printReport } from '../report.js';

interface RollbackOptions extends CommonOptions {
  dryRun?: boolean;
}

/** Registers `rollback`. */
export function registerRollbackCommand(program: Command, context: CommandContext): void {
  addCommonOptions(
    program
      .command('rollback <executionId>')
      .description(
        'Detach the role from the instances an execution attached (only if they still bear it) and restore the previous role where it replaced one. Runs as its own execution (crash-safe; see list/status), in the original batches and MaxErrors. Given the id of a rollback execution, drives it on (after a crash).',
      )
      .option('--dry-run', 'read the current roles and print what would happen; no write call is made'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach rollback exec-20260105T030000Z-4f3a9c --dry-run
  $ ecs-role-attach rollback exec-20260105T030000Z-4f3a9c --output json
  $ ecs-role-attach rollback org-20260105T030000Z-7b1d2e --dry-run

An organization execution (org-…) rolls back through its children: a new parent whose child in each
(account, region) that changed something rolls that child back, through the same AssumeRole.

Exit codes: 0 Success (or dry run), 1 Failed or Cancelled, 2 invalid input, 3 Waiting (paused:
resume | retry | cancel the rollback execution like any other).`,
    )
    .action((executionId: string, options: RollbackOptions) =>
      guard(context, async () => {
        executionIdArgument(executionId);
        const format = outputFormat(options.output);
        if (isOrganizationId(executionId)) {
          return printOrganizationReport(
            context,
            await rollbackOrganization(executionId, options, context),
            format,
          );
        }
        const store = openStore(options);
        const target = await getExecutionReport(executionId, store);
        const reporter =
          options.quiet === true ? undefined : createProgressReporter({ stream: context.stderr });
        const deps = {
          ...engineDeps(target.regionId, options, reporter ? (p) => reporter.update(p) : undefined),
          store,
        };
        let report: ExecutionReport;
        try {
          if (target.rollbackOf !== undefined) {
            // The id of a rollback itself: drive it on (a crashed run), or just show it with --dry-run.
            report = options.dryRun === true ? target : await runExecution(executionId, deps);
          } else if (options.dryRun === true) {
            report = await createRollback(executionId, deps, { dryRun: true });
          } else {
            const created = await createRollback(executionId, deps);
            report = await runExecution(created.executionId, deps);
          }
        } finally {
          // Before the report is printed, and on errors too (the bar must not stay on the terminal).
          reporter?.finish();
        }
        printReport(context, report, format, options);
        return exitCodeFor(report.status);
      }),
    );
}

/**
 * The rollback of a parent execution: a new parent (kind `rollback`) with one child per original child that
 * changed something; given the id of such a rollback parent, drives it on (after a crash).
 */
async function rollbackOrganization(
  organizationId: string,
  options: RollbackOptions,
  context: CommandContext,
) {
  const store = openStore(options);
  const record = await loadOrganization(organizationId, store);
  const deps = organizationDeps(options, organizationApis(options), context);
  if (record.kind === 'rollback') {
    return options.dryRun === true ? organizationReport(record) : runOrganization(organizationId, deps);
  }
  const plan = await planOrganizationRollback(organizationId, store);
  if (options.dryRun === true) return dryRunOrganization(plan, deps);
  return runOrganization((await createOrganization(plan, deps)).organizationId, deps);
}
