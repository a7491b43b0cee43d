import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** `ecs-role-attach emulator`: placeholder until the emulator lands. */
export function registerEmulatorCommand(program: Command, _context: CommandContext): void {
  program.command('emulator').description('Start the embedded Alibaba Cloud emulator on loopback.');
}
