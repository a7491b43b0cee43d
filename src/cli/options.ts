/**
 * The CLI's shared flags and argument readers: --state/--endpoint/--qps/--output/--quiet, --notify,
 * regions, role or rules, JSON arguments and files (each bad value an InvalidInputError naming the flag).
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { InvalidInputError, type RoleRules, RULES_LABEL } from '../engine/index.js';
import {
  checkAtom,
  EXECUTION_ID,
  EXECUTION_RULE,
  REGION_ID,
  REGION_RULE,
  ROLE_NAME,
  ROLE_RULE,
} from '../inputs/atoms.js';
import { parseRoleRulesAs } from '../inputs/rules.js';
import { LOG_FORMATS } from './terminal.js';

/** The flags every command that reads or drives executions takes: --state, --endpoint, --qps, --output, --quiet, --log-format. */
export function addCommonOptions(command: Command): Command {
  return command
    .option(
      '--state <dir>',
      'execution state: a directory or oss://bucket/prefix (env ECS_ROLE_ATTACH_STATE)',
    )
    .option(
      '--endpoint <url>',
      'send every API call to this endpoint (e.g. the emulator); default: Alibaba Cloud',
    )
    .option('--qps <list>', 'per-action calls per second, e.g. AttachInstanceRamRole=20,DescribeInstances=10')
    .addOption(new Option('--output <format>', 'text or json').default('text'))
    .option('--quiet', 'no progress output')
    .addOption(
      new Option(
        '--log-format <format>',
        'warnings and errors on stderr as readable text lines (default on a terminal) or pino json lines (default otherwise)',
      ).choices(LOG_FORMATS),
    );
}

/** Default state directory, overridden by `--state` or `ECS_ROLE_ATTACH_STATE`. */
export const DEFAULT_STATE_DIR = './.ecs-role-attach';

export type OutputFormat = 'text' | 'json';

export interface CommonOptions {
  state?: string;
  endpoint?: string;
  output?: string;
  qps?: string;
  quiet?: boolean;
  /** `--log-format`: text or json (default: text on a terminal, json otherwise). */
  logFormat?: string;
  /** `--notify` sinks (commands that take it: run, resume, retry, cancel, sweep). */
  notify?: string[];
}

/** `--notify <sink>` (repeatable) on the commands that drive executions. */
export function addNotifyOption(command: Command): Command {
  return command.option(
    '--notify <sink>',
    'notify webhook:https://... or dingtalk:https://oapi.dingtalk.com/robot/send?access_token=...[&secret=...] when an execution is planned, pauses, is continued or ends (repeatable)',
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

/** `--region a,b`: region ids, deduplicated in order; at least one. */
export function regionList(value: string | undefined): string[] {
  const regions = (value ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  if (regions.length === 0)
    throw new InvalidInputError('--region', 'must list at least one region id', value);
  for (const region of regions) checkAtom(region, REGION_ID, REGION_RULE, '--region');
  return [...new Set(regions)];
}

/** `<executionId>` (status, resume, retry, cancel, rollback, report): an execution id, checked before the store. */
export function executionIdArgument(value: string): string {
  return checkAtom(value, EXECUTION_ID, EXECUTION_RULE, '<executionId>');
}

/** `--role`: a RAM role name. */
export function roleName(value: string | undefined): string {
  return checkAtom(value, ROLE_NAME, ROLE_RULE, '--role');
}

/**
 * `--rules <file>`: a role-rules document (YAML or JSON), validated; errors name the flag and the rule's
 * field, e.g. `--rules rules[1].role of rule "web" is required`.
 */
export function roleRulesFile(path: string): RoleRules {
  return parseRoleRulesAs(readTextFile(path, '--rules'), '--rules');
}

/**
 * `--role <name>` or `--rules <file>` (exactly one): the role label (the role, or `@rules`) and the rules.
 * @param what says what the role is for in the "required" message, e.g. `the role every instance should bear`.
 */
export function roleOrRules(
  options: { role?: string; rules?: string },
  what: string,
): { role: string; rules?: RoleRules } {
  if (options.rules !== undefined && options.role !== undefined) {
    throw new InvalidInputError(
      '--rules',
      'and --role exclude each other: give one role (--role) or role rules (--rules)',
      options.rules,
    );
  }
  if (options.rules === undefined && options.role === undefined) {
    throw new InvalidInputError('--role', `or --rules is required: ${what}`, undefined);
  }
  if (options.rules === undefined) return { role: roleName(options.role) };
  return { role: RULES_LABEL, rules: roleRulesFile(options.rules) };
}

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new InvalidInputError('--output', 'must be text or json', value);
}

/** Reads `value` as JSON, or the file it names when it starts with `@`. */
export function readJsonArgument(value: string, field: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new InvalidInputError(field, `must name a readable file (${(error as Error).message})`, value);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(field, 'must be JSON (or @file holding JSON)', value);
  }
}

/** Reads a text file named by a flag; an unreadable file is the flag's error (exit 2). */
export function readTextFile(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(field, `must name a readable file (${(error as Error).message})`, path);
  }
}

export function readJsonFile(path: string, field: string): unknown {
  return readJsonArgument(`@${path}`, field);
}

/** The flags an operator repeats in the next command: where the state is, and the endpoint if overridden. */
export function repeatedFlags(options: Pick<CommonOptions, 'state' | 'endpoint'>): string {
  const flags: string[] = [];
  if (options.state !== undefined) flags.push(`--state ${shellQuote(options.state)}`);
  if (options.endpoint !== undefined) flags.push(`--endpoint ${shellQuote(options.endpoint)}`);
  return flags.length ? ` ${flags.join(' ')}` : '';
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
