import { type ExecutionStatus, InvalidInputError, RoleAttachError } from '../engine/index.js';
import type { CommandContext } from './context.js';

export const EXIT_CODES = {
  success: 0,
  failed: 1,
  invalid: 2,
  waiting: 3,
} as const;

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
