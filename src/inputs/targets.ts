/**
 * OOS `targets` JSON, validated at the boundary, and the exclusion options.
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import { mergeExclusions } from '../engine/exclusions.js';
import type { Exclusions, TargetsSpec } from '../engine/types.js';

const INSTANCE_ID = /^i-[a-z0-9]{1,64}$/;
const REGION_ID = /^[a-z]{2,}-[a-z0-9-]+$/;

const parameters = z
  .object({
    Status: z.enum(['Pending', 'Running', 'Starting', 'Stopping', 'Stopped']).optional(),
    InstanceNetworkType: z.enum(['vpc', 'classic']).optional(),
  })
  .strict()
  .optional();

const region = z.string().regex(REGION_ID, 'a region id like "cn-hangzhou"').optional();

const targetsSchema = z.discriminatedUnion('Type', [
  z
    .object({
      Type: z.literal('ResourceIds'),
      ResourceIds: z
        .array(z.string().regex(INSTANCE_ID, 'an instance id like "i-bp1abc"'))
        .min(1, 'at least one instance id'),
      RegionId: region,
      Parameters: parameters,
    })
    .strict(),
  z
    .object({
      Type: z.literal('Tags'),
      Tags: z
        .array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(128).optional() }).strict())
        .min(1, 'at least one tag')
        .max(20, 'at most 20 tags'),
      RegionId: region,
      Parameters: parameters,
    })
    .strict(),
  z
    .object({
      Type: z.literal('ResourceGroup'),
      ResourceGroupId: z.string().regex(/^rg-[a-z0-9]+$/, 'a resource group id like "rg-acfm..."'),
      RegionId: region,
      Parameters: parameters,
    })
    .strict(),
  z.object({ Type: z.literal('All'), RegionId: region, Parameters: parameters }).strict(),
]);

/**
 * Validates OOS targets (object or JSON text).
 *
 * @example
 * parseTargets('{"Type":"Tags","Tags":[{"Key":"env","Value":"prod"}]}')
 */
export function parseTargets(raw: unknown, field = 'targets'): TargetsSpec {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InvalidInputError(
        field,
        'must be JSON like {"Type":"ResourceIds","ResourceIds":["i-..."]}',
        raw,
      );
    }
  }
  const parsed = targetsSchema.safeParse(value);
  if (parsed.success) return stripUndefined(parsed.data) as TargetsSpec;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length ? `${field}.${issue.path.map(String).join('.')}` : field;
  const offending = issue.path.reduce<unknown>(
    (current, key) =>
      current !== null && typeof current === 'object'
        ? (current as Record<PropertyKey, unknown>)[key]
        : undefined,
    value,
  );
  if (issue.code === 'unrecognized_keys') {
    return failUnknownKey(field, issue.path.map(String), issue.keys[0] ?? '');
  }
  if (issue.code === 'invalid_union' || (issue.path.length === 1 && issue.path[0] === 'Type')) {
    throw new InvalidInputError(
      `${field}.Type`,
      'must be one of ResourceIds, Tags, ResourceGroup, All',
      (value as { Type?: unknown } | null)?.Type,
    );
  }
  throw new InvalidInputError(path, `must be ${issue.message}`, offending);
}

function failUnknownKey(field: string, path: string[], key: string): never {
  const where = [field, ...path].join('.');
  throw new InvalidInputError(`${where}.${key}`, 'is not a known key', key);
}

function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Parses `--exclude-tag key[=value]` entries and `--exclude-ids i-1,i-2` into {@link mergeExclusions}'
 * result: the default tag key is always excluded.
 */
export function parseExclusions(
  tags: readonly string[],
  ids: readonly string[],
  field = '--exclude',
): Exclusions {
  const parsedTags = tags.map((entry) => parseTagFilter(entry, `${field}-tag`));
  const instanceIds = ids
    .flatMap((entry) => entry.split(','))
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  for (const id of instanceIds) {
    if (!INSTANCE_ID.test(id))
      throw new InvalidInputError(`${field}-ids`, 'must list instance ids like i-bp1abc', id);
  }
  return mergeExclusions({ tags: parsedTags, instanceIds });
}

/**
 * Parses one `key` (any value) or `key=value` tag filter; the key is 1-128 characters.
 * @throws {@link InvalidInputError} naming `field`.
 */
export function parseTagFilter(entry: string, field: string): { key: string; value?: string } {
  const separator = entry.indexOf('=');
  const key = (separator === -1 ? entry : entry.slice(0, separator)).trim();
  if (key.length === 0 || key.length > 128) {
    throw new InvalidInputError(field, 'must be key or key=value with a key of 1-128 characters', entry);
  }
  return separator === -1 ? { key } : { key, value: entry.slice(separator + 1) };
}

export { INSTANCE_ID, REGION_ID };
