import { InvalidInputError } from '../../../src/engine/errors';
import { parseRateControl } from '../../../src/inputs/rateControl';

describe('parseRateControl', () => {
  it('defaults to OOS Concurrency 10, MaxErrors 0', () => {
    expect(parseRateControl(undefined)).toEqual({ Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 });
  });

  it('defaults Batch mode to ConcurrencyInBatches 100 and Automatic pauses', () => {
    expect(parseRateControl({ Mode: 'Batch', Batch: [1, '5%'] })).toEqual({
      Mode: 'Batch',
      Batch: [1, '5%'],
      ConcurrencyInBatches: 100,
      BatchPauseOption: 'Automatic',
      MaxErrors: 0,
    });
  });

  it.each([
    [
      { Mode: 'Batch', Batch: [1, 'abc'] },
      'rateControl.Batch[1]',
      'must be a positive integer or a percentage like "10%", got "abc"',
    ],
    [{ Mode: 'Batch', Batch: [] }, 'rateControl.Batch', 'must be a non-empty list'],
    [{ Mode: 'Batch', Batch: [0] }, 'rateControl.Batch[0]', 'got 0'],
    [{ Mode: 'Fast' }, 'rateControl.Mode', 'must be "Concurrency" or "Batch", got "Fast"'],
    [{ Concurrency: -1 }, 'rateControl.Concurrency', 'got -1'],
    [{ MaxErrors: '150%' }, 'rateControl.MaxErrors', 'at most 100%'],
    [
      { Batch: [1], BatchPauseOption: 'Sometimes' },
      'rateControl.BatchPauseOption',
      'must be one of Automatic',
    ],
    [
      { Batch: [1], Typo: 1 },
      'rateControl.Typo',
      'is not a known key (allowed: Mode, Concurrency, MaxErrors',
    ],
    [{ Mode: 'Concurrency', Batch: [1] }, 'rateControl.Batch', 'only allowed with Mode "Batch"'],
    ['nope', 'rateControl', 'must be JSON'],
    [42, 'rateControl', 'must be a JSON object'],
    ['{"Mode":"Batch"}', 'rateControl.Batch', 'must be a non-empty list'],
    [{ Mode: 'Batch', Batch: ['100.5%'] }, 'rateControl.Batch[0]', 'at most 100%'],
  ])('rejects %j naming %s', (raw, field, message) => {
    try {
      parseRateControl(raw);
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).toContain('nothing was changed');
    }
  });
});
