/**
 * The one mapper from zod to {@link InvalidInputError}: every schema of src/inputs is parsed through
 * {@link parseWith}, so that every input names the field, the rule and the value in the same words
 * ("payload.rateControl.Batch[1] must be a positive integer or a percentage like "10%", got "abc"").
 *
 * Rules come from the schema (the atoms' texts, see atoms.ts); issues a schema leaves unworded get the
 * project's wording here, never zod's ("Invalid input: expected string, received number").
 */
import type { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';

type Key = string | number;

/**
 * Buffer / Uint8Array / string -> parsed JSON; anything else is returned as is (already parsed).
 * @throws {@link InvalidInputError} `<field> must be JSON` with the first characters received.
 */
export function parseJsonPayload(raw: unknown, field: string): unknown {
  let text: string;
  if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) text = Buffer.from(raw).toString('utf8');
  else if (typeof raw === 'string') text = raw;
  else return raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(field, 'must be JSON', text.length > 120 ? `${text.slice(0, 120)}…` : text, {
      cause: error,
    });
  }
}

/**
 * Validates `input` with `schema`; on failure throws {@link InvalidInputError} for the first issue,
 * with `field` as the path under `prefix` (see {@link fieldName}): `payload.rateControl.Batch[1]`,
 * `--targets ResourceIds[0]`, or `targets.Type` with no prefix.
 *
 * @example
 * parseWith(targetsSchema, { Type: 'Everything' }, 'params.targets')
 * // throws: params.targets.Type must be one of ResourceIds, Tags, ResourceGroup, All, got "Everything"; ...
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(input, { error: projectWording });
  if (result.success) return result.data;
  // A typo is named first: an unknown key often explains the other issues (a value under the wrong key).
  const issues = result.error.issues;
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
  const path = issue.path.filter((key): key is Key => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const allowed = knownKeys(schema, input, path);
    const parent = valueAt(input, path) as Record<string, unknown>;
    throw new InvalidInputError(
      fieldName(prefix, [...path, key]),
      allowed ? `is not a known key (allowed: ${allowed.join(', ')})` : 'is not a known key',
      parent[key],
    );
  }
  const value = valueAt(input, path);
  const rule = value === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
  throw new InvalidInputError(fieldName(prefix, path), rule, value);
}

/**
 * The field of a path under a prefix, the way each boundary names its fields: `payload` + `[regions, 0]`
 * -> `payload.regions[0]`; a flag puts a space after itself (`--targets` + `[Tags, 0, Key]` ->
 * `--targets Tags[0].Key`; a flag's path goes on with dots, `--plan parameters.mode`); no prefix starts with
 * the key (`targets.Type`).
 */
export function fieldName(prefix: string, path: readonly Key[]): string {
  return path.reduce<string>((name, key, index) => {
    if (typeof key === 'number') return `${name}[${key}]`;
    // Quote keys that are not plain names ("" or " x") so that the message still shows the field.
    const shown = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
    if (name === '') return shown;
    return index === 0 && /^--[A-Za-z0-9-]+$/.test(name) ? `${name} ${shown}` : `${name}.${shown}`;
  }, prefix);
}

/**
 * Names the fields of a CLI command after its flags: a value given as `--rate-control` that fails as
 * `rateControl.Batch[1]` is reported as `--rate-control Batch[1]`. Fields not in `flags` stay as they are.
 * @example
 * renameFields({ targets: '--targets' }, () => parseTargets(value)) // throws "--targets Type must be ..."
 */
export function renameFields<T>(flags: Readonly<Record<string, string | undefined>>, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const [, head = '', rest = ''] = /^([^.[]*)(.*)$/.exec(error.field) ?? [];
    const flag = flags[head];
    if (flag === undefined) throw error;
    const field = `${flag}${rest.startsWith('.') ? ` ${rest.slice(1)}` : rest}`;
    throw new InvalidInputError(field, error.rule, error.value, { cause: error });
  }
}

/** The project's wording of the issues a schema leaves unworded. */
function projectWording(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return boundRule('at least', issue.origin, issue.minimum);
    case 'too_big':
      return boundRule('at most', issue.origin, issue.maximum);
    case 'invalid_format':
      return `must match ${issue.pattern ?? issue.format}`;
    case 'invalid_union':
      return 'must be one of the documented forms (see the README)';
    default:
      return 'is not valid';
  }
}

const TYPE_NAMES: Partial<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a JSON object',
};

function boundRule(side: string, origin: string, bound: number | bigint): string {
  if (origin === 'array' || origin === 'set') return `must list ${side} ${bound}`;
  if (origin === 'string') return `must be ${side} ${bound} characters long`;
  return `must be ${side} ${bound}`;
}

function valueAt(input: unknown, path: readonly Key[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<Key, unknown>)[key];
  }
  return current;
}

interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  discriminator?: string;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The keys an object schema at `path` knows, to list them when an unknown key is given. */
function knownKeys(schema: z.ZodType, input: unknown, path: readonly Key[]): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  let value: unknown = input;
  for (let step = 0; current !== undefined && step <= path.length; ) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe') current = def.in;
    else if (def.options) current = unionOption(def, value);
    else if (step === path.length) return def.shape ? Object.keys(def.shape) : undefined;
    else {
      const key = path[step]!;
      current = def.type === 'array' ? def.element : def.shape?.[String(key)];
      value = (value as Record<Key, unknown> | undefined)?.[key];
      step += 1;
    }
  }
  return undefined;
}

function unionOption(def: SchemaDef, value: unknown): z.ZodType | undefined {
  const options = def.options ?? [];
  if (def.discriminator === undefined) return options.length === 1 ? options[0] : undefined;
  const tag = (value as Record<string, unknown> | undefined)?.[def.discriminator];
  return options.find((option) => defOf(option).shape?.[def.discriminator!]?.safeParse(tag).success);
}
