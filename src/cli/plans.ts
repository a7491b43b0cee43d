/**
 * `run --dry-run --save-plan <file>` and `run --plan <file>`: the CLI side of reviewed plans (the
 * document: src/inputs/plan.ts; the execution: src/engine/reviewedPlan.ts).
 *
 * Flags given with `--plan` must agree with the plan: each one is laid over the plan's parameters and the
 * result must equal them (so the command line of the dry run, with `--plan` instead of `--dry-run
 * --save-plan`, is accepted; a flag that changes anything is refused naming it). `--params`, `--save-plan`
 * and `--accounts` are refused with `--plan`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import {
  type ExecutionParameters,
  InvalidInputError,
  type PlannedInstance,
  type ReviewedPlan,
} from '../engine/index.js';
import { canonicalJson, parsePlanDocument, planDocument } from '../inputs/plan.js';
import { readJsonFile } from './options.js';

/** The flags of `run` that reviewed plans look at. */
export interface PlanFlags {
  plan?: string;
  savePlan?: string;
  dryRun?: boolean;
  params?: string;
  accounts?: string;
}

/** Which flag sets which execution parameter (normalised form), for "does not match the plan" errors. */
const PARAMETER_FLAGS: Record<string, string> = {
  regionId: '--region',
  ramRoleName: '--role',
  rules: '--rules',
  targets: '--targets',
  rateControl: '--rate-control',
  mode: '--mode',
  onConflict: '--on-conflict',
  maxTargets: '--max-targets',
};

/** Refuses the flag combinations reviewed plans do not take; exit 2 before any call. */
export function checkPlanFlags(options: PlanFlags): void {
  if (options.savePlan !== undefined && !options.dryRun) {
    throw new InvalidInputError(
      '--save-plan',
      'needs --dry-run: a plan is saved by a dry run, reviewed, then executed with --plan',
      options.savePlan,
    );
  }
  const scope = options.plan !== undefined ? '--plan' : options.savePlan !== undefined ? '--save-plan' : '';
  if (scope === '') return;
  if (options.accounts !== undefined) {
    throw new InvalidInputError(
      scope,
      'is for one account and region: organization runs (--accounts) are not planned ahead; drop --accounts, or plan each account with its own credentials',
      options[scope === '--plan' ? 'plan' : 'savePlan'],
    );
  }
  if (options.plan === undefined) return;
  if (options.savePlan !== undefined) {
    throw new InvalidInputError(
      '--save-plan',
      'and --plan exclude each other: save a plan with --dry-run --save-plan, execute it with --plan',
      options.savePlan,
    );
  }
  if (options.params !== undefined) {
    throw new InvalidInputError(
      '--params',
      'and --plan exclude each other: the plan carries its parameters',
      options.params,
    );
  }
}

/** Reads and validates `--plan <file>` (shape, digest, parameters). */
export function readPlanFile(path: string): ReviewedPlan {
  return parsePlanDocument(readJsonFile(path, '--plan'), '--plan');
}

/**
 * Writes the plan of a dry run to `path` (a temporary file renamed over it, so that a reader never sees
 * half a plan) and returns its digest.
 */
export function savePlanFile(
  path: string,
  parameters: ExecutionParameters,
  instances: PlannedInstance[],
  createdAt: string,
): { file: string; digest: string; instances: number } {
  const document = planDocument(parameters, instances, createdAt);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    throw new InvalidInputError(
      '--save-plan',
      `must name a writable file (${(error as Error).message}); the dry run made no write`,
      path,
    );
  }
  return { file: path, digest: document.digest, instances: instances.length };
}

/**
 * Refuses flags that change the plan's parameters: `given` is the plan's parameters with the flags laid
 * over them. The first difference is named by its flag, with the plan's value.
 */
export function assertFlagsMatchPlan(plan: ExecutionParameters, given: ExecutionParameters): void {
  const keys = new Set([...Object.keys(plan), ...Object.keys(given)]) as Set<keyof ExecutionParameters>;
  for (const key of keys) {
    if (canonicalJson(plan[key]) === canonicalJson(given[key])) continue;
    const flag = key === 'exclusions' ? exclusionFlag(plan, given) : (PARAMETER_FLAGS[key] ?? key);
    const planned = plan[key] === undefined ? 'none' : canonicalJson(plan[key]);
    throw new InvalidInputError(
      flag,
      `must match the plan, which was made with ${key} ${planned}: a plan runs with the parameters it was reviewed with (drop the flag, or plan again)`,
      given[key],
    );
  }
}

function exclusionFlag(plan: ExecutionParameters, given: ExecutionParameters): string {
  return canonicalJson(plan.exclusions.tags) === canonicalJson(given.exclusions.tags)
    ? '--exclude-ids'
    : '--exclude-tag';
}
