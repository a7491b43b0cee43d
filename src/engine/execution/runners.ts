/**
 * Which runner drives a stored execution, chosen by its kind (derived from the stored record, so that
 * executions written by earlier releases, which have no kind field, are driven as they were).
 */
import type { LeaseHolder } from '../lease.js';
import type { StoredExecution } from '../ports.js';
import { isSourceKind, runSourceExecution } from '../sources/execution.js';
import type { ExecutionRecord } from '../types.js';
import { AttachRunner } from './attach.js';
import type { EngineDeps, RunOptions } from './deps.js';
import { deriveState } from './machine.js';
import type { ExecutionReport } from './report.js';
import { runRollbackExecution } from './rollback.js';

/**
 * `attach`: attach/replace executions (run, sweep, event backlog, workflow); `rollback`: the undo of an
 * attach execution (detach / restore); `source`: `harden-metadata` and `templates`, and their rollbacks.
 */
export type ExecutionKind = 'attach' | 'rollback' | 'source';

export function executionKind(record: Pick<ExecutionRecord, 'parameters' | 'origin'>): ExecutionKind {
  if (isSourceKind(record.parameters)) return 'source';
  return record.origin === 'rollback' ? 'rollback' : 'attach';
}

type Runner = (
  stored: StoredExecution,
  deps: EngineDeps,
  options: RunOptions,
  lease: LeaseHolder,
) => Promise<ExecutionReport>;

const RUNNERS: Readonly<Record<ExecutionKind, Runner>> = {
  attach: (stored, deps, options, lease) => new AttachRunner(deriveState(stored), deps, options, lease).run(),
  rollback: runRollbackExecution,
  source: runSourceExecution,
};

/** Runs a stored execution with the runner of its kind (the caller holds the lease). */
export function runStored(
  stored: StoredExecution,
  deps: EngineDeps,
  options: RunOptions,
  lease: LeaseHolder,
): Promise<ExecutionReport> {
  return RUNNERS[executionKind(stored.record)](stored, deps, options, lease);
}
