/**
 * `ecs-role-attach harden-metadata` and `ecs-role-attach templates`: the two source kinds, each an
 * ordinary execution (journal, pause/resume/retry/cancel, `rollback <id>`, `status`, `list`).
 */
import type { Command } from 'commander';
import {
  createExecution,
  type ExecutionReport,
  HARDENING_PREREQUISITES,
  runExecution,
} from '../../engine/index.js';
import { parseSourceInput, type RawSourceInput } from '../../inputs/sources.js';
import type { CommandContext } from '../context.js';
import { engineDeps } from '../deps.js';
import { EXIT_CODES, exitCodeFor, guard } from '../exit.js';
import {
  addCommonOptions,
  type CommonOptions,
  outputFormat,
  readJsonArgument,
  roleRulesFile,
} from '../options.js';
import { createProgressReporter } from '../progress.js';
import { printReport } from '../report.js';

interface SourceOptions extends CommonOptions {
  region?: string;
  role?: string;
  rules?: string;
  targets?: string;
  rateControl?: string;
  mode?: string;
  onConflict?: string;
  kinds?: string;
  excludeTag?: string[];
  excludeIds?: string[];
  includeRoleless?: boolean;
  dryRun?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function rawInput(options: SourceOptions): RawSourceInput {
  const input: RawSourceInput = {};
  if (options.region !== undefined) input.regionId = options.region;
  if (options.role !== undefined) input.RamRoleName = options.role;
  if (options.rules !== undefined) input.rules = roleRulesFile(options.rules);
  if (options.targets !== undefined) input.targets = readJsonArgument(options.targets, '--targets');
  if (options.rateControl !== undefined)
    input.rateControl = readJsonArgument(options.rateControl, '--rate-control');
  if (options.mode !== undefined) input.mode = options.mode;
  if (options.onConflict !== undefined) input.onConflict = options.onConflict;
  if (options.kinds !== undefined) input.kinds = options.kinds;
  if (options.excludeTag?.length) input.excludeTags = options.excludeTag;
  if (options.excludeIds?.length) input.excludeInstanceIds = options.excludeIds;
  if (options.includeRoleless) input.includeRoleless = true;
  return input;
}

/** Plans and runs one execution per region; prints every report; exit code of the worst. */
async function runPerRegion(
  kind: 'harden-metadata' | 'templates',
  options: SourceOptions,
  context: CommandContext,
): Promise<number> {
  const format = outputFormat(options.output);
  const parsed = parseSourceInput(kind, rawInput(options));
  const reports: ExecutionReport[] = [];
  let exit: number = EXIT_CODES.success;
  for (const parameters of parsed) {
    const reporter =
      options.quiet === true || options.dryRun
        ? undefined
        : createProgressReporter({ stream: context.stderr });
    const deps = engineDeps(parameters.regionId, options, reporter ? (p) => reporter.update(p) : undefined);
    try {
      const created = await createExecution(parameters, deps, {
        origin: 'cli',
        ...(options.dryRun ? { dryRun: true } : {}),
      });
      const report = options.dryRun ? created : await runExecution(created.executionId, deps);
      reporter?.finish();
      reports.push(report);
      const code = exitCodeFor(report.status);
      if (code !== EXIT_CODES.success && (exit === EXIT_CODES.success || code === EXIT_CODES.failed))
        exit = code;
    } finally {
      reporter?.finish();
    }
  }
  if (format === 'json') {
    context.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports)}\n`);
  } else {
    for (const report of reports) printReport(context, report, format, options);
    if (kind === 'harden-metadata') context.stdout.write(`Prerequisites: ${HARDENING_PREREQUISITES}.\n`);
  }
  return exit;
}

/** Registers `harden-metadata` and `templates`. */
export function registerSourceCommands(program: Command, context: CommandContext): void {
  addCommonOptions(
    program
      .command('harden-metadata')
      .description(
        'Put instances in the metadata service security hardening mode (ModifyInstanceMetadataOptions HttpTokens=required, one instance per call), so SSRF cannot steal the STS tokens of their role. Canary first and pause on failure by default; `rollback <id>` sets exactly the changed instances back to optional.',
      )
      .option('--region <id>', 'region of the instances, e.g. cn-hangzhou')
      .option(
        '--targets <json|@file>',
        'OOS targets, e.g. {"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}',
      )
      .option(
        '--rate-control <json>',
        'OOS rateControl; default {"Mode":"Batch","Batch":[1,"10%"],"MaxErrors":0} (a one-instance canary)',
      )
      .option('--mode <mode>', 'FailurePause (default: pause as Waiting on failure) or Automatic')
      .option('--include-roleless', 'also harden instances that bear no RAM role (left alone by default)')
      .option('--exclude-tag <key[=value]>', 'never touch instances with this tag (repeatable)', collect, [])
      .option('--exclude-ids <ids>', 'never touch these instances, comma-separated (repeatable)', collect, [])
      .option('--dry-run', 'read the targets and print what would change; no write call is made'),
  )
    .addHelpText(
      'after',
      `
Prerequisites (from the Alibaba Cloud documents): ${HARDENING_PREREQUISITES}.

Examples:
  $ ecs-role-attach harden-metadata --region cn-hangzhou --targets '{"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}' --dry-run
  $ ecs-role-attach harden-metadata --region cn-hangzhou --targets '{"Type":"All"}'
  $ ecs-role-attach rollback exec-20261201T210000Z-4f3a9c

Exit codes: 0 Success, 1 Failed or Cancelled, 2 invalid input (nothing called), 3 Waiting (paused).`,
    )
    .action((options: SourceOptions) =>
      guard(context, () => runPerRegion('harden-metadata', options, context)),
    );

  addCommonOptions(
    program
      .command('templates')
      .description(
        'Make the sources of new instances carry the role: a launch template whose default version lacks it gets a new version copied field by field with RamRoleName, made the default; the active scaling configuration of each scaling group gets RamRoleName (ESS). `rollback <id>` restores the previous default versions and roles.',
      )
      .option('--region <id>', 'region(s), comma-separated, e.g. cn-hangzhou,cn-shanghai')
      .option('--role <name>', 'the instance RAM role the sources must carry')
      .option(
        '--rules <file>',
        'role rules (YAML or JSON) instead of --role: each source gets the role of the rule its instances would match',
      )
      .option('--kinds <list>', 'launch-template,scaling-configuration (default: both)')
      .option(
        '--targets <json|@file>',
        'default {"Type":"All"}; or {"Type":"ResourceIds","ResourceIds":["lt-...","asg-..."]}',
      )
      .option(
        '--rate-control <json>',
        'OOS rateControl (default {"Mode":"Concurrency","Concurrency":10,"MaxErrors":0})',
      )
      .option('--mode <mode>', 'Automatic (default) or FailurePause')
      .option('--on-conflict <policy>', 'a source carrying another role: skip (default), fail or replace')
      .option('--dry-run', "read the sources and print each one's predicted outcome; no write call is made"),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach templates --region cn-hangzhou,cn-shanghai --role EcsAppRole --dry-run
  $ ecs-role-attach templates --region cn-hangzhou --role EcsAppRole --kinds launch-template --targets '{"Type":"ResourceIds","ResourceIds":["lt-bp1abc"]}'
  $ ecs-role-attach templates --region cn-hangzhou --rules rules.yaml --dry-run

With --rules, a source matches the rule its instances would match: the tags, resource group and VPC
they are launched with (a launch template's default version; a scaling configuration, plus its group's
propagated tags and VPC), vSwitchId when all of them land in that one vSwitch; instanceIds never match a
source. A source no rule matches ends Skipped/NoRule; one bearing an accepted role, Skipped/AcceptedRole.

Exit codes: 0 Success, 1 Failed or Cancelled, 2 invalid input (nothing written), 3 Waiting (paused).`,
    )
    .action((options: SourceOptions) => guard(context, () => runPerRegion('templates', options, context)));
}
