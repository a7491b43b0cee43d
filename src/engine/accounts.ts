/**
 * Resolution of an organization scope into member accounts through the Resource Directory (the scope is
 * validated by src/inputs/accounts.ts).
 */

import type { OrganizationAccount } from './paths/organization.js';
import type { AccountScope } from './types.js';

/** A member account as the Resource Directory lists it. */
export interface DirectoryAccount {
  accountId: string;
  displayName: string;
  folderId: string;
  /** e.g. `CreateSuccess`, `InviteSuccess`, `CreateVerifying`. */
  status: string;
}

/** The Resource Directory calls the resolution needs (each returns every page). */
export interface DirectoryApi {
  listAccounts(): Promise<DirectoryAccount[]>;
  listAccountsForParent(parentFolderId: string): Promise<DirectoryAccount[]>;
  /** Folder ids directly under `parentFolderId`. */
  listFoldersForParent(parentFolderId: string): Promise<string[]>;
}

/** Directory statuses of members in use; others (verifying, failed, removing) are reported, never targeted. */
const ACTIVE = /Success$/;

/** The accounts a scope resolves to, and those left out with the reason. */
export interface ResolvedAccounts {
  accounts: { accountId: string; displayName: string; management: boolean }[];
  leftOut: { accountId: string; reason: string }[];
}

/**
 * Resolves a scope: `all` through ListAccounts, a folder through ListAccountsForParent over the folder and
 * every folder below it (ListFoldersForParent), ids as given (no directory call). The caller's own account
 * is left out unless `includeManagement`; exclusions and members not in use are left out with a reason.
 */
export async function resolveAccounts(
  scope: AccountScope,
  directory: DirectoryApi,
  callerAccountId: string,
): Promise<ResolvedAccounts> {
  let listed: DirectoryAccount[];
  if (scope.selector.type === 'ids') {
    listed = scope.selector.accountIds.map((accountId) => ({
      accountId,
      displayName: '',
      folderId: '',
      status: 'CreateSuccess',
    }));
  } else if (scope.selector.type === 'all') {
    listed = await directory.listAccounts();
  } else {
    listed = [];
    const folders = [scope.selector.folderId];
    for (let i = 0; i < folders.length; i++) {
      listed.push(...(await directory.listAccountsForParent(folders[i]!)));
      folders.push(...(await directory.listFoldersForParent(folders[i]!)));
    }
  }
  const accounts: ResolvedAccounts['accounts'] = [];
  const leftOut: ResolvedAccounts['leftOut'] = [];
  const seen = new Set<string>();
  for (const account of listed) {
    if (seen.has(account.accountId)) continue;
    seen.add(account.accountId);
    const management = account.accountId === callerAccountId;
    if (scope.exclude.includes(account.accountId) || scope.overrides[account.accountId]?.exclude) {
      leftOut.push({ accountId: account.accountId, reason: 'excluded' });
    } else if (management && !scope.includeManagement && scope.selector.type !== 'ids') {
      leftOut.push({
        accountId: account.accountId,
        reason: 'the management account (add --include-management)',
      });
    } else if (!ACTIVE.test(account.status)) {
      leftOut.push({ accountId: account.accountId, reason: `member status ${account.status}` });
    } else {
      accounts.push({ accountId: account.accountId, displayName: account.displayName, management });
    }
  }
  return { accounts, leftOut };
}

/**
 * The parent's plan of accounts: the scope resolved (the caller's account named by STS GetCallerIdentity),
 * each account with its regions and assumed role, accounts-file overrides applied.
 */
export async function planAccounts(
  organization: { scope: AccountScope; assumeRole: string },
  regions: string[],
  apis: { directory: DirectoryApi; callerAccountId(): Promise<string> },
): Promise<{ accounts: OrganizationAccount[]; leftOut: ResolvedAccounts['leftOut'] }> {
  const caller = await apis.callerAccountId();
  const resolved = await resolveAccounts(organization.scope, apis.directory, caller);
  return {
    accounts: resolved.accounts.map((account) => {
      const override = organization.scope.overrides[account.accountId] ?? {};
      return {
        accountId: account.accountId,
        displayName: account.displayName,
        management: account.management,
        regions: override.regions ?? regions,
        assumeRole: override.assumeRole ?? organization.assumeRole,
        ...(override.qps === undefined ? {} : { qps: override.qps }),
      };
    }),
    leftOut: resolved.leftOut,
  };
}
