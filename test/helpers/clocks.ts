/**
 * The test clocks. VirtualClock: `sleep` resolves only when time is advanced past its deadline, so rate-control
 * and retry tests run in microseconds and assert exact times instead of tolerance windows. SteppingClock: every
 * sleep returns at once, time moved by its length.
 *
 * VirtualClock: `sleep` resolves only when time is advanced past its deadline, so rate-control
 * and retry tests run in microseconds and assert exact times instead of tolerance windows.
 */
import type { Clock } from '../../src/engine/ports';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets pending promise callbacks run (a macrotask turn flushes every queued microtask). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];
  /** Every sleep requested, in ms, in call order (for backoff assertions). */
  public readonly sleeps: number[] = [];

  public constructor(start = 0) {
    this.time = start;
  }

  public now(): number {
    return this.time;
  }

  public sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
    });
  }

  /** Number of sleeps not yet resolved. */
  public get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order and letting their continuations run. */
  public async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.nextTimer();
      if (next === undefined || next.at > target) break;
      this.fire(next);
      await flushMicrotasks();
    }
    this.time = target;
    await flushMicrotasks();
  }

  /**
   * Drives time from timer to timer until `promise` settles, then returns its result (or throws its error).
   * Fails if nothing is left to fire and the promise is still pending (a deadlock in the code under test).
   */
  public async run<T>(promise: Promise<T>, maxSteps = 1_000_000): Promise<T> {
    let settled = false;
    const tracked = promise.then(
      (value) => {
        settled = true;
        return value;
      },
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    tracked.catch(() => {});
    await flushMicrotasks();
    for (let step = 0; !settled; step++) {
      const next = this.nextTimer();
      if (next === undefined) throw new Error('VirtualClock.run: promise pending with no timers left');
      if (step >= maxSteps) throw new Error(`VirtualClock.run: not settled after ${maxSteps} timers`);
      this.fire(next);
      await flushMicrotasks();
    }
    return tracked;
  }

  private nextTimer(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers) {
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq))
        best = timer;
    }
    return best;
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
    this.time = Math.max(this.time, timer.at);
    timer.resolve();
  }
}

/**
 * A clock whose `sleep(ms)` advances virtual time by `ms` at once and then runs `onSleep` (which may
 * change the emulator's world). No real waiting, no tolerance windows. `time` may be set or moved by
 * the test.
 */
export class SteppingClock implements Clock {
  public readonly sleeps: number[] = [];
  public onSleep: ((ms: number, index: number) => Promise<void> | void) | undefined;
  public time: number;

  public constructor(start = Date.parse('2026-01-05T02:00:00Z')) {
    this.time = start;
  }

  public now(): number {
    return this.time;
  }

  public async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += Math.max(0, ms);
    await this.onSleep?.(ms, this.sleeps.length - 1);
  }
}
