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
  type AssumedRoleCredential,
  createOrganizationApis,
  type OrganizationApis,
  sessionNameFor,
} from '../../src/cloud/organization.js';
import {
  type Clock,
  type DeliveryStats,
  type EcsApi,
  type EngineDeps,
  type ExecutionStore,
  InvalidInputError,
  type Logger,
  memoizeRoleChecks,
  mergeExclusions,
  type Notifier,
  type OrganizationDeps,
  type RamApi,
  type RandomSource,
  type ReviewedPlan,
  type RoleInfo,
  type RoleRules,
  systemClock,
} from '../../src/engine/index.js';
import { parseQps } from '../../src/inputs/atoms.js';
import { readStoredPlan } from '../../src/inputs/plan.js';
import { parseRoleRulesAs } from '../../src/inputs/rules.js';
import { createNotifier } from '../../src/notify/sinks.js';
import { type ObjectExecutionStore, openExecutionStore } from '../../src/store/index.js';
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
  /** The state store (it also keeps the exported reports, `reports/<id>.{json,csv,html}`). */
  store: ObjectExecutionStore;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  requestId: string;
  /** ECS and RAM adapters of one region (GetRole answers memoised per warm instance). */
  cloud(regionId: string): { ecs: EcsApi; ram: RamApi };
  /** Engine dependencies of one region. */
  engine(regionId: string): EngineDeps;
  flow(): CloudFlowApi;
  /**
   * Organization scope: the Resource Directory and STS of the function's role, and the parent execution's
   * dependencies (members reached through AssumeRole as renewing static `sts` credentials).
   */
  organization(): { apis: OrganizationApis; deps: OrganizationDeps };
  /** Absolute time (clock) until which work may start: the FC timeout minus a safety margin. */
  deadline(budgetMs: number): number;
  /** The function's timeout in seconds. @default 60 when the context does not say */
  timeoutSeconds: number;
  /**
   * `ROLE_RULES`, validated: the inline document, or the store document read now (so that a changed
   * document applies from the next invocation). `undefined` when the function runs with `RAM_ROLE_NAME`.
   * @throws {@link InvalidInputError} naming `ROLE_RULES` (a missing or invalid document) before any cloud call.
   */
  roleRules(): Promise<RoleRules | undefined>;
  /**
   * The reviewed plan saved as the store document `docs/<key>.json` (the workflow input `plan: "store:<key>"`),
   * validated (shape, digest, parameters), with the deployment's `EXCLUDE_TAG` added to its exclusions.
   * @throws {@link InvalidInputError} naming `params.plan` before any cloud call.
   */
  reviewedPlan(key: string): Promise<ReviewedPlan>;
  /** `NOTIFY`'s notifier (absent without it) and the flags its commands repeat (` --state ...`). */
  notifier?: Notifier;
  commandFlags?: string;
  /**
   * Waits for this invocation's notifications and returns `result` with their counts (`notifications`);
   * without `NOTIFY`, `result` as it is. Never throws: a failed delivery is only counted and logged.
   */
  withNotifications<T extends object>(result: T): Promise<T & { notifications?: DeliveryStats }>;
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
    // The sources (launch templates, scaling configurations, metadata mode): the sweep reports them.
    return { ecs: apis.ecs, ram: memoizeRoleChecks(apis.ram, clock, roleCache), sources: apis.sources };
  };
  const notifier = createNotifier(config.notify, clock, logger);
  const told = notifier
    ? {
        notifier,
        commandFlags: ` --state ${state.kind === 'fs' ? state.directory : `oss://${state.bucket}/${state.prefix}`}`,
      }
    : {};
  return {
    config,
    store,
    clock,
    random,
    logger,
    requestId,
    cloud,
    engine: (regionId) => ({
      ...cloud(regionId),
      store,
      clock,
      random,
      logger,
      owner: `fc:${requestId}`,
      ...told,
    }),
    flow: () =>
      createCloudFlowApi({
        regionId: config.regionId,
        credential,
        ...(endpoint === undefined ? {} : { endpoint }),
      }),
    organization: () => {
      const apis = createOrganizationApis({
        credential,
        clock,
        random,
        logger,
        ...(endpoint === undefined ? {} : { endpoint }),
      });
      const owner = `fc:${requestId}`;
      const deps: OrganizationDeps = {
        store,
        clock,
        random,
        logger,
        owner,
        accountDeps: async (account, organizationId) => {
          let member: Credential | AssumedRoleCredential = credential;
          if (!account.management) {
            const assumed = apis.assumeRole(
              account.accountId,
              account.assumeRole,
              sessionNameFor(organizationId),
            );
            await assumed.assume();
            member = assumed;
          }
          // No GetRole memo across accounts: one role name means another role in each account.
          return (regionId) => {
            const cloudOfMember = createCloudApis({
              regionId,
              credential: member,
              qps:
                account.qps === undefined
                  ? config.qps
                  : parseQps(account.qps, `account ${account.accountId} qps`),
              clock,
              random,
              logger,
              ...(endpoint === undefined ? {} : { endpoint }),
            });
            return {
              ecs: cloudOfMember.ecs,
              ram: cloudOfMember.ram,
              // The sweep reports (and with `fix` remediates) each child's sources, as in one account.
              sources: cloudOfMember.sources,
              store,
              clock,
              random,
              logger,
              owner,
            };
          };
        },
      };
      return { apis, deps };
    },
    deadline: (budgetMs) => clock.now() + budgetMs,
    timeoutSeconds: context.function?.timeout ?? 60,
    roleRules: () => readRoleRules(config, store),
    reviewedPlan: async (key) => {
      const plan = await readStoredPlan(store, key, 'params.plan');
      // The one exclusion rule: the deployment's EXCLUDE_TAG applies to a reviewed plan too.
      const exclusions = mergeExclusions(plan.parameters.exclusions, { tags: config.excludeTags });
      return { ...plan, parameters: { ...plan.parameters, exclusions } };
    },
    ...told,
    withNotifications: async (result) =>
      notifier ? { ...result, notifications: await notifier.flush() } : result,
  };
}

async function readRoleRules(config: FunctionConfig, store: ExecutionStore): Promise<RoleRules | undefined> {
  const source = config.roleRules;
  if (source?.kind !== 'store') return source?.rules;
  const name = `ROLE_RULES (store document ${source.key})`;
  const document = await store.getDocument<unknown>(source.key);
  if (document === undefined) {
    throw new InvalidInputError(
      'ROLE_RULES',
      `names store document docs/${source.key}.json, which does not exist in STATE`,
      `store:${source.key}`,
    );
  }
  return parseRoleRulesAs(document, name);
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
