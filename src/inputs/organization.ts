/**
 * The organization keys of a payload (the sweep timer payload, the workflow input): `accounts` and the keys
 * that go with it, validated into the scope the engine plans over.
 */
import { z } from 'zod';
import { ORGANIZATION_DEFAULTS } from '../engine/defaults.js';
import { InvalidInputError } from '../engine/errors.js';
import type { AccountScope } from '../engine/types.js';
import { parseAccountScope, parseAssumeRole } from './accounts.js';

/** The organization keys of a payload (the sweep timer payload, the workflow input). */
export const organizationShape = {
  /** Organization scope (README "Organization scope"): `all`, `folder:<folderId>` or comma-separated account ids. */
  accounts: z.string().min(1).optional(),
  excludeAccounts: z.array(z.string()).optional(),
  /** @default "ResourceDirectoryAccountAccessRole" */
  assumeRole: z.string().optional(),
  includeManagement: z.boolean().optional(),
  /** @default 4 */
  accountConcurrency: z.number().int().min(1).max(100).optional(),
};

/** A payload's organization scope, validated (`accounts` and the keys that go with it). */
export interface OrganizationSelection {
  scope: AccountScope;
  assumeRole: string;
  accountConcurrency: number;
}

/**
 * The organization of a payload's {@link organizationShape} keys, or undefined without `accounts` (the
 * other keys are then refused, naming `<prefix>.<key>`).
 */
export function organizationOf(
  keys: {
    accounts?: string | undefined;
    excludeAccounts?: string[] | undefined;
    assumeRole?: string | undefined;
    includeManagement?: boolean | undefined;
    accountConcurrency?: number | undefined;
  },
  prefix: string,
): OrganizationSelection | undefined {
  const { accounts, excludeAccounts, assumeRole, includeManagement, accountConcurrency } = keys;
  if (accounts === undefined) {
    const orphans = { excludeAccounts, assumeRole, includeManagement, accountConcurrency };
    for (const [key, value] of Object.entries(orphans)) {
      if (value !== undefined)
        throw new InvalidInputError(`${prefix}.${key}`, `needs ${prefix}.accounts`, value);
    }
    return undefined;
  }
  const scope = parseAccountScope(
    {
      accounts,
      ...(excludeAccounts === undefined || excludeAccounts.length === 0
        ? {}
        : { excludeAccounts: excludeAccounts.join(',') }),
      ...(includeManagement ? { includeManagement } : {}),
    },
    { accounts: `${prefix}.accounts`, excludeAccounts: `${prefix}.excludeAccounts`, files: false },
  );
  return {
    scope,
    assumeRole: parseAssumeRole(assumeRole, `${prefix}.assumeRole`),
    accountConcurrency: accountConcurrency ?? ORGANIZATION_DEFAULTS.accountConcurrency,
  };
}
