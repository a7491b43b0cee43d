/**
 * Test helpers around the embedded emulator: a small known fleet, and real SDK clients pointed at it.
 * Every client is the unmodified @alicloud SDK talking HTTP to 127.0.0.1.
 */
import Credential, { Config as CredentialConfig } from '@alicloud/credentials';
import Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import RPCClient from '@alicloud/pop-core';
import Ram from '@alicloud/ram20150501';
import {
  type EmulatorHandle,
  type EmulatorOptions,
  type FleetFile,
  startEmulator,
  trustPolicyFor,
} from '../../src/emulator/index';

// The credentials chain must never reach the metadata service or a CLI profile from tests.
process.env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true';
process.env['ALIBABA_CLOUD_CLI_PROFILE_DISABLED'] = 'true';

/** Credentials of {@link smallFleet}. */
export const TEST_CREDENTIALS = {
  plain: { accessKeyId: 'LTAI5tTestKey000000000001', accessKeySecret: 'testSecret000000000000000000001' },
  sts: {
    accessKeyId: 'STS.NTtestStsKey0000000000001',
    accessKeySecret: 'stsSecret00000000000000000000000000000000001',
    securityToken: 'CAIStestSecurityToken/with+special=chars',
  },
} as const;

export const TEST_ACCOUNT_ID = '1234567890123456';
/** OSS buckets {@link smallFleet} declares (any other bucket answers 404 NoSuchBucket). */
export const TEST_BUCKETS = ['state-bucket', 'list-bucket', 'era-state'] as const;
export const DESIGNATED_ROLE = 'EcsAppRole';

/**
 * A small, hand-written fleet (10 instances, two regions) whose every instance has a known purpose:
 * - cn-hangzhou: i-hz01..i-hz06 vpc Running (i-hz02 bears EcsAppRole, i-hz03 bears OtherEcsRole),
 *   i-hz04 Stopped, i-hz05 Pending, i-hz06 classic, tags env/team/app, resource groups rg-a / rg-b;
 * - cn-shanghai: i-sh01..i-sh04 vpc Running.
 * Roles: EcsAppRole and OtherEcsRole trust ECS; NotEcsRole trusts fc.aliyuncs.com only.
 * OSS buckets: {@link TEST_BUCKETS}.
 */
export function smallFleet(): FleetFile {
  return {
    accountId: TEST_ACCOUNT_ID,
    credentials: [TEST_CREDENTIALS.plain, TEST_CREDENTIALS.sts],
    buckets: [...TEST_BUCKETS],
    roles: [
      { RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com') },
      { RoleName: 'OtherEcsRole', AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com') },
      { RoleName: 'NotEcsRole', AssumeRolePolicyDocument: trustPolicyFor('fc.aliyuncs.com') },
    ],
    instances: [
      {
        InstanceId: 'i-hz01',
        RegionId: 'cn-hangzhou',
        ResourceGroupId: 'rg-a',
        Tags: { env: 'prod', team: 'web', app: 'shop' },
      },
      {
        InstanceId: 'i-hz02',
        RegionId: 'cn-hangzhou',
        ResourceGroupId: 'rg-a',
        Tags: { env: 'prod', team: 'data' },
        RamRoleName: DESIGNATED_ROLE,
      },
      {
        InstanceId: 'i-hz03',
        RegionId: 'cn-hangzhou',
        ResourceGroupId: 'rg-b',
        Tags: { env: 'dev' },
        RamRoleName: 'OtherEcsRole',
      },
      {
        InstanceId: 'i-hz04',
        RegionId: 'cn-hangzhou',
        ResourceGroupId: 'rg-b',
        Status: 'Stopped',
        Tags: { env: 'prod' },
      },
      { InstanceId: 'i-hz05', RegionId: 'cn-hangzhou', ResourceGroupId: 'rg-a', Status: 'Pending' },
      {
        InstanceId: 'i-hz06',
        RegionId: 'cn-hangzhou',
        ResourceGroupId: 'rg-a',
        InstanceNetworkType: 'classic',
        Tags: { env: 'prod' },
      },
      { InstanceId: 'i-sh01', RegionId: 'cn-shanghai' },
      { InstanceId: 'i-sh02', RegionId: 'cn-shanghai' },
      { InstanceId: 'i-sh03', RegionId: 'cn-shanghai' },
      { InstanceId: 'i-sh04', RegionId: 'cn-shanghai' },
    ],
  };
}

/** Starts an emulator with {@link smallFleet} unless `fleet` or `instances` is given. Remember `close()`. */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const generated = options.instances !== undefined && options.fleet === undefined;
  return startEmulator(generated ? options : { fleet: smallFleet(), ...options });
}

/** How a test client authenticates and signs. */
export interface ClientOptions {
  /** Use the STS triple instead of the AccessKey pair. @default false */
  sts?: boolean;
  /** Pass credentials through `new Credential(new Config({type}))` instead of Config fields. @default false */
  viaCredentialsPackage?: boolean;
  /** `'v2'` = legacy RPC HMAC-SHA1; default = ACS3-HMAC-SHA256. */
  signatureAlgorithm?: 'v2';
  /** Overrides the secret (to provoke SignatureDoesNotMatch). */
  accessKeySecret?: string;
  accessKeyId?: string;
  securityToken?: string;
  regionId?: string;
  /** @default 5000 */
  readTimeout?: number;
}

function credentialFields(emulator: EmulatorHandle, options: ClientOptions) {
  const base =
    options.sts && emulator.sts
      ? emulator.sts
      : {
          accessKeyId: emulator.accessKeyId,
          accessKeySecret: emulator.accessKeySecret,
          securityToken: undefined,
        };
  return {
    accessKeyId: options.accessKeyId ?? base.accessKeyId,
    accessKeySecret: options.accessKeySecret ?? base.accessKeySecret,
    securityToken: options.securityToken ?? base.securityToken,
  };
}

/** An openapi-core Config pointing at the emulator. */
export function emulatorConfig(emulator: EmulatorHandle, options: ClientOptions = {}): $OpenApiUtil.Config {
  const fields = credentialFields(emulator, options);
  const config = new $OpenApiUtil.Config({
    endpoint: emulator.host,
    protocol: 'http',
    regionId: options.regionId ?? 'cn-hangzhou',
    readTimeout: options.readTimeout ?? 5000,
    connectTimeout: 2000,
  });
  if (options.signatureAlgorithm) config.signatureAlgorithm = options.signatureAlgorithm;
  if (options.viaCredentialsPackage) {
    config.credential = new Credential(
      new CredentialConfig(
        fields.securityToken
          ? { type: 'sts', ...fields }
          : { type: 'access_key', accessKeyId: fields.accessKeyId, accessKeySecret: fields.accessKeySecret },
      ),
    );
  } else {
    config.accessKeyId = fields.accessKeyId;
    config.accessKeySecret = fields.accessKeySecret;
    if (fields.securityToken) config.securityToken = fields.securityToken;
  }
  return config;
}

/** A real `@alicloud/ecs20140526` client for the emulator. */
export function ecsClient(emulator: EmulatorHandle, options: ClientOptions = {}): Ecs {
  return new Ecs(emulatorConfig(emulator, options));
}

/** A real `@alicloud/ram20150501` client for the emulator. */
export function ramClient(emulator: EmulatorHandle, options: ClientOptions = {}): Ram {
  return new Ram(emulatorConfig(emulator, options));
}

/** A real `@alicloud/pop-core` RPCClient for the emulator (ECS 2014-05-26 unless `apiVersion` is given). */
export function popClient(
  emulator: EmulatorHandle,
  options: Pick<ClientOptions, 'sts' | 'accessKeySecret' | 'accessKeyId' | 'securityToken'> & {
    apiVersion?: string;
  } = {},
): RPCClient {
  const fields = credentialFields(emulator, options);
  return new RPCClient({
    endpoint: emulator.endpoint,
    apiVersion: options.apiVersion ?? '2014-05-26',
    accessKeyId: fields.accessKeyId,
    accessKeySecret: fields.accessKeySecret,
    ...(fields.securityToken ? { securityToken: fields.securityToken } : {}),
  });
}

/** GET/POST an admin route and parse the JSON answer. */
export async function admin<T = unknown>(
  emulator: EmulatorHandle,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${emulator.endpoint}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as T };
}
