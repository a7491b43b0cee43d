/** The one-item write every source kind plugs into the source runner. */
import { CloudApiError } from '../errors.js';
import type { InstanceOutcome, PlannedTarget } from '../types.js';

export interface SourceWriter {
  /** The journal intent's operation. */
  operation: 'harden' | 'update' | 'revert';
  /**
   * Writes one item (reading it first where the write is not idempotent) and returns its outcome.
   * `attempted`: an earlier, interrupted run wrote an intent for it.
   */
  write(target: PlannedTarget, attempted: boolean): Promise<InstanceOutcome>;
  /**
   * After a crash: reads the item and returns its outcome when the interrupted write landed (finishing a
   * half-done one where that needs no blind write), or `undefined` to write it again.
   */
  settle(target: PlannedTarget): Promise<InstanceOutcome | undefined>;
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof CloudApiError) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown })?.code;
  return {
    code: typeof code === 'string' ? code : 'InternalError',
    message: error instanceof Error ? error.message : String(error),
  };
}
