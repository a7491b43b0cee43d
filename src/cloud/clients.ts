/**
 * The factory that wires the real SDK clients, credentials, limiter, retry and stats into the two ports.
 * One call per account/region; all adapters of one account in a process share one limiter (buckets per action
 * and region, one in-flight cap).
 */

import type Credential from '@alicloud/credentials';
import Ecs from '@alicloud/ecs20140526';
import OpenApi, { $OpenApiUtil } from '@alicloud/openapi-core';
import Ram from '@alicloud/ram20150501';
import {
  type Clock,
  type EcsApi,
  type Logger,
  type RamApi,
  type RandomSource,
  type SourceApis,
  silentLogger,
  systemClock,
  TOOL_USER_AGENT,
} from '../engine/index.js';
import { checkAtom, parseEndpoint, REGION_ID, REGION_RULE } from '../inputs/atoms.js';
import { createCaller } from './caller.js';
import {
  type CredentialSource,
  defaultCredential,
  type StaticCredentials,
  staticCredential,
} from './credentials.js';
import { SdkEcsApi } from './ecs.js';
import { ESS_ENDPOINT, GenericScalingApi } from './ess.js';
import { type ApiLimiter, type QpsTable, sharedLimiter } from './limiter.js';
import { SdkRamApi } from './ram.js';
import { releaseReadTimersAfterResponses } from './readTimers.js';
import { ApiStats, type RetryOptions, resolveRetryOptions } from './retry.js';
import { SdkLaunchTemplateApi, SdkMetadataApi } from './sources.js';

export interface CloudApisOptions {
  regionId: string;
  /**
   * Send every call to this URL instead of Alibaba Cloud (the emulator), e.g. `http://127.0.0.1:8080`.
   * Host and port become the SDK endpoint, the scheme its protocol.
   */
  endpoint?: string;
  /** A ready `@alicloud/credentials` Credential or static keys; default: the default credential chain. */
  credential?: Credential | StaticCredentials | CredentialSource;
  qps?: QpsTable;
  /** @default 10 */
  maxInFlight?: number;
  /**
   * The limiter to use. By default every `createCloudApis` of a process with the same `budget`, endpoint,
   * clock and settings shares one (ECS quotas are per account, region and API, whatever runs the calls).
   */
  limiter?: ApiLimiter;
  /** Names the quota budget (e.g. the account id) when one process calls for several accounts. @default '' */
  budget?: string;
  retry?: RetryOptions;
  /**
   * SDK socket timeouts in ms (the SDK default is 3000 for both).
   * @default { connectMs: 5000, readMs: 15000 }
   */
  timeouts?: { connectMs?: number; readMs?: number };
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}

export interface CloudApis {
  ecs: EcsApi;
  ram: RamApi;
  /** Launch templates, Auto Scaling (ESS 2022-02-22) and instance metadata options. */
  sources: SourceApis;
  stats: ApiStats;
  limiter: ApiLimiter;
}

/**
 * Endpoint parts for an SDK Config from an `--endpoint` URL (the one endpoint parser, src/inputs/atoms.ts;
 * `ENDPOINT_OVERRIDE` is checked by it in the function config already).
 */
export function endpointParts(endpoint: string): { host: string; protocol: 'http' | 'https' } {
  return parseEndpoint(endpoint, '--endpoint');
}

/**
 * ECS and RAM ports over the real SDKs.
 * @example
 * const { ecs, ram, stats } = createCloudApis({ regionId: 'cn-hangzhou' }); // real cloud, default chain
 * const local = createCloudApis({ regionId: 'cn-hangzhou', endpoint: emulator.endpoint,
 *   credential: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret } });
 */
export function createCloudApis(options: CloudApisOptions): CloudApis {
  checkAtom(options.regionId, REGION_ID, REGION_RULE, 'regionId');
  releaseReadTimersAfterResponses();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  const stats = new ApiStats();
  const limiter =
    options.limiter ??
    sharedLimiter({
      clock,
      budget: `${options.budget ?? ''}@${options.endpoint ?? 'aliyuncs.com'}`,
      ...(options.qps === undefined ? {} : { qps: options.qps }),
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    });
  const call = createCaller(limiter, {
    clock,
    random,
    stats,
    logger,
    options: resolveRetryOptions(options.retry),
  });
  const credential = toCredential(options.credential);
  const base = {
    credential,
    regionId: options.regionId,
    connectTimeout: options.timeouts?.connectMs ?? 5_000,
    readTimeout: options.timeouts?.readMs ?? 15_000,
    // Marks our own calls in ActionTrail, so that the event path never takes them for drift.
    userAgent: TOOL_USER_AGENT,
    // No retryOptions: the SDK then never retries ($dara.shouldRetry), so retries are ours alone.
  };
  const target = options.endpoint === undefined ? undefined : endpointParts(options.endpoint);
  const ecsClient = new Ecs(
    new $OpenApiUtil.Config({
      ...base,
      ...(target === undefined ? {} : { endpoint: target.host, protocol: target.protocol }),
    }),
  );
  const ramClient = new Ram(
    new $OpenApiUtil.Config({
      ...base,
      ...(target === undefined
        ? { endpoint: 'ram.aliyuncs.com', protocol: 'https' }
        : { endpoint: target.host, protocol: target.protocol }),
    }),
  );
  const essClient = new OpenApi(
    new $OpenApiUtil.Config({
      ...base,
      ...(target === undefined
        ? { endpoint: ESS_ENDPOINT, protocol: 'https' }
        : { endpoint: target.host, protocol: target.protocol }),
    }),
  );
  const sources: SourceApis = {
    launchTemplates: new SdkLaunchTemplateApi(ecsClient, call),
    metadata: new SdkMetadataApi(ecsClient, call),
    scaling: new GenericScalingApi(essClient, call),
  };
  return {
    ecs: new SdkEcsApi(ecsClient, call),
    ram: new SdkRamApi(ramClient, call),
    sources,
    stats,
    limiter,
  };
}

function toCredential(credential: Credential | StaticCredentials | CredentialSource | undefined): Credential {
  if (credential === undefined) return defaultCredential();
  if ('accessKeySecret' in credential && typeof credential.accessKeySecret === 'string') {
    return staticCredential(credential as StaticCredentials);
  }
  return credential as Credential;
}
