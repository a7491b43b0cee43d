/**
 * OOS `targets` JSON, validated at the boundary, and the exclusion options.
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import { mergeExclusions } from '../engine/exclusions.js';
import type { Exclusions, TargetsSpec } from '../engine/types.js';
import { checkAtom, INSTANCE_ID, INSTANCE_RULE, instanceId, parseTagFilter, regionId } from './atoms.js';
import { parseWith } from './zod.js';

const TYPE_RULE = 'must be one of ResourceIds, Tags, ResourceGroup, All';

const parameters = z
  .strictObject({
    Status: z
      .enum(['Pending', 'Running', 'Starting', 'Stopping', 'Stopped'], {
        error: 'must be one of Pending, Running, Starting, Stopping, Stopped',
      })
      .optional(),
    InstanceNetworkType: z.enum(['vpc', 'classic'], { error: 'must be vpc or classic' }).optional(),
  })
  .optional();

const region = regionId.optional();

const tag = z.strictObject({
  Key: z
    .string()
    .min(1, 'must be a tag key of 1-128 characters')
    .max(128, 'must be a tag key of 1-128 characters'),
  Value: z.string().max(128, 'must be a tag value of at most 128 characters').optional(),
});

/** The ONE schema of OOS `targets`: the four documented types; unknown keys refused. */
const targetsSchema = z.discriminatedUnion(
  'Type',
  [
    z.strictObject({
      Type: z.literal('ResourceIds'),
      ResourceIds: z.array(instanceId).min(1, 'must list at least one instance id'),
      RegionId: region,
      Parameters: parameters,
    }),
    z.strictObject({
      Type: z.literal('Tags'),
      Tags: z.array(tag).min(1, 'must list at least one tag').max(20, 'must list at most 20 tags'),
      RegionId: region,
      Parameters: parameters,
    }),
    z.strictObject({
      Type: z.literal('ResourceGroup'),
      ResourceGroupId: z
        .string({ error: 'must be a resource group id like "rg-acfm..."' })
        .regex(/^rg-[a-z0-9]+$/, 'must be a resource group id like "rg-acfm..."'),
      RegionId: region,
      Parameters: parameters,
    }),
    z.strictObject({ Type: z.literal('All'), RegionId: region, Parameters: parameters }),
  ],
  { error: TYPE_RULE },
);

/**
 * Validates OOS targets (object or JSON text).
 * @param field the field the value came in: `targets`, `payload.targets`, `--targets`.
 * @throws {@link InvalidInputError} naming e.g. `targets.ResourceIds[0]`, the rule and the value.
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
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('Type' in value)) {
    throw new InvalidInputError(`${field}.Type`, TYPE_RULE, undefined);
  }
  return stripUndefined(parseWith(targetsSchema, value, field)) as TargetsSpec;
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
  fields: { tags: string; ids: string } = { tags: '--exclude-tag', ids: '--exclude-ids' },
): Exclusions {
  const parsedTags = tags.map((entry) => parseTagFilter(entry, fields.tags));
  const instanceIds = ids
    .flatMap((entry) => entry.split(','))
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  for (const id of instanceIds) checkAtom(id, INSTANCE_ID, INSTANCE_RULE, fields.ids);
  return mergeExclusions({ tags: parsedTags, instanceIds });
}
