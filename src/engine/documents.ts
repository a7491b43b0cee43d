/**
 * Every document and lock the engine keeps in the execution store, in one place: the key layout of each
 * (`KEYS`, `LOCKS`) and a typed handle ({@link Doc}) that the module owning the document binds to its type,
 * so that a document is always read and written as that type (see {@link readDoc}, {@link writeDoc}).
 *
 * Executions themselves (execution.json, plan, journal, summary) are the store's own layout (src/store).
 */
import type { ExecutionStore } from './ports.js';

/** A store document of type `T` (the type exists only for the compiler). */
export interface Doc<T> {
  readonly key: string;
  /** @internal phantom: never set. */
  readonly type?: T;
}

export function doc<T>(key: string): Doc<T> {
  return { key };
}

/** The key of every document the engine writes. */
export const KEYS = {
  /** An operator's cancel of an execution another process runs (execution/cancel.ts). */
  cancelRequest: (executionId: string) => `cancel-requests/${executionId}`,
  /** The event path's circuit breaker of (region, role or `@rules`) (paths/event/breaker.ts). */
  breaker: (regionId: string, role: string) => `event-path/${regionId}/${role}`,
  /** The instances the open breaker queued for `resume-events`. */
  backlog: (regionId: string, role: string) => `event-path/${regionId}/${role}/backlog`,
  /** The last sweep execution of (region, role), so that an open one is resumed, not doubled (paths/sweep.ts). */
  openSweep: (regionId: string, role: string) => `sweeps/${regionId}/${role}`,
  /** An organization parent execution (paths/organization.ts). */
  organization: (organizationId: string) => `organizations/${organizationId}`,
  /** The last organization sweep of a role. */
  openOrganizationSweep: (role: string) => `organization-sweeps/${role}`,
} as const;

/** The name of every lock the engine takes. */
export const LOCKS = {
  /** The lease of one execution (lease.ts). */
  execution: (executionId: string) => `execution/${executionId}`,
  /** One sweep of (region, role) at a time. */
  sweep: (regionId: string, role: string) => `sweep/${regionId}/${role}`,
  /** One process drives an organization parent at a time. */
  organization: (organizationId: string) => `organization/${organizationId}`,
} as const;

export function readDoc<T>(
  store: Pick<ExecutionStore, 'getDocument'>,
  document: Doc<T>,
): Promise<T | undefined> {
  return store.getDocument<T>(document.key);
}

export function writeDoc<T>(
  store: Pick<ExecutionStore, 'putDocument'>,
  document: Doc<T>,
  value: T,
): Promise<void> {
  return store.putDocument(document.key, value);
}
