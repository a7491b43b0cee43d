/**
 * A real terminal for tests: a tmux server of its own (a private socket, no user configuration) running
 * one command in a pane of a fixed size, whose screen is read with `capture-pane`. Debian's `tmux`
 * package; `.ci/run` installs it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeWithTool, findExecutable } from './tools';

const run = promisify(execFile);

export const TMUX_MISSING =
  'Terminal tests skipped: no tmux found. Install it with `apt-get update && apt-get install -y tmux`; .ci/run installs it.';

/** `describe` when tmux is installed (`body` gets its path); see {@link describeWithTool}. */
export function describeWithTmux(name: string, body: (tmux: string) => void): void {
  describeWithTool({ path: findExecutable(['/usr/bin/tmux']), missing: TMUX_MISSING }, name, body);
}

/** One tmux server and its single pane. */
export class TmuxPane {
  private constructor(
    private readonly tmux: string,
    private readonly socket: string,
  ) {}

  /**
   * Starts `script` (a file run by `sh`) in a `columns` x `rows` UTF-8 pane. After the script the pane
   * keeps its screen (remain-on-exit) so that it can still be read.
   */
  public static async start(
    tmux: string,
    script: string,
    size: { columns: number; rows: number },
  ): Promise<TmuxPane> {
    const socket = `era-test-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`;
    const pane = new TmuxPane(tmux, socket);
    // The session starts on a placeholder that waits (`cat`), so that remain-on-exit is set before the
    // script can end; then the script replaces it.
    const geometry = ['-x', String(size.columns), '-y', String(size.rows)];
    await pane.tmuxCommand('new-session', '-d', '-s', 'test', ...geometry, 'cat');
    await pane.tmuxCommand('set-option', '-g', 'remain-on-exit', 'on');
    await pane.tmuxCommand('respawn-pane', '-k', '-t', 'test', `sh ${script}`);
    return pane;
  }

  /**
   * What the pane shows, from the first line of its history (lines scrolled off included) to the cursor,
   * as text lines (escape sequences already interpreted by tmux), trailing blank lines dropped.
   */
  public async capture(): Promise<string[]> {
    const { stdout } = await this.tmuxCommand('capture-pane', '-p', '-J', '-S', '-', '-t', 'test');
    return stdout.replace(/\n+$/, '').split('\n');
  }

  /**
   * Captures the screen until `done(lines)` holds, at most `attempts` times (each a `capture-pane` round
   * trip), and returns every distinct screen seen (the last one first satisfied `done`).
   * @throws when `done` never held, with the last screen.
   */
  public async until(done: (lines: string[]) => boolean, attempts = 2000): Promise<string[][]> {
    const seen: string[][] = [];
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const lines = await this.capture();
      if (seen.at(-1)?.join('\n') !== lines.join('\n')) seen.push(lines);
      if (done(lines)) return seen;
    }
    throw new Error(
      `the pane never got there in ${attempts} captures; last screen:\n${seen.at(-1)?.join('\n')}`,
    );
  }

  public async close(): Promise<void> {
    await this.tmuxCommand('kill-server').catch(() => undefined);
  }

  private tmuxCommand(...args: string[]): Promise<{ stdout: string }> {
    return run(this.tmux, ['-u', '-L', this.socket, '-f', '/dev/null', ...args], {
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
  }
}
