import { ClientError, ServerError, ThrottlingError } from '@alicloud/openapi-core';
import {
  ApiStats,
  backoffDelay,
  DEFAULT_RETRY,
  resolveRetryOptions,
  withRetry,
} from '../../../src/cloud/retry';
import { CloudApiError, InvalidInputError } from '../../../src/engine/errors';
import { VirtualClock } from '../../helpers/clocks';
import { seededRandom } from '../../helpers/seededRandom';

function throttling(retryAfter?: number): ThrottlingError {
  return new ThrottlingError({
    code: 'Throttling.User',
    message: 'Request was denied due to user flow control.',
    statusCode: 400,
    requestId: 'req-throttle',
    data: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

function serverError(): ServerError {
  return new ServerError({
    code: 'InternalError',
    message: 'oops',
    statusCode: 503,
    requestId: 'req-5xx',
    data: {},
  });
}

function clientError(): ClientError {
  return new ClientError({
    code: 'InvalidInstanceId.NotFound',
    message:
      'InvalidInstanceId.NotFound: code: 404, The specified InstanceId does not exist. request id: r-1',
    statusCode: 404,
    requestId: 'r-1',
    data: { Code: 'InvalidInstanceId.NotFound', Message: 'The specified InstanceId does not exist.' },
  });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

/** An attempt function that fails with the given errors, then returns 'ok'. */
function failing(errors: unknown[]): { fn: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    fn: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('withRetry', () => {
  it('returns at once without sleeping on success', async () => {
    const clock = new VirtualClock();
    const stats = new ApiStats();
    await expect(withRetry('A', async () => 1, { clock, random: Math.random, stats })).resolves.toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(stats.for('A')).toEqual({ calls: 1, retries: 0, throttled: 0, transient: 0, failures: 0 });
  });

  it.each([
    ['ThrottlingError', throttling()],
    ['ServerError 503', serverError()],
    ['ECONNRESET', networkError('ECONNRESET')],
    ['ECONNREFUSED', networkError('ECONNREFUSED')],
    ['ETIMEDOUT', networkError('ETIMEDOUT')],
    ['socket hang up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['empty body', new SyntaxError('Unexpected end of JSON input')],
    [
      'httpx read timeout',
      Object.assign(new Error('ReadTimeout: 3000. POST / failed.'), { name: 'RequestTimeoutError' }),
    ],
    [
      'pop-core throttling',
      Object.assign(new Error('Request was denied'), {
        name: 'Throttling.UserError',
        code: 'Throttling.User',
        data: { RequestId: 'p' },
      }),
    ],
  ])('retries %s and then succeeds', async (_label, error) => {
    const clock = new VirtualClock();
    const stats = new ApiStats();
    const attempt = failing([error, error]);
    await expect(clock.run(withRetry('A', attempt.fn, { clock, random: () => 0.5, stats }))).resolves.toBe(
      'ok',
    );
    expect(attempt.calls()).toBe(3);
    expect(stats.for('A').retries).toBe(2);
    expect(stats.for('A').calls).toBe(3);
    expect(stats.for('A').failures).toBe(0);
  });

  it('throws a non-retryable client error at once as CloudApiError with its data', async () => {
    const clock = new VirtualClock();
    const stats = new ApiStats();
    const attempt = failing([clientError()]);
    const error = await withRetry('AttachInstanceRamRole', attempt.fn, {
      clock,
      random: Math.random,
      stats,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({
      code: 'InvalidInstanceId.NotFound',
      action: 'AttachInstanceRamRole',
      statusCode: 404,
      requestId: 'r-1',
      retryable: false,
    });
    expect((error as CloudApiError).message).toBe(
      'AttachInstanceRamRole failed with InvalidInstanceId.NotFound (HTTP 404): The specified InstanceId does not exist. [RequestId r-1]',
    );
    expect(attempt.calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(stats.for('AttachInstanceRamRole').failures).toBe(1);
  });

  it('gives up after maxAttempts failed attempts with a retryable CloudApiError', async () => {
    const clock = new VirtualClock();
    const stats = new ApiStats();
    const attempt = failing(Array.from({ length: 10 }, () => serverError()));
    const run = withRetry('DescribeInstances', attempt.fn, {
      clock,
      random: () => 0.99,
      stats,
      options: { maxAttempts: 4 },
    });
    const error = await clock.run(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ code: 'InternalError', retryable: true, statusCode: 503 });
    expect(attempt.calls()).toBe(4);
    expect(stats.for('DescribeInstances')).toEqual({
      calls: 4,
      retries: 3,
      throttled: 0,
      transient: 4,
      failures: 1,
    });
  });

  it('logs a final refusal at info (the engine records it) and a retry given up at warn', async () => {
    const lines: { level: string; obj: object; msg?: string }[] = [];
    const logger = {
      debug: () => undefined,
      info: (obj: object, msg?: string) => lines.push({ level: 'info', obj, ...(msg ? { msg } : {}) }),
      warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }),
      error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, ...(msg ? { msg } : {}) }),
    };
    const clock = new VirtualClock();
    await withRetry('AttachInstanceRamRole', failing([clientError()]).fn, {
      clock,
      random: Math.random,
      logger,
    }).catch(() => undefined);
    const gaveUp = withRetry(
      'DescribeInstances',
      failing(Array.from({ length: 5 }, () => serverError())).fn,
      {
        clock,
        random: () => 0.5,
        logger,
        options: { maxAttempts: 2 },
      },
    );
    await clock.run(gaveUp).catch(() => undefined);
    expect(lines.map((line) => [line.level, line.msg, (line.obj as { action: string }).action])).toEqual([
      ['info', 'cloud API call failed', 'AttachInstanceRamRole'],
      ['warn', 'cloud API call failed', 'DescribeInstances'],
    ]);
  });

  it('waits out throttling on its own budget: throttled attempts count against neither maxAttempts nor maxTotalMs', async () => {
    const clock = new VirtualClock();
    const stats = new ApiStats();
    // A per-minute window throttled for 59 s: 70 throttled attempts a second apart, then it passes.
    const attempt = failing([
      serverError(),
      ...Array.from({ length: 70 }, () => throttling()),
      serverError(),
    ]);
    const value = await clock.run(
      withRetry('AttachInstanceRamRole', attempt.fn, {
        clock,
        random: () => 0.999,
        stats,
        options: { maxAttempts: 3, maxTotalMs: 5_000 },
      }),
    );
    expect(value).toBe('ok');
    expect(stats.for('AttachInstanceRamRole')).toMatchObject({ calls: 73, throttled: 70, failures: 0 });
    // Throttled retries back off to at most throttleDelayMs (1 s) each.
    expect(Math.max(...clock.sleeps.slice(1, 71))).toBeLessThanOrEqual(DEFAULT_RETRY.throttleDelayMs);
  });

  it('fails with the throttling error once throttleBudgetMs has passed since the first throttle answer', async () => {
    const clock = new VirtualClock();
    const attempt = failing(Array.from({ length: 1_000 }, () => throttling()));
    const error = await clock
      .run(
        withRetry('AttachInstanceRamRole', attempt.fn, {
          clock,
          random: () => 0.999,
          options: { throttleBudgetMs: 30_000 },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Throttling.User', retryable: true });
    expect(clock.now()).toBeGreaterThanOrEqual(30_000);
    expect(clock.now()).toBeLessThan(31_000);
    expect(DEFAULT_RETRY.throttleBudgetMs).toBeGreaterThanOrEqual(2 * 60_000);
  });

  it('keeps every backoff within full-jitter bounds [0, min(max, base*2^n))', async () => {
    const clock = new VirtualClock();
    const options = { maxAttempts: 12, baseDelayMs: 100, maxDelayMs: 5_000, maxTotalMs: 1e9 };
    const attempt = failing(Array.from({ length: 11 }, () => serverError()));
    await clock.run(withRetry('A', attempt.fn, { clock, random: seededRandom(7), options }));
    expect(clock.sleeps).toHaveLength(11);
    clock.sleeps.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(5_000, 100 * 2 ** n));
    });
    // The jitter is real: not all delays sit at the ceiling.
    expect(new Set(clock.sleeps).size).toBeGreaterThan(5);
  });

  it('uses the ceiling times random exactly (full jitter)', () => {
    const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1_000 });
    expect(backoffDelay(0, () => 0.5, options)).toBe(50);
    expect(backoffDelay(3, () => 0.5, options)).toBe(400);
    expect(backoffDelay(10, () => 0.999, options)).toBe(999);
    expect(backoffDelay(10, () => 0, options)).toBe(0);
  });

  it('stops before a retry that would exceed maxTotalMs', async () => {
    const clock = new VirtualClock();
    const options = { maxAttempts: 100, baseDelayMs: 1_000, maxDelayMs: 1_000, maxTotalMs: 3_500 };
    const attempt = failing(Array.from({ length: 100 }, () => networkError('ECONNRESET')));
    const error = await clock
      .run(withRetry('A', attempt.fn, { clock, random: () => 0.999, options }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNRESET', retryable: true });
    // delays 999 each: retries at 999, 1998, 2997; the next would end at 3996 > 3500.
    expect(attempt.calls()).toBe(4);
    expect(clock.now()).toBe(2_997);
    expect(clock.now()).toBeLessThanOrEqual(3_500);
  });

  it('honours retryAfter of a ThrottlingError (capped by maxDelayMs)', async () => {
    const clock = new VirtualClock();
    const attempt = failing([throttling(1_500), throttling(60_000)]);
    await clock.run(
      withRetry('A', attempt.fn, {
        clock,
        random: () => 0,
        options: { maxDelayMs: 8_000, maxTotalMs: 100_000 },
      }),
    );
    expect(clock.sleeps).toEqual([1_500, 8_000]);
  });

  it('rejects bad options with named messages', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(InvalidInputError);
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(
      'retry.maxAttempts must be an integer >= 1, got 0',
    );
    expect(() => resolveRetryOptions({ maxTotalMs: -1 })).toThrow('retry.maxTotalMs must be a non-negative');
    expect(resolveRetryOptions({})).toEqual(DEFAULT_RETRY);
  });

  it('sums stats over actions', async () => {
    const clock = new VirtualClock();
    const stats = new ApiStats();
    await clock.run(withRetry('A', failing([serverError()]).fn, { clock, random: () => 0, stats }));
    await clock.run(withRetry('B', failing([throttling()]).fn, { clock, random: () => 0, stats }));
    expect(stats.total()).toEqual({ calls: 4, retries: 2, throttled: 1, transient: 1, failures: 0 });
    expect(Object.keys(stats.snapshot()).sort()).toEqual(['A', 'B']);
  });
});
