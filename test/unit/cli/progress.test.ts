/**
 * Progress rendering: plain timestamped lines off a TTY (not one per chunk), a cli-progress bar on a
 * TTY with colours unless NO_COLOR, nothing with --quiet.
 */
import { PassThrough } from 'node:stream';
import type { CommandContext } from '../../../src/cli/main';
import { createProgressFactory, createProgressReporter, progressLine } from '../../../src/cli/progress';
import { colorsEnabled } from '../../../src/cli/terminal';
import type { ExecutionProgress } from '../../../src/engine/execution/index';

function capture(isTTY: boolean): {
  stream: PassThrough & { isTTY?: boolean; columns?: number };
  text: () => string;
} {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 120;
  }
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A 2,000-instance execution in chunks of 100: batches [1, 100, 200, 200, ...]. */
function* chunkEvents(): Generator<ExecutionProgress> {
  const base = {
    executionId: 'exec-20260105T030000Z-abcdef',
    total: 2000,
    maxErrors: 0,
    failed: 0,
    budgetUsed: 0,
  };
  let done = 0;
  const sizes = [1, 100, 200, 200, 200, 200, 200, 200, 200, 200, 299];
  for (const [batchIndex, size] of sizes.entries()) {
    let left = size;
    while (left > 0) {
      const chunk = Math.min(100, left);
      left -= chunk;
      done += chunk;
      yield { ...base, batchIndex, batchCount: sizes.length, done };
    }
  }
}

// An SGR (colour) escape: ESC [ n m.
const SGR = new RegExp(`${String.fromCharCode(27)}\\[\\d+(;\\d+)*m`);

describe('plain lines when stderr is not a TTY', () => {
  it('prints timestamped lines per batch, not per chunk, with the attach rate and errors vs MaxErrors', () => {
    const out = capture(false);
    let now = Date.parse('2026-01-05T03:00:00Z');
    const reporter = createProgressReporter({ stream: out.stream, now: () => now, env: {} });
    let chunks = 0;
    for (const event of chunkEvents()) {
      reporter.update(event);
      chunks += 1;
      now += 500;
    }
    reporter.finish();
    const lines = out.text().trimEnd().split('\n');
    expect(chunks).toBe(21);
    // One line as each of the 11 batches starts; the final chunk is also the start of no new batch
    // but completes the execution, which is the last batch's line or one more.
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines.length).toBeGreaterThanOrEqual(11);
    expect(lines[0]).toBe(
      '2026-01-05T03:00:00.000Z exec-20260105T030000Z-abcdef batch 1/11  1/2000 done (0%)  -/s  errors 0 (MaxErrors 0)',
    );
    expect(lines.at(-1)).toMatch(
      /batch 11\/11 {2}2000\/2000 done \(100%\) {2}\d+(\.\d)?\/s {2}errors 0 \(MaxErrors 0\)$/,
    );
    // 1999 instances in 10 s after the first event -> 199.9/s -> "200"
    expect(lines.at(-1)).toContain(' 200/s');
    expect(out.text()).not.toMatch(SGR);
  });

  it('prints a line as soon as a failure is recorded, and every N chunks inside a long batch', () => {
    const out = capture(false);
    const reporter = createProgressReporter({
      stream: out.stream,
      now: () => 0,
      env: {},
      linesEveryChunks: 3,
    });
    const base = { executionId: 'e', batchIndex: 0, batchCount: 1, total: 1000, maxErrors: 5 };
    for (let i = 1; i <= 7; i++) {
      reporter.update({
        ...base,
        done: i * 100,
        failed: i === 5 ? 1 : i > 5 ? 1 : 0,
        budgetUsed: i >= 5 ? 1 : 0,
      });
    }
    const lines = out.text().trimEnd().split('\n');
    // chunk 1 (first), chunk 3 (every 3), chunk 5 (failure), chunk 6 (every 3)
    expect(lines.map((line) => /(\d+)\/1000/.exec(line)?.[1])).toEqual(['100', '300', '500', '600']);
    expect(lines[2]).toContain('errors 1 (MaxErrors 5)');
  });

  it('formats errors against the budget and failures kept from before a continue', () => {
    expect(
      progressLine(
        {
          executionId: 'e',
          batchIndex: 2,
          batchCount: 4,
          done: 30,
          total: 40,
          failed: 3,
          maxErrors: 0,
          budgetUsed: 1,
        },
        12.345,
      ),
    ).toBe('e batch 3/4  30/40 done (75%)  12.3/s  errors 1 (MaxErrors 0), 3 failed in all');
  });
});

describe('a bar on a TTY', () => {
  const event: ExecutionProgress = {
    executionId: 'exec-1',
    batchIndex: 0,
    batchCount: 3,
    done: 10,
    total: 10,
    failed: 0,
    maxErrors: 0,
    budgetUsed: 0,
  };

  it('draws batch k of n, done/total and errors, in colour by default, and ends its line when done', () => {
    const out = capture(true);
    const reporter = createProgressReporter({ stream: out.stream, env: {} });
    reporter.update({ ...event, done: 5 });
    reporter.update(event);
    reporter.finish();
    const text = out.text();
    expect(text).toContain('exec-1 batch 1/3');
    expect(text).toContain('10/10');
    expect(text).toContain('errors');
    expect(text).toMatch(SGR);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('uses no colour when NO_COLOR is set', () => {
    const out = capture(true);
    const reporter = createProgressReporter({ stream: out.stream, env: { NO_COLOR: '1' } });
    reporter.update({ ...event, done: 3 });
    reporter.update({ ...event, done: 10, failed: 1, budgetUsed: 1 });
    reporter.finish();
    expect(out.text()).toContain('10/10');
    expect(out.text()).not.toMatch(SGR);
  });

  it('decides colours from the TTY and NO_COLOR', () => {
    expect(colorsEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorsEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorsEnabled({ isTTY: true }, { NO_COLOR: 'yes' })).toBe(false);
    expect(colorsEnabled({ isTTY: false }, {})).toBe(false);
  });
});

describe('the factory plugged into run/resume/retry', () => {
  function context(stderr: PassThrough): CommandContext {
    return { setExitCode: () => {}, stdout: new PassThrough(), stderr };
  }

  it('gives no progress callback with --quiet', () => {
    const out = capture(false);
    expect(createProgressFactory({})(context(out.stream), { quiet: true })).toBeUndefined();
  });

  it('writes progress to stderr otherwise (stdout stays for the report)', () => {
    const out = capture(false);
    const ctx = context(out.stream);
    const stdout: Buffer[] = [];
    ctx.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    const onProgress = createProgressFactory({}, () => 0)(ctx, { output: 'json' });
    onProgress?.({
      executionId: 'x',
      batchIndex: 0,
      batchCount: 1,
      done: 1,
      total: 1,
      failed: 0,
      maxErrors: 0,
      budgetUsed: 0,
    });
    expect(out.text()).toContain('x batch 1/1  1/1 done (100%)');
    expect(stdout).toHaveLength(0);
  });
});
