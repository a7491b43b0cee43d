/**
 * `store:<key>`: a JSON document of the state store, `docs/<key>.json` under `--state` / `STATE`. Taken by
 * `ROLE_RULES`, `run --save-plan` / `--plan` and the workflow input `plan`.
 */
import { InvalidInputError } from '../engine/errors.js';

/** A document key: letters, digits and `. _ - : = @` in `/`-separated segments, none of them `.` or `..`. */
const STORE_KEY = /^[A-Za-z0-9._:=@-]+(\/[A-Za-z0-9._:=@-]+)*$/;

/**
 * The key of a `store:<key>` value, or undefined when `value` does not start with `store:`.
 * @throws {@link InvalidInputError} naming `field` when the key is not a valid document key.
 * @example
 * parseStoreReference('store:plans/rollout-42', '--plan') // 'plans/rollout-42'
 */
export function parseStoreReference(value: string, field: string): string | undefined {
  if (!value.startsWith('store:')) return undefined;
  const key = value.slice('store:'.length);
  if (!STORE_KEY.test(key) || key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidInputError(
      field,
      'must be store:<key> with a key of letters, digits and . _ - : = @ in /-separated segments (the document docs/<key>.json of the state store)',
      value,
    );
  }
  return key;
}
