/**
 * The atoms every input is built from, each with ONE pattern and ONE rule text: region id, RAM role
 * name, instance id, execution id, amount (`N` or `"N%"`), tag filter, per-action QPS and endpoint URL.
 * The schemas of src/inputs and functions/shared/config.ts take them from here, so that the same value
 * gets the same verdict, in the same words, on every path.
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import type { Amount } from '../engine/types.js';
import { fieldName } from './zod.js';

/** Alibaba Cloud region ids: `cn-hangzhou`, `ap-southeast-1`, `cn-shanghai-finance-1`. */
export const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;
export const REGION_RULE = 'must be a region id like "cn-hangzhou"';

/**
 * RAM role names: 1-64 letters, digits, "." or "-" (RAM's rule). A name of dots only (`.`, `..`) is
 * refused too: the role names store keys (`event-path/<region>/<role>`), where it would be a path step.
 */
export const ROLE_NAME = /^(?!\.+$)[A-Za-z0-9.-]{1,64}$/;
export const ROLE_RULE = 'must be a RAM role name (1-64 letters, digits, "." or "-", not only dots)';

/** ECS instance ids: `i-` then lowercase letters and digits (e.g. `i-bp1ecr5go2go`). */
export const INSTANCE_ID = /^i-[a-z0-9]{1,64}$/;
export const INSTANCE_RULE = 'must be an instance id like "i-bp1abc"';

/** Execution ids become store keys (`executions/<id>/...`): no slashes, no dots-only segments. */
export const EXECUTION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,159}$/;
export const EXECUTION_RULE = 'must be an execution id (letters, digits, "-", "_", ".")';

export const AMOUNT_RULE = 'must be a positive integer or a percentage like "10%"';
export const MAX_ERRORS_RULE = 'must be a non-negative integer or a percentage like "10%"';
const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** `key` or `key=value` with a key of 1-128 characters (ECS tag keys). */
export const TAG_FILTER_RULE = 'must be key or key=value with a key of 1-128 characters';

export const regionId = z.string({ error: REGION_RULE }).regex(REGION_ID, REGION_RULE);
export const roleName = z.string({ error: ROLE_RULE }).regex(ROLE_NAME, ROLE_RULE);
export const instanceId = z.string({ error: INSTANCE_RULE }).regex(INSTANCE_ID, INSTANCE_RULE);
export const executionId = z.string({ error: EXECUTION_RULE }).regex(EXECUTION_ID, EXECUTION_RULE);

/** Checks one atom outside a schema (a flag, an environment variable). */
export function checkAtom(value: unknown, pattern: RegExp, rule: string, field: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new InvalidInputError(field, rule, value);
  return value;
}

/**
 * An amount: a positive integer (a non-negative one with `allowZero`, for MaxErrors), its decimal text,
 * or a percentage `"N%"` of at most 100%. Returns the rule broken, or the amount.
 */
function amountOf(value: unknown, allowZero: boolean): Amount | { broken: string } {
  const rule = allowZero ? MAX_ERRORS_RULE : AMOUNT_RULE;
  if (typeof value === 'number') {
    return Number.isInteger(value) && (allowZero ? value >= 0 : value > 0) ? value : { broken: rule };
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    const match = PERCENT.exec(trimmed);
    if (match) {
      const percent = Number(match[1]);
      if ((allowZero ? percent >= 0 : percent > 0) && percent <= 100) return `${percent}%`;
      return { broken: `${rule} (a percentage is at most 100%)` };
    }
    if (/^\d+$/.test(trimmed)) return amountOf(Number(trimmed), allowZero);
  }
  return { broken: rule };
}

/**
 * Parses a number or "N%"; `allowZero` for MaxErrors.
 * @throws {@link InvalidInputError} naming `field`.
 * @example
 * parseAmount('10%', 'rateControl.Batch[1]') // '10%'
 */
export function parseAmount(value: unknown, field: string, allowZero = false): Amount {
  const amount = amountOf(value, allowZero);
  if (typeof amount === 'object') throw new InvalidInputError(field, amount.broken, value);
  return amount;
}

/** The amount atom as a schema (`{ allowZero: true }` for MaxErrors). */
export function amount(options: { allowZero?: boolean } = {}) {
  return z.unknown().transform((value, context): Amount => {
    const parsed = amountOf(value, options.allowZero === true);
    if (typeof parsed !== 'object') return parsed;
    context.addIssue({ code: 'custom', message: parsed.broken, input: value });
    return z.NEVER;
  });
}

/**
 * Parses one `key` (any value) or `key=value` tag filter; the key is trimmed.
 * @throws {@link InvalidInputError} naming `field`.
 */
export function parseTagFilter(entry: string, field: string): { key: string; value?: string } {
  const separator = entry.indexOf('=');
  const key = (separator === -1 ? entry : entry.slice(0, separator)).trim();
  if (key.length === 0 || key.length > 128) throw new InvalidInputError(field, TAG_FILTER_RULE, entry);
  return separator === -1 ? { key } : { key, value: entry.slice(separator + 1) };
}

/**
 * Per-action calls per second, `Action=n,...` (e.g. `DescribeInstances=20,AttachInstanceRamRole=5`);
 * `default=n` sets every action not named. The CLI's `--qps`, the `QPS` variable and an accounts file's
 * `qps` all read it here.
 * @throws {@link InvalidInputError} naming `field` (or `<field> <Action>`).
 */
export function parseQps(text: string, field: string): Record<string, number> {
  const table: Record<string, number> = {};
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    throw new InvalidInputError(field, 'must list Action=number pairs like "AttachInstanceRamRole=20"', text);
  }
  for (const entry of entries) {
    const match = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(\d+(?:\.\d+)?)$/.exec(entry);
    if (match === null) {
      throw new InvalidInputError(
        field,
        'entries must look like Action=number (e.g. "DescribeInstances=10")',
        entry,
      );
    }
    const [, action, value] = match as unknown as [string, string, string];
    const qps = Number(value);
    if (!(qps > 0))
      throw new InvalidInputError(fieldName(field, [action]), 'must be a positive number', value);
    if (action in table) throw new InvalidInputError(field, `names ${action} twice`, text);
    table[action] = qps;
  }
  return table;
}

/**
 * An endpoint URL for every API call (the emulator): http or https, no path (the SDK always calls "/").
 * @throws {@link InvalidInputError} naming `field`.
 * @example
 * parseEndpoint('http://127.0.0.1:8080', '--endpoint') // { host: '127.0.0.1:8080', protocol: 'http' }
 */
export function parseEndpoint(endpoint: string, field: string): { host: string; protocol: 'http' | 'https' } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new InvalidInputError(field, 'must be a URL like "http://127.0.0.1:8080"', endpoint, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(field, 'must use http or https', endpoint);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new InvalidInputError(field, 'must not have a path (the SDK always calls "/")', endpoint);
  }
  return { host: url.host, protocol: url.protocol === 'http:' ? 'http' : 'https' };
}
