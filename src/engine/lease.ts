/**
 * One writer per execution. Whoever changes an execution (a runner, an operator decision, the
 * workflow's await) holds its lease, the store lock `execution/<id>`; a runner renews it before
 * every chunk. A second runner is refused instead of racing the first (it would take the first's
 * in-flight writes for a crash's and write the same instances again).
 *
 * A lease outlives a crashed holder until it expires ({@link LEASE_DEFAULTS}), unless the shell
 * can tell the holder is dead (`canTakeOver`: the CLI recognises its own host's dead processes), so
 * that `resume` right after a `kill -9` need not wait.
 */
import { LEASE_DEFAULTS } from './defaults.js';
import { LOCKS } from './documents.js';
import { RoleAttachError } from './errors.js';
import type { Clock, ExecutionStore } from './ports.js';

export interface LeaseHolder {
  store: ExecutionStore;
  clock: Clock;
  /** Who holds the lease, e.g. `cli:<host>:<pid>:<nonce>` or `fc:<request id>`. */
  owner: string;
  /** Whether a live lease of `holder` may be taken over (its process is known dead). */
  canTakeOver?: (holder: string) => boolean;
}

/** Another process holds the execution's lease. */
export class ExecutionBusyError extends RoleAttachError {
  public readonly executionId: string;
  public constructor(executionId: string, detail: string) {
    super(
      `Execution ${executionId} is being changed by another process (${detail}); nothing was done. Try again when it stops, or within ${LEASE_DEFAULTS.ttlMs / 60_000} minutes if that process died.`,
    );
    this.name = 'ExecutionBusyError';
    this.executionId = executionId;
  }
}

export function leaseName(executionId: string): string {
  return LOCKS.execution(executionId);
}

/** Takes or renews the lease; false when another live holder has it. */
export function takeLease(executionId: string, holder: LeaseHolder): Promise<boolean> {
  return holder.store.tryLock(leaseName(executionId), holder.owner, LEASE_DEFAULTS.ttlMs, holder.canTakeOver);
}

/**
 * Runs `body` holding the lease, waiting up to `waitMs` for it (0: fail at once with
 * {@link ExecutionBusyError}); releases it afterwards.
 */
export async function withLease<T>(
  executionId: string,
  holder: LeaseHolder,
  body: () => Promise<T>,
  waitMs = 0,
): Promise<T> {
  const start = holder.clock.now();
  for (let attempt = 0; !(await takeLease(executionId, holder)); attempt += 1) {
    if (holder.clock.now() - start >= waitMs) throw new ExecutionBusyError(executionId, 'its lease is held');
    await holder.clock.sleep(Math.min(100 * 2 ** attempt, 1_000));
  }
  try {
    return await body();
  } finally {
    await holder.store.unlock(leaseName(executionId), holder.owner);
  }
}
