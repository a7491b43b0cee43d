/**
 * Runs the real CLI in-process (same code path as the binary) against an emulator, capturing its
 * output; and builds fleets for CLI tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';
import type { EmulatorHandle, FleetFile } from '../../src/emulator/index';
import { trustPolicyFor } from '../../src/emulator/index';
import { DESIGNATED_ROLE, TEST_ACCOUNT_ID, TEST_CREDENTIALS } from './emulator';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (when --output json). */
  json: <T = Record<string, unknown>>() => T;
}

/** Points the default credential chain (env provider) at the emulator's plain key. */
export function useEmulatorCredentials(): void {
  process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] = TEST_CREDENTIALS.plain.accessKeyId;
  process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = TEST_CREDENTIALS.plain.accessKeySecret;
  delete process.env['ALIBABA_CLOUD_SECURITY_TOKEN'];
}

/**
 * The whole environment of a child process running the built CLI: PATH, the emulator credentials for the
 * default chain (the plain AccessKey unless given), and the chain's metadata and CLI-profile lookups off.
 */
export function builtCliEnv(
  credentials: {
    accessKeyId: string;
    accessKeySecret: string;
    securityToken?: string;
  } = TEST_CREDENTIALS.plain,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '',
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    ...(credentials.securityToken ? { ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken } : {}),
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
  };
}

export async function runCli(args: string[]): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await main(['node', 'ecs-role-attach', ...args], { stdout, stderr });
  const text = Buffer.concat(out).toString('utf8');
  return {
    code,
    stdout: text,
    stderr: Buffer.concat(err).toString('utf8'),
    json: <T>() => JSON.parse(text) as T,
  };
}

export function tempState(): string {
  return mkdtempSync(join(tmpdir(), 'era-state-'));
}

/** `count` VPC Running instances in cn-hangzhou, i-f0000..., tags env=prod|dev, rg-a|rg-b. */
export function cliFleet(
  count: number,
  overrides: Record<string, Partial<FleetFile['instances'][number]>> = {},
): FleetFile {
  return {
    accountId: TEST_ACCOUNT_ID,
    credentials: [TEST_CREDENTIALS.plain, TEST_CREDENTIALS.sts],
    roles: [
      { RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com') },
      { RoleName: 'OtherEcsRole', AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com') },
      { RoleName: 'NotEcsRole', AssumeRolePolicyDocument: trustPolicyFor('fc.aliyuncs.com') },
    ],
    instances: Array.from({ length: count }, (_, index) => {
      const id = fleetId(index);
      return {
        InstanceId: id,
        RegionId: 'cn-hangzhou',
        Status: 'Running' as const,
        InstanceNetworkType: 'vpc' as const,
        ResourceGroupId: index % 2 === 0 ? 'rg-a' : 'rg-b',
        Tags: { env: index % 3 === 0 ? 'prod' : 'dev' },
        ...overrides[id],
      };
    }),
  };
}

export function fleetId(index: number): string {
  return `i-f${String(index).padStart(5, '0')}`;
}

/** Common flags for a run against `emulator`. */
export function emulatorFlags(emulator: EmulatorHandle, state: string): string[] {
  return ['--endpoint', emulator.endpoint, '--state', state];
}
