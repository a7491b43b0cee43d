/**
 * The sweep request: the `sweep` function's timer payload and the CLI's `sweep` flags, validated by ONE
 * schema into the engine's {@link SweepRequest}. `targets` and `rateControl` go through their one schema
 * each (targets.ts, rateControl.ts), so a value gets the same verdict here as in `run` or a workflow.
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import { EXECUTION_MODES, RULES_LABEL, SOURCE_FIXES, type SweepRequest } from '../engine/types.js';
import { amount, regionId, roleName } from './atoms.js';
import { type OrganizationSelection, organizationOf, organizationShape } from './organization.js';
import { checkRateControl } from './rateControl.js';
import { parseRoleRules } from './rules.js';
import { parseTargets } from './targets.js';
import { fieldName, parseJsonPayload, parseWith } from './zod.js';

/** The sweep request's keys (the JSON inside the timer trigger's `payload` string). */
const sweepRequestSchema = z.strictObject(
  {
    regions: z
      .array(regionId, { error: 'must be a list of region ids' })
      .min(1, 'must list at least one region'),
    role: roleName.optional(),
    /** A role-rules document (object or its JSON/YAML text) instead of `role`. */
    rules: z.unknown().optional(),
    /** Checked by the ONE targets schema (targets.ts). */
    targets: z.unknown().optional(),
    /** Checked by the ONE rateControl schema (rateControl.ts). */
    rateControl: z.unknown().optional(),
    mode: z.enum(EXECUTION_MODES, { error: `must be one of ${EXECUTION_MODES.join(', ')}` }).optional(),
    /** Also remediate the sources in the same run (default: report them only). */
    fix: z.array(z.enum(SOURCE_FIXES, { error: `must be one of ${SOURCE_FIXES.join(', ')}` })).optional(),
    ...organizationShape,
    maxTargets: amount().optional(),
  },
  { error: 'must be a JSON object' },
);

/** A validated sweep request, and the organization scope when it names `accounts`. */
export interface SweepInput {
  request: SweepRequest;
  /** Present when the payload names `accounts`: every (account, region) is swept as one parent execution. */
  organization?: OrganizationSelection;
}

/**
 * Validates a sweep request (an object or its JSON text).
 * @param prefix put before every field: `payload` (timer), `` (the CLI renames the fields to its flags).
 * @throws {@link InvalidInputError} naming e.g. `payload.regions[0]` or `payload.colour` (unknown key).
 * @example
 * parseSweepRequest({ regions: ['cn-hangzhou'], role: 'EcsAppRole', rateControl: { Batch: [1, '10%'] } }, 'payload')
 */
export function parseSweepRequest(raw: unknown, prefix: string): SweepInput {
  const field = (key: string) => fieldName(prefix, [key]);
  const parsed = parseWith(sweepRequestSchema, parseJsonPayload(raw, prefix || 'sweep request'), prefix);
  const { accounts, excludeAccounts, assumeRole, includeManagement, accountConcurrency, rules, role } =
    parsed;
  if ((rules === undefined) === (role === undefined)) {
    throw new InvalidInputError(
      rules === undefined ? field('role') : field('rules'),
      rules === undefined
        ? `is required (or give role rules as ${field('rules')})`
        : `and ${field('role')} exclude each other: give one role or role rules`,
      rules ?? role,
    );
  }
  const request: SweepRequest = {
    regions: [...new Set(parsed.regions)],
    ...(rules === undefined
      ? { role: role as string }
      : { role: RULES_LABEL, rules: parseRoleRules(rules, field('rules')) }),
    ...(parsed.targets === undefined ? {} : { targets: parseTargets(parsed.targets, field('targets')) }),
    ...(parsed.rateControl === undefined
      ? {}
      : { rateControl: checkRateControl(parsed.rateControl, field('rateControl')) }),
    ...(parsed.mode === undefined ? {} : { mode: parsed.mode }),
    ...(parsed.fix === undefined ? {} : { fix: [...new Set(parsed.fix)] }),
    ...(parsed.maxTargets === undefined ? {} : { maxTargets: parsed.maxTargets }),
  };
  const organization = organizationOf(
    { accounts, excludeAccounts, assumeRole, includeManagement, accountConcurrency },
    prefix,
  );
  return organization === undefined ? { request } : { request, organization };
}

/** Validates the timer payload alone (a JSON string or a parsed object); used by s.yaml checks too. */
export function decodeSweepPayload(payload: unknown): SweepInput {
  return parseSweepRequest(payload, 'payload');
}

export interface TimerEvent extends SweepInput {
  triggerTime: string;
  triggerName: string;
}

const nonEmpty = z.string().min(1, 'must be a non-empty string');

const timerEventSchema = z.looseObject({
  triggerTime: nonEmpty,
  triggerName: nonEmpty,
  payload: z.string({ error: 'must be a JSON string (the timer trigger payload)' }),
});

/**
 * Decodes the FC timer event `{"triggerTime","triggerName","payload"}` whose `payload` is the JSON
 * string configured on the trigger.
 *
 * @throws {@link InvalidInputError} naming e.g. `payload.regions[0]` or `payload.colour` (unknown key).
 * @example
 * decodeTimerEvent(Buffer.from('{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"sweep",' +
 *   '"payload":"{\\"regions\\":[\\"cn-hangzhou\\"],\\"role\\":\\"EcsDefault\\"}"}'));
 */
export function decodeTimerEvent(raw: unknown): TimerEvent {
  const event = parseWith(timerEventSchema, parseJsonPayload(raw, 'event'), 'event');
  return {
    triggerTime: event.triggerTime,
    triggerName: event.triggerName,
    ...decodeSweepPayload(event.payload),
  };
}
