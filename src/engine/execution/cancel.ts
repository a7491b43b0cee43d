/**
 * The cancel side channel: an operator's cancel of an execution another process runs is a document in
 * the store (`cancel-requests/<id>`), written by {@link requestCancel}, read by the running process
 * before every chunk ({@link cancelRequested}) and marked handled once applied ({@link markCancelHandled}).
 */
import { type Doc, doc, KEYS, readDoc, writeDoc } from '../documents.js';
import type { ExecutionStore } from '../ports.js';

/** Where an operator's cancel waits for the process running the execution (see controlExecution). */
export function cancelRequestKey(executionId: string): string {
  return KEYS.cancelRequest(executionId);
}

function cancelRequestDoc(executionId: string): Doc<CancelRequest> {
  return doc(cancelRequestKey(executionId));
}

/** A pending cancel request, written by an operator while another process ran the execution. */
export interface CancelRequest {
  requestedAt: string;
  by: string;
  handledAt?: string;
}

/**
 * Leaves an operator's cancel for the process running the execution (it checks before every chunk
 * and before pausing). Nothing is requested for an execution that has ended.
 */
export async function requestCancel(
  executionId: string,
  deps: { store: ExecutionStore; clock: { now(): number } },
  by: string,
): Promise<void> {
  const { record } = await deps.store.load(executionId);
  if (record.status !== 'Running' && record.status !== 'Waiting') return;
  const request: CancelRequest = { requestedAt: new Date(deps.clock.now()).toISOString(), by };
  await writeDoc(deps.store, cancelRequestDoc(executionId), request);
}

/** Whether a cancel request waits, not yet handled. */
export async function cancelRequested(store: ExecutionStore, executionId: string): Promise<boolean> {
  const request = await readDoc(store, cancelRequestDoc(executionId));
  return request !== undefined && request.handledAt === undefined;
}

/** Marks a pending cancel request as done, so that it is never applied again. */
export async function markCancelHandled(
  store: ExecutionStore,
  executionId: string,
  at: string,
): Promise<void> {
  const request = await readDoc(store, cancelRequestDoc(executionId));
  if (request && request.handledAt === undefined) {
    await writeDoc(store, cancelRequestDoc(executionId), { ...request, handledAt: at });
  }
}
