/**
 * What every FC handler shares: the FC context type, the configuration, the store, the cloud adapters per
 * region, the CloudFlow client, the logger and the time budget. Handlers stay thin: decode -> engine -> encode.
 *
 * Credentials: the `@alicloud/credentials` default chain, which in FC reads the function role's STS keys
 * from `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN`. Only when those are absent are the
 * keys of `context.credentials` used (still through `@alicloud/credentials`). Nothing secret is logged.
 */
import type Credential from '@alicloud/credentials';
import pino from 'pino';
import { createCloudApis } from '../../src/cloud/clients.js';
import { type CloudFlowApi, createCloudFlowApi } from '../../src/cloud/cloudflow.js';
import { defaultCredential, staticCredential } from '../../src/cloud/credentials.js';
import {
  type Clock,
  type EcsApi,
  type EngineDeps,
  type ExecutionStore,
  type Logger,
  memoizeRoleChecks,
  type RamApi,
  type RandomSource,
  type RoleInfo,
  systemClock,
} from '../../src/engine/index.js';
import { openExecutionStore } from '../../src/store/index.js';
import { type FunctionConfig, loadFunctionConfig } from './config.js';

/** The FC 3.0 context fields the functions read (research/function-compute.md §4.2). */
export interface FcContext {
  requestId?: string;
  accountId?: string;
  region?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; timeout?: number };
}

/** Test seams: everything else comes from the environment and the context. */
export interface RuntimeOverrides {
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  random?: RandomSource;
  /** @default pino JSON lines on stdout (FC collects them) */
  logger?: Logger;
}

export interface FunctionRuntime {
  config: FunctionConfig;
  store: ExecutionStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  requestId: string;
  /** ECS and RAM adapters of one region (GetRole answers memoised per warm instance). */
  cloud(regionId: string): { ecs: EcsApi; ram: RamApi };
  /** Engine dependencies of one region. */
  engine(regionId: string): EngineDeps;
  flow(): CloudFlowApi;
  /** Absolute time (clock) until which work may start: the FC timeout minus a safety margin. */
  deadline(budgetMs: number): number;
  /** The function's timeout in seconds. @default 60 when the context does not say */
  timeoutSeconds: number;
}

/** GetRole answers reused across invocations of one warm instance. */
const roleCache = new Map<string, { role: RoleInfo; expiresAt: number }>();

/**
 * Builds the runtime of one invocation. Configuration errors throw InvalidInputError naming the variable,
 * before any cloud call.
 */
export function createRuntime(context: FcContext, overrides: RuntimeOverrides = {}): FunctionRuntime {
  const env = overrides.env ?? process.env;
  const config = loadFunctionConfig(env, context);
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? Math.random;
  const requestId = context.requestId ?? `local-${Math.floor(random() * 1e9).toString(36)}`;
  const logger =
    overrides.logger ??
    pino({
      level: env['LOG_LEVEL'] ?? 'info',
      base: { requestId, function: context.function?.name },
      redact: ['accessKeySecret', 'securityToken', 'taskToken'],
    });
  const credential = credentialFor(context, env);
  const endpoint = config.endpointOverride;
  const state = config.state;
  const store = openExecutionStore(
    state.kind === 'fs' ? state.directory : `oss://${state.bucket}/${state.prefix}`,
    { clock, credential, regionId: config.regionId, ...(endpoint === undefined ? {} : { endpoint }) },
  );
  const cloud = (regionId: string) => {
    const apis = createCloudApis({
      regionId,
      credential,
      qps: config.qps,
      clock,
      random,
      logger,
      ...(endpoint === undefined ? {} : { endpoint }),
    });
    return { ecs: apis.ecs, ram: memoizeRoleChecks(apis.ram, clock, roleCache) };
  };
  return {
    config,
    store,
    clock,
    random,
    logger,
    requestId,
    cloud,
    engine: (regionId) => ({ ...cloud(regionId), store, clock, random, logger, owner: `fc:${requestId}` }),
    flow: () =>
      createCloudFlowApi({
        regionId: config.regionId,
        credential,
        ...(endpoint === undefined ? {} : { endpoint }),
      }),
    deadline: (budgetMs) => clock.now() + budgetMs,
    timeoutSeconds: context.function?.timeout ?? 60,
  };
}

function credentialFor(context: FcContext, env: Readonly<Record<string, string | undefined>>): Credential {
  const keys = context.credentials;
  if (!env['ALIBABA_CLOUD_ACCESS_KEY_ID'] && keys?.accessKeyId && keys.accessKeySecret) {
    return keys.securityToken
      ? staticCredential({
          accessKeyId: keys.accessKeyId,
          accessKeySecret: keys.accessKeySecret,
          securityToken: keys.securityToken,
        })
      : staticCredential({ accessKeyId: keys.accessKeyId, accessKeySecret: keys.accessKeySecret });
  }
  return defaultCredential();
}
