/**
 * The CLI's log on stderr, and how it shares the terminal with the progress bar.
 *
 * Two formats (`--log-format`): `json`, pino's one JSON object per line, for pipelines and log shippers
 * (the default when stderr is not a terminal); `text`, one readable line per entry
 * (`12:04:31 WARN  <message>  executionId=… instanceId=… code=…`), the default on a terminal. Both go
 * through pino, so levels (`LOG_LEVEL`) and redaction are the same.
 *
 * A progress bar redraws its own line in place; a log line written in the middle of it would be torn
 * apart by the next redraw. So the bar and the log meet in one {@link TerminalScreen} per stream: a log
 * line clears the bar's line, is printed there, and the bar is drawn again below it. The screen is per
 * stream object (one terminal is one resource of the process), not a setting.
 */
import pino from 'pino';
import { InvalidInputError, type Logger } from '../engine/index.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A bar the screen can redraw after a log line took its place. */
export interface LiveLine {
  /** Draws the bar again on the current (fresh) line. */
  redraw(): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/** Where log lines and the live bar of one stream meet. */
export class TerminalScreen {
  #live: LiveLine | undefined;

  public constructor(private readonly stream: Stream) {}

  /** The bar now on screen (undefined: none). */
  public setLive(line: LiveLine | undefined): void {
    this.#live = line;
  }

  /** Prints one line above the bar (or just the line when no bar is drawn). */
  public log(line: string): void {
    if (!this.#live) {
      this.stream.write(`${line}\n`);
      return;
    }
    // Back to the start of the bar's line, erase it, print the log line there, draw the bar below.
    this.stream.write(`\r\u001b[2K${line}\n`);
    this.#live.redraw();
  }
}

/** Whether colours are allowed: a TTY, and `NO_COLOR` unset or empty (https://no-color.org). */
export function colorsEnabled(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const noColor = env['NO_COLOR'];
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

const screens = new WeakMap<object, TerminalScreen>();

/** The screen of `stream` (one per stream object). */
export function screenFor(stream: Stream): TerminalScreen {
  let screen = screens.get(stream);
  if (!screen) {
    screen = new TerminalScreen(stream);
    screens.set(stream, screen);
  }
  return screen;
}

/** `--log-format`: `text` or `json`; absent, `text` on a terminal and `json` otherwise. */
export function logFormat(value: string | undefined, stream: { isTTY?: boolean }): LogFormat {
  if (value === undefined) return stream.isTTY === true ? 'text' : 'json';
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new InvalidInputError('--log-format', `must be one of ${LOG_FORMATS.join(', ')}`, value);
}

/** pino's numeric levels, as the text format names them. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

const LEVEL_COLOURS: Record<number, string> = { 40: '\u001b[33m', 50: '\u001b[31m', 60: '\u001b[31m' };

/**
 * One pino entry as a readable line: time (UTC, to the second), level, message, then the fields as
 * `key=value` (values with spaces or quotes JSON-quoted, objects as JSON).
 *
 * @example
 * textLogLine({ level: 40, time: 0, msg: 'Injected fault', instanceId: 'i-1' }, false)
 * // '00:00:00 WARN  Injected fault  instanceId=i-1'
 */
export function textLogLine(entry: Record<string, unknown>, colours: boolean): string {
  const { level, time, msg, ...fields } = entry;
  const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const name = (LEVELS[Number(level)] ?? String(level)).padEnd(5);
  const colour = colours ? LEVEL_COLOURS[Number(level)] : undefined;
  const shown = colour ? `${colour}${name}\u001b[0m` : name;
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${fieldText(value)}`);
  const message = String(msg ?? '').replace(/[\r\n]+/g, ' ');
  return [`${at} ${shown} ${message}`, ...pairs].join('  ').trimEnd();
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** Options of {@link createCliLogger}. */
export interface CliLoggerOptions {
  /** `--log-format`. @default text on a terminal, json otherwise */
  logFormat?: string;
  /** @default process.stderr */
  stream?: Stream;
  /** Colour the level (text format). @default {@link colorsEnabled} of the stream */
  colours?: boolean;
  /** @default LOG_LEVEL, else `warn` */
  level?: string;
}

/**
 * The CLI's logger: warnings and errors by default (`LOG_LEVEL=info` for more), secrets redacted, in
 * the format of {@link logFormat}; text lines go through the stream's {@link TerminalScreen}.
 */
export function createCliLogger(options: CliLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const settings = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'warn',
    base: null,
    redact: ['accessKeySecret', 'securityToken'],
  };
  if (logFormat(options.logFormat, stream) === 'json') {
    return stream === process.stderr ? pino(settings, pino.destination(2)) : pino(settings, stream);
  }
  const screen = screenFor(stream);
  const colours = options.colours ?? colorsEnabled(stream);
  return pino(settings, {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line !== '') screen.log(textLogLine(JSON.parse(line) as Record<string, unknown>, colours));
      }
    },
  });
}
