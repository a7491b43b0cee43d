/**
 * Progress of running executions on the terminal, always on stderr (stdout carries only the report):
 * - on a TTY, a cli-progress bar per execution: batch k of n, instances done / total, attach rate,
 *   errors vs MaxErrors (coloured unless `NO_COLOR` is set);
 * - otherwise plain timestamped lines, one when a batch starts, when a failure is recorded, every
 *   {@link PROGRESS_DEFAULTS.linesEveryChunks} chunks, and at the end (not one per chunk: 2,000
 *   instances make 20 chunks of 100, a handful of lines);
 * - nothing with `--quiet`.
 */
import { SingleBar } from 'cli-progress';
import type { ExecutionProgress } from '../engine/index.js';
import type { ProgressFactory } from './context.js';
import { colorsEnabled, type LiveLine, screenFor } from './terminal.js';

/** Defaults, in one place. */
export const PROGRESS_DEFAULTS = {
  /** Non-TTY: at most one line per this many chunks within a batch. @default 10 */
  linesEveryChunks: 10,
} as const;

export interface ProgressOptions {
  /** Where progress goes (stderr). A TTY gets a bar, anything else lines. */
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Environment, for `NO_COLOR`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Wall clock in ms, injected for tests. @default Date.now */
  now?: () => number;
  /** @default {@link PROGRESS_DEFAULTS.linesEveryChunks} */
  linesEveryChunks?: number;
}

/** Renders the progress of one or more executions; call `finish()` before printing the report. */
export interface ProgressReporter {
  update(progress: ExecutionProgress): void;
  finish(): void;
}

/**
 * A cli-progress bar whose redraw timer never keeps the process alive (the engine may pause), and that
 * can be drawn again below a log line printed over it ({@link LiveLine}).
 */
class UnrefBar extends SingleBar implements LiveLine {
  public override render(): void {
    super.render();
    (this as unknown as { timer?: { unref?: () => void } | null }).timer?.unref?.();
  }

  public redraw(): void {
    const internals = this as unknown as { terminal: { cursorSave(): void }; lastDrawnString: string | null };
    // stop() moves the cursor back to where start() saved it: save the bar's new line instead, so that
    // the log lines above it are not overwritten by what follows the bar.
    internals.terminal.cursorSave();
    internals.lastDrawnString = null;
    this.render();
  }
}

/** Creates a reporter for `options.stream`. */
export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  return options.stream.isTTY === true
    ? new BarReporter(options.stream, colorsEnabled(options.stream, env), now)
    : new LineReporter(options.stream, now, options.linesEveryChunks ?? PROGRESS_DEFAULTS.linesEveryChunks);
}

/**
 * The progress of the CLI's command context (see context.ts): no progress with `--quiet`,
 * otherwise a reporter on the command's stderr.
 */
export function createProgressFactory(
  env: Readonly<Record<string, string | undefined>> = process.env,
  now: () => number = Date.now,
): ProgressFactory {
  return (context, options) => {
    if (options.quiet) return undefined;
    const reporter = createProgressReporter({ stream: context.stderr, env, now });
    return (progress) => reporter.update(progress);
  };
}

/** Per-execution figures shared by both renderings. */
class Tracker {
  readonly #first = new Map<string, { at: number; done: number }>();

  /** Instances per second since the first progress event of this execution (undefined at first). */
  public rate(progress: ExecutionProgress, at: number): number | undefined {
    const first = this.#first.get(progress.executionId);
    if (!first) {
      this.#first.set(progress.executionId, { at, done: progress.done });
      return undefined;
    }
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? (progress.done - first.done) / seconds : undefined;
  }
}

function formatRate(rate: number | undefined): string {
  return rate === undefined ? '-' : rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

class LineReporter implements ProgressReporter {
  readonly #tracker = new Tracker();
  readonly #last = new Map<string, { batchIndex: number; failed: number; chunks: number; done: number }>();

  public constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly now: () => number,
    private readonly every: number,
  ) {}

  public update(progress: ExecutionProgress): void {
    const at = this.now();
    const rate = this.#tracker.rate(progress, at);
    const last = this.#last.get(progress.executionId);
    const chunks = last && last.batchIndex === progress.batchIndex ? last.chunks + 1 : 1;
    const print =
      !last ||
      last.batchIndex !== progress.batchIndex ||
      progress.failed > last.failed ||
      progress.done === progress.total ||
      chunks % this.every === 0;
    this.#last.set(progress.executionId, {
      batchIndex: progress.batchIndex,
      failed: progress.failed,
      chunks,
      done: progress.done,
    });
    if (!print) return;
    this.stream.write(`${new Date(at).toISOString()} ${progressLine(progress, rate)}\n`);
  }

  public finish(): void {}
}

/** `exec-… batch 2/11  51/1000 done (5%)  42.0/s  errors 0 (MaxErrors 0)` */
export function progressLine(progress: ExecutionProgress, rate: number | undefined): string {
  const percent = progress.total === 0 ? 100 : Math.floor((progress.done / progress.total) * 100);
  const errors = `errors ${progress.budgetUsed} (MaxErrors ${progress.maxErrors})${progress.failed !== progress.budgetUsed ? `, ${progress.failed} failed in all` : ''}`;
  return `${progress.executionId} batch ${progress.batchIndex + 1}/${progress.batchCount}  ${progress.done}/${progress.total} done (${percent}%)  ${formatRate(rate)}/s  ${errors}`;
}

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const RESET = '\u001b[0m';

class BarReporter implements ProgressReporter {
  readonly #tracker = new Tracker();
  readonly #bars = new Map<string, UnrefBar>();

  public constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly colors: boolean,
    private readonly now: () => number,
  ) {}

  public update(progress: ExecutionProgress): void {
    const rate = this.#tracker.rate(progress, this.now());
    let bar = this.#bars.get(progress.executionId);
    const over = progress.budgetUsed > progress.maxErrors;
    const payload = {
      id: progress.executionId,
      batch: `${progress.batchIndex + 1}/${progress.batchCount}`,
      rate: formatRate(rate),
      errors: this.paint(`${progress.budgetUsed}/${progress.maxErrors}`, over ? RED : undefined),
    };
    if (!bar) {
      // Stop any other execution's bar first: one bar on screen at a time.
      for (const id of this.#bars.keys()) this.stop(id);
      bar = new UnrefBar({
        stream: this.stream as NodeJS.WriteStream,
        format: `{id} batch {batch} ${this.paint('{bar}', GREEN)} {value}/{total} {rate}/s errors {errors}`,
        barsize: 24,
        hideCursor: false,
        gracefulExit: false,
        clearOnComplete: false,
      });
      this.#bars.set(progress.executionId, bar);
      bar.start(progress.total, progress.done, payload);
      screenFor(this.stream).setLive(bar);
    } else bar.update(progress.done, payload);
    // The engine stops after this update (done, or MaxErrors exceeded): end the line now so that the
    // report that follows starts on a fresh line.
    if (progress.done >= progress.total || over) this.stop(progress.executionId);
  }

  public finish(): void {
    for (const id of [...this.#bars.keys()]) this.stop(id);
  }

  private stop(executionId: string): void {
    const bar = this.#bars.get(executionId);
    if (!bar) return;
    screenFor(this.stream).setLive(undefined);
    bar.stop();
    this.#bars.delete(executionId);
  }

  private paint(text: string, color: string | undefined): string {
    return this.colors && color ? `${color}${text}${RESET}` : text;
  }
}
