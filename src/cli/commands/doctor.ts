/**
 * `ecs-role-attach doctor`: the first command to run against a real account. Read-only towards ECS and RAM
 * (no attach, no detach, no RAM change); the only writes are one probe object in the state store, deleted
 * again. Each check reports `ok`, `warn` or `fail` with a detail line that says what to do.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createCloudApis } from '../../cloud/clients.js';
import { createCloudFlowApi } from '../../cloud/cloudflow.js';
import { type CredentialSource, defaultCredential } from '../../cloud/credentials.js';
import { createOrganizationApis, sessionNameFor } from '../../cloud/organization.js';
import type { AccountScope } from '../../engine/index.js';
import {
  assertRoleUsable,
  emptyRegionWarning,
  InvalidInputError,
  type OrganizationAccount,
  planAccounts,
  RoleAttachError,
} from '../../engine/index.js';
import { createOssObjectStorage, FsObjectStorage, type ObjectStorage } from '../../store/index.js';
import type { CommandContext } from '../context.js';
import { EXIT_CODES, guard } from '../exit.js';
import { outputFormat, regionList, roleName } from '../options.js';
import { addOrganizationOptions, type OrganizationOptions, organizationFlags } from '../organization.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** With --accounts: the member account the check ran in (its name starts with the id too). */
  accountId?: string;
}

interface DoctorOptions extends OrganizationOptions {
  flow?: string;
  region?: string;
  role?: string;
  state?: string;
  endpoint?: string;
  output?: string;
}

export interface DoctorRequest {
  regions: string[];
  role: string;
  state?: string;
  endpoint?: string;
  /** A CloudFlow flow that must exist (in `ECS_ROLE_ATTACH_FLOW_REGION`, else the first region). */
  flow?: string;
  /** --accounts: the checks of steps 3-4 run in every member instead of the caller's account. */
  organization?: { scope: AccountScope; assumeRole: string; accountConcurrency: number };
}

/** Registers `doctor`. */
export function registerDoctorCommand(program: Command, context: CommandContext): void {
  addOrganizationOptions(
    program
      .command('doctor')
      .description(
        'Check credentials, account, ECS access per region, the designated role and its ECS trust, and the state store; with --accounts, the same checks in every member account through AssumeRole. Read-only: no ECS or RAM write.',
      )
      .requiredOption('--region <ids>', 'region id(s), comma-separated, e.g. cn-hangzhou,cn-shanghai')
      .requiredOption('--role <name>', 'the designated instance RAM role')
      .option(
        '--state <dir|oss://bucket/prefix>',
        'the state store to probe (write, read and delete one object)',
      )
      .option(
        '--endpoint <url>',
        'send every API call to this endpoint (e.g. the emulator); default: Alibaba Cloud',
      )
      .option('--flow <name>', 'a CloudFlow flow that must exist, e.g. ecs-role-attach-bulk-attach')
      .option('--output <format>', 'text or json', 'text'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach doctor --region cn-hangzhou --role EcsAppRole
  $ ecs-role-attach doctor --region cn-hangzhou,cn-shanghai --role EcsAppRole --state oss://my-bucket/era --output json
  $ ecs-role-attach doctor --accounts folder:fd-a1b2c3 --region cn-hangzhou --role EcsAppRole

With --accounts, ECS per region and the role are checked in every member through the role a run assumes
(checks "<accountId> assume", "<accountId> ecs <region>", "<accountId> role"); a member that cannot be
assumed fails with the reason and the others are still checked.

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 invalid flags (nothing called).
JSON: {"checks":[{"name","status","detail","accountId"?}]}`,
    )
    .action((options: DoctorOptions) =>
      guard(context, async () => {
        const format = outputFormat(options.output);
        const organization = organizationFlags(options);
        const request: DoctorRequest = {
          regions: regionList(options.region),
          ...(organization === undefined ? {} : { organization }),
          role: roleName(options.role),
          ...(options.state === undefined ? {} : { state: options.state }),
          ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
          ...(options.flow === undefined ? {} : { flow: flowName(options.flow) }),
        };
        const checks = await runDoctor(request);
        context.stdout.write(format === 'json' ? `${JSON.stringify({ checks })}\n` : renderChecks(checks));
        return checks.some((check) => check.status === 'fail') ? EXIT_CODES.failed : EXIT_CODES.success;
      }),
    );
}

/** Runs every check in order; a failing check never stops the later ones (each says what to fix). */
export async function runDoctor(request: DoctorRequest): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const credential = defaultCredential();

  // 1. Which source of the default chain answered (never the secret).
  let haveCredentials = false;
  try {
    const current = await credential.getCredential();
    const kind = current.securityToken ? 'STS token' : 'AccessKey';
    checks.push({
      name: 'credentials',
      status: 'ok',
      detail: `${current.providerName ?? current.type ?? 'default chain'}: ${kind} ${mask(current.accessKeyId ?? '')}`,
    });
    haveCredentials = true;
  } catch (error) {
    checks.push({
      name: 'credentials',
      status: 'fail',
      detail: `the @alicloud/credentials default chain found none (${firstLine(error)}); set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, run \`aliyun configure\`, or run on an ECS instance with a RAM role`,
    });
  }
  if (!haveCredentials) return checks;

  // 2. Whose credentials they are.
  try {
    const identity = await organizationApis(credential, request.endpoint).callerIdentity();
    checks.push({
      name: 'account',
      status: 'ok',
      detail: `account ${identity.accountId}, ${identity.identityType} ${identity.arn}`,
    });
  } catch (error) {
    checks.push({
      name: 'account',
      status: 'fail',
      detail: `STS GetCallerIdentity failed (${describe(error)}); the credentials are not valid for this account: check the AccessKey or the STS token's expiry`,
    });
  }

  // 3-4. ECS per region, the designated role and its trust: in the caller's account, or with --accounts
  // in every member through the same AssumeRole a run makes.
  if (request.organization === undefined) {
    checks.push(...(await accountChecks(credential, request.regions, request.role, request.endpoint)));
  } else {
    checks.push(...(await organizationChecks(credential, request, request.organization)));
  }

  // 5. The state store: write, read and delete one probe object.
  if (request.state !== undefined) checks.push(await probeStore(request.state, request.endpoint));

  // 6. The CloudFlow flow, when named.
  if (request.flow !== undefined) {
    const regionId = process.env['ECS_ROLE_ATTACH_FLOW_REGION'] ?? request.regions[0]!;
    try {
      const flow = await createCloudFlowApi({
        regionId,
        credential,
        ...(request.endpoint === undefined ? {} : { endpoint: request.endpoint }),
      }).describeFlow(request.flow);
      checks.push(
        flow === undefined
          ? {
              name: 'flow',
              status: 'fail',
              detail: `CloudFlow flow ${request.flow} does not exist in ${regionId}: deploy it (npx s bulk-attach-flow deploy, docs/deploy.md) or set ECS_ROLE_ATTACH_FLOW_REGION to its region`,
            }
          : { name: 'flow', status: 'ok', detail: `CloudFlow flow ${flow.name} exists in ${regionId}` },
      );
    } catch (error) {
      checks.push({
        name: 'flow',
        status: 'fail',
        detail: `CloudFlow DescribeFlow ${request.flow} in ${regionId} failed (${describe(error)}); grant fnf:DescribeFlow`,
      });
    }
  }
  return checks;
}

/** ECS per region (a RAM user without ecs:DescribeInstances gets an empty list, not an error), then the role. */
async function accountChecks(
  credential: CredentialSource,
  regions: string[],
  role: string,
  endpoint: string | undefined,
  accountId?: string,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const prefix = accountId === undefined ? '' : `${accountId} `;
  const tag = accountId === undefined ? {} : { accountId };
  const where = (regionId: string) => (accountId === undefined ? regionId : `${regionId} of ${accountId}`);
  for (const regionId of regions) {
    const cloud = createCloudApis({
      regionId,
      credential,
      ...(endpoint === undefined ? {} : { endpoint }),
      retry: { maxAttempts: 2 },
    });
    try {
      const instances = await cloud.ecs.describeInstances({ regionId });
      checks.push(
        instances.length === 0
          ? {
              name: `${prefix}ecs ${regionId}`,
              status: 'warn',
              detail: `${emptyRegionWarning(where(regionId), false)}; ${accountId === undefined ? 'policies/operator-policy.json grants it' : 'policies/member-role-policy.json grants it to the assumed role'}`,
              ...tag,
            }
          : {
              name: `${prefix}ecs ${regionId}`,
              status: 'ok',
              detail: `DescribeInstances sees ${instances.length} instance${instances.length === 1 ? '' : 's'} in ${where(regionId)}`,
              ...tag,
            },
      );
    } catch (error) {
      checks.push({
        name: `${prefix}ecs ${regionId}`,
        status: 'fail',
        detail: `DescribeInstances in ${where(regionId)} failed (${describe(error)}); grant ecs:DescribeInstances (${accountId === undefined ? 'policies/operator-policy.json' : 'policies/member-role-policy.json'}) and check the region id`,
        ...tag,
      });
    }
  }
  const ram = createCloudApis({
    regionId: regions[0]!,
    credential,
    ...(endpoint === undefined ? {} : { endpoint }),
    retry: { maxAttempts: 2 },
  }).ram;
  // The same check every run makes before its first write (the engine's assertRoleUsable).
  try {
    await assertRoleUsable(ram, role);
    checks.push({
      name: `${prefix}role`,
      status: 'ok',
      detail: `RAM role "${role}" exists${accountId === undefined ? '' : ` in ${accountId}`} and trusts ecs.aliyuncs.com`,
      ...tag,
    });
  } catch (error) {
    const notUsable = error instanceof RoleAttachError && error.name === 'RoleNotUsableError';
    checks.push({
      name: `${prefix}role`,
      status: 'fail',
      detail: notUsable
        ? `${accountId === undefined ? '' : `${accountId}: `}${firstLine(error)}`
        : `RAM GetRole ${role} failed (${describe(error)}); grant ram:GetRole on acs:ram:*:${accountId ?? '<ACCOUNT_ID>'}:role/${role}`,
      ...tag,
    });
  }
  return checks;
}

/** The STS and Resource Directory clients of `credential`, retried once like every doctor call. */
function organizationApis(credential: CredentialSource, endpoint: string | undefined) {
  return createOrganizationApis({
    credential,
    retry: { maxAttempts: 2 },
    ...(endpoint === undefined ? {} : { endpoint }),
  });
}

/**
 * `--accounts`: the scope resolved through the Resource Directory (as a run resolves it), then per member the
 * AssumeRole a run makes, STS GetCallerIdentity with the member credential, and the account's own checks
 * through it. A member that cannot be assumed fails with the reason; the others are still checked.
 */
async function organizationChecks(
  credential: CredentialSource,
  request: DoctorRequest,
  organization: NonNullable<DoctorRequest['organization']>,
): Promise<DoctorCheck[]> {
  const apis = organizationApis(credential, request.endpoint);
  let planned: Awaited<ReturnType<typeof planAccounts>>;
  try {
    planned = await planAccounts(organization, request.regions, apis);
  } catch (error) {
    return [
      {
        name: 'organization',
        status: 'fail',
        detail: `the Resource Directory could not be read (${describe(error)}); run from the management account (or a delegated administrator) with resourcemanager:ListAccounts, ListAccountsForParent and ListFoldersForParent (policies/organization-policy.json)`,
      },
    ];
  }
  const leftOut = planned.leftOut.map((left) => `${left.accountId} (${left.reason})`).join(', ');
  const checks: DoctorCheck[] = [
    {
      name: 'organization',
      status: planned.accounts.length === 0 ? 'fail' : 'ok',
      detail: `${planned.accounts.length} account${planned.accounts.length === 1 ? '' : 's'} in scope${leftOut === '' ? '' : `; left out: ${leftOut}`}`,
    },
  ];
  const perAccount: DoctorCheck[][] = [];
  const queue = planned.accounts.map((account, index) => ({ account, index }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      perAccount[next.index] = await memberChecks(next.account, credential, apis, request);
    }
  };
  await Promise.all(Array.from({ length: organization.accountConcurrency }, worker));
  return [...checks, ...perAccount.flat()];
}

async function memberChecks(
  account: OrganizationAccount,
  caller: CredentialSource,
  apis: ReturnType<typeof organizationApis>,
  request: DoctorRequest,
): Promise<DoctorCheck[]> {
  const { accountId } = account;
  let credential: CredentialSource = caller;
  if (!account.management) {
    const member = apis.assumeRole(accountId, account.assumeRole, DOCTOR_SESSION);
    try {
      await member.assume();
      const identity = await organizationApis(member, request.endpoint).callerIdentity();
      if (identity.accountId !== accountId) {
        return [
          {
            name: `${accountId} assume`,
            status: 'fail',
            detail: `AssumeRole of ${account.assumeRole} answered a credential of account ${identity.accountId}, not ${accountId}`,
            accountId,
          },
        ];
      }
      credential = member;
    } catch (error) {
      return [
        {
          name: `${accountId} assume`,
          status: 'fail',
          detail: `STS AssumeRole of acs:ram::${accountId}:role/${account.assumeRole} failed (${describe(error)}); the member needs that role, trusting this account (policies/member-trust-policy.json), or name another with --assume-role; a run reports this member Failed and goes on with the others`,
          accountId,
        },
      ];
    }
  }
  return [
    {
      name: `${accountId} assume`,
      status: 'ok',
      detail: account.management
        ? `${accountId} is the calling account: its own credentials are used`
        : `assumed ${account.assumeRole} in ${accountId}${account.displayName ? ` (${account.displayName})` : ''} as session ${DOCTOR_SESSION}`,
      accountId,
    },
    ...(await accountChecks(credential, account.regions, request.role, request.endpoint, accountId)),
  ];
}

/** The STS session name of doctor's member credentials (runs name their execution instead). */
const DOCTOR_SESSION = sessionNameFor('doctor');

function flowName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(value)) {
    throw new InvalidInputError(
      '--flow',
      'must be a CloudFlow flow name (letters, digits, "_" or "-", 1-128)',
      value,
    );
  }
  return value;
}

async function probeStore(location: string, endpoint: string | undefined): Promise<DoctorCheck> {
  let storage: ObjectStorage;
  let where = location;
  try {
    if (/^oss:\/\//i.test(location.trim())) {
      const regionId = process.env['ALIBABA_CLOUD_REGION_ID'] ?? 'cn-hangzhou';
      storage = createOssObjectStorage({
        location: location.trim(),
        regionId,
        ...(endpoint === undefined ? {} : { endpoint }),
      });
      where = `${location.trim()} (region ${regionId}, V4 signatures)`;
    } else if (location.trim() !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(location.trim())) {
      storage = new FsObjectStorage(location.trim());
    } else {
      throw new InvalidInputError('--state', 'must be a directory or oss://bucket/prefix', location);
    }
  } catch (error) {
    return { name: 'state', status: 'fail', detail: firstLine(error) };
  }
  const key = `doctor/probe-${randomBytes(6).toString('hex')}.json`;
  const body = JSON.stringify({ probe: key });
  try {
    await storage.putObject(key, body);
    const read = await storage.getObject(key);
    await storage.deleteObject(key);
    if (read !== body) {
      return {
        name: 'state',
        status: 'fail',
        detail: `${where}: the probe object read back differs from what was written; the store is not consistent`,
      };
    }
    return { name: 'state', status: 'ok', detail: `${where}: wrote, read and deleted ${key}` };
  } catch (error) {
    const hint =
      error instanceof InvalidInputError
        ? ''
        : '; check the bucket and its region (ALIBABA_CLOUD_REGION_ID), and oss:PutObject, oss:GetObject, oss:DeleteObject on <bucket>/<prefix>/* (policies/operator-policy.json)';
    return { name: 'state', status: 'fail', detail: `${where}: ${describe(error)}${hint}` };
  }
}

/** Text report: one line per check, status first. */
export function renderChecks(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((check) => check.name.length));
  return checks
    .map((check) => `${check.status.padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}\n`)
    .join('');
}

function mask(id: string): string {
  return id.length <= 6 ? '***' : `${id.slice(0, 3)}***${id.slice(-3)}`;
}

/** An SDK or product error as `Code: message` (first line only: no stack, no request dump). */
function describe(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = firstLine(error);
  return typeof code === 'string' && code !== '' && !message.includes(code) ? `${code}: ${message}` : message;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}
