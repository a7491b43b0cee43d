/**
 * Organization scope over the real SDKs: the Resource Directory's member accounts
 * (`@alicloud/resourcemanager20200331`) and, per member, STS AssumeRole (`@alicloud/sts20150401`) with the
 * caller's own credentials. The result is used as a static `sts` credential of `@alicloud/credentials` and
 * renewed by calling AssumeRole again with the caller's credentials before it expires. Never the
 * `ram_role_arn` credential type: chained on top of another temporary credential its refresh fails once the
 * first token has expired (seed 002, research peers-and-asks.md §5.2).
 */
import type Credential from '@alicloud/credentials';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import ResourceManager, * as $Rm from '@alicloud/resourcemanager20200331';
import Sts, * as $Sts from '@alicloud/sts20150401';
import type { Clock, DirectoryAccount, DirectoryApi, Logger, RandomSource } from '../engine/index.js';
import { silentLogger, systemClock } from '../engine/index.js';
import { createCaller } from './caller.js';
import { endpointParts } from './clients.js';
import {
  type CredentialSource,
  defaultCredential,
  type StaticCredentials,
  staticCredential,
} from './credentials.js';
import { ApiLimiter } from './limiter.js';
import { releaseReadTimersAfterResponses } from './readTimers.js';
import { ApiStats, type RetryOptions, resolveRetryOptions } from './retry.js';

export interface OrganizationApisOptions {
  /** The emulator (or another endpoint) instead of Alibaba Cloud. */
  endpoint?: string;
  /** The caller's credentials (or a member's, to ask STS who they are); default: the default credential chain. */
  credential?: Credential | StaticCredentials | CredentialSource;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  retry?: RetryOptions;
  /**
   * STS AssumeRole calls per second (the documented quota is 100/s per account).
   * @default 50
   */
  stsQps?: number;
}

/** Per-member credentials and the Resource Directory, for the organization runner. */
export interface OrganizationApis {
  directory: DirectoryApi;
  /** The caller's own account (STS GetCallerIdentity): the management account when run from it. */
  callerAccountId(): Promise<string>;
  /** STS GetCallerIdentity in full: account, ARN and identity type (`Account`, `RAMUser`, `AssumedRoleUser`). */
  callerIdentity(): Promise<{ accountId: string; arn: string; identityType: string }>;
  /** A renewing credential of `roleName` in `accountId`; its first AssumeRole happens in `assume()`. */
  assumeRole(accountId: string, roleName: string, sessionName: string): AssumedRoleCredential;
}

function configFor(
  credential: Credential,
  endpoint: string | undefined,
  cloudEndpoint: string,
): $OpenApiUtil.Config {
  const target = endpoint === undefined ? undefined : endpointParts(endpoint);
  return new $OpenApiUtil.Config({
    credential,
    regionId: 'cn-hangzhou',
    connectTimeout: 5_000,
    readTimeout: 15_000,
    ...(target === undefined
      ? { endpoint: cloudEndpoint, protocol: 'https' }
      : { endpoint: target.host, protocol: target.protocol }),
  });
}

/**
 * The Resource Directory port and per-member AssumeRole over the real SDKs.
 * @example
 * const org = createOrganizationApis({}); // real cloud, default chain
 * const members = await org.directory.listAccounts();
 * const credential = org.assumeRole(members[0].accountId, 'ResourceDirectoryAccountAccessRole', 'ecs-role-attach.exec-…');
 * await credential.assume(); // CloudApiError EntityNotExist.Role / NoPermission when it cannot be assumed
 * createCloudApis({ regionId: 'cn-hangzhou', credential });
 */
export function createOrganizationApis(options: OrganizationApisOptions = {}): OrganizationApis {
  releaseReadTimersAfterResponses();
  const clock = options.clock ?? systemClock;
  const caller =
    options.credential === undefined
      ? defaultCredential()
      : 'accessKeySecret' in options.credential && typeof options.credential.accessKeySecret === 'string'
        ? staticCredential(options.credential as StaticCredentials)
        : (options.credential as Credential);
  const limiter = new ApiLimiter({ clock, qps: { AssumeRole: options.stsQps ?? 50, default: 20 } });
  const call = createCaller(limiter, {
    clock,
    random: options.random ?? Math.random,
    stats: new ApiStats(),
    logger: options.logger ?? silentLogger,
    options: resolveRetryOptions(options.retry),
  });
  const sts = new Sts(configFor(caller, options.endpoint, 'sts.aliyuncs.com'));
  const rm = new ResourceManager(configFor(caller, options.endpoint, 'resourcemanager.aliyuncs.com'));
  const callerIdentity = async () => {
    const response = await call('GetCallerIdentity', () => sts.getCallerIdentity());
    return {
      accountId: response.body?.accountId ?? '',
      arn: response.body?.arn ?? '',
      identityType: response.body?.identityType ?? '',
    };
  };
  const directory: DirectoryApi = {
    listAccounts: () =>
      allPages(async (pageNumber) => {
        const response = await call('ListAccounts', () =>
          rm.listAccounts(new $Rm.ListAccountsRequest({ pageNumber, pageSize: 100 })),
        );
        return { items: response.body?.accounts?.account ?? [], total: response.body?.totalCount ?? 0 };
      }).then((accounts) => accounts.map(toDirectoryAccount)),
    listAccountsForParent: (parentFolderId) =>
      allPages(async (pageNumber) => {
        const response = await call('ListAccountsForParent', () =>
          rm.listAccountsForParent(
            new $Rm.ListAccountsForParentRequest({ parentFolderId, pageNumber, pageSize: 100 }),
          ),
        );
        return { items: response.body?.accounts?.account ?? [], total: response.body?.totalCount ?? 0 };
      }).then((accounts) => accounts.map(toDirectoryAccount)),
    listFoldersForParent: (parentFolderId) =>
      allPages(async (pageNumber) => {
        const response = await call('ListFoldersForParent', () =>
          rm.listFoldersForParent(
            new $Rm.ListFoldersForParentRequest({ parentFolderId, pageNumber, pageSize: 100 }),
          ),
        );
        return { items: response.body?.folders?.folder ?? [], total: response.body?.totalCount ?? 0 };
      }).then((folders) => folders.map((f) => f.folderId ?? '').filter((id) => id !== '')),
  };
  return {
    directory,
    callerAccountId: async () => (await callerIdentity()).accountId,
    callerIdentity: () => callerIdentity(),
    assumeRole: (accountId, roleName, sessionName) =>
      new AssumedRoleCredential(
        async () => {
          const response = await call('AssumeRole', () =>
            sts.assumeRole(
              new $Sts.AssumeRoleRequest({
                roleArn: `acs:ram::${accountId}:role/${roleName}`,
                roleSessionName: sessionName,
                durationSeconds: 3600,
              }),
            ),
          );
          const c = response.body?.credentials;
          return {
            accessKeyId: c?.accessKeyId ?? '',
            accessKeySecret: c?.accessKeySecret ?? '',
            securityToken: c?.securityToken ?? '',
            expiresAt: Date.parse(c?.expiration ?? ''),
          };
        },
        clock,
        accountId,
      ),
  };
}

async function allPages<T>(
  fetchPage: (pageNumber: number) => Promise<{ items: T[]; total: number }>,
): Promise<T[]> {
  const items: T[] = [];
  for (let pageNumber = 1; ; pageNumber++) {
    const page = await fetchPage(pageNumber);
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}

function toDirectoryAccount(account: {
  accountId?: string;
  displayName?: string;
  folderId?: string;
  status?: string;
}): DirectoryAccount {
  return {
    accountId: account.accountId ?? '',
    displayName: account.displayName ?? '',
    folderId: account.folderId ?? '',
    status: account.status ?? '',
  };
}

/** One AssumeRole answer. */
export interface IssuedCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** Epoch ms of `Expiration`. */
  expiresAt: number;
}

/**
 * A member account's credential: the last AssumeRole answer as a static `sts` Credential, replaced by a
 * fresh AssumeRole (with the caller's own credentials, never the member token) once less than
 * `renewBeforeMs` of its life is left. Concurrent callers share one renewal. Usable as an SDK
 * `config.credential` (openapi-core asks it before every request).
 */
export class AssumedRoleCredential implements CredentialSource {
  private current: { credential: Credential; expiresAt: number } | undefined;
  private renewing: Promise<void> | undefined;
  /** AssumeRole calls made (the first one included). */
  assumed = 0;

  constructor(
    private readonly issue: () => Promise<IssuedCredentials>,
    private readonly clock: Clock,
    /** The account the credential acts in. */
    readonly accountId: string,
    /** @default 600_000 (10 minutes of a one-hour token) */
    private readonly renewBeforeMs = 600_000,
  ) {}

  /** Makes sure a credential with more than `renewBeforeMs` to live is held; throws the AssumeRole CloudApiError. */
  async assume(): Promise<void> {
    if (this.current && this.clock.now() < this.current.expiresAt - this.renewBeforeMs) return;
    this.renewing ??= (async () => {
      try {
        const issued = await this.issue();
        this.assumed += 1;
        this.current = {
          credential: staticCredential({
            accessKeyId: issued.accessKeyId,
            accessKeySecret: issued.accessKeySecret,
            securityToken: issued.securityToken,
          }),
          expiresAt: Number.isFinite(issued.expiresAt) ? issued.expiresAt : this.clock.now() + 900_000,
        };
      } finally {
        this.renewing = undefined;
      }
    })();
    await this.renewing;
  }

  async getCredential(): ReturnType<CredentialSource['getCredential']> {
    await this.assume();
    return this.current!.credential.getCredential();
  }
}

/**
 * The session name of a member credential: the tool and the execution, within STS's 2-64 characters of
 * `[A-Za-z0-9.@_-]`, e.g. `ecs-role-attach.exec-20261201T101500Z-4f3a9c`.
 */
export function sessionNameFor(executionId: string): string {
  return `ecs-role-attach.${executionId}`.replace(/[^A-Za-z0-9.@_-]/g, '-').slice(0, 64);
}
