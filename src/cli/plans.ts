/**
 * `run --dry-run --save-plan <file|store:key>` and `run --plan <file|store:key>`: the CLI side of reviewed
 * plans (the document: src/inputs/plan.ts; the execution: src/engine/reviewedPlan.ts). `store:<key>` is the
 * state store's document `docs/<key>.json` (`--state`), where the workflow input `plan` reads it.
 *
 * Flags given with `--plan` must agree with the plan: each one is laid over the plan's parameters and the
 * result must equal them (so the command line of the dry run, with `--plan` instead of `--dry-run
 * --save-plan`, is accepted; a flag that changes anything is refused naming it). `--params`, `--save-plan`
 * and `--accounts` are refused with `--plan`.
 */
import { accessSync, closeSync, constants, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type ExecutionParameters,
  type ExecutionStore,
  InvalidInputError,
  type PlannedInstance,
  type ReviewedPlan,
} from '../engine/index.js';
import { canonicalJson, parsePlanDocument, planDocument, readStoredPlan } from '../inputs/plan.js';
import { parseStoreReference } from '../inputs/storeReference.js';
import { writeJsonText } from './jsonText.js';
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
  if (options.savePlan !== undefined) checkSaveTarget(options.savePlan);
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

/** Reads and validates `--plan <file|store:key>` (shape, digest, parameters). */
export async function readPlan(source: string, store: () => ExecutionStore): Promise<ReviewedPlan> {
  const key = parseStoreReference(source, '--plan');
  if (key === undefined) return parsePlanDocument(readJsonFile(source, '--plan'), '--plan');
  return readStoredPlan(store(), key, '--plan');
}

/**
 * Refuses a `--save-plan` target the plan could not be written to, before the dry run makes any call: a
 * malformed `store:<key>`, or a file whose directory does not exist or is not writable.
 */
function checkSaveTarget(target: string): void {
  if (parseStoreReference(target, '--save-plan') !== undefined) return;
  const directory = dirname(target);
  try {
    if (!statSync(directory).isDirectory()) throw new Error(`${directory} is not a directory`);
    accessSync(directory, constants.W_OK);
  } catch (error) {
    throw new InvalidInputError(
      '--save-plan',
      `must name a file in a writable directory or store:<key> (${(error as Error).message}); nothing was called`,
      target,
    );
  }
}

/**
 * Saves the plan of a dry run to a file (a temporary file renamed over it, so that a reader never sees
 * half a plan) or, for `store:<key>`, as the state store's document `docs/<key>.json`.
 */
export async function savePlan(
  target: string,
  plan: { parameters: ExecutionParameters; instances: PlannedInstance[]; createdAt: string },
  store: () => ExecutionStore,
): Promise<{ file: string; digest: string; instances: number }> {
  const document = planDocument(plan.parameters, plan.instances, plan.createdAt);
  const saved = { file: target, digest: document.digest, instances: plan.instances.length };
  const key = parseStoreReference(target, '--save-plan');
  if (key !== undefined) {
    await store().putDocument(key, document);
    return saved;
  }
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    // Written in pieces: a 100,000-instance plan is ~24 MB of text (jsonText.ts).
    const fd = openSync(temporary, 'w', 0o644);
    try {
      writeJsonText((chunk) => writeSync(fd, chunk), document, 'instances', 2, '\n');
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (error) {
    throw new InvalidInputError(
      '--save-plan',
      `must name a writable file or store:<key> (${(error as Error).message}); the dry run made no write`,
      target,
    );
  }
  return saved;
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
