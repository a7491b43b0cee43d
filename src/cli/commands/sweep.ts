/**
 * `ecs-role-attach sweep`: the sweep path from the terminal (what the timer-triggered function does),
 * printing the same compliance report.
 */
import type { Command } from 'commander';
import {
  organizationSweep,
  renderSweepText,
  runSweep,
  type SweepReport,
  type SweepRequest,
} from '../../engine/index.js';
import { parseSweepRequest } from '../../inputs/timer.js';
import { renameFields } from '../../inputs/zod.js';
import {
  loadReportDocument,
  reportFiles,
  sweepReportDocument,
  writeReportFiles,
} from '../../report/index.js';
import type { CommandContext } from '../context.js';
import { engineDeps, openStore, withNotifications } from '../deps.js';
import { EXIT_CODES, guard } from '../exit.js';
import {
  addCommonOptions,
  addNotifyOption,
  type CommonOptions,
  outputFormat,
  readJsonArgument,
  regionList,
  roleOrRules,
} from '../options.js';
import {
  addOrganizationOptions,
  type OrganizationOptions,
  organizationApis,
  organizationDeps,
  organizationFlags,
  planAccounts,
  printOrganizationReport,
} from '../organization.js';
import { createProgressReporter } from '../progress.js';

interface SweepOptions extends CommonOptions, OrganizationOptions {
  region?: string;
  role?: string;
  rules?: string;
  targets?: string;
  rateControl?: string;
  mode?: string;
  fix?: string;
  maxTargets?: string;
  report?: string[];
}

/** Registers `sweep`. */
export function registerSweepCommand(program: Command, context: CommandContext): void {
  addOrganizationOptions(
    addCommonOptions(
      addNotifyOption(program.command('sweep'))
        .description(
          'Find the instances lacking the role in each region, attach it as a stored execution, and print a compliance report (like Cloud Config rule ecs-instance-ram-role-attached). Never overlaps a running or paused sweep of the same region and role.',
        )
        .requiredOption('--region <ids>', 'region id(s), comma-separated, e.g. cn-hangzhou,cn-shanghai')
        .option('--role <name>', 'the instance RAM role every instance should bear')
        .option('--rules <file>', 'role rules (YAML or JSON) instead of --role: the role per instance')
        .option('--targets <json|@file>', 'OOS targets to sweep (default {"Type":"All"} in each region)')
        .option(
          '--rate-control <json|@file>',
          'OOS rateControl (default {"Mode":"Concurrency","Concurrency":100,"MaxErrors":10})',
        )
        .option('--mode <mode>', 'Automatic (default) or FailurePause')
        .option(
          '--max-targets <n|N%>',
          'per region, refuse to write to more instances than this (default 1000 for {"Type":"All"}, 100 with replace)',
        )
        .option(
          '--report <file>',
          'also write the export of the sweep to this file: .json, .csv (one row per instance) or .html (repeatable)',
          (value: string, previous: string[] = []) => [...previous, value],
        )
        .option(
          '--fix <list>',
          'also remediate the sources in the same run: templates, metadata, or templates,metadata (default: report them only)',
        ),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach sweep --region cn-hangzhou,cn-shanghai --role EcsAppRole
  $ ecs-role-attach sweep --region cn-hangzhou --rules rules.yaml
  $ ecs-role-attach sweep --region cn-hangzhou --role EcsAppRole --fix templates,metadata
  $ ecs-role-attach sweep --region cn-hangzhou,cn-shanghai --role EcsAppRole --report sweep.csv --report sweep.html
  $ ecs-role-attach sweep --region cn-hangzhou --role EcsAppRole \\
      --targets '{"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}' --output json
  $ ecs-role-attach sweep --accounts all --region cn-hangzhou,cn-shanghai --role EcsAppRole
  $ ecs-role-attach sweep --accounts folder:fd-a1b2c3 --exclude-accounts 1234567890123456 \\
      --assume-role ResourceDirectoryAccountAccessRole --region cn-hangzhou --role EcsAppRole

Exit codes: 0 every region swept without failures, 1 failures or a region not swept
(locked, paused sweep waiting), 2 invalid input (nothing called).`,
    )
    .action((options: SweepOptions) =>
      guard(context, async () => {
        const format = outputFormat(options.output);
        const request = sweepRequest(options);
        const files = reportFiles(options.report ?? [], '--report');
        const organization = organizationFlags(options);
        if (organization) {
          const apis = organizationApis(options);
          const report = await organizationSweep(
            request.role,
            async () => ({
              input: { kind: 'sweep' as const, request, settings: {} },
              origin: 'sweep' as const,
              ...(await planAccounts(organization, request.regions, apis)),
              accountConcurrency: organization.accountConcurrency,
            }),
            organizationDeps(options, apis, context),
          );
          if (files.length > 0)
            writeReportFiles(files, await loadReportDocument(report.organizationId, openStore(options)));
          return printOrganizationReport(context, report, format);
        }
        const store = openStore(options);
        const reporter =
          options.quiet === true ? undefined : createProgressReporter({ stream: context.stderr });
        let report: SweepReport;
        try {
          report = await runSweep(request, (regionId) => ({
            ...engineDeps(regionId, options, reporter ? (p) => reporter.update(p) : undefined),
            store,
          }));
        } finally {
          reporter?.finish();
        }
        if (files.length > 0) writeReportFiles(files, await sweepReportDocument(report, store));
        const told = await withNotifications(options, report);
        const n = told.notifications;
        context.stdout.write(
          format === 'json'
            ? `${JSON.stringify(told)}\n`
            : `${renderSweepText(report)}${n ? `notifications: ${n.delivered} delivered${n.failed ? `, ${n.failed} failed (see the log)` : ''}\n` : ''}`,
        );
        const clean = report.regions.every((r) => r.state === 'swept' && r.status === 'Success');
        return clean && report.totals.failed === 0 ? EXIT_CODES.success : EXIT_CODES.failed;
      }),
    );
}

/** Each key of the sweep request and the flag it comes from, so that errors name what the operator typed. */
const SWEEP_FLAGS = {
  regions: '--region',
  role: '--role',
  rules: '--rules',
  targets: '--targets',
  rateControl: '--rate-control',
  mode: '--mode',
  fix: '--fix',
  maxTargets: '--max-targets',
} as const;

/** Flags -> the sweep request, through the one schema of the timer payload; errors name the flag. */
export function sweepRequest(options: SweepOptions): SweepRequest {
  const regions = regionList(options.region);
  const { role, rules } = roleOrRules(options, 'the role every instance should bear');
  const raw = {
    regions,
    ...(rules ? { rules } : { role }),
    ...(options.targets === undefined ? {} : { targets: readJsonArgument(options.targets, '--targets') }),
    ...(options.rateControl === undefined
      ? {}
      : { rateControl: readJsonArgument(options.rateControl, '--rate-control') }),
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    ...(options.fix === undefined ? {} : { fix: options.fix.split(',').map((entry) => entry.trim()) }),
    ...(options.maxTargets === undefined ? {} : { maxTargets: options.maxTargets }),
  };
  return renameFields(SWEEP_FLAGS, () => parseSweepRequest(raw, '')).request;
}
