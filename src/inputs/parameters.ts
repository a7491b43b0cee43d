/**
 * The execution input every shell accepts: the OOS template's parameter set
 * (`regionId`, `RamRoleName`, `targets`, `rateControl`; `OOSAssumeRole` accepted and ignored)
 * plus our extras (`mode`, `onConflict`, `excludeTags`, `excludeInstanceIds`). One schema, one place.
 */

import { z } from 'zod';
import { PARAMETER_DEFAULTS } from '../engine/defaults.js';
import { InvalidInputError } from '../engine/errors.js';
import { DEFAULT_EXCLUDE_TAG } from '../engine/exclusions.js';
import {
  CONFLICT_POLICIES,
  EXECUTION_MODES,
  type ExecutionParameters,
  RULES_LABEL,
} from '../engine/types.js';
import { amount, regionId, roleName } from './atoms.js';
import { parseRateControl } from './rateControl.js';
import { parseRoleRules } from './rules.js';
import { parseExclusions, parseTargets } from './targets.js';
import { parseWith } from './zod.js';

const STRING_LIST_RULE = 'must be a string or a list of strings';
const stringList = z.union([z.string(), z.array(z.string())], { error: STRING_LIST_RULE }).optional();

/**
 * The execution input's keys and their atoms; `targets`, `rateControl` and `rules` are validated by their
 * own parsers (each has one schema) once the keys are known.
 */
const executionInputSchema = z.strictObject(
  {
    regionId,
    RamRoleName: roleName.optional(),
    targets: z.unknown().optional(),
    rateControl: z.unknown().optional(),
    OOSAssumeRole: z.unknown().optional(),
    mode: z.enum(EXECUTION_MODES, { error: `must be one of ${EXECUTION_MODES.join(', ')}` }).optional(),
    onConflict: z
      .enum(CONFLICT_POLICIES, { error: `must be one of ${CONFLICT_POLICIES.join(', ')}` })
      .optional(),
    excludeTags: stringList,
    excludeInstanceIds: stringList,
    /** A role-rules document (object, or its JSON/YAML text) instead of `RamRoleName`. */
    rules: z.unknown().optional(),
    maxTargets: amount().optional(),
  },
  { error: 'must be a JSON object' },
);

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
 * @param fieldPrefix put before every field: `params.` (workflow input), `` (params file).
 *
 * @example
 * parseExecutionInput({ regionId: 'cn-hangzhou', RamRoleName: 'EcsAppRole',
 *   targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] },
 *   rateControl: { Mode: 'Batch', Batch: [1, '10%'] }, mode: 'FailurePause' })
 */
export function parseExecutionInput(input: unknown, fieldPrefix = ''): ExecutionParameters {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidInputError(
      fieldPrefix.replace(/\.$/, '') || 'parameters',
      'must be a JSON object',
      input,
    );
  }
  const raw = parseWith(executionInputSchema, input, fieldPrefix.replace(/\.$/, ''));
  const field = (name: string) => `${fieldPrefix}${name}`;
  if (raw.rules !== undefined && raw.RamRoleName !== undefined) {
    throw new InvalidInputError(
      field('rules'),
      'and RamRoleName exclude each other: give one role (RamRoleName) or role rules (rules)',
      raw.rules,
    );
  }
  const rules = raw.rules === undefined ? undefined : parseRoleRules(raw.rules, field('rules'));
  if (!rules && raw.RamRoleName === undefined) {
    throw new InvalidInputError(
      field('RamRoleName'),
      'is required (or give role rules as "rules")',
      undefined,
    );
  }
  if (raw.targets === undefined) {
    throw new InvalidInputError(
      field('targets'),
      'is required, e.g. {"Type":"ResourceIds","ResourceIds":["i-..."]}',
      undefined,
    );
  }
  const targets = parseTargets(raw.targets, field('targets'));
  return {
    regionId: raw.regionId,
    ramRoleName: rules ? RULES_LABEL : (raw.RamRoleName as string),
    ...(rules ? { rules } : {}),
    targets: targets.RegionId === undefined ? { ...targets, RegionId: raw.regionId } : targets,
    rateControl: parseRateControl(raw.rateControl, field('rateControl')),
    mode: raw.mode ?? PARAMETER_DEFAULTS.mode,
    onConflict: raw.onConflict ?? PARAMETER_DEFAULTS.onConflict,
    exclusions: parseExclusions(listOf(raw.excludeTags), listOf(raw.excludeInstanceIds), {
      tags: field('excludeTags'),
      ids: field('excludeInstanceIds'),
    }),
    ...(raw.maxTargets === undefined ? {} : { maxTargets: raw.maxTargets }),
  };
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
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
