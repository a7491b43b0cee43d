/**
 * STS 2015-04-01: AssumeRole and GetCallerIdentity, as `@alicloud/sts20150401` calls them (RPC, POST form).
 *
 * AssumeRole checks what the cloud checks: the RoleArn's shape, that the role exists in the account it names
 * (404 `EntityNotExist.Role`), that its trust policy names the caller's account root or the caller's own
 * user/role ARN (403 `NoPermission`), RoleSessionName (2-64 of `[A-Za-z0-9.@_-]`) and DurationSeconds
 * (900 to the role's MaxSessionDuration, 3600). Error codes and statuses from the STS AssumeRole error table
 * (research real-cloud-evidence.md A9, G1). The issued credential acts in the role's account only and is
 * refused after its Expiration (`InvalidSecurityToken.Expired`).
 */
import type { Principal, World } from '../accounts.js';
import { CommonErrors, EmulatorApiError } from '../api-error.js';
import { type EmulatorService, rpcService, type ServiceContext } from '../service.js';

const ROLE_ARN = /^acs:ram::(\d+):role\/([A-Za-z0-9.-]{1,64})$/i;
const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,64}$/;
/** RAM's default MaxSessionDuration of a role (seconds). */
const MAX_SESSION_SECONDS = 3600;

/** Whether a role's trust policy lets `caller` assume it: RAM principal = caller's account root or its own ARN. */
export function trustsPrincipal(policyDocument: string, caller: Principal): boolean {
  let policy: unknown;
  try {
    policy = JSON.parse(policyDocument);
  } catch {
    return false;
  }
  const statements = (policy as { Statement?: unknown })?.Statement;
  if (!Array.isArray(statements)) return false;
  const accepted = new Set(
    [`acs:ram::${caller.accountId}:root`, caller.type === 'RAMUser' ? caller.arn : caller.roleArn]
      .filter((v): v is string => v !== undefined)
      .map((v) => v.toLowerCase()),
  );
  return statements.some(
    (statement: { Effect?: unknown; Action?: unknown; Principal?: { RAM?: unknown } }) => {
      if (statement?.Effect !== 'Allow') return false;
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      if (!actions.includes('sts:AssumeRole')) return false;
      const ram = statement.Principal?.RAM;
      const principals = Array.isArray(ram) ? ram : [ram];
      return principals.some((p) => typeof p === 'string' && accepted.has(p.toLowerCase()));
    },
  );
}

function randomText(random: () => number, length: number, alphabet: string): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function callerOf(world: World, context: ServiceContext): Principal {
  const credential = context.caller ? world.credentials.get(context.caller.accessKeyId) : undefined;
  if (!credential) throw CommonErrors.accessKeyNotFound();
  return credential.principal;
}

/** The STS service over the emulator's {@link World}; `random` draws the issued keys. */
export function stsService(world: World, random: () => number): EmulatorService {
  return rpcService({
    name: 'sts',
    product: 'Sts',
    version: '2015-04-01',
    hostId: 'sts.aliyuncs.com',
    actions: {
      GetCallerIdentity: (_params, context) => {
        const caller = callerOf(world, context);
        return {
          body: {
            AccountId: caller.accountId,
            Arn: caller.arn,
            IdentityType: caller.type,
            PrincipalId: caller.principalId,
            ...(caller.type === 'RAMUser' ? { UserId: caller.principalId } : { RoleId: caller.roleId }),
          },
        };
      },
      AssumeRole: (params, context) => {
        const caller = callerOf(world, context);
        const roleArn = params['RoleArn'];
        if (!roleArn) throw CommonErrors.missingParameter('RoleArn');
        const sessionName = params['RoleSessionName'];
        if (!sessionName) throw CommonErrors.missingParameter('RoleSessionName');
        const match = ROLE_ARN.exec(roleArn);
        if (!match)
          throw new EmulatorApiError(
            400,
            'InvalidParameter.RoleArn',
            'The parameter RoleArn is wrongly formed.',
          );
        if (!SESSION_NAME.test(sessionName)) {
          throw new EmulatorApiError(
            400,
            'InvalidParameter.RoleSessionName',
            'The parameter RoleSessionName is wrongly formed.',
          );
        }
        const duration = params['DurationSeconds'] ? Number(params['DurationSeconds']) : MAX_SESSION_SECONDS;
        if (!Number.isInteger(duration) || duration < 900 || duration > MAX_SESSION_SECONDS) {
          throw new EmulatorApiError(
            400,
            'InvalidParameter.DurationSeconds',
            `The DurationSeconds must be from 900 to ${MAX_SESSION_SECONDS}.`,
          );
        }
        const [, accountId = '', roleName = ''] = match;
        const account = world.accounts.get(accountId);
        const role = account
          ? [...account.state.roles.values()].find((r) => r.RoleName.toLowerCase() === roleName.toLowerCase())
          : undefined;
        if (!account || !role)
          throw new EmulatorApiError(404, 'EntityNotExist.Role', 'The specified Role not exists.');
        if (!trustsPrincipal(role.AssumeRolePolicyDocument, caller)) {
          throw new EmulatorApiError(
            403,
            'NoPermission',
            'You are not authorized to do this action. You should be authorized by RAM.',
          );
        }
        const issuedAt = context.now();
        const expiresAt = issuedAt + duration * 1000;
        const accessKeyId = `STS.NS${randomText(random, 24, ALPHANUMERIC)}`;
        const accessKeySecret = randomText(random, 44, ALPHANUMERIC);
        const securityToken = `CAIS${randomText(random, 96, ALPHANUMERIC)}`;
        const lower = role.RoleName.toLowerCase();
        const assumedArn = `acs:ram::${accountId}:assumed-role/${lower}/${sessionName}`;
        world.addCredential({
          accessKeyId,
          accessKeySecret,
          securityToken,
          expiresAt,
          principal: {
            accountId,
            type: 'AssumedRoleUser',
            arn: assumedArn,
            principalId: `${role.RoleId}:${sessionName}`,
            roleArn: role.Arn,
            roleId: role.RoleId,
            sessionName,
          },
        });
        world.sessions.push({
          accessKeyId,
          accountId,
          roleName: role.RoleName,
          sessionName,
          issuedTo: caller.arn,
          issuedAt,
          expiresAt,
        });
        return {
          body: {
            AssumedRoleUser: { Arn: assumedArn, AssumedRoleId: `${role.RoleId}:${sessionName}` },
            Credentials: {
              AccessKeyId: accessKeyId,
              AccessKeySecret: accessKeySecret,
              SecurityToken: securityToken,
              Expiration: `${new Date(expiresAt).toISOString().slice(0, 19)}Z`,
            },
          },
        };
      },
    },
  });
}
