/**
 * The execution input every shell accepts: the OOS template's parameter set
 * (`regionId`, `RamRoleName`, `targets`, `rateControl`; `OOSAssumeRole` accepted and ignored)
 * plus our extras (`mode`, `onConflict`, `excludeTags`, `excludeInstanceIds`). One schema, one place.
 */

import { InvalidInputError } from '../engine/errors.js';
import { DEFAULT_EXCLUDE_TAG } from '../engine/exclusions.js';
import { parseAmount, parseRateControl } from '../engine/rateControl.js';
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  EXECUTION_MODES,
  type ExecutionMode,
  type ExecutionParameters,
  RULES_LABEL,
} from '../engine/types.js';
import { parseRoleRules, ROLE_NAME } from './rules.js';
import { parseExclusions, parseTargets, REGION_ID } from './targets.js';

/** Defaults of the extras. */
export const PARAMETER_DEFAULTS = {
  /** @default 'Automatic' */
  mode: 'Automatic' as ExecutionMode,
  /** @default 'skip' — never touch an instance that bears another role. */
  onConflict: 'skip' as ConflictPolicy,
} as const;

const KNOWN_KEYS = new Set([
  'regionId',
  'RamRoleName',
  'targets',
  'rateControl',
  'OOSAssumeRole',
  'mode',
  'onConflict',
  'excludeTags',
  'excludeInstanceIds',
  'rules',
  'maxTargets',
]);

/** Raw input as it arrives from a params file, flags or a workflow: not validated yet. */
export interface RawExecutionInput {
  regionId?: unknown;
  RamRoleName?: unknown;
  targets?: unknown;
  rateControl?: unknown;
  OOSAssumeRole?: unknown;
  mode?: unknown;
  onConflict?: unknown;
  excludeTags?: unknown;
  excludeInstanceIds?: unknown;
  /** A role-rules document (object, or its JSON/YAML text) instead of `RamRoleName`. */
  rules?: unknown;
  maxTargets?: unknown;
}

/**
 * Validates execution input; throws {@link InvalidInputError} naming the field, the rule and the value.
 *
 * @example
 * parseExecutionInput({ regionId: 'cn-hangzhou', RamRoleName: 'EcsAppRole',
 *   targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] },
 *   rateControl: { Mode: 'Batch', Batch: [1, '10%'] }, mode: 'FailurePause' })
 */
export function parseExecutionInput(input: unknown, fieldPrefix = ''): ExecutionParameters {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError(fieldPrefix || 'parameters', 'must be a JSON object', input);
  }
  const raw = input as Record<string, unknown>;
  const field = (name: string) => `${fieldPrefix}${name}`;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) {
      // Quote keys that are not plain names ("" or " x") so the message still names the field.
      throw new InvalidInputError(
        field(/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key)),
        `is not a known parameter (allowed: ${[...KNOWN_KEYS].join(', ')})`,
        raw[key],
      );
    }
  }
  const regionId = raw['regionId'];
  if (typeof regionId !== 'string' || !REGION_ID.test(regionId)) {
    throw new InvalidInputError(field('regionId'), 'must be a region id like "cn-hangzhou"', regionId);
  }
  const role = raw['RamRoleName'];
  if (raw['rules'] !== undefined && role !== undefined) {
    throw new InvalidInputError(
      field('rules'),
      'and RamRoleName exclude each other: give one role (RamRoleName) or role rules (rules)',
      raw['rules'],
    );
  }
  const rules = raw['rules'] === undefined ? undefined : parseRoleRules(raw['rules'], field('rules'));
  if (!rules && (typeof role !== 'string' || !ROLE_NAME.test(role))) {
    throw new InvalidInputError(
      field('RamRoleName'),
      'must be a RAM role name of 1-64 letters, digits, "." or "-" (or give role rules as "rules")',
      role,
    );
  }
  if (raw['targets'] === undefined) {
    throw new InvalidInputError(
      field('targets'),
      'is required, e.g. {"Type":"ResourceIds","ResourceIds":["i-..."]}',
      undefined,
    );
  }
  const targets = parseTargets(raw['targets'], field('targets'));
  const maxTargets =
    raw['maxTargets'] === undefined ? undefined : parseAmount(raw['maxTargets'], field('maxTargets'));
  return {
    regionId,
    ramRoleName: rules ? RULES_LABEL : (role as string),
    ...(rules ? { rules } : {}),
    targets: targets.RegionId === undefined ? { ...targets, RegionId: regionId } : targets,
    rateControl: parseRateControl(
      parseJsonIfString(raw['rateControl'], field('rateControl')),
      field('rateControl'),
    ),
    mode: oneOf(raw['mode'], EXECUTION_MODES, field('mode'), PARAMETER_DEFAULTS.mode),
    onConflict: oneOf(
      raw['onConflict'],
      CONFLICT_POLICIES,
      field('onConflict'),
      PARAMETER_DEFAULTS.onConflict,
    ),
    exclusions: parseExclusions(
      stringList(raw['excludeTags'], field('excludeTags')),
      stringList(raw['excludeInstanceIds'], field('excludeInstanceIds')),
    ),
    ...(maxTargets === undefined ? {} : { maxTargets }),
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidInputError(field, `must be one of ${allowed.join(', ')}`, value);
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value;
  throw new InvalidInputError(field, 'must be a string or a list of strings', value);
}

function parseJsonIfString(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidInputError(field, 'must be JSON', value);
  }
}

/**
 * The params-file form of validated parameters (what `--params` and the workflow input take): the
 * inverse of {@link parseExecutionInput}, which gives `parameters` back from it. The default exclusion
 * tag is left out (every parse adds it back).
 *
 * @example
 * toParamsFile(parseExecutionInput({ regionId: 'cn-hangzhou', RamRoleName: 'EcsAppRole', targets }))
 * // => { regionId: 'cn-hangzhou', RamRoleName: 'EcsAppRole', targets: { ..., RegionId: 'cn-hangzhou' },
 * //      rateControl: { Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 }, mode: 'Automatic', onConflict: 'skip' }
 */
export function toParamsFile(parameters: ExecutionParameters): RawExecutionInput {
  const excludeTags = parameters.exclusions.tags
    .filter((tag) => tag.key !== DEFAULT_EXCLUDE_TAG || tag.value !== undefined)
    .map((tag) => (tag.value === undefined ? tag.key : `${tag.key}=${tag.value}`));
  return {
    regionId: parameters.regionId,
    ...(parameters.rules ? { rules: parameters.rules } : { RamRoleName: parameters.ramRoleName }),
    targets: parameters.targets,
    rateControl: parameters.rateControl,
    mode: parameters.mode,
    onConflict: parameters.onConflict,
    ...(excludeTags.length > 0 ? { excludeTags } : {}),
    ...(parameters.exclusions.instanceIds.length > 0
      ? { excludeInstanceIds: parameters.exclusions.instanceIds }
      : {}),
    ...(parameters.maxTargets === undefined ? {} : { maxTargets: parameters.maxTargets }),
  };
}
