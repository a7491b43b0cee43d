/**
 * The arithmetic the benchmarks report (bench/floor.ts) and their command line (bench/run.ts): the
 * figures in docs/benchmarks.md are only as good as these.
 */
import { acceptedCalls, quotaFloor, windowFloor } from '../../bench/floor';
import { parseBenchArgs } from '../../bench/run';

describe('window floor', () => {
  it('is the start of the last window the slowest action needs, from a window boundary', () => {
    const window = { limit: 100, windowSeconds: 10 };
    // 10,000 instances at the CLI defaults: 100 pages, 200 role lookups, 1,000 attach calls of 10 ids.
    const floor = windowFloor(
      { DescribeInstances: 100, DescribeInstanceRamRole: 200, AttachInstanceRamRole: 1000, GetRole: 1 },
      { DescribeInstances: window, DescribeInstanceRamRole: window, AttachInstanceRamRole: window },
    );
    expect(floor).toEqual({
      seconds: 90,
      bindingAction: 'AttachInstanceRamRole',
      windows: { DescribeInstances: 1, DescribeInstanceRamRole: 2, AttachInstanceRamRole: 10 },
      // the attach windows follow the second lookup window: (2 - 1) * 10 + (10 - 1) * 10
      planThenWriteSeconds: 100,
    });
    expect(windowFloor({ A: 101 }, { A: window }).seconds).toBe(10);
    expect(windowFloor({}, { A: window })).toEqual({
      seconds: 0,
      bindingAction: undefined,
      windows: {},
      planThenWriteSeconds: 0,
    });
  });
});

describe('quota floor', () => {
  it.each([
    // product at 2,000 instances: 20 pages, 40 role lookups, 20 attach calls, 1 GetRole, all at 20/s
    [
      { DescribeInstances: 20, DescribeInstanceRamRole: 40, AttachInstanceRamRole: 20, GetRole: 1 },
      2,
      4.05,
      1,
    ],
    // the OOS strategy: 2,000 attach calls dominate
    [{ DescribeInstances: 20, AttachInstanceRamRole: 2000 }, 100, 101, 99],
    [{ AttachInstanceRamRole: 21 }, 1.05, 1.05, 1],
    [{}, 0, 0, 0],
  ])('%j at 20/s: floor %d s, sequential %d s, windowed %d s', (calls, seconds, sequential, windowed) => {
    const quotas = {
      DescribeInstances: 20,
      DescribeInstanceRamRole: 20,
      AttachInstanceRamRole: 20,
      GetRole: 20,
    };
    const floor = quotaFloor({ calls, quotas });
    expect(floor.seconds).toBeCloseTo(seconds, 9);
    expect(floor.sequentialSeconds).toBeCloseTo(sequential, 9);
    expect(floor.windowedSeconds).toBe(windowed);
  });

  it('ignores actions without a quota and names the binding action', () => {
    const floor = quotaFloor({ calls: { A: 10, B: 30, C: 1000 }, quotas: { A: 10, B: 10 } });
    expect(floor).toMatchObject({ seconds: 3, bindingAction: 'B', sequentialSeconds: 4 });
    expect(floor.byAction).toEqual({ A: 1, B: 3 });
  });

  it('throttled calls consume no quota', () => {
    expect(acceptedCalls({ A: 10, B: 5 }, { A: 4 })).toEqual({ A: 6, B: 5 });
  });
});

describe('bench command line', () => {
  it('defaults to every benchmark at full size', () => {
    expect(parseBenchArgs([], '/repo')).toEqual({
      only: ['throughput', 'burst', 'cold-start', 'scale', 'console', 'windowed'],
      instances: 2000,
      burstInstances: 1000,
      scaleInstances: 100_000,
      windowedInstances: 10_000,
      coldRuns: 5,
      out: '/repo/bench/results',
    });
  });

  it('runs one benchmark scaled down', () => {
    expect(parseBenchArgs(['--only', 'throughput', '--instances', '500'], '/repo')).toMatchObject({
      only: ['throughput'],
      instances: 500,
    });
  });

  it.each([
    [['--only', 'speed'], /--only takes/],
    [['--instances', '0'], /--instances must be a positive integer/],
    [['--instances'], /--instances must be a positive integer/],
    [['--fast'], /unknown flag "--fast"/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseBenchArgs(argv, '/repo')).toThrow(message);
  });
});
