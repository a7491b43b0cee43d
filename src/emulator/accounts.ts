/**
 * The emulator's accounts: the management account and the Resource Directory members, each with its own
 * {@link FleetState} (instances, roles), and every credential the emulator accepts with the principal it
 * stands for. A request is served from the state of the account its credential belongs to, so credentials of
 * one account can never read or change another account's resources; a request naming an instance that
 * lives in another account is recorded as a cross-account attempt (tests assert there are none).
 */
import {
  accountTrustPolicy,
  defaultRoles,
  type FleetAccount,
  type FleetFile,
  type FleetFolder,
  FleetState,
  RD_ACCESS_ROLE,
} from './fleet.js';
import type { CredentialRecord } from './signature.js';

/** Who a credential is. */
export interface Principal {
  accountId: string;
  type: 'RAMUser' | 'AssumedRoleUser';
  /** `acs:ram::<account>:user/<name>` or `acs:ram::<account>:assumed-role/<role>/<session>`. */
  arn: string;
  principalId: string;
  /** For AssumedRoleUser: the role's ARN (what trust policies name) and id. */
  roleArn?: string;
  roleId?: string;
  sessionName?: string;
}

/** A credential with its principal; STS credentials issued by AssumeRole also expire. */
export interface AccountCredential extends CredentialRecord {
  principal: Principal;
  /** Epoch ms after which the token is refused (`InvalidSecurityToken.Expired`). */
  expiresAt?: number;
}

/** An account as the world holds it. */
export interface AccountRecord {
  accountId: string;
  displayName: string;
  folderId: string;
  status: string;
  type: string;
  joinTime: string;
  state: FleetState;
}

/** A session issued by AssumeRole, as tests inspect it (no secrets). */
export interface IssuedSession {
  accessKeyId: string;
  /** The account the session acts in. */
  accountId: string;
  roleName: string;
  sessionName: string;
  /** The caller's ARN. */
  issuedTo: string;
  issuedAt: number;
  expiresAt: number;
}

/** A request that named an instance of another account than its credential's. */
export interface CrossAccountAttempt {
  action: string;
  callerAccountId: string;
  ownerAccountId: string;
  instanceId: string;
}

/** Default name of the role the management account's generated STS credential belongs to. */
export const DEFAULT_FUNCTION_ROLE = 'ecs-role-attach-fc';

function roleIdOf(accountId: string, roleName: string): string {
  let hash = 2166136261;
  const text = `${accountId}/${roleName}`;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return `3${String(hash).padStart(10, '0')}${String(hash * 7)
    .slice(0, 8)
    .padStart(8, '0')}`;
}

/** The principal of a fleet credential: an AccessKey is RAM user `emulator`, an STS triple a session of the function role. */
export function fleetPrincipal(accountId: string, credential: CredentialRecord): Principal {
  if (credential.securityToken === undefined) {
    return {
      accountId,
      type: 'RAMUser',
      arn: `acs:ram::${accountId}:user/emulator`,
      principalId: roleIdOf(accountId, 'user/emulator'),
    };
  }
  const roleId = roleIdOf(accountId, DEFAULT_FUNCTION_ROLE);
  return {
    accountId,
    type: 'AssumedRoleUser',
    arn: `acs:ram::${accountId}:assumed-role/${DEFAULT_FUNCTION_ROLE}/fc-session`,
    principalId: `${roleId}:fc-session`,
    roleArn: `acs:ram::${accountId}:role/${DEFAULT_FUNCTION_ROLE}`,
    roleId,
    sessionName: 'fc-session',
  };
}

/** Every account, folder and credential of the emulator. */
export class World {
  readonly accounts = new Map<string, AccountRecord>();
  readonly folders = new Map<string, FleetFolder & { parentFolderId: string }>();
  readonly credentials = new Map<string, AccountCredential>();
  readonly sessions: IssuedSession[] = [];
  readonly crossAccount: CrossAccountAttempt[] = [];
  /** Which account each instance id belongs to (ids are unique across the world, as in the cloud). */
  readonly instanceOwner = new Map<string, string>();
  readonly resourceDirectoryId: string;
  readonly rootFolderId: string;

  constructor(
    readonly managementAccountId: string,
    readonly management: FleetState,
  ) {
    this.resourceDirectoryId = `rd-${managementAccountId.slice(-6)}`;
    this.rootFolderId = `r-${managementAccountId.slice(-6)}`;
    this.accounts.set(managementAccountId, {
      accountId: managementAccountId,
      displayName: 'management',
      folderId: this.rootFolderId,
      status: 'CreateSuccess',
      type: 'CloudAccount',
      joinTime: '2024-01-01T00:00:00.000Z',
      state: management,
    });
  }

  /** Loads folders and member accounts of a fleet file (the management account's own part is loaded by the server). */
  load(fleet: FleetFile, loadedAt: Date): void {
    for (const folder of fleet.folders ?? []) {
      this.folders.set(folder.folderId, {
        ...folder,
        parentFolderId: folder.parentFolderId ?? this.rootFolderId,
      });
    }
    for (const instance of this.management.instancesById.keys())
      this.instanceOwner.set(instance, this.managementAccountId);
    for (const account of fleet.accounts ?? []) this.addAccount(account, loadedAt);
  }

  addAccount(account: FleetAccount, loadedAt: Date): AccountRecord {
    const state = new FleetState(account.accountId);
    const roles = account.roles ?? [
      ...defaultRoles(account.accountId),
      { RoleName: RD_ACCESS_ROLE, AssumeRolePolicyDocument: accountTrustPolicy(this.managementAccountId) },
    ];
    for (const role of roles) state.addRole(role);
    for (const instance of account.instances) {
      state.addInstance(instance, loadedAt);
      this.instanceOwner.set(instance.InstanceId, account.accountId);
    }
    const record: AccountRecord = {
      accountId: account.accountId,
      displayName: account.displayName ?? `member-${account.accountId}`,
      folderId: account.folderId ?? this.rootFolderId,
      status: account.status ?? 'CreateSuccess',
      type: account.type ?? 'ResourceAccount',
      joinTime: '2024-01-01T00:00:00.000Z',
      state,
    };
    this.accounts.set(account.accountId, record);
    for (const credential of account.credentials ?? [])
      this.addCredential({ ...credential, principal: fleetPrincipal(account.accountId, credential) });
    return record;
  }

  addCredential(credential: AccountCredential): void {
    this.credentials.set(credential.accessKeyId, credential);
  }

  /** The state of an account; throws for an unknown one. */
  state(accountId: string): FleetState {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`unknown account ${accountId}`);
    return account.state;
  }

  /** Records every id of `instanceIds` that belongs to another account than `callerAccountId`. */
  checkInstanceIds(action: string, callerAccountId: string, instanceIds: readonly string[]): void {
    for (const instanceId of instanceIds) {
      const owner = this.instanceOwner.get(instanceId);
      if (owner !== undefined && owner !== callerAccountId)
        this.crossAccount.push({ action, callerAccountId, ownerAccountId: owner, instanceId });
    }
  }

  /** Folder ids from `folderId` down (itself first). */
  subtree(folderId: string): string[] {
    const result = [folderId];
    for (let i = 0; i < result.length; i++) {
      for (const folder of this.folders.values())
        if (folder.parentFolderId === result[i]) result.push(folder.folderId);
    }
    return result;
  }

  /** The role id RAM would give `roleName` in `accountId` (stable). */
  static roleId(accountId: string, roleName: string): string {
    return roleIdOf(accountId, roleName);
  }
}
