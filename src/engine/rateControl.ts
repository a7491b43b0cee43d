/**
 * OOS rate control: validation of the `rateControl` JSON and the batch arithmetic.
 *
 * Percentages are taken of the instances that need work (attach, replace, or a conflict to record):
 * instances that already bear the role or are skipped need no API write and take no batch slot.
 */
import { z } from 'zod';
import { InvalidInputError } from './errors.js';
import type { Amount, BatchPauseOption, PlannedBatch, RateControl } from './types.js';
import { BATCH_PAUSE_OPTIONS } from './types.js';

/** Most ids one AttachInstanceRamRole / DetachInstanceRamRole call takes. */
export const MAX_IDS_PER_WRITE = 100;

/** Defaults, in one place (OOS's own defaults except ConcurrencyInBatches, see below). */
export const RATE_CONTROL_DEFAULTS = {
  /** @default 10 — OOS default for Mode Concurrency. */
  Concurrency: 10,
  /** @default 0 — the first failure stops the execution. */
  MaxErrors: 0,
  /**
   * @default 100 — one full AttachInstanceRamRole call per batch step; OOS uses 20 because it calls
   * once per instance.
   */
  ConcurrencyInBatches: 100,
  /** @default 'Automatic' */
  BatchPauseOption: 'Automatic' as BatchPauseOption,
} as const;

const AMOUNT_RULE = 'must be a positive integer or a percentage like "10%"';
const MAX_ERRORS_RULE = 'must be a non-negative integer or a percentage like "10%"';

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** Parses a number or "N%"; `allowZero` for MaxErrors. Throws InvalidInputError naming `field`. */
export function parseAmount(value: unknown, field: string, allowZero = false): Amount {
  const rule = allowZero ? MAX_ERRORS_RULE : AMOUNT_RULE;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && (allowZero ? value >= 0 : value > 0)) return value;
    throw new InvalidInputError(field, rule, value);
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    const match = PERCENT.exec(trimmed);
    if (match) {
      const percent = Number(match[1]);
      if ((allowZero ? percent >= 0 : percent > 0) && percent <= 100) return `${percent}%`;
      throw new InvalidInputError(field, `${rule} (a percentage is at most 100%)`, value);
    }
    if (/^\d+$/.test(trimmed)) return parseAmount(Number(trimmed), field, allowZero);
  }
  throw new InvalidInputError(field, rule, value);
}

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

const rawRateControlSchema = z
  .object({
    Mode: z.enum(['Concurrency', 'Batch']).optional(),
    Concurrency: z.unknown().optional(),
    MaxErrors: z.unknown().optional(),
    Batch: z.unknown().optional(),
    ConcurrencyInBatches: z.unknown().optional(),
    BatchPauseOption: z.unknown().optional(),
  })
  .strict();

/**
 * Validates OOS `rateControl` JSON and applies the defaults.
 *
 * @example
 * parseRateControl({ Mode: 'Batch', Batch: [1, '5%', '10%'], MaxErrors: 0 })
 */
export function parseRateControl(raw: unknown, field = 'rateControl'): RateControl {
  if (raw === undefined || raw === null) {
    return { Mode: 'Concurrency', Concurrency: RATE_CONTROL_DEFAULTS.Concurrency, MaxErrors: 0 };
  }
  const parsed = rawRateControlSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `${field}.${issue.path.join('.')}` : field;
    if (issue?.code === 'unrecognized_keys') {
      throw new InvalidInputError(
        `${field}.${issue.keys[0]}`,
        'is not a rateControl key (allowed: Mode, Concurrency, MaxErrors, Batch, ConcurrencyInBatches, BatchPauseOption)',
        issue.keys[0],
      );
    }
    if (issue?.path[0] === 'Mode') {
      throw new InvalidInputError(path, 'must be "Concurrency" or "Batch"', (raw as { Mode?: unknown }).Mode);
    }
    throw new InvalidInputError(path, 'must be a JSON object', raw);
  }
  const value = parsed.data;
  const maxErrors =
    value.MaxErrors === undefined
      ? RATE_CONTROL_DEFAULTS.MaxErrors
      : parseAmount(value.MaxErrors, `${field}.MaxErrors`, true);
  const mode = value.Mode ?? (value.Batch !== undefined ? 'Batch' : 'Concurrency');
  if (mode === 'Concurrency') {
    for (const key of ['Batch', 'ConcurrencyInBatches', 'BatchPauseOption'] as const) {
      if (value[key] !== undefined) {
        throw new InvalidInputError(`${field}.${key}`, 'is only allowed with Mode "Batch"', value[key]);
      }
    }
    const concurrency =
      value.Concurrency === undefined
        ? RATE_CONTROL_DEFAULTS.Concurrency
        : parseAmount(value.Concurrency, `${field}.Concurrency`);
    return { Mode: 'Concurrency', Concurrency: concurrency, MaxErrors: maxErrors };
  }
  if (value.Concurrency !== undefined) {
    throw new InvalidInputError(
      `${field}.Concurrency`,
      'is only allowed with Mode "Concurrency" (use ConcurrencyInBatches with Mode "Batch")',
      value.Concurrency,
    );
  }
  if (!Array.isArray(value.Batch) || value.Batch.length === 0) {
    throw new InvalidInputError(
      `${field}.Batch`,
      'must be a non-empty list of positive integers or percentages like [1, "10%"]',
      value.Batch,
    );
  }
  const batch = value.Batch.map((entry, index) => parseAmount(entry, `${field}.Batch[${index}]`));
  return {
    Mode: 'Batch',
    Batch: batch,
    ConcurrencyInBatches: parseConcurrencyInBatches(
      value.ConcurrencyInBatches,
      `${field}.ConcurrencyInBatches`,
    ),
    BatchPauseOption: parseBatchPauseOption(value.BatchPauseOption, `${field}.BatchPauseOption`),
    MaxErrors: maxErrors,
  };
}

function parseConcurrencyInBatches(value: unknown, field: string): number | number[] {
  if (value === undefined) return RATE_CONTROL_DEFAULTS.ConcurrencyInBatches;
  const rule = 'must be a positive integer or a non-empty list of positive integers';
  if (Array.isArray(value)) {
    if (value.length === 0) throw new InvalidInputError(field, rule, value);
    return value.map((entry, index) => {
      const amount = parseAmount(entry, `${field}[${index}]`);
      if (typeof amount !== 'number') throw new InvalidInputError(`${field}[${index}]`, rule, entry);
      return amount;
    });
  }
  const amount = parseAmount(value, field);
  if (typeof amount !== 'number') throw new InvalidInputError(field, rule, value);
  return amount;
}

function parseBatchPauseOption(value: unknown, field: string): BatchPauseOption {
  if (value === undefined) return RATE_CONTROL_DEFAULTS.BatchPauseOption;
  if (typeof value === 'string' && (BATCH_PAUSE_OPTIONS as readonly string[]).includes(value)) {
    return value as BatchPauseOption;
  }
  throw new InvalidInputError(field, `must be one of ${BATCH_PAUSE_OPTIONS.join(', ')}`, value);
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
