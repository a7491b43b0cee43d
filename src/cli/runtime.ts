/**
 * What every CLI command shares: building the engine's dependencies from flags and environment,
 * printing reports, mapping statuses and errors to exit codes.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createCloudApis } from '../cloud/clients.js';
import { parseQps } from '../cloud/limiter.js';
import { InvalidInputError, RoleAttachError } from '../engine/errors.js';
import type { EngineDeps, ExecutionProgress } from '../engine/execution.js';
import type { ExecutionStore, Logger } from '../engine/ports.js';
import { systemClock } from '../engine/ports.js';
import type { ExecutionReport } from '../engine/state.js';
import type { ExecutionStatus } from '../engine/types.js';
import { openExecutionStore } from '../store/index.js';
import type { CommandContext } from './main.js';

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
}

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new InvalidInputError('--output', 'must be text or json', value);
}

export function stateLocation(options: CommonOptions): string {
  return options.state ?? process.env['ECS_ROLE_ATTACH_STATE'] ?? DEFAULT_STATE_DIR;
}

export function openStore(options: CommonOptions): ExecutionStore {
  return openExecutionStore(stateLocation(options));
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
): EngineDeps {
  const logger = cliLogger();
  const cloud = createCloudApis({
    regionId,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.qps === undefined ? {} : { qps: parseQps(options.qps) }),
    logger,
  });
  return {
    ecs: cloud.ecs,
    ram: cloud.ram,
    store: openStore(options),
    clock: systemClock,
    random: Math.random,
    logger,
    ...(onProgress ? { onProgress } : {}),
  };
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

/** Prints a report as JSON (one document) or as text. */
export function printReport(context: CommandContext, report: ExecutionReport, format: OutputFormat): void {
  if (format === 'json') {
    context.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  context.stdout.write(renderReportText(report));
}

/** A readable report: counts, batches, failures grouped by code, and the next command when paused. */
export function renderReportText(report: ExecutionReport): string {
  const c = report.counts;
  const lines = [
    `Execution ${report.executionId}: ${report.status}${report.statusReason ? ` — ${report.statusReason}` : ''}`,
    `  role ${report.ramRoleName} in ${report.regionId}, mode ${report.mode}, MaxErrors ${report.maxErrors}`,
    `  targets ${c.total}: attached ${c.attached}, already attached ${c.alreadyAttached}, replaced ${c.replaced}, skipped ${c.skipped}, failed ${c.failed}, cancelled ${c.cancelled}, pending ${c.pending}`,
  ];
  if (report.batches.length > 0) {
    const shown = report.batches.slice(0, 12).map((b) => `#${b.index + 1}:${b.size} ${b.status}`);
    const more = report.batches.length > 12 ? ` … (${report.batches.length} batches)` : '';
    lines.push(`  batches ${shown.join(', ')}${more}`);
  }
  const failures = new Map<string, string[]>();
  const skips = new Map<string, string[]>();
  for (const instance of report.instances) {
    if (instance.outcome === 'Failed')
      push(failures, `${instance.code}: ${instance.message ?? ''}`.trim(), instance.instanceId);
    if (instance.outcome === 'Skipped') push(skips, instance.reason ?? 'Skipped', instance.instanceId);
  }
  for (const [code, ids] of failures) lines.push(`  failed (${ids.length}) ${code}\n    ${abbreviate(ids)}`);
  for (const [reason, ids] of skips) lines.push(`  skipped ${reason} (${ids.length}): ${abbreviate(ids)}`);
  if (report.status === 'Waiting') {
    lines.push(
      `  next: ecs-role-attach resume ${report.executionId}   (or: retry ${report.executionId} | cancel ${report.executionId})`,
    );
  }
  if (report.status === 'Running') lines.push(`  next: ecs-role-attach resume ${report.executionId}`);
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
