import { ThrottlingError } from '@alicloud/openapi-core';
import { createCaller } from '../../../src/cloud/caller';
import { ApiLimiter, DEFAULT_QPS } from '../../../src/cloud/limiter';
import { InvalidInputError } from '../../../src/engine/errors';
import { parseQps } from '../../../src/inputs/atoms';
import { flushMicrotasks, VirtualClock } from '../../helpers/clocks';

describe('ApiLimiter token bucket', () => {
  it('spaces calls of one action 1000/qps ms apart', async () => {
    const clock = new VirtualClock();
    const limiter = new ApiLimiter({ clock, qps: { AttachInstanceRamRole: 20 }, maxInFlight: 100 });
    const starts: number[] = [];
    const calls = Array.from({ length: 10 }, () =>
      limiter.schedule('AttachInstanceRamRole', async () => {
        starts.push(clock.now());
      }),
    );
    await clock.run(Promise.all(calls));
    expect(starts).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450]);
  });

  it('never starts more than qps calls in any 1-second window', async () => {
    const clock = new VirtualClock(1_000);
    const limiter = new ApiLimiter({ clock, qps: { DescribeInstances: 7 }, maxInFlight: 50 });
    const starts: number[] = [];
    const calls = Array.from({ length: 60 }, () =>
      limiter.schedule('DescribeInstances', async () => {
        starts.push(clock.now());
      }),
    );
    await clock.run(Promise.all(calls));
    for (const start of starts) {
      const inWindow = starts.filter((t) => t >= start && t < start + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(7);
    }
    // 60 calls at 7/s take about 60/7 s.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(Math.floor((59 * 1000) / 7));
  });

  it('keeps separate buckets per action and uses default for unlisted ones', async () => {
    const clock = new VirtualClock();
    const limiter = new ApiLimiter({ clock, qps: { A: 10, default: 2 }, maxInFlight: 10 });
    const starts: Record<string, number[]> = { A: [], B: [] };
    const calls = [
      ...[0, 1, 2].map(() => limiter.schedule('A', async () => void starts['A']!.push(clock.now()))),
      ...[0, 1, 2].map(() => limiter.schedule('B', async () => void starts['B']!.push(clock.now()))),
    ];
    await clock.run(Promise.all(calls));
    expect(starts['A']).toEqual([0, 100, 200]);
    expect(starts['B']).toEqual([0, 500, 1000]);
    expect(limiter.qpsFor('B')).toBe(2);
    expect(limiter.qpsFor('GetRole')).toBe(DEFAULT_QPS['GetRole']);
  });

  it('refills while idle but never beyond the burst size', async () => {
    const clock = new VirtualClock();
    const limiter = new ApiLimiter({ clock, qps: { A: 10 }, burst: 3, maxInFlight: 10 });
    await limiter.schedule('A', async () => {});
    await clock.advance(60_000);
    const starts: number[] = [];
    const calls = Array.from({ length: 5 }, () =>
      limiter.schedule('A', async () => void starts.push(clock.now())),
    );
    await clock.run(Promise.all(calls));
    expect(starts).toEqual([60_000, 60_000, 60_000, 60_100, 60_200]);
  });

  it('caps calls in flight across actions and starts waiters in FIFO order', async () => {
    const clock = new VirtualClock();
    const limiter = new ApiLimiter({ clock, qps: { default: 1000 }, maxInFlight: 3 });
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 8 }, (_, i) =>
      limiter.schedule(`Action${i % 4}`, async () => {
        order.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
      }),
    );
    await clock.advance(10_000);
    expect(limiter.inFlight).toBe(3);
    expect(order).toEqual([0, 1, 2]);
    releases.shift()!();
    await clock.advance(10_000);
    expect(order).toEqual([0, 1, 2, 3]);
    while (releases.length > 0) {
      releases.shift()!();
      await clock.advance(10_000);
    }
    await Promise.all(calls);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limiter.peakInFlight).toBe(3);
    expect(limiter.inFlight).toBe(0);
  });

  it('releases the slot when the call throws', async () => {
    const clock = new VirtualClock();
    const limiter = new ApiLimiter({ clock, maxInFlight: 1 });
    await expect(
      limiter.schedule('A', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(limiter.inFlight).toBe(0);
    await expect(clock.run(limiter.schedule('A', async () => 42))).resolves.toBe(42);
  });

  it('does not sleep when a token is available', async () => {
    const clock = new VirtualClock();
    const limiter = new ApiLimiter({ clock });
    const result = limiter.schedule('A', async () => 'now');
    await flushMicrotasks();
    await expect(result).resolves.toBe('now');
    expect(clock.sleeps).toEqual([]);
  });

  it.each([
    [{ qps: { A: 0 } }, 'qps.A must be a positive number of requests per second, got 0'],
    [{ qps: { default: -1 } }, 'qps.default must be a positive number'],
    [{ qps: { A: Number.NaN } }, 'qps.A must be a positive number'],
    [{ maxInFlight: 0 }, 'maxInFlight must be a positive integer, got 0'],
    [{ maxInFlight: 1.5 }, 'maxInFlight must be a positive integer, got 1.5'],
    [{ burst: 0.5 }, 'burst must be a number >= 1, got 0.5'],
  ])('rejects %j at construction', (options, message) => {
    const make = () => new ApiLimiter({ clock: new VirtualClock(), ...options });
    expect(make).toThrow(InvalidInputError);
    expect(make).toThrow(message);
  });
});

describe('parseQps', () => {
  it.each([
    ['AttachInstanceRamRole=20,DescribeInstances=10', { AttachInstanceRamRole: 20, DescribeInstances: 10 }],
    [' default = 5 , GetRole=0.5 ', { default: 5, GetRole: 0.5 }],
    ['DescribeInstanceRamRole=50,', { DescribeInstanceRamRole: 50 }],
  ])('parses %j', (text, expected) => {
    expect(parseQps(text, '--qps')).toEqual(expected);
  });

  it.each([
    ['', '--qps must list Action=number pairs'],
    ['Attach', '--qps entries must look like Action=number (e.g. "DescribeInstances=10"), got "Attach"'],
    ['Attach=abc', 'got "Attach=abc"'],
    ['Attach=-1', 'got "Attach=-1"'],
    ['Attach=0', '--qps Attach must be a positive number, got "0"'],
    ['A=1,A=2', '--qps names A twice'],
  ])('rejects %j', (text, message) => {
    expect(() => parseQps(text, '--qps')).toThrow(InvalidInputError);
    expect(() => parseQps(text, '--qps')).toThrow(message);
  });
});

describe('ApiLimiter under a per-minute quota (with the retry path of createCaller)', () => {
  it('probes at 1 QPS while throttled, learns the window quota and lets it go back to back when the window reopens', async () => {
    const clock = new VirtualClock(0);
    const limiter = new ApiLimiter({ clock, qps: { A: 20 }, maxInFlight: 10 });
    const call = createCaller(limiter, { clock, random: () => 0.5 });
    // The service: 100 calls per fixed 60 s window and region (ECS: "throttled at minute T, callable at T+1").
    const used = new Map<string, number>();
    const starts: number[] = [];
    let throttled = 0;
    const service = (region: string) => async () => {
      const key = `${region}:${Math.floor(clock.now() / 60_000)}`;
      if ((used.get(key) ?? 0) >= 100) {
        throttled += 1;
        throw new ThrottlingError({
          code: 'Throttling.User',
          message: 'flow control',
          statusCode: 400,
          data: {},
        });
      }
      used.set(key, (used.get(key) ?? 0) + 1);
      if (region === 'cn-hangzhou') starts.push(clock.now());
    };
    const other: number[] = [];
    await clock.run(
      Promise.all([
        ...Array.from({ length: 250 }, () => call('A', service('cn-hangzhou'), 'cn-hangzhou')),
        // Another region's budget is its own: its calls are not held up by cn-hangzhou's throttling.
        ...Array.from({ length: 20 }, () =>
          call('A', async () => void other.push(clock.now()), 'cn-shanghai'),
        ),
      ]),
    );
    expect(starts).toHaveLength(250);
    // (They queue for in-flight slots behind cn-hangzhou's first calls, not behind its throttled minute.)
    expect(Math.max(...other)).toBeLessThan(10_000);
    // Throttled from ~5 s to 60 s and from ~60.3 s to 120 s, probing about once a second.
    expect(throttled).toBeLessThan(2 * 60 + 20);
    expect(limiter.learned('A', 'cn-hangzhou')).toMatchObject({ perWindow: 100, probing: false });
    // The window after the first throttle: the learned 100 start back to back within a probe interval.
    const second = starts.filter((t) => t >= 60_000 && t < 120_000);
    expect(second).toHaveLength(100);
    expect(second.at(-1)! - 60_000).toBeLessThan(1_100);
    expect(starts.at(-1)!).toBeLessThan(121_100);
  });
});
