/**
 * Tests that need a tool from Debian's packages (Chromium, tmux): `.ci/run` installs them when missing.
 * Without the tool such a test is skipped with a message naming the install command, except under CI
 * (`CI` set), where a missing tool fails it: CI installs it, so its absence is a broken setup.
 */
import { accessSync, constants } from 'node:fs';

/** The first of `paths` that is an executable file, or undefined. */
export function findExecutable(paths: readonly string[]): string | undefined {
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * `describe` when the tool is there (`body` gets its path), `describe.skip` naming `missing` (the install
 * command) when not; under CI a missing tool is a failure.
 */
export function describeWithTool(
  tool: { path: string | undefined; missing: string },
  name: string,
  body: (path: string) => void,
): void {
  const { path, missing } = tool;
  if (path) {
    describe(name, () => body(path));
    return;
  }
  if (process.env['CI']) {
    describe(name, () => {
      it('has its tool to run with', () => {
        throw new Error(`${missing} CI must have it.`);
      });
    });
    return;
  }
  process.stderr.write(`${missing}\n`);
  // biome-ignore lint/suspicious/noSkippedTests: issue #15 asks for a skip naming the install command on machines without the tool (CI fails instead, above).
  describe.skip(`${name} (${missing})`, () => body(''));
}
