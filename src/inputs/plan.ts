/**
 * The reviewed-plan document (`run --dry-run --save-plan plan.json`, `run --plan plan.json`, the workflow
 * input `plan: "store:<key>"`): its one schema, its writer and its reader.
 *
 * ```json
 * { "format": "ecs-role-attach/plan", "version": 1, "createdAt": "2026-12-02T03:30:00.000Z",
 *   "parameters": { "regionId": "cn-hangzhou", "RamRoleName": "EcsAppRole", "targets": {...}, ... },
 *   "instances": [ { "instanceId": "i-bp1a", "status": "Running", "tags": { "env": "prod" }, "role": "",
 *                    "outcome": "Attached" }, ... ],
 *   "digest": "sha256:<64 hex>" }
 * ```
 *
 * `parameters` is a params file (what `--params` takes). `digest` is the SHA-256 of the canonical JSON
 * (object keys sorted, no whitespace) of the document without `digest`: any edit after saving is
 * refused. It detects changes, it does not authenticate: whoever can write the file can recompute it,
 * so keep plans where only reviewers write. Even so a plan can only do what the same parameters do to
 * the instances it lists: executing it plans them again with its parameters.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import type { ExecutionStore } from '../engine/ports.js';
import { type PlannedInstance, PREDICTED_OUTCOMES, type ReviewedPlan } from '../engine/reviewedPlan.js';
import { type ExecutionParameters, SKIP_REASONS } from '../engine/types.js';
import { instanceId } from './atoms.js';
import { parseExecutionInput, toParamsFile } from './parameters.js';
import { parseStoreReference } from './storeReference.js';
import { parseWith } from './zod.js';

/** The document's `format` and `version`. */
export const PLAN_FORMAT = { format: 'ecs-role-attach/plan', version: 1 } as const;

const DIGEST = /^sha256:[0-9a-f]{64}$/;

const instanceSchema = z.strictObject({
  instanceId,
  status: z.string().min(1).max(32).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  role: z.string().max(64).optional(),
  rule: z.string().min(1).max(64).optional(),
  outcome: z.enum(PREDICTED_OUTCOMES, { error: `must be one of ${PREDICTED_OUTCOMES.join(', ')}` }),
  reason: z.enum(SKIP_REASONS, { error: 'must be a skip reason' }).optional(),
  code: z.string().min(1).max(128).optional(),
  message: z.string().max(2048).optional(),
});

const documentSchema = z.strictObject({
  format: z.literal(PLAN_FORMAT.format, { error: `must be "${PLAN_FORMAT.format}"` }),
  version: z.literal(PLAN_FORMAT.version, {
    error: `must be ${PLAN_FORMAT.version} (this release's plan format)`,
  }),
  createdAt: z.iso.datetime({ error: 'must be an ISO 8601 UTC time' }),
  parameters: z.record(z.string(), z.unknown(), { error: 'must be an object of execution parameters' }),
  instances: z.array(instanceSchema, { error: 'must be a list of instances' }),
  digest: z.string().regex(DIGEST, 'must be "sha256:" and 64 lowercase hex digits'),
});

/** The reviewed-plan document as stored. */
export type PlanDocument = z.output<typeof documentSchema>;

/**
 * The document of a dry run's plan: its parameters (params-file form), its instance lines and their digest.
 * @example
 * planDocument(parameters, instances, new Date().toISOString()).digest // 'sha256:3f…'
 */
export function planDocument(
  parameters: ExecutionParameters,
  instances: PlannedInstance[],
  createdAt: string,
): PlanDocument {
  const content = {
    ...PLAN_FORMAT,
    createdAt,
    parameters: toParamsFile(parameters) as Record<string, unknown>,
    instances,
  };
  return { ...content, digest: planDigest(content) };
}

/**
 * Validates a reviewed plan from `source` (e.g. `--plan`, `params.plan (store document plans/web)`):
 * its shape (unknown keys refused), its digest and its parameters (as a params file).
 * @throws {@link InvalidInputError} naming the field, the rule and the value; a digest that does not
 *   match names both digests.
 */
export function parsePlanDocument(raw: unknown, source: string): ReviewedPlan & { createdAt: string } {
  const document = parsePlanShape(raw, source);
  const { digest, ...content } = document;
  const computed = planDigest(content);
  if (computed !== digest) {
    throw new InvalidInputError(
      `${source} digest`,
      `does not match the plan's content (its SHA-256 is ${computed}): the plan was changed after it was saved; review and save it again (run --dry-run --save-plan)`,
      digest,
    );
  }
  const seen = new Set<string>();
  document.instances.forEach((line, index) => {
    if (seen.has(line.instanceId)) {
      throw new InvalidInputError(
        `${source} instances[${index}].instanceId`,
        'must be unique in the plan',
        line.instanceId,
      );
    }
    seen.add(line.instanceId);
  });
  const parameters = parseExecutionInput(document.parameters, `${source} parameters.`);
  return {
    parameters,
    instances: document.instances.map(withoutUndefined),
    digest,
    createdAt: document.createdAt,
  };
}

/**
 * Reads and validates the reviewed plan saved as the state store's document `docs/<key>.json`
 * (`store:<key>`), named `field` in errors (`--plan`, `params.plan`).
 * @throws {@link InvalidInputError} when the document does not exist or is not a valid plan.
 */
export async function readStoredPlan(
  store: Pick<ExecutionStore, 'getDocument'>,
  key: string,
  field: string,
): Promise<ReviewedPlan & { createdAt: string }> {
  const document = await store.getDocument<unknown>(key);
  if (document === undefined) {
    throw new InvalidInputError(
      field,
      `names store document docs/${key}.json, which does not exist in the state store`,
      `store:${key}`,
    );
  }
  return parsePlanDocument(document, field);
}

/**
 * The workflow input's reviewed plan: `{"plan": "store:<key>"}` gives the key of the plan's document in
 * the state store; undefined when `params` has no `plan`. A plan carries its parameters, so no other key
 * may come with it (organization keys neither: organization runs are not planned ahead).
 * @throws {@link InvalidInputError} naming `params.plan` or the key given beside it.
 */
export function planReferenceOf(params: unknown, field = 'params'): string | undefined {
  if (params === null || typeof params !== 'object' || Array.isArray(params) || !('plan' in params)) {
    return undefined;
  }
  const { plan, ...rest } = params as Record<string, unknown>;
  const other = Object.keys(rest)[0];
  if (other !== undefined) {
    throw new InvalidInputError(
      `${field}.${other}`,
      `cannot be given with ${field}.plan: a reviewed plan carries its parameters (and is for one account and region)`,
      rest[other],
    );
  }
  const key = typeof plan === 'string' ? parseStoreReference(plan, `${field}.plan`) : undefined;
  if (key === undefined) {
    throw new InvalidInputError(
      `${field}.plan`,
      'must be store:<key>, a reviewed plan saved in the state store (ecs-role-attach run --dry-run --save-plan store:<key> --state <STATE>)',
      plan,
    );
  }
  return key;
}

/** The document's shape, with fields named `--plan instances[2].outcome` rather than `--plan.instances…`. */
function parsePlanShape(raw: unknown, source: string): PlanDocument {
  try {
    return parseWith(documentSchema, raw, source);
  } catch (error) {
    if (!(error instanceof InvalidInputError) || !error.field.startsWith(`${source}.`)) throw error;
    throw new InvalidInputError(`${source} ${error.field.slice(source.length + 1)}`, error.rule, error.value);
  }
}

/** `sha256:<hex>` of the canonical JSON of `content` (keys sorted at every level, no whitespace). */
export function planDigest(content: unknown): string {
  // Hashed piece by piece (a list member at a time): the canonical text of a 100,000-instance plan is ~20 MB.
  const hash = createHash('sha256');
  writeCanonicalJson(content, (piece) => hash.update(piece));
  return `sha256:${hash.digest('hex')}`;
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every level and `undefined` members left out,
 * as JSON.stringify leaves them out. Written out by hand: an object literal would put integer-like keys
 * (a tag named "2024") first whatever the insertion order.
 */
export function canonicalJson(value: unknown): string {
  const pieces: string[] = [];
  writeCanonicalJson(value, (piece) => pieces.push(piece));
  return pieces.join('');
}

/** The text of {@link canonicalJson} through `write`, in pieces (each list member whole). */
function writeCanonicalJson(value: unknown, write: (piece: string) => void): void {
  if (value === null || typeof value !== 'object') {
    write(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    write('[');
    value.forEach((member, index) => {
      if (index > 0) write(',');
      write(canonicalJson(member ?? null));
    });
    write(']');
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  write('{');
  keys.forEach((key, index) => {
    write(`${index > 0 ? ',' : ''}${JSON.stringify(key)}:`);
    writeCanonicalJson(record[key], write);
  });
  write('}');
}

function withoutUndefined(line: z.output<typeof instanceSchema>): PlannedInstance {
  return Object.fromEntries(
    Object.entries(line).filter(([, member]) => member !== undefined),
  ) as unknown as PlannedInstance;
}
