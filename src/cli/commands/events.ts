/**
 * `resume-events`: after the event path's circuit breaker opened (too many consecutive failures), run
 * the instances queued meanwhile as one batch execution and close the breaker.
 */
import type { Command } from 'commander';
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  InvalidInputError,
  PARAMETER_DEFAULTS,
  resumeEventPath,
  runExecution,
} from '../../engine/index.js';
import { checkAtom, REGION_ID, REGION_RULE } from '../../inputs/atoms.js';
import { parseExclusions } from '../../inputs/targets.js';
import type { CommandContext } from '../context.js';
import { CLI_OWNER, engineDeps } from '../deps.js';
import { exitCodeFor, guard } from '../exit.js';
import { type CommonOptions, outputFormat, roleOrRules } from '../options.js';
import { printReport } from '../report.js';

interface ResumeEventsOptions extends CommonOptions {
  region?: string;
  role?: string;
  rules?: string;
  onConflict?: string;
  excludeTag?: string[];
}

/** Registers `resume-events`. */
export function registerEventsCommand(program: Command, context: CommandContext): void {
  program
    .command('resume-events')
    .description(
      'Close the event path circuit breaker of a (region, role) and run its backlog as a batch execution.',
    )
    .requiredOption('--region <id>', 'region of the event path, e.g. cn-hangzhou')
    .option('--role <name>', 'the designated role of the event path (RAM_ROLE_NAME of the function)')
    .option(
      '--rules <file>',
      'instead of --role: the role rules of the event path (the ROLE_RULES document of the function)',
    )
    .option('--state <location>', "the functions' state: oss://bucket/prefix (their STATE) or a directory")
    .option('--endpoint <url>', 'send every API call to this endpoint (e.g. the emulator)')
    .option('--on-conflict <policy>', 'instances bearing another role: skip (default), fail or replace')
    .option(
      '--exclude-tag <key[=value]>',
      'never touch instances with this tag (repeatable; default ecs-role-attach:exclude)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--output <format>', 'text or json', 'text')
    .addHelpText(
      'after',
      '\nExample:\n  $ ecs-role-attach resume-events --region cn-hangzhou --role EcsAppRole --state oss://my-state/ecs-role-attach',
    )
    .action((options: ResumeEventsOptions) =>
      guard(context, async () => {
        const format = outputFormat(options.output);
        const regionId = checkAtom(options.region, REGION_ID, REGION_RULE, '--region');
        const onConflict = options.onConflict ?? PARAMETER_DEFAULTS.onConflict;
        if (!(CONFLICT_POLICIES as readonly string[]).includes(onConflict)) {
          throw new InvalidInputError(
            '--on-conflict',
            `must be one of ${CONFLICT_POLICIES.join(', ')}`,
            onConflict,
          );
        }
        const { role, rules } = roleOrRules(options, 'the event path to resume');
        const deps = { ...engineDeps(regionId, options), owner: CLI_OWNER };
        const resumed = await resumeEventPath(regionId, role, deps, {
          onConflict: onConflict as ConflictPolicy,
          exclusions: parseExclusions(options.excludeTag ?? [], []),
          ...(rules ? { rules } : {}),
        });
        context.stderr.write(
          `ecs-role-attach: event path ${regionId}/${role} ${resumed.wasOpen ? 'was paused and is' : 'is'} running again; ${resumed.backlog} queued instances.\n`,
        );
        if (!resumed.execution) {
          if (format === 'json') context.stdout.write(`${JSON.stringify(resumed)}\n`);
          return 0;
        }
        const report = await runExecution(resumed.execution.executionId, deps);
        printReport(context, report, format, options);
        return exitCodeFor(report.status);
      }),
    );
}
