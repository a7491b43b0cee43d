/**
 * The engine's dependencies as the CLI builds them from flags and environment: store, cloud clients,
 * logger, notifier, and this process as a lease holder.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { createCloudApis } from '../cloud/clients.js';
import type { CredentialSource } from '../cloud/credentials.js';
import { type EngineDeps, type ExecutionProgress, type Logger, systemClock } from '../engine/index.js';
import { parseQps } from '../inputs/atoms.js';
import { parseSinks } from '../inputs/notify.js';
import { createNotifier, type HttpNotifier } from '../notify/sinks.js';
import { type ObjectExecutionStore, openExecutionStore } from '../store/index.js';
import { type CommonOptions, DEFAULT_STATE_DIR, repeatedFlags } from './options.js';
import { createCliLogger } from './terminal.js';

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

/**
 * Logs go to stderr (warnings and errors by default; LOG_LEVEL=info for more): readable lines above the
 * progress bar on a terminal, pino JSON lines otherwise or with `--log-format json` (see terminal.ts).
 */
export function cliLogger(options: Pick<CommonOptions, 'logFormat'> = {}): Logger {
  return createCliLogger(options.logFormat === undefined ? {} : { logFormat: options.logFormat });
}

/** Engine dependencies for one region, from flags: endpoint override, per-action QPS, state store. */
export function engineDeps(
  regionId: string,
  options: CommonOptions,
  onProgress?: (progress: ExecutionProgress) => void,
  /** Another account's credential (organization scope); default: the default credential chain. */
  credential?: CredentialSource,
): EngineDeps {
  const logger = cliLogger(options);
  const cloud = createCloudApis({
    regionId,
    ...(credential === undefined ? {} : { credential }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.qps === undefined ? {} : { qps: parseQps(options.qps, '--qps') }),
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
