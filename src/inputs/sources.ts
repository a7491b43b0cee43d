/**
 * The input of the source kinds (`harden-metadata`, `templates`): the execution input's atoms (region,
 * role, targets, rate control, mode, conflict policy, exclusions) plus their own (`kinds`,
 * `includeRoleless`), with their defaults. Invalid input throws {@link InvalidInputError} before any call.
 */
import { SOURCE_DEFAULTS } from '../engine/defaults.js';
import { InvalidInputError } from '../engine/errors.js';
import {
  type ExecutionParameters,
  SOURCE_KINDS,
  type SourceKind,
  type TargetsSpec,
} from '../engine/types.js';
import { REGION_ID } from './atoms.js';
import { parseExecutionInput } from './parameters.js';
import { renameFields } from './zod.js';

/** A launch template or scaling group id, as `templates --targets` ResourceIds take them. */
const SOURCE_ID = /^(lt|asg)-[0-9a-z]{1,64}$/;

export interface RawSourceInput {
  regionId?: unknown;
  RamRoleName?: unknown;
  /** templates: a role-rules document instead of `RamRoleName` (each source gets its rule's role). */
  rules?: unknown;
  targets?: unknown;
  rateControl?: unknown;
  mode?: unknown;
  onConflict?: unknown;
  excludeTags?: unknown;
  excludeInstanceIds?: unknown;
  /** templates: comma-separated list or array of `launch-template`, `scaling-configuration`. */
  kinds?: unknown;
  /** harden-metadata: harden role-less instances too. */
  includeRoleless?: unknown;
}

function sourceKinds(value: unknown): SourceKind[] {
  if (value === undefined) return [...SOURCE_KINDS];
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidInputError('--kinds', `must list one or more of ${SOURCE_KINDS.join(', ')}`, value);
  }
  for (const [i, kind] of list.entries()) {
    if (!(SOURCE_KINDS as readonly unknown[]).includes(kind)) {
      throw new InvalidInputError(`--kinds[${i}]`, `must be one of ${SOURCE_KINDS.join(', ')}`, kind);
    }
  }
  return [...new Set(list as SourceKind[])];
}

function templateTargets(value: unknown, regionId: string): TargetsSpec {
  const raw = (value ?? SOURCE_DEFAULTS.templatesTargets) as Record<string, unknown>;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError('--targets', 'must be a JSON object', value);
  }
  if (raw['Type'] === 'All') return { Type: 'All', RegionId: regionId };
  if (raw['Type'] !== 'ResourceIds') {
    throw new InvalidInputError('--targets Type', 'must be All or ResourceIds for templates', raw['Type']);
  }
  const ids = raw['ResourceIds'];
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new InvalidInputError('--targets ResourceIds', 'must be a non-empty list of lt-/asg- ids', ids);
  }
  for (const [i, id] of ids.entries()) {
    if (typeof id !== 'string' || !SOURCE_ID.test(id)) {
      throw new InvalidInputError(
        `--targets ResourceIds[${i}]`,
        'must be a launch template id like "lt-bp1abc" or a scaling group id like "asg-bp1abc"',
        id,
      );
    }
  }
  return { Type: 'ResourceIds', ResourceIds: ids as string[], RegionId: regionId };
}

/** The flag each shared parameter comes from, so that errors name what the operator typed. */
const FLAGS: Record<string, string> = {
  regionId: '--region',
  RamRoleName: '--role',
  rules: '--rules',
  targets: '--targets',
  rateControl: '--rate-control',
  mode: '--mode',
  onConflict: '--on-conflict',
  excludeTags: '--exclude-tag',
  excludeInstanceIds: '--exclude-ids',
};

/**
 * Validates the input of `harden-metadata` (one region) or `templates` (one or more regions,
 * comma-separated): one {@link ExecutionParameters} per region.
 */
export function parseSourceInput(
  kind: 'harden-metadata' | 'templates',
  raw: RawSourceInput,
): ExecutionParameters[] {
  const regions =
    typeof raw.regionId === 'string' ? raw.regionId.split(',').map((r) => r.trim()) : [raw.regionId];
  if (kind === 'harden-metadata' && regions.length > 1) {
    throw new InvalidInputError('--region', 'takes one region for harden-metadata', raw.regionId);
  }
  for (const region of regions) {
    if (typeof region !== 'string' || !REGION_ID.test(region)) {
      throw new InvalidInputError('--region', 'must be a region id like "cn-hangzhou"', raw.regionId);
    }
  }
  if (kind === 'templates' && raw.RamRoleName === undefined && raw.rules === undefined) {
    throw new InvalidInputError('--role', 'or --rules is required', undefined);
  }
  if (kind === 'templates' && raw.RamRoleName !== undefined && raw.rules !== undefined) {
    throw new InvalidInputError(
      '--rules',
      'and --role exclude each other: give one role (--role) or role rules (--rules)',
      '(a rules document)',
    );
  }
  if (kind === 'harden-metadata' && raw.rules !== undefined) {
    throw new InvalidInputError('--rules', 'applies to templates only', '(a rules document)');
  }
  if (kind === 'templates' && raw.includeRoleless !== undefined) {
    throw new InvalidInputError('--include-roleless', 'applies to harden-metadata only', raw.includeRoleless);
  }
  if (kind === 'harden-metadata' && raw.kinds !== undefined) {
    throw new InvalidInputError('--kinds', 'applies to templates only', raw.kinds);
  }
  if (kind === 'harden-metadata' && raw.targets === undefined) {
    throw new InvalidInputError('--targets', 'is required, e.g. {"Type":"All"}', undefined);
  }
  const kinds = kind === 'templates' ? sourceKinds(raw.kinds) : undefined;
  return (regions as string[]).map((regionId) => {
    const base = renameFields(FLAGS, () =>
      parseExecutionInput({
        regionId,
        // harden-metadata writes no role; the placeholder only satisfies the shared schema.
        ...(raw.rules !== undefined
          ? { rules: raw.rules }
          : { RamRoleName: kind === 'templates' ? raw.RamRoleName : 'none' }),
        // templates' ResourceIds are lt-/asg- ids, checked below; the shared schema checks instance ids.
        targets: kind === 'templates' ? { Type: 'All' } : raw.targets,
        rateControl:
          raw.rateControl ??
          (kind === 'templates' ? SOURCE_DEFAULTS.templatesRateControl : SOURCE_DEFAULTS.hardenRateControl),
        mode: raw.mode ?? (kind === 'harden-metadata' ? SOURCE_DEFAULTS.hardenMode : undefined),
        ...(raw.onConflict === undefined ? {} : { onConflict: raw.onConflict }),
        ...(raw.excludeTags === undefined ? {} : { excludeTags: raw.excludeTags }),
        ...(raw.excludeInstanceIds === undefined ? {} : { excludeInstanceIds: raw.excludeInstanceIds }),
      }),
    );
    if (kind === 'harden-metadata') {
      return { ...base, kind, ramRoleName: '', hardenRoleless: raw.includeRoleless === true };
    }
    return { ...base, kind, targets: templateTargets(raw.targets, regionId), sourceKinds: kinds! };
  });
}
