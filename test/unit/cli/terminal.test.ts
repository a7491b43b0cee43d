/**
 * The CLI log on stderr: readable text lines on a terminal (printed above a live progress bar, which is
 * then drawn again), pino JSON lines for pipelines, secrets redacted in both.
 */
import { PassThrough } from 'node:stream';
import { createProgressReporter } from '../../../src/cli/progress';
import {
  createCliLogger,
  type LiveLine,
  logFormat,
  TerminalScreen,
  textLogLine,
} from '../../../src/cli/terminal';
import { InvalidInputError } from '../../../src/engine/index';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 120;
  }
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const ESC = String.fromCharCode(27);
const T0 = Date.parse('2026-12-02T03:41:22.345Z');

describe('textLogLine', () => {
  it.each([
    [{ level: 40, time: T0, msg: 'Injected fault.' }, '03:41:22 WARN  Injected fault.'],
    [
      { level: 40, time: T0, msg: 'boom', executionId: 'exec-1', instanceId: 'i-1', code: 'X.Y' },
      '03:41:22 WARN  boom  executionId=exec-1  instanceId=i-1  code=X.Y',
    ],
    [
      { level: 50, time: T0, msg: 'chunk error', err: 'Error: a b' },
      '03:41:22 ERROR chunk error  err="Error: a b"',
    ],
    [{ level: 30, time: T0, msg: 'two\nlines', n: 3, ok: true }, '03:41:22 INFO  two lines  n=3  ok=true'],
    [{ level: 40, time: T0, msg: 'x', detail: { a: 1 } }, '03:41:22 WARN  x  detail={"a":1}'],
  ])('%j', (entry, expected) => {
    expect(textLogLine(entry, false)).toBe(expected);
  });

  it('colours the level when asked', () => {
    expect(textLogLine({ level: 40, time: T0, msg: 'm' }, true)).toBe(`03:41:22 ${ESC}[33mWARN ${ESC}[0m m`);
  });
});

describe('logFormat', () => {
  it('defaults to text on a terminal and json otherwise', () => {
    expect(logFormat(undefined, { isTTY: true })).toBe('text');
    expect(logFormat(undefined, {})).toBe('json');
    expect(logFormat('json', { isTTY: true })).toBe('json');
    expect(logFormat('text', {})).toBe('text');
  });

  it('refuses anything else naming the flag', () => {
    expect(() => logFormat('yaml', {})).toThrow(InvalidInputError);
    expect(() => logFormat('yaml', {})).toThrow(/--log-format must be one of text, json, got "yaml"/);
  });
});

describe('createCliLogger', () => {
  it('text: one readable line per entry, secrets redacted, below the level nothing', () => {
    const out = capture(false);
    const logger = createCliLogger({ logFormat: 'text', stream: out.stream, level: 'warn', colours: false });
    logger.info({ a: 1 }, 'not shown');
    logger.warn({ instanceId: 'i-1', accessKeySecret: 'SECRET' }, 'first');
    logger.error({ code: 'E' }, 'second');
    const lines = out.text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d WARN {2}first {2}instanceId=i-1 {2}accessKeySecret=\[Redacted\]$/,
    );
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d ERROR second {2}code=E$/);
    expect(lines[2]).toBe('');
    expect(out.text()).not.toContain('SECRET');
  });

  it('json: pino lines as they are, secrets redacted', () => {
    const out = capture(true);
    const logger = createCliLogger({ logFormat: 'json', stream: out.stream, level: 'warn' });
    logger.warn({ instanceId: 'i-1', securityToken: 'TOKEN' }, 'first');
    const [line, rest] = out.text().split('\n');
    expect(rest).toBe('');
    expect(JSON.parse(line!)).toMatchObject({
      level: 40,
      msg: 'first',
      instanceId: 'i-1',
      securityToken: '[Redacted]',
    });
  });
});

describe('TerminalScreen', () => {
  it('prints a line as it is without a bar, and above the bar (erasing its line, drawing it again) with one', () => {
    const out = capture(true);
    const screen = new TerminalScreen(out.stream);
    screen.log('plain');
    const redraws: string[] = [];
    const bar: LiveLine = { redraw: () => redraws.push('bar') };
    screen.setLive(bar);
    screen.log('over the bar');
    screen.setLive(undefined);
    screen.log('after');
    expect(out.text()).toBe(`plain\n\r${ESC}[2Kover the bar\nafter\n`);
    expect(redraws).toEqual(['bar']);
  });

  it('keeps the progress bar intact: a warning logged during it lands on its own line, the bar below it', () => {
    const out = capture(true);
    const reporter = createProgressReporter({ stream: out.stream, env: { NO_COLOR: '1' }, now: () => T0 });
    const logger = createCliLogger({ logFormat: 'text', stream: out.stream, level: 'warn', colours: false });
    const progress = {
      executionId: 'exec-20261202T034122Z-abcdef',
      batchIndex: 0,
      batchCount: 2,
      total: 10,
      maxErrors: 5,
      failed: 0,
      budgetUsed: 0,
    };
    reporter.update({ ...progress, done: 4 });
    logger.warn({ instanceId: 'i-5', code: 'InternalError.Forced' }, 'Injected fault.');
    reporter.update({ ...progress, batchIndex: 1, done: 10, failed: 1, budgetUsed: 1 });
    reporter.finish();
    // What a terminal shows: replay carriage returns and erase-line over each line.
    const screenLines = render(out.text());
    expect(screenLines).toEqual([
      expect.stringMatching(
        /^\d\d:\d\d:\d\d WARN {2}Injected fault\. {2}instanceId=i-5 {2}code=InternalError\.Forced$/,
      ),
      expect.stringMatching(/^exec-20261202T034122Z-abcdef batch 2\/2 \S+ 10\/10 \S+\/s errors 1\/5$/),
    ]);
  });
});

/**
 * A minimal terminal: `\r` returns to column 0, ESC[2K / ESC[0K (and cli-progress's clearRight) erase, other
 * escapes (cursor save/restore, show/hide) are ignored; `\n` starts the next line. Returns non-empty lines.
 */
function render(text: string): string[] {
  const lines: string[] = [''];
  let column = 0;
  const escapeSequence = new RegExp(`^${ESC}(\\[[0-9;?]*[A-Za-z]|[78])`);
  for (let i = 0; i < text.length; ) {
    const rest = text.slice(i);
    const match = escapeSequence.exec(rest);
    const row = lines.length - 1;
    if (match) {
      const code = match[1]!;
      if (code === '[2K') lines[row] = '';
      else if (code === '[0K' || code === '[K') lines[row] = lines[row]!.slice(0, column);
      else if (code.endsWith('G')) column = Number(code.slice(1, -1) || 1) - 1;
      i += match[0].length;
      continue;
    }
    const char = text[i]!;
    if (char === '\r') column = 0;
    else if (char === '\n') {
      lines.push('');
      column = 0;
    } else {
      const line = lines[row]!.padEnd(column);
      lines[row] = line.slice(0, column) + char + line.slice(column + 1);
      column += 1;
    }
    i += 1;
  }
  return lines.filter((line) => line.trim() !== '');
}
