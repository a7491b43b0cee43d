/**
 * OOS rate control: the batch arithmetic (the `rateControl` JSON is validated in src/inputs/rateControl.ts).
 *
 * Percentages are taken of the instances that need work (attach, replace, or a conflict to record):
 * instances that already bear the role or are skipped need no API write and take no batch slot.
 */
import { MAX_IDS_PER_WRITE, RATE_CONTROL_DEFAULTS } from './defaults.js';
import type { Amount, PlannedBatch, RateControl, RateControlInput } from './types.js';

/** `ceil(percent of total)`, at least 1; a number stays as it is. */
export function resolveAmount(amount: Amount, total: number): number {
  if (typeof amount === 'number') return amount;
  const percent = Number(amount.slice(0, -1));
  return Math.max(1, Math.ceil(roundHalf((percent * total) / 100)));
}

/** MaxErrors: `floor(percent of total)` (may be 0); a number stays as it is. */
export function resolveMaxErrors(amount: Amount, total: number): number {
  if (typeof amount === 'number') return amount;
  const percent = Number(amount.slice(0, -1));
  return Math.floor(roundHalf((percent * total) / 100));
}

// 7% of 300 is 20.999999999999996 in floating point; round to 9 decimals before ceil/floor.
function roundHalf(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * Fills the defaults into a validated rate control (src/inputs/rateControl.ts validates it); the mode is
 * inferred when left out (`Batch` given -> Batch). Pure: no check, no error.
 *
 * @example
 * withRateControlDefaults({ Batch: [1, '10%'] })
 * // { Mode: 'Batch', Batch: [1, '10%'], ConcurrencyInBatches: 100, BatchPauseOption: 'Automatic', MaxErrors: 0 }
 */
export function withRateControlDefaults(input: RateControlInput): RateControl {
  const MaxErrors = input.MaxErrors ?? RATE_CONTROL_DEFAULTS.MaxErrors;
  if ((input.Mode ?? (input.Batch !== undefined ? 'Batch' : 'Concurrency')) === 'Concurrency') {
    return {
      Mode: 'Concurrency',
      Concurrency: input.Concurrency ?? RATE_CONTROL_DEFAULTS.Concurrency,
      MaxErrors,
    };
  }
  return {
    Mode: 'Batch',
    Batch: input.Batch ?? [],
    ConcurrencyInBatches: input.ConcurrencyInBatches ?? RATE_CONTROL_DEFAULTS.ConcurrencyInBatches,
    BatchPauseOption: input.BatchPauseOption ?? RATE_CONTROL_DEFAULTS.BatchPauseOption,
    MaxErrors,
  };
}

/**
 * Splits the work ids into batches, in order. Mode Concurrency is one batch holding everything,
 * with the resolved Concurrency as its in-flight cap. Mode Batch: each entry resolves against the
 * total; the last entry repeats until every id is planned; the last batch takes the remainder.
 *
 * @example
 * planBatches(ids1000, { Mode: 'Batch', Batch: [1, '5%', '10%'], ... }).map((b) => b.instanceIds.length)
 * // [1, 50, 100, 100, 100, 100, 100, 100, 100, 100, 49]
 */
export function planBatches(ids: readonly string[], rateControl: RateControl): PlannedBatch[] {
  const total = ids.length;
  if (total === 0) return [];
  if (rateControl.Mode === 'Concurrency') {
    return [
      {
        index: 0,
        instanceIds: [...ids],
        concurrency: Math.min(resolveAmount(rateControl.Concurrency, total), total),
      },
    ];
  }
  const batches: PlannedBatch[] = [];
  let offset = 0;
  while (offset < total) {
    const index = batches.length;
    const entry = rateControl.Batch[Math.min(index, rateControl.Batch.length - 1)] as Amount;
    const size = Math.min(resolveAmount(entry, total), total - offset);
    const configured = rateControl.ConcurrencyInBatches;
    const concurrency = Array.isArray(configured)
      ? (configured[Math.min(index, configured.length - 1)] as number)
      : configured;
    batches.push({
      index,
      instanceIds: ids.slice(offset, offset + size),
      concurrency: Math.min(concurrency, size),
    });
    offset += size;
  }
  return batches;
}

/**
 * How a batch is cut into API calls: chunks of `min(100, concurrency)` ids, and as many calls in
 * flight as keep at most `concurrency` instances in flight (at least one).
 */
export function chunkLayout(concurrency: number): { chunkSize: number; parallelCalls: number } {
  const chunkSize = Math.max(1, Math.min(MAX_IDS_PER_WRITE, concurrency));
  return { chunkSize, parallelCalls: Math.max(1, Math.floor(concurrency / chunkSize)) };
}
