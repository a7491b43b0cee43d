import fc from 'fast-check';
import { chunkLayout, planBatches, resolveAmount, resolveMaxErrors } from '../../../src/engine/rateControl';
import { parseRateControl } from '../../../src/inputs/rateControl';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-${i}`);
const sizes = (n: number, raw: unknown) =>
  planBatches(ids(n), parseRateControl(raw)).map((b) => b.instanceIds.length);

describe('planBatches', () => {
  it.each([
    [1000, [1, '5%', '10%'], [1, 50, ...Array(9).fill(100), 49]],
    [10, [1, '50%'], [1, 5, 4]],
    [3, [5], [3]],
    [7, ['30%'], [3, 3, 1]],
    [300, ['7%'], [21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 6]],
    [1, ['1%'], [1]],
  ])('%i targets with Batch %j -> %j', (total, batch, expected) => {
    expect(sizes(total, { Mode: 'Batch', Batch: batch })).toEqual(expected);
  });

  it('puts everything in one batch in Concurrency mode, capped by Concurrency', () => {
    const [batch] = planBatches(ids(250), parseRateControl({ Mode: 'Concurrency', Concurrency: '10%' }));
    expect(batch?.instanceIds).toHaveLength(250);
    expect(batch?.concurrency).toBe(25);
  });

  it('applies ConcurrencyInBatches per batch, the last entry repeating', () => {
    const batches = planBatches(ids(40), parseRateControl({ Batch: [10], ConcurrencyInBatches: [1, 5] }));
    expect(batches.map((b) => b.concurrency)).toEqual([1, 5, 5, 5]);
  });

  it('plans nothing for no targets', () => {
    expect(planBatches([], parseRateControl({ Batch: [1] }))).toEqual([]);
  });

  it('plans every target exactly once, in order, in positive sizes (property)', () => {
    const amount = fc.oneof(
      fc.integer({ min: 1, max: 500 }),
      fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.array(amount, { minLength: 1, maxLength: 6 }),
        (n, batch) => {
          const planned = planBatches(ids(n), parseRateControl({ Mode: 'Batch', Batch: batch }));
          expect(planned.flatMap((b) => b.instanceIds)).toEqual(ids(n));
          for (const b of planned) expect(b.instanceIds.length).toBeGreaterThan(0);
          expect(planned.map((b) => b.index)).toEqual(planned.map((_, i) => i));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('amounts', () => {
  it.each([
    ['10%', 1000, 100],
    ['10%', 5, 1],
    ['0.5%', 1000, 5],
    ['33%', 10, 4],
    [7, 1000, 7],
  ])('resolveAmount(%j, %i) = %i (ceil, at least 1)', (amount, total, expected) => {
    expect(resolveAmount(amount as never, total)).toBe(expected);
  });

  it.each([
    ['10%', 1000, 100],
    ['10%', 9, 0],
    ['10%', 19, 1],
    ['0%', 100, 0],
    [0, 100, 0],
    [3, 10, 3],
  ])('resolveMaxErrors(%j, %i) = %i (floor)', (amount, total, expected) => {
    expect(resolveMaxErrors(amount as never, total)).toBe(expected);
  });

  it('cuts chunks of at most 100 ids and keeps the in-flight cap', () => {
    expect(chunkLayout(10)).toEqual({ chunkSize: 10, parallelCalls: 1 });
    expect(chunkLayout(100)).toEqual({ chunkSize: 100, parallelCalls: 1 });
    expect(chunkLayout(250)).toEqual({ chunkSize: 100, parallelCalls: 2 });
    expect(chunkLayout(1)).toEqual({ chunkSize: 1, parallelCalls: 1 });
  });
});
