/**
 * The ONE validator of OOS `rateControl` (the CLI's `--rate-control`, a params file, the timer payload,
 * the workflow input): an object or its JSON text; `Mode` may be left out (`Batch` given -> Batch, else
 * Concurrency); unknown keys are refused. The defaults are applied once, here.
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import { withRateControlDefaults } from '../engine/rateControl.js';
import { BATCH_PAUSE_OPTIONS, type RateControl, type RateControlInput } from '../engine/types.js';
import { amount } from './atoms.js';
import { fieldName, parseJsonPayload, parseWith } from './zod.js';

const BATCH_RULE = 'must be a non-empty list of positive integers or percentages like [1, "10%"]';
const IN_BATCHES_RULE = 'must be a positive integer or a non-empty list of positive integers';

const positiveInteger = amount().refine((value) => typeof value === 'number', IN_BATCHES_RULE);

const rateControlSchema = z.strictObject(
  {
    Mode: z.enum(['Concurrency', 'Batch'], { error: 'must be "Concurrency" or "Batch"' }).optional(),
    Concurrency: amount().optional(),
    MaxErrors: amount({ allowZero: true }).optional(),
    Batch: z.array(amount(), { error: BATCH_RULE }).min(1, BATCH_RULE).optional(),
    ConcurrencyInBatches: z
      .union([z.array(positiveInteger).min(1, IN_BATCHES_RULE), positiveInteger], { error: IN_BATCHES_RULE })
      .optional(),
    BatchPauseOption: z
      .enum(BATCH_PAUSE_OPTIONS, { error: `must be one of ${BATCH_PAUSE_OPTIONS.join(', ')}` })
      .optional(),
  },
  { error: 'must be a JSON object' },
);

const BATCH_ONLY = ['Batch', 'ConcurrencyInBatches', 'BatchPauseOption'] as const;

/**
 * Validates OOS `rateControl` (object or JSON text) as written, without the defaults: what a sweep request
 * keeps (the sweep applies its own defaults).
 * @param field the field the value came in, e.g. `rateControl`, `payload.rateControl`, `--rate-control`.
 * @throws {@link InvalidInputError} naming `<field>.<key>`, the rule and the value.
 */
export function checkRateControl(raw: unknown, field = 'rateControl'): RateControlInput {
  const input = parseWith(rateControlSchema, parseJsonPayload(raw, field), field) as RateControlInput;
  const mode = input.Mode ?? (input.Batch !== undefined ? 'Batch' : 'Concurrency');
  if (mode === 'Concurrency') {
    for (const key of BATCH_ONLY) {
      if (input[key] !== undefined) {
        throw new InvalidInputError(fieldName(field, [key]), 'is only allowed with Mode "Batch"', input[key]);
      }
    }
  } else {
    if (input.Concurrency !== undefined) {
      throw new InvalidInputError(
        fieldName(field, ['Concurrency']),
        'is only allowed with Mode "Concurrency" (use ConcurrencyInBatches with Mode "Batch")',
        input.Concurrency,
      );
    }
    if (input.Batch === undefined)
      throw new InvalidInputError(fieldName(field, ['Batch']), BATCH_RULE, undefined);
  }
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  ) as RateControlInput;
}

/**
 * Validates OOS `rateControl` (object or JSON text; absent or null -> the defaults) and applies the defaults.
 * @throws {@link InvalidInputError} as {@link checkRateControl}.
 * @example
 * parseRateControl({ Mode: 'Batch', Batch: [1, '5%', '10%'], MaxErrors: 0 })
 */
export function parseRateControl(raw: unknown, field = 'rateControl'): RateControl {
  if (raw === undefined || raw === null) return withRateControlDefaults({});
  return withRateControlDefaults(checkRateControl(raw, field));
}
