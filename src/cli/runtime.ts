/**
 * What every CLI command shares: building the engine's dependencies from flags and environment,
 * printing reports, mapping statuses and errors to exit codes.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import pino from 'pino';
import { createCloudApis } from '../cloud/clients.js';
import type { CredentialSource } from '../cloud/credentials.js';
import { parseQps } from '../cloud/limiter.js';
import {
  type EngineDeps,
  type ExecutionProgress,
  type ExecutionReport,
  type ExecutionStatus,
  exemptionLines,
  InvalidInputError,
  type Logger,
  RoleAttachError,
  type RoleRules,
  RULES_LABEL,
  systemClock,
} from '../engine/index.js';
import { parseSinks } from '../inputs/notify.js';
import { parseRoleRulesAs } from '../inputs/rules.js';
import { createNotifier, type HttpNotifier } from '../notify/sinks.js';
import { type ObjectExecutionStore, openExecutionStore } from '../store/index.js';
import type { CommandContext } from './context.js';

/** The flags every command that reads or drives executions takes: --state, --endpoint, --qps, --output, --quiet. */
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
    .option('--quiet', 'no progress output');
}

/** Default state directory, overridden by `--state` or `ECS_ROLE_ATTACH_STATE`. */
export const DEFAULT_STATE_DIR = './.ecs-role-attach';

export const EXIT_CODES = {
  success: 0,
  failed: 1,
  invalid: 2,
  waiting: 3,
} as const;

export type OutputFormat = 'text' | 'json';

export interface CommonOptions {
  state?: string;
  endpoint?: string;
  output?: string;
  qps?: string;
  quiet?: boolean;
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

/** One notifier per command invocation (its flags object), so that every engine call shares it. */
const notifiers = new WeakMap<CommonOptions, HttpNotifier | undefined>();

/**
 * The notifier of `--notify`, or undefined without it. Bad sinks throw InvalidInputError naming
 * `--notify` (exit 2) before any call; the message names the sink by scheme and host only.
 */
export function notifierFor(options: CommonOptions, logger: Logger): HttpNotifier | undefined {
  if (!notifiers.has(options)) {
    notifiers.set(options, createNotifier(parseSinks(options.notify ?? [], '--notify'), systemClock, logger));
  }
  return notifiers.get(options);
}

/**
 * Waits for the notifications of this invocation (retries included) and returns `report` with their
 * counts; without `--notify`, `report` as it is.
 */
export async function withNotifications<T extends object>(
  options: CommonOptions,
  report: T,
): Promise<T & { notifications?: { delivered: number; failed: number } }> {
  const notifier = notifiers.get(options);
  return notifier ? { ...report, notifications: await notifier.flush() } : report;
}

/** `--region a,b`: region ids, deduplicated in order; at least one. */
export function regionList(value: string | undefined): string[] {
  const regions = (value ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  if (regions.length === 0)
    throw new InvalidInputError('--region', 'must list at least one region id', value);
  for (const region of regions) {
    if (!/^[a-z]{2,}(-[a-z0-9]+)+$/.test(region))
      throw new InvalidInputError('--region', 'must be region ids like "cn-hangzhou"', region);
  }
  return [...new Set(regions)];
}

/** `--role`: a RAM role name. */
export function roleName(value: string | undefined): string {
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(value ?? '')) {
    throw new InvalidInputError(
      '--role',
      'must be a RAM role name (1-64 letters, digits, "." or "-")',
      value,
    );
  }
  return value!;
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

export function stateLocation(options: CommonOptions): string {
  return options.state ?? process.env['ECS_ROLE_ATTACH_STATE'] ?? DEFAULT_STATE_DIR;
}

export function openStore(options: CommonOptions): ObjectExecutionStore {
  // An oss:// store follows --endpoint too (the emulator serves OSS beside ECS and RAM).
  return openExecutionStore(
    stateLocation(options),
    options.endpoint === undefined ? {} : { endpoint: options.endpoint },
  );
}

/** Structured logs go to stderr (warnings and errors by default; LOG_LEVEL=info for more). */
export function cliLogger(): Logger {
  return pino(
    { level: process.env['LOG_LEVEL'] ?? 'warn', base: null, redact: ['accessKeySecret', 'securityToken'] },
    pino.destination(2),
  );
}

/** Engine dependencies for one region, from flags: endpoint override, per-action QPS, state store. */
export function engineDeps(
  regionId: string,
  options: CommonOptions,
  onProgress?: (progress: ExecutionProgress) => void,
  /** Another account's credential (organization scope); default: the default credential chain. */
  credential?: CredentialSource,
): EngineDeps {
  const logger = cliLogger();
  const cloud = createCloudApis({
    regionId,
    ...(credential === undefined ? {} : { credential }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.qps === undefined ? {} : { qps: parseQps(options.qps) }),
    logger,
  });
  return {
    ecs: cloud.ecs,
    ram: cloud.ram,
    sources: cloud.sources,
    store: openStore(options),
    clock: systemClock,
    random: Math.random,
    logger,
    owner: CLI_OWNER,
    canTakeOver: isDeadLocalProcess,
    ...(onProgress ? { onProgress } : {}),
    ...notifierDeps(options, logger),
  };
}

/** The notifier of `--notify` and the flags its commands repeat; nothing without `--notify`. */
export function notifierDeps(
  options: CommonOptions,
  logger: Logger,
): Pick<EngineDeps, 'notifier' | 'commandFlags'> {
  const notifier = notifierFor(options, logger);
  return notifier ? { notifier, commandFlags: repeatedFlags(options) } : {};
}

/**
 * Where this process runs, precisely enough to tell its processes apart: the kernel's boot id and the
 * PID namespace. Two machines (or containers sharing a hostname but not a PID namespace) never match,
 * so neither can take the other's live lease for a dead one. `unknown` (no /proc) never matches.
 */
function processScope(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    return boot && namespace ? `${boot}.${namespace}` : 'unknown';
  } catch {
    return 'unknown';
  }
}

const SCOPE = processScope();

/**
 * A lease holder in this process: `cli:<host>:<boot id>.<pid namespace>:<pid>:<nonce>`. A process that
 * changes several executions at once (the console) takes a fresh nonce for each, so that two of its own
 * runs never share a lease.
 */
export function cliOwner(): string {
  return `cli:${hostname()}:${SCOPE}:${process.pid}:${Math.floor(Math.random() * 2 ** 32).toString(16)}`;
}

/** This process as an execution lease holder (see {@link cliOwner}). */
export const CLI_OWNER = cliOwner();

/**
 * A lease held by a CLI process that no longer exists on this very machine and PID namespace (killed,
 * crashed) may be taken over at once, so that `resume` after a `kill -9` need not wait for the lease to
 * expire. Anything else waits for the lease to expire.
 */
export function isDeadLocalProcess(holder: string): boolean {
  const [kind, host, scope, pid] = holder.split(':');
  if (kind !== 'cli' || host !== hostname() || scope !== SCOPE || SCOPE === 'unknown') return false;
  const id = Number(pid);
  if (!Number.isInteger(id) || id <= 0 || id === process.pid) return false;
  try {
    process.kill(id, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
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

export function exitCodeFor(status: ExecutionStatus): number {
  switch (status) {
    case 'Success':
    case 'Planned':
      return EXIT_CODES.success;
    case 'Waiting':
      return EXIT_CODES.waiting;
    case 'Running':
      return EXIT_CODES.waiting;
    default:
      return EXIT_CODES.failed;
  }
}

/** Prints a report as JSON (one document) or as text; `options` (the command's flags) go into the next command shown. */
export function printReport(
  context: CommandContext,
  report: ExecutionReport,
  format: OutputFormat,
  options: Pick<CommonOptions, 'state' | 'endpoint'> = {},
): void {
  if (format === 'json') {
    context.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  context.stdout.write(renderReportText(report, options));
}

/** The flags an operator repeats in the next command: where the state is, and the endpoint if overridden. */
function repeatedFlags(options: Pick<CommonOptions, 'state' | 'endpoint'>): string {
  const flags: string[] = [];
  if (options.state !== undefined) flags.push(`--state ${shellQuote(options.state)}`);
  if (options.endpoint !== undefined) flags.push(`--endpoint ${shellQuote(options.endpoint)}`);
  return flags.length ? ` ${flags.join(' ')}` : '';
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * A readable report: status and why, counts, batches, failures grouped by code with the affected
 * instances, skips by reason, and the exact next command when the execution is paused or unfinished.
 *
 * @example
 * renderReportText(report, { state: './state' })
 * // Execution exec-…: Waiting (paused: 1 failed, more than MaxErrors 0)
 * //   ...
 * //   next: ecs-role-attach resume exec-… --state ./state
 */
export function renderReportText(
  report: ExecutionReport,
  options: Pick<CommonOptions, 'state' | 'endpoint'> = {},
): string {
  const c = report.counts;
  const id = report.executionId;
  const lines = [
    `Execution ${id}: ${report.status}${report.statusReason ? ` — ${report.statusReason}` : ''}`,
  ];
  if (report.kind !== undefined) {
    const what =
      report.kind === 'harden-metadata'
        ? 'metadata security hardening mode (HttpTokens required)'
        : `launch templates and scaling configurations carrying role ${report.ramRoleName}`;
    lines.push(
      report.rollbackOf !== undefined
        ? `  rollback of ${report.rollbackOf} (${report.kind}): sets back what it changed`
        : `  ${report.kind}: ${what}`,
      `  region ${report.regionId}, mode ${report.mode}, MaxErrors ${report.maxErrors}`,
    );
  } else {
    if (report.rollbackOf !== undefined) {
      lines.push(
        `  rollback of ${report.rollbackOf}: detaches ${report.ramRoleName}, restores previous roles`,
      );
    }
    lines.push(
      `  ${report.rules ? `role rules (${report.rules.length})` : `role ${report.ramRoleName}`} in ${report.regionId}, mode ${report.mode}, MaxErrors ${report.maxErrors}`,
    );
  }
  for (const rule of report.rules ?? []) {
    const r = rule.counts;
    lines.push(
      `    rule ${rule.name} -> ${rule.role}${rule.policy === undefined ? '' : ' (with policy)'}: ${r.total} targets, ${r.attached + r.replaced} attached, ${r.alreadyAttached} already, ${r.skipped} skipped, ${r.failed} failed${r.pending ? `, ${r.pending} pending` : ''}${r.cancelled ? `, ${r.cancelled} cancelled` : ''}`,
    );
  }
  if (report.rules) {
    lines.push(
      `    no rule matched: ${report.noRule ?? 0}${report.acceptedRoles?.length ? `; accepted roles: ${report.acceptedRoles.join(', ')}` : ''}`,
    );
  }
  for (const warning of report.warnings ?? []) lines.push(`  warning: ${warning}`);
  const figures: [string, number | undefined][] =
    report.kind !== undefined
      ? [
          [
            report.rollbackOf !== undefined ? 'reverted' : 'updated',
            (report.rollbackOf !== undefined ? c.reverted : c.updated) ?? 0,
          ],
          ['already compliant', c.alreadyCompliant ?? 0],
          ['skipped', c.skipped],
          ['failed', c.failed],
          ['cancelled', c.cancelled],
          ['pending', c.pending],
        ]
      : report.rollbackOf !== undefined
        ? [
            ['detached', c.detached ?? 0],
            ['restored', c.restored ?? 0],
            ['skipped', c.skipped],
            ['failed', c.failed],
            ['cancelled', c.cancelled],
            ['pending', c.pending],
          ]
        : [
            ['attached', c.attached],
            ['already attached', c.alreadyAttached],
            ['replaced', c.replaced],
            ['skipped', c.skipped],
            ['failed', c.failed],
            ['cancelled', c.cancelled],
            ['pending', c.pending],
          ];
  lines.push(
    `  targets ${c.total}: ${figures
      .filter(
        ([name, n]) => n !== 0 || ['failed', 'attached', 'detached', 'updated', 'reverted'].includes(name),
      )
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
  );
  if (report.batches.length > 0) {
    const byStatus = new Map<string, number>();
    for (const batch of report.batches) byStatus.set(batch.status, (byStatus.get(batch.status) ?? 0) + 1);
    const summary = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
    const shown = report.batches.slice(0, 12).map((b) => `#${b.index + 1}:${b.size} ${b.status}`);
    const more = report.batches.length > 12 ? ` … (+${report.batches.length - 12} more)` : '';
    lines.push(`  batches ${report.batches.length} (${summary}): ${shown.join(', ')}${more}`);
  }
  const failures = new Map<string, { messages: Set<string>; ids: string[] }>();
  const skips = new Map<string, string[]>();
  const changes: string[] = [];
  for (const instance of report.instances) {
    if (instance.outcome === 'Failed') {
      const code = instance.code ?? 'Unknown';
      const group = failures.get(code) ?? { messages: new Set<string>(), ids: [] };
      group.ids.push(instance.instanceId);
      if (instance.message) group.messages.add(instance.message);
      failures.set(code, group);
    }
    if (instance.outcome === 'Skipped') push(skips, instance.reason ?? 'Skipped', instance.instanceId);
    if (report.kind !== undefined && instance.outcome === 'Updated') {
      changes.push(`${instance.instanceId} ${instance.previous || '(none)'} -> ${instance.current}`);
    }
  }
  if (changes.length > 0) lines.push(`  changed (${changes.length}): ${abbreviate(changes)}`);
  if (failures.size > 0) lines.push('  failures by code:');
  for (const [code, group] of failures) {
    const messages = [...group.messages];
    const message =
      messages.length === 0
        ? ''
        : ` — ${messages[0]}${messages.length > 1 ? ` (+${messages.length - 1} other messages)` : ''}`;
    lines.push(`    ${code} (${group.ids.length})${message}`, `      ${abbreviate(group.ids)}`);
  }
  for (const [reason, ids] of skips) lines.push(`  skipped ${reason} (${ids.length}): ${abbreviate(ids)}`);
  lines.push(...exemptionLines(report.exemptions ?? [], '  '));
  if (report.notifications) {
    const n = report.notifications;
    lines.push(
      `  notifications: ${n.delivered} delivered${n.failed ? `, ${n.failed} failed (see the log)` : ''}`,
    );
  }
  const flags = repeatedFlags(options);
  if (report.kind !== undefined && report.status === 'Success' && report.rollbackOf === undefined) {
    lines.push(`  undo: ecs-role-attach rollback ${id}${flags}`);
  }
  if (report.status === 'Waiting') {
    lines.push(
      `  next: ecs-role-attach resume ${id}${flags}`,
      `        (keeps the failures and goes on; or: ecs-role-attach retry ${id}${flags} to re-attempt them, ecs-role-attach cancel ${id}${flags} to stop)`,
    );
  }
  if (report.status === 'Running') lines.push(`  next: ecs-role-attach resume ${id}${flags}`);
  return `${lines.join('\n')}\n`;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function abbreviate(ids: string[]): string {
  return ids.length <= 10 ? ids.join(', ') : `${ids.slice(0, 10).join(', ')} … and ${ids.length - 10} more`;
}

/**
 * Runs a command body: input errors print their message and exit 2; other product errors exit 1.
 */
export async function guard(context: CommandContext, body: () => Promise<number>): Promise<void> {
  try {
    context.setExitCode(await body());
  } catch (error) {
    if (error instanceof InvalidInputError) {
      context.stderr.write(`ecs-role-attach: ${error.message}\n`);
      context.setExitCode(EXIT_CODES.invalid);
      return;
    }
    if (error instanceof RoleAttachError) {
      context.stderr.write(`ecs-role-attach: ${error.message}\n`);
      context.setExitCode(EXIT_CODES.failed);
      return;
    }
    throw error;
  }
}
