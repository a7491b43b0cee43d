/**
 * Resource Directory (ResourceManager 2020-03-31), as `@alicloud/resourcemanager20200331` calls it:
 * ListAccounts (every account of the directory, the management account included), ListAccountsForParent
 * (the accounts directly in one folder), ListFoldersForParent (the folders directly in one folder, the root
 * folder by default). Pages: PageNumber from 1, PageSize 1-100, default 10 (the API reference's default;
 * callers must page). Only the management account may call them; a member's credential gets 403
 * `NoPermission` (our choice where the cloud's answer to a non-delegated member is undocumented), an unknown
 * folder 404 `EntityNotExists.Folder`.
 */
import type { AccountRecord, World } from '../accounts.js';
import { CommonErrors, EmulatorApiError } from '../api-error.js';
import { type EmulatorService, rpcService, type ServiceContext } from '../service.js';

function page<T>(
  items: T[],
  params: Record<string, string>,
): { items: T[]; pageNumber: number; pageSize: number } {
  const pageNumber = params['PageNumber'] ? Number(params['PageNumber']) : 1;
  const pageSize = params['PageSize'] ? Number(params['PageSize']) : 10;
  if (!Number.isInteger(pageNumber) || pageNumber < 1)
    throw CommonErrors.invalidParameter('PageNumber', 'must be an integer >= 1', params['PageNumber'] ?? '');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
    throw CommonErrors.invalidParameter(
      'PageSize',
      'must be an integer from 1 to 100',
      params['PageSize'] ?? '',
    );
  return { items: items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize), pageNumber, pageSize };
}

function accountView(world: World, account: AccountRecord, withPath: boolean): Record<string, unknown> {
  const path: string[] = [];
  for (let folder: string | undefined = account.folderId; folder && folder !== world.rootFolderId; ) {
    path.unshift(folder);
    folder = world.folders.get(folder)?.parentFolderId;
  }
  return {
    AccountId: account.accountId,
    DisplayName: account.displayName,
    FolderId: account.folderId,
    JoinMethod: account.type === 'CloudAccount' ? 'invited' : 'created',
    JoinTime: account.joinTime,
    ModifyTime: account.joinTime,
    ResourceDirectoryId: world.resourceDirectoryId,
    Status: account.status,
    Type: account.type,
    ...(withPath
      ? {
          ResourceDirectoryPath: [
            world.resourceDirectoryId,
            world.rootFolderId,
            ...path,
            account.accountId,
          ].join('/'),
        }
      : {}),
  };
}

function requireManagement(world: World, context: ServiceContext): void {
  const credential = context.caller ? world.credentials.get(context.caller.accessKeyId) : undefined;
  if (credential?.principal.accountId !== world.managementAccountId) {
    throw new EmulatorApiError(
      403,
      'NoPermission',
      'You are not authorized to do this action. Only the management account of the resource directory may call it.',
    );
  }
}

function knownFolder(world: World, folderId: string): void {
  if (folderId !== world.rootFolderId && !world.folders.has(folderId))
    throw new EmulatorApiError(404, 'EntityNotExists.Folder', `The folder ${folderId} does not exist.`);
}

/** The Resource Directory service over the emulator's {@link World}. */
export function resourceManagerService(world: World): EmulatorService {
  return rpcService({
    name: 'resourcemanager',
    product: 'ResourceManager',
    version: '2020-03-31',
    hostId: 'resourcemanager.aliyuncs.com',
    actions: {
      GetResourceDirectory: (_params, context) => {
        requireManagement(world, context);
        return {
          body: {
            ResourceDirectory: {
              ResourceDirectoryId: world.resourceDirectoryId,
              RootFolderId: world.rootFolderId,
              MasterAccountId: world.managementAccountId,
              MasterAccountName: 'management',
              CreateTime: '2024-01-01T00:00:00.000Z',
            },
          },
        };
      },
      ListAccounts: (params, context) => {
        requireManagement(world, context);
        const all = [...world.accounts.values()];
        const { items, pageNumber, pageSize } = page(all, params);
        return {
          body: {
            Accounts: { Account: items.map((a) => accountView(world, a, true)) },
            PageNumber: pageNumber,
            PageSize: pageSize,
            TotalCount: all.length,
          },
        };
      },
      ListAccountsForParent: (params, context) => {
        requireManagement(world, context);
        const parent = params['ParentFolderId'];
        if (!parent) throw CommonErrors.missingParameter('ParentFolderId');
        knownFolder(world, parent);
        const all = [...world.accounts.values()].filter((a) => a.folderId === parent);
        const { items, pageNumber, pageSize } = page(all, params);
        return {
          body: {
            Accounts: { Account: items.map((a) => accountView(world, a, false)) },
            PageNumber: pageNumber,
            PageSize: pageSize,
            TotalCount: all.length,
          },
        };
      },
      ListFoldersForParent: (params, context) => {
        requireManagement(world, context);
        const parent = params['ParentFolderId'] || world.rootFolderId;
        knownFolder(world, parent);
        const all = [...world.folders.values()].filter((f) => f.parentFolderId === parent);
        const { items, pageNumber, pageSize } = page(all, params);
        return {
          body: {
            Folders: {
              Folder: items.map((f) => ({
                FolderId: f.folderId,
                FolderName: f.folderName,
                CreateTime: '2024-01-01T00:00:00.000Z',
              })),
            },
            PageNumber: pageNumber,
            PageSize: pageSize,
            TotalCount: all.length,
          },
        };
      },
    },
  });
}
