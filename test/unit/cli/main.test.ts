import { PassThrough } from 'node:stream';
import { buildProgram } from '../../../src/cli/main';

describe('ecs-role-attach program', () => {
  it('registers the emulator command', () => {
    const context = { setExitCode: () => {}, stdout: new PassThrough(), stderr: new PassThrough() };
    const names = buildProgram(context).commands.map((command) => command.name());
    expect(names).toContain('emulator');
  });
});
