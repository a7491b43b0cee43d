/**
 * What every command module gets, passed explicitly by {@link buildProgram}: the exit code setter, the
 * output streams and the progress renderer (a leaf module: commands and helpers import it, it imports
 * none of them).
 */
import type { EngineDeps } from '../engine/index.js';

/** Renders an execution's progress for run/resume/retry/sweep/rollback; `undefined`: no progress (`--quiet`). */
export type ProgressFactory = (
  context: CommandContext,
  options: { quiet?: boolean; output?: string },
) => EngineDeps['onProgress'];

export interface CommandContext {
  setExitCode(code: number): void;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** How progress is shown; absent: none (in-process callers and tests that only read the output). */
  progress?: ProgressFactory;
}
