/**
 * Accounts as a target dimension: the `--accounts` value (`all`, `folder:<folderId>`, `<id>,<id>...` or
 * `@accounts.yaml`) with `--exclude-accounts`, validated at the boundary, and its resolution into member
 * accounts through the Resource Directory (src/engine/accounts.ts).
 *
 * An accounts file (YAML or JSON):
 * ```yaml
 * select: folder:fd-prod          # or all; without it, the accounts listed below are the selection
 * exclude: ["2000000000000009"]
 * includeManagement: false
 * accounts:                       # explicit members, or overrides for selected ones
 *   - accountId: "2000000000000001"
 *     regions: [cn-hangzhou]      # instead of --region
 *     assumeRole: OpsAccessRole   # instead of --assume-role
 *     qps: AttachInstanceRamRole=5
 *     exclude: true
 * ```
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InvalidInputError } from '../engine/errors.js';
import type { AccountOverride, AccountScope, AccountSelector } from '../engine/types.js';
import { parseQps, REGION_ID, ROLE_NAME, ROLE_RULE } from './atoms.js';

/** The role Resource Directory creates in the members it creates, trusting the management account. */
export const DEFAULT_ASSUME_ROLE = 'ResourceDirectoryAccountAccessRole';

const ACCOUNT_ID = /^\d{16}$/;
const FOLDER_ID = /^fd-[0-9A-Za-z-]{1,64}$/;

function accountIds(values: unknown[], field: string): string[] {
  return values.map((value, index) => {
    const id = typeof value === 'number' ? String(value) : value;
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id))
      throw new InvalidInputError(`${field}[${index}]`, 'must be a 16-digit account id', value);
    return id;
  });
}

function parseSelector(text: string, field: string): AccountSelector {
  const value = text.trim();
  if (value === 'all') return { type: 'all' };
  if (value.startsWith('folder:')) {
    const folderId = value.slice('folder:'.length);
    if (!FOLDER_ID.test(folderId))
      throw new InvalidInputError(field, 'must name a folder like "folder:fd-a1b2c3"', text);
    return { type: 'folder', folderId };
  }
  const ids = value.split(',').map((id) => id.trim());
  if (ids.length === 0 || ids.some((id) => !ACCOUNT_ID.test(id))) {
    throw new InvalidInputError(
      field,
      'must be all, folder:<folderId>, comma-separated 16-digit account ids, or @file',
      text,
    );
  }
  return { type: 'ids', accountIds: [...new Set(ids)] };
}

function parseFile(path: string, field: string): { scope: AccountScope; regionsGiven: boolean } {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(
      field,
      `must name a readable YAML or JSON file (${(error as Error).message})`,
      `@${path}`,
    );
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    throw new InvalidInputError(field, 'must hold a mapping with select, accounts, exclude', `@${path}`);
  const known = new Set(['select', 'accounts', 'exclude', 'includeManagement']);
  for (const key of Object.keys(document)) {
    if (!known.has(key))
      throw new InvalidInputError(`${field} ${key}`, `is not a known key (${[...known].join(', ')})`, key);
  }
  const raw = document as {
    select?: unknown;
    accounts?: unknown;
    exclude?: unknown;
    includeManagement?: unknown;
  };
  const overrides: Record<string, AccountOverride> = {};
  const listed: string[] = [];
  if (raw.accounts !== undefined && !Array.isArray(raw.accounts))
    throw new InvalidInputError(`${field} accounts`, 'must be a list', raw.accounts);
  for (const [index, entry] of ((raw.accounts as unknown[]) ?? []).entries()) {
    const at = `${field} accounts[${index}]`;
    if (entry === null || typeof entry !== 'object')
      throw new InvalidInputError(at, 'must be a mapping', entry);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (!['accountId', 'regions', 'assumeRole', 'qps', 'exclude'].includes(key))
        throw new InvalidInputError(
          `${at}.${key}`,
          'is not a known key (accountId, regions, assumeRole, qps, exclude)',
          key,
        );
    }
    const [accountId = ''] = accountIds([e['accountId']], `${at}.accountId`);
    const override: AccountOverride = {};
    if (e['regions'] !== undefined) {
      if (
        !Array.isArray(e['regions']) ||
        e['regions'].length === 0 ||
        e['regions'].some((r) => typeof r !== 'string' || !REGION_ID.test(r))
      )
        throw new InvalidInputError(
          `${at}.regions`,
          'must be a non-empty list of region ids like "cn-hangzhou"',
          e['regions'],
        );
      override.regions = [...new Set(e['regions'] as string[])];
    }
    if (e['assumeRole'] !== undefined) {
      if (typeof e['assumeRole'] !== 'string' || !ROLE_NAME.test(e['assumeRole']))
        throw new InvalidInputError(`${at}.assumeRole`, ROLE_RULE, e['assumeRole']);
      override.assumeRole = e['assumeRole'];
    }
    if (e['qps'] !== undefined) {
      if (typeof e['qps'] !== 'string')
        throw new InvalidInputError(`${at}.qps`, 'must be like "AttachInstanceRamRole=5"', e['qps']);
      parseQps(e['qps'], `${at}.qps`);
      override.qps = e['qps'];
    }
    if (e['exclude'] !== undefined) {
      if (typeof e['exclude'] !== 'boolean')
        throw new InvalidInputError(`${at}.exclude`, 'must be true or false', e['exclude']);
      override.exclude = e['exclude'];
    }
    overrides[accountId] = override;
    listed.push(accountId);
  }
  let selector: AccountSelector;
  if (raw.select !== undefined) {
    if (typeof raw.select !== 'string' || (raw.select !== 'all' && !raw.select.startsWith('folder:')))
      throw new InvalidInputError(`${field} select`, 'must be all or folder:<folderId>', raw.select);
    selector = parseSelector(raw.select, `${field} select`);
  } else {
    if (listed.length === 0)
      throw new InvalidInputError(
        `${field} accounts`,
        'must list accounts when select is absent',
        raw.accounts,
      );
    selector = { type: 'ids', accountIds: listed };
  }
  if (raw.exclude !== undefined && !Array.isArray(raw.exclude))
    throw new InvalidInputError(`${field} exclude`, 'must be a list of account ids', raw.exclude);
  if (raw.includeManagement !== undefined && typeof raw.includeManagement !== 'boolean')
    throw new InvalidInputError(`${field} includeManagement`, 'must be true or false', raw.includeManagement);
  return {
    scope: {
      selector,
      exclude: accountIds((raw.exclude as unknown[]) ?? [], `${field} exclude`),
      includeManagement: raw.includeManagement === true,
      overrides,
    },
    regionsGiven: Object.values(overrides).some((o) => o.regions !== undefined),
  };
}

/**
 * `--accounts` (+ `--exclude-accounts`, `--include-management`) -> a validated scope; throws
 * InvalidInputError naming the flag (or the file's key), the rule and the value.
 *
 * @example
 * parseAccountScope({ accounts: 'folder:fd-prod', excludeAccounts: '2000000000000009' })
 * // { selector: { type: 'folder', folderId: 'fd-prod' }, exclude: ['2000000000000009'], includeManagement: false, overrides: {} }
 */
export function parseAccountScope(
  options: {
    accounts: string;
    excludeAccounts?: string;
    includeManagement?: boolean;
  },
  /** How errors name the inputs (the timer payload names its keys); `files: false` refuses `@file`. */
  fields: { accounts: string; excludeAccounts: string; files: boolean } = {
    accounts: '--accounts',
    excludeAccounts: '--exclude-accounts',
    files: true,
  },
): AccountScope {
  const field = fields.accounts;
  if (options.accounts.startsWith('@') && !fields.files)
    throw new InvalidInputError(
      field,
      'must be all, folder:<folderId> or account ids (no @file here)',
      options.accounts,
    );
  const base = options.accounts.startsWith('@')
    ? parseFile(options.accounts.slice(1), field).scope
    : {
        selector: parseSelector(options.accounts, field),
        exclude: [],
        includeManagement: false,
        overrides: {},
      };
  const extra =
    options.excludeAccounts === undefined
      ? []
      : accountIds(
          options.excludeAccounts.split(',').map((id) => id.trim()),
          fields.excludeAccounts,
        );
  return {
    ...base,
    exclude: [...new Set([...base.exclude, ...extra])],
    includeManagement: base.includeManagement || options.includeManagement === true,
  };
}

/** The `--assume-role` value, checked. */
export function parseAssumeRole(value: string | undefined, field = '--assume-role'): string {
  if (value === undefined) return DEFAULT_ASSUME_ROLE;
  if (!ROLE_NAME.test(value)) throw new InvalidInputError(field, ROLE_RULE, value);
  return value;
}
