import { type Command, Option } from 'commander';
import {
  createExecution,
  createExecutionFromPlan,
  createOrganization,
  dryRunForReview,
  dryRunOrganization,
  type ExecutionParameters,
  InvalidInputError,
  isOrganizationId,
  loadOrganization,
  type OperatorAction,
  type OrganizationPlan,
  organizationReport,
  runExecution,
  runOrganization,
} from '../../engine/index.js';
import { parseExecutionInput, type RawExecutionInput, toParamsFile } from '../../inputs/parameters.js';
import { renameFields } from '../../inputs/zod.js';
import type { CommandContext } from '../context.js';
import { takeDecision, takeParentDecision } from '../decisions.js';
import { engineDeps, openStore, withNotifications } from '../deps.js';
import { exitCodeFor, guard } from '../exit.js';
import {
  addCommonOptions,
  addNotifyOption,
  type CommonOptions,
  executionIdArgument,
  outputFormat,
  readJsonArgument,
  readJsonFile,
  readTextFile,
  repeatedFlags,
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
import { assertFlagsMatchPlan, checkPlanFlags, readPlan, savePlan } from '../plans.js';
import { printReport } from '../report.js';

interface RunOptions extends CommonOptions, OrganizationOptions {
  region?: string;
  role?: string;
  rules?: string;
  targets?: string;
  rateControl?: string;
  mode?: string;
  onConflict?: string;
  excludeTag?: string[];
  excludeIds?: string[];
  params?: string;
  dryRun?: boolean;
  maxTargets?: string;
  savePlan?: string;
  plan?: string;
}

/** Which flag sets which parameter, so that errors name the flag the operator typed. */
const FLAG_SOURCES: Record<string, { flag: string; option: keyof RunOptions }> = {
  regionId: { flag: '--region', option: 'region' },
  RamRoleName: { flag: '--role', option: 'role' },
  rules: { flag: '--rules', option: 'rules' },
  targets: { flag: '--targets', option: 'targets' },
  rateControl: { flag: '--rate-control', option: 'rateControl' },
  mode: { flag: '--mode', option: 'mode' },
  onConflict: { flag: '--on-conflict', option: 'onConflict' },
  excludeTags: { flag: '--exclude-tag', option: 'excludeTag' },
  excludeInstanceIds: { flag: '--exclude-ids', option: 'excludeIds' },
  maxTargets: { flag: '--max-targets', option: 'maxTargets' },
};

/** `run`, `resume`, `retry`, `cancel`, `status` and `list`. */
export function registerRunCommands(program: Command, context: CommandContext): void {
  addOrganizationOptions(
    addCommonOptions(
      addNotifyOption(program.command('run'))
        .description('Plan and run a batch execution that attaches a RAM role to the target ECS instances.')
        .option('--region <id>', 'region of the instances, e.g. cn-hangzhou (OOS regionId)')
        .option('--role <name>', 'the instance RAM role to attach (OOS RamRoleName)')
        .option(
          '--rules <file>',
          'role rules (YAML or JSON): the role, and optional policy, per instance by tags, resource group, VPC...; instead of --role',
        )
        .option(
          '--targets <json|@file>',
          'OOS targets, e.g. {"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}',
        )
        .option(
          '--rate-control <json>',
          'OOS rateControl, e.g. {"Mode":"Batch","Batch":[1,"10%"],"MaxErrors":0}',
        )
        .option(
          '--mode <mode>',
          'Automatic (stop as Failed) or FailurePause (pause as Waiting) when MaxErrors is exceeded',
        )
        .option('--on-conflict <policy>', 'instances bearing another role: skip (default), fail or replace')
        .option(
          '--exclude-tag <key[=value]>',
          'never touch instances with this tag (repeatable)',
          collect,
          [],
        )
        .option(
          '--exclude-ids <ids>',
          'never touch these instances, comma-separated (repeatable)',
          collect,
          [],
        )
        .option(
          '--params <file>',
          "the OOS template's parameters JSON (regionId, RamRoleName, targets, rateControl)",
        )
        .option(
          '--max-targets <n|N%>',
          'fail before any write when more instances need one (default 100 with --on-conflict replace, 1000 for {"Type":"All"})',
        )
        .option('--dry-run', 'resolve targets and print the plan; no write call is made')
        .option(
          '--save-plan <file|store:key>',
          'with --dry-run: save the plan (parameters, each instance with its state and predicted outcome, a digest) for review; store:<key> saves it in --state',
        )
        .option(
          '--plan <file|store:key>',
          'execute a saved plan: exactly its instances; those changed since end Skipped/ChangedSincePlan (other flags must agree with it)',
        ),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach run --region cn-hangzhou --role EcsAppRole \\
      --targets '{"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}' \\
      --rate-control '{"Mode":"Batch","Batch":[1,"5%","10%"],"MaxErrors":0}' --mode FailurePause
  $ ecs-role-attach run --params oos-params.json --dry-run --output json
  $ ecs-role-attach run --accounts @accounts.yaml --region cn-hangzhou,cn-shanghai --role EcsAppRole \\
      --targets '{"Type":"All"}' --mode FailurePause
  $ ecs-role-attach run --region cn-hangzhou --rules rules.yaml --targets '{"Type":"All"}' --dry-run
  $ ecs-role-attach run --params oos-params.json --dry-run --save-plan plan.json   # review plan.json, then:
  $ ecs-role-attach run --plan plan.json

Exit codes: 0 Success, 1 Failed or Cancelled, 2 invalid input (nothing called), 3 Waiting (paused).`,
    )
    .action((options: RunOptions) =>
      guard(context, async () => {
        const format = outputFormat(options.output);
        checkPlanFlags(options);
        const organization = organizationFlags(options);
        if (organization) return runOrganizationCommand(options, organization, context);
        if (options.plan !== undefined) return runPlanCommand(options, options.plan, context);
        const parameters = runParameters(options);
        const deps = engineDeps(parameters.regionId, options, context.progress?.(context, options));
        if (options.savePlan !== undefined) {
          const { report, instances } = await dryRunForReview(parameters, deps, 'cli');
          const createdAt = new Date(deps.clock.now()).toISOString();
          const saved = await savePlan(
            options.savePlan,
            { parameters, instances, createdAt },
            () => deps.store,
          );
          const shown = await withNotifications(options, { ...report, savedPlan: saved });
          printReport(context, shown, format, options);
          if (format === 'text') {
            context.stdout.write(
              `  plan saved to ${saved.file} (${saved.instances} instances, ${saved.digest}); after review: ecs-role-attach run --plan ${saved.file}${repeatedFlags(options)}\n`,
            );
          }
          return exitCodeFor(report.status);
        }
        const created = await createExecution(parameters, deps, {
          origin: 'cli',
          ...(options.dryRun ? { dryRun: true } : {}),
        });
        const report = options.dryRun ? created : await runExecution(created.executionId, deps);
        printReport(context, await withNotifications(options, report), format, options);
        return exitCodeFor(report.status);
      }),
    );

  const actions: { name: string; action?: OperatorAction; description: string }[] = [
    {
      name: 'resume',
      action: 'continue',
      description:
        'Continue a paused (Waiting) execution, keeping its failures, or drive a Running one after a crash.',
    },
    {
      name: 'retry',
      action: 'retry',
      description: 'Re-attempt the failed instances of a paused execution, then continue.',
    },
    {
      name: 'cancel',
      action: 'cancel',
      description: 'Cancel an execution; targets not yet attempted end Cancelled.',
    },
    { name: 'status', description: 'Show the report of an execution.' },
  ];
  for (const { name, action, description } of actions) {
    const command = addCommonOptions(program.command(`${name} <executionId>`).description(description));
    (action === undefined ? command : addNotifyOption(command))
      .addHelpText(
        'after',
        `\nExample:\n  $ ecs-role-attach ${name} exec-20261122T231501Z-4f3a9c --state ./.ecs-role-attach`,
      )
      .option(
        '--flow-endpoint <url>',
        'CloudFlow endpoint for the callback of a workflow-owned execution (default: --endpoint, else CloudFlow)',
      )
      .action((executionId: string, options: CommonOptions & { flowEndpoint?: string }) =>
        guard(context, async () => {
          executionIdArgument(executionId);
          const format = outputFormat(options.output);
          if (isOrganizationId(executionId)) {
            const parent = action && (await takeParentDecision(executionId, action, options));
            if (parent) {
              context.stderr.write(`ecs-role-attach: ${parent.notice}\n`);
              // Handed back to the waiting flow: its next Step applies the decision.
              const code = printOrganizationReport(context, parent.report, format);
              return parent.handedBack ? 0 : code;
            }
            const apis = organizationApis(options);
            const report =
              action === undefined
                ? organizationReport(await loadOrganization(executionId, openStore(options)))
                : await runOrganization(executionId, organizationDeps(options, apis, context), { action });
            return printOrganizationReport(context, report, format);
          }
          const decision = await takeDecision(
            executionId,
            action,
            options,
            context.progress?.(context, options),
          );
          if (decision.notice) context.stderr.write(`ecs-role-attach: ${decision.notice}\n`);
          const report = await withNotifications(
            options,
            decision.drive ? await decision.drive() : decision.report,
          );
          printReport(context, report, format, options);
          // A decision handed back to CloudFlow succeeded even though the execution is still Running.
          return decision.handedBack && report.status === 'Running' ? 0 : exitCodeFor(report.status);
        }),
      );
  }

  program
    .command('list')
    .description('List the executions in the state store, newest first.')
    .addHelpText(
      'after',
      '\nExamples:\n  $ ecs-role-attach list\n  $ ecs-role-attach list --state oss://my-bucket/ecs-role-attach --output json',
    )
    .option(
      '--state <dir>',
      'execution state: a directory or oss://bucket/prefix (env ECS_ROLE_ATTACH_STATE)',
    )
    .addOption(new Option('--output <format>', 'text or json').default('text'))
    .action((options: CommonOptions) =>
      guard(context, async () => {
        const format = outputFormat(options.output);
        const records = await openStore(options).list();
        if (format === 'json') {
          context.stdout.write(
            `${JSON.stringify(
              records.map((r) => ({
                executionId: r.executionId,
                status: r.status,
                regionId: r.parameters.regionId,
                ramRoleName: r.parameters.ramRoleName,
                createdAt: r.createdAt,
                counts: r.counts,
              })),
            )}\n`,
          );
        } else {
          for (const r of records) {
            context.stdout.write(
              `${r.executionId}  ${r.status.padEnd(9)} ${r.parameters.regionId}  ${r.parameters.ramRoleName}  ${r.counts.total} targets (${r.counts.pending} pending, ${r.counts.failed} failed)\n`,
            );
          }
          if (records.length === 0) context.stdout.write('No executions yet.\n');
        }
        return 0;
      }),
    );
}

/** `run --accounts`: one child execution per (account, region) of the comma-separated --region list. */
async function runOrganizationCommand(
  options: RunOptions,
  organization: NonNullable<ReturnType<typeof organizationFlags>>,
  context: CommandContext,
): Promise<number> {
  const regions = [...new Set((options.region ?? '').split(',').map((r) => r.trim()))].filter(
    (r) => r !== '',
  );
  if (regions.length === 0)
    throw new InvalidInputError('--region', 'must list at least one region id', options.region);
  const parameters = regions.map((region) => runParameters({ ...options, region }))[0]!;
  const apis = organizationApis(options);
  const deps = organizationDeps(options, apis, context);
  const plan: OrganizationPlan = {
    input: { kind: 'run', parameters },
    origin: 'cli',
    ...(await planAccounts(organization, regions, apis)),
    accountConcurrency: organization.accountConcurrency,
  };
  const report = options.dryRun
    ? await dryRunOrganization(plan, deps)
    : await runOrganization((await createOrganization(plan, deps)).organizationId, deps);
  return printOrganizationReport(context, report, outputFormat(options.output));
}

/**
 * `run --plan <file>`: the plan's instances, planned again with its parameters (flags must agree with
 * them), then run; with --dry-run, only the report of what would happen now.
 */
async function runPlanCommand(options: RunOptions, file: string, context: CommandContext): Promise<number> {
  const plan = await readPlan(file, () => openStore(options));
  assertFlagsMatchPlan(plan.parameters, runParameters(options, toParamsFile(plan.parameters)));
  const deps = engineDeps(plan.parameters.regionId, options, context.progress?.(context, options));
  const created = await createExecutionFromPlan(plan, deps, {
    origin: 'cli',
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  const report = options.dryRun ? created : await runExecution(created.executionId, deps);
  printReport(context, await withNotifications(options, report), outputFormat(options.output), options);
  return exitCodeFor(report.status);
}

/**
 * The execution parameters from --params (or `base`, a reviewed plan's) and flags (flags win), validated.
 */
function runParameters(options: RunOptions, base?: RawExecutionInput): ExecutionParameters {
  base ??= (options.params ? readJsonFile(options.params, '--params') : {}) as RawExecutionInput;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) {
    throw new InvalidInputError('--params', 'must hold a JSON object of OOS parameters', base);
  }
  const input: RawExecutionInput = { ...base };
  if (options.role !== undefined && options.rules !== undefined) {
    throw new InvalidInputError(
      '--rules',
      'and --role exclude each other: give one role (--role) or role rules (--rules)',
      options.rules,
    );
  }
  if (options.region !== undefined) input.regionId = options.region;
  // A flag wins over --params, also across the two forms of the role.
  if (options.role !== undefined) {
    input.RamRoleName = options.role;
    delete input.rules;
  }
  if (options.rules !== undefined) {
    input.rules = readTextFile(options.rules, '--rules');
    delete input.RamRoleName;
  }
  if (options.targets !== undefined) input.targets = readJsonArgument(options.targets, '--targets');
  if (options.rateControl !== undefined)
    input.rateControl = readJsonArgument(options.rateControl, '--rate-control');
  if (options.mode !== undefined) input.mode = options.mode;
  if (options.onConflict !== undefined) input.onConflict = options.onConflict;
  if (options.excludeTag?.length) input.excludeTags = options.excludeTag;
  if (options.excludeIds?.length) input.excludeInstanceIds = options.excludeIds;
  if (options.maxTargets !== undefined) input.maxTargets = options.maxTargets;
  for (const key of ['regionId', 'RamRoleName', 'targets'] as const) {
    if (key === 'RamRoleName' && input.rules !== undefined) continue;
    if (input[key] === undefined) {
      if (key === 'RamRoleName') {
        throw new InvalidInputError(
          '--role',
          'or --rules is required (or give RamRoleName in --params)',
          undefined,
        );
      }
      throw new InvalidInputError(
        FLAG_SOURCES[key]!.flag,
        `is required (or give ${key} in --params)`,
        undefined,
      );
    }
  }
  // `targets.ResourceIds[0]` is `--targets ResourceIds[0]` when the value came from a flag (not --params).
  const given = Object.entries(FLAG_SOURCES).filter(([, { option }]) => {
    const value = options[option];
    return value !== undefined && !(Array.isArray(value) && value.length === 0);
  });
  return renameFields(Object.fromEntries(given.map(([key, { flag }]) => [key, flag])), () =>
    parseExecutionInput(input),
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
