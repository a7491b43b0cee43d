/**
 * What the execution needs from outside (a leaf module: runners, the API and the source kinds import it,
 * it imports none of them).
 */
import type { LeaseHolder } from '../lease.js';
import type { Notifier } from '../notifications.js';
import type { PlannerDeps } from '../planner.js';
import type { Clock, ExecutionStore, Logger, RandomSource } from '../ports.js';
import type { SourceApis } from '../sources/ports.js';

/** Progress of a running execution, emitted after every chunk (for progress bars and logs). */
export interface ExecutionProgress {
  executionId: string;
  batchIndex: number;
  batchCount: number;
  done: number;
  total: number;
  failed: number;
  maxErrors: number;
  /** Failures that count against MaxErrors (since the last continue/retry). */
  budgetUsed: number;
}

export interface EngineDeps extends PlannerDeps {
  store: ExecutionStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  onProgress?: (progress: ExecutionProgress) => void;
  /** Who holds an execution's lease while changing it; default: a fresh id per call. */
  owner?: string;
  /** Whether another holder's live lease may be taken over (its process is known dead). */
  canTakeOver?: (holder: string) => boolean;
  /** Launch templates, Auto Scaling and metadata options: needed by `harden-metadata` and `templates` executions. */
  sources?: SourceApis;
  /** Told when an execution is planned (dry run), pauses, is continued or ends; never waits for it. @default none */
  notifier?: Notifier;
  /** Flags repeated in the commands a notification shows, e.g. ` --state oss://bucket/prefix`. */
  commandFlags?: string;
}

export interface RunOptions {
  /** Absolute time (deps.clock) after which no new chunk starts; the execution stays Running. */
  deadline?: number;
}

/** The lease holder of one engine call. */
export function leaseHolder(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'owner' | 'canTakeOver'> & { random?: RandomSource },
): LeaseHolder {
  const random = deps.random ?? Math.random;
  return {
    store: deps.store,
    clock: deps.clock,
    owner: deps.owner ?? `engine:${Math.floor(random() * 2 ** 48).toString(16)}`,
    ...(deps.canTakeOver ? { canTakeOver: deps.canTakeOver } : {}),
  };
}

export function isoNow(clock: Pick<Clock, 'now'>): string {
  return new Date(clock.now()).toISOString();
}
