/**
 * `ecs-role-attach doctor`: the first command to run against a real account. Read-only towards ECS and RAM
 * (no attach, no detach, no RAM change); the only writes are one probe object in the state store, deleted
 * again. Each check reports `ok`, `warn` or `fail` with a detail line that says what to do.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createCloudApis } from '../../cloud/clients.js';
import { createCloudFlowApi } from '../../cloud/cloudflow.js';
import { defaultCredential } from '../../cloud/credentials.js';
import { createOrganizationApis } from '../../cloud/organization.js';
import { assertRoleUsable, InvalidInputError, RoleAttachError } from '../../engine/index.js';
import { createOssObjectStorage, FsObjectStorage, type ObjectStorage } from '../../store/index.js';
import type { CommandContext } from '../main.js';
import { EXIT_CODES, guard, outputFormat, regionList, roleName } from '../runtime.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
}

interface DoctorOptions {
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
}

/** Registers `doctor`. */
export function registerDoctorCommand(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description(
      'Check credentials, account, ECS access per region, the designated role and its ECS trust, and the state store. Read-only: no ECS or RAM write.',
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
    .option('--output <format>', 'text or json', 'text')
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach doctor --region cn-hangzhou --role EcsAppRole
  $ ecs-role-attach doctor --region cn-hangzhou,cn-shanghai --role EcsAppRole --state oss://my-bucket/era --output json

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 invalid flags (nothing called).
JSON: {"checks":[{"name","status","detail"}]}`,
    )
    .action((options: DoctorOptions) =>
      guard(context, async () => {
        const format = outputFormat(options.output);
        const request: DoctorRequest = {
          regions: regionList(options.region),
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
    const identity = await createOrganizationApis({
      credential,
      retry: { maxAttempts: 2 },
      ...(request.endpoint === undefined ? {} : { endpoint: request.endpoint }),
    }).callerIdentity();
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

  // 3. ECS per region: a RAM user without ecs:DescribeInstances gets an empty list, not an error.
  for (const regionId of request.regions) {
    const cloud = createCloudApis({
      regionId,
      credential,
      ...(request.endpoint === undefined ? {} : { endpoint: request.endpoint }),
      retry: { maxAttempts: 2 },
    });
    try {
      const instances = await cloud.ecs.describeInstances({ regionId });
      checks.push(
        instances.length === 0
          ? {
              name: `ecs ${regionId}`,
              status: 'warn',
              detail: `DescribeInstances returned no instance in ${regionId}: either the region is empty, or the caller lacks ecs:DescribeInstances (ECS then answers an empty list, not an error); grant policies/operator-policy.json`,
            }
          : {
              name: `ecs ${regionId}`,
              status: 'ok',
              detail: `DescribeInstances sees ${instances.length} instance${instances.length === 1 ? '' : 's'} in ${regionId}`,
            },
      );
    } catch (error) {
      checks.push({
        name: `ecs ${regionId}`,
        status: 'fail',
        detail: `DescribeInstances in ${regionId} failed (${describe(error)}); grant ecs:DescribeInstances (policies/operator-policy.json) and check the region id`,
      });
    }
  }

  // 4. The designated role exists and trusts ECS.
  const ram = createCloudApis({
    regionId: request.regions[0]!,
    credential,
    ...(request.endpoint === undefined ? {} : { endpoint: request.endpoint }),
    retry: { maxAttempts: 2 },
  }).ram;
  // The same check every run makes before its first write (the engine's assertRoleUsable).
  try {
    await assertRoleUsable(ram, request.role);
    checks.push({
      name: 'role',
      status: 'ok',
      detail: `RAM role "${request.role}" exists and trusts ecs.aliyuncs.com`,
    });
  } catch (error) {
    const notUsable = error instanceof RoleAttachError && error.name === 'RoleNotUsableError';
    checks.push({
      name: 'role',
      status: 'fail',
      detail: notUsable
        ? firstLine(error)
        : `RAM GetRole ${request.role} failed (${describe(error)}); grant ram:GetRole on acs:ram:*:<ACCOUNT_ID>:role/${request.role}`,
    });
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
