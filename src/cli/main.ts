import { Command, CommanderError } from 'commander';
import { registerConsoleCommand } from './commands/console.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEmulatorCommand } from './commands/emulator.js';
import { registerEventsCommand } from './commands/events.js';
import { registerReportCommand } from './commands/report.js';
import { registerRollbackCommand } from './commands/rollback.js';
import { registerRunCommands } from './commands/run.js';
import { registerSourceCommands } from './commands/sources.js';
import { registerSweepCommand } from './commands/sweep.js';
import type { CommandContext } from './context.js';
import { createProgressFactory } from './progress.js';

export type { CommandContext } from './context.js';

/** Builds the `ecs-role-attach` program; every command lives in its own module under ./commands. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command('ecs-role-attach')
    .description(
      'Keep every ECS instance of a fleet bound to its designated instance RAM role (OOS-compatible batch runs, event-driven remediation, sweeps).',
    )
    .showHelpAfterError()
    // Help and parse errors go to the command's streams (captured by in-process callers and tests).
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .exitOverride();
  registerDoctorCommand(program, context);
  registerRunCommands(program, context);
  registerSweepCommand(program, context);
  registerRollbackCommand(program, context);
  registerReportCommand(program, context);
  registerSourceCommands(program, context);
  registerEventsCommand(program, context);
  registerConsoleCommand(program, context);
  registerEmulatorCommand(program, context);
  registerDemoCommand(program, context);
  return program;
}

/**
 * Runs the CLI and resolves to the process exit code:
 * 0 Success, 1 Failed or Cancelled, 2 invalid input (nothing called), 3 Waiting (paused).
 */
export async function main(
  argv: string[],
  streams: Pick<CommandContext, 'stdout' | 'stderr'> = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram({
    ...streams,
    setExitCode: (code) => (exitCode = code),
    progress: createProgressFactory(),
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}
