import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CrossAccountAttempt, fleetPrincipal, type IssuedSession, World } from './accounts.js';
import { type AdminInstanceView, type EmulatorStats, handleAdmin, viewInstance } from './admin.js';
import { CommonErrors, EmulatorApiError } from './api-error.js';
import { ecsService } from './ecs.js';
import { FaultInjector, type Faults } from './faults.js';
import {
  allowsAction,
  allowsPassRole,
  defaultRoles,
  type FleetFile,
  type FleetInstance,
  FleetState,
  fleetInstanceSchema,
  type InstanceStatus,
  parseFleetFile,
} from './fleet.js';
import { generateFleet } from './generate.js';
import { seededRandom } from './prng.js';
import { type QuotaSpec, QuotaTracker } from './quotas.js';
import { ramService } from './ram.js';
import type { EmulatorBehaviour, EmulatorService, ServiceRequest, ServiceResponse } from './service.js';
import { type CloudFlowCall, cloudFlowService } from './services/cloudflow.js';
import { essService } from './services/ess.js';
import { ossService } from './services/oss.js';
import { resourceManagerService } from './services/resourcemanager.js';
import { stsService } from './services/sts.js';
import {
  type CredentialRecord,
  ReplayGuard,
  type SignedRequest,
  signatureScheme,
  type VerifiedCaller,
  verifyAcs3,
  verifyRpc,
} from './signature.js';

/** Options of {@link startEmulator}; every field optional. Defaults are listed with each field. */
export interface EmulatorOptions extends Partial<EmulatorBehaviour> {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** A fleet (the `--fleet` file's content); validated. When absent a fleet is generated. */
  fleet?: FleetFile;
  /** Size of the generated fleet when `fleet` is absent. @default 50 */
  instances?: number;
  /** Seed for the generated fleet, default credentials and fault draws. @default 1 */
  seed?: number;
  /** Fixed latency added to every API call (sets `faults.latencyMs`). @default 0 */
  latencyMs?: number;
  /** Quotas merged over the fleet's (a generated fleet has {@link DEFAULT_QUOTAS}). */
  quotas?: Record<string, QuotaSpec>;
  /** Faults merged over the fleet's. */
  faults?: Faults;
  /** Extra services, tried before ECS and RAM. */
  services?: EmulatorService[];
  /** OSS buckets that exist, added to the fleet's `buckets`; any other bucket answers 404 `NoSuchBucket`. */
  buckets?: string[];
  /** CloudFlow flows that exist (DescribeFlow), added to the fleet's `flows`. */
  flows?: string[];
  /** Clock for quotas and the replay guard. @default Date.now */
  now?: () => number;
  /** Accepted distance between the signed time and the clock, and nonce memory. @default 900_000 */
  replayWindowMs?: number;
}

/** A running emulator. */
export interface EmulatorHandle {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** `127.0.0.1:PORT`, the `endpoint` value for openapi-core `Config` (with `protocol: 'http'`). */
  host: string;
  port: number;
  /** The first non-STS credential. */
  accessKeyId: string;
  accessKeySecret: string;
  /** The first STS credential, if the fleet has one (generated fleets do). */
  sts?: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  /** The management account (the fleet's own `accountId`). */
  accountId: string;
  /** Regions holding instances at start, sorted. */
  regions: string[];
  /** The management account's live state (mutate with care; call `state.version++` after changing listed fields). */
  state: FleetState;
  /** Every account (management and Resource Directory members), folder and credential. */
  world: World;
  behaviour: EmulatorBehaviour;
  /** Instances of one account (default: the management account), optionally of one region. */
  instances(regionId?: string, accountId?: string): AdminInstanceView[];
  /** Sessions issued by STS AssumeRole so far, oldest first (no secrets). */
  sessions(): IssuedSession[];
  /** Requests that named an instance of another account than their credential's (should stay empty). */
  crossAccountAttempts(): CrossAccountAttempt[];
  addInstances(instances: (FleetInstance & { RunningAfterMs?: number })[]): AdminInstanceView[];
  setInstanceStatus(instanceIds: string[], status: InstanceStatus): void;
  stats(): EmulatorStats;
  resetStats(): void;
  faults(): Faults;
  /** Merges faults (see {@link FaultInjector.merge}). */
  setFaults(patch: Faults | Record<string, unknown>): Faults;
  quotas(): Record<string, QuotaSpec>;
  setQuotas(patch: Record<string, QuotaSpec | null>): Record<string, QuotaSpec>;
  /** CloudFlow calls recorded so far (ReportTaskSucceeded/Failed, StartExecution), oldest first. */
  cloudflowCalls(): CloudFlowCall[];
  /** CloudFlow refuses these task tokens from now on (a stopped or timed-out flow execution). */
  revokeTaskTokens(tokens: string[]): void;
  /** OSS buckets and their keys. */
  ossListing(): Record<string, string[]>;
  /** Creates OSS buckets (existing ones are kept). */
  createBuckets(names: string[]): void;
  /** Adds a service, tried before the built-in ones. */
  registerService(service: EmulatorService): void;
  close(): Promise<void>;
}

/** The harsher plausible form of every unconfirmed behaviour (real-cloud-evidence.md §1, §4). */
export const DEFAULT_BEHAVIOUR: Readonly<EmulatorBehaviour> = Object.freeze({
  pendingAttach: 'reject-call',
  roleAttachedAttach: 'instance',
  sameRoleAttach: 'fail',
  roleLessInDescribeRole: 'empty',
  unknownIdsInDescribeRole: 'error',
  classicInDescribeRole: 'error',
  describeRoleWithoutFilter: 'all-empty',
  lastPageNextToken: 'empty',
  metadataEndpointParam: 'required',
  ossSignatureV1: 'reject',
});

/** The refusal of an action the caller's permissions lack: ECS `Forbidden.RAM`, RAM/STS `NoPermission`. */
function permissionDenied(namespace: string, action: string): EmulatorApiError {
  if (namespace === 'ecs') {
    return new EmulatorApiError(
      403,
      'Forbidden.RAM',
      `User not authorized to operate on the specified resource, or this API doesn't support RAM. (ecs:${action})`,
    );
  }
  return new EmulatorApiError(
    403,
    'NoPermission',
    `You are not authorized to do this action. You should be authorized by RAM. (${namespace}:${action})`,
  );
}

function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function emptyStats(): EmulatorStats {
  return { calls: {}, throttled: {}, injected: {}, rejected: {}, accounts: {} };
}

/** The InstanceIds a request names (JSON array parameter), for the cross-account check. */
function namedInstanceIds(params: Record<string, string>): string[] {
  const raw = params['InstanceIds'] ?? params['InstanceId'];
  if (raw === undefined || raw === '') return [];
  if (!raw.startsWith('[')) return [raw];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function toParams(search: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of search) params[key] = value;
  return params;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/**
 * Starts the emulator on 127.0.0.1 and resolves once it listens.
 *
 * @example
 * const emulator = await startEmulator({ instances: 20, seed: 3 });
 * const ecs = new Ecs(new $OpenApiUtil.Config({ accessKeyId: emulator.accessKeyId,
 *   accessKeySecret: emulator.accessKeySecret, endpoint: emulator.host, protocol: 'http', regionId: 'cn-hangzhou' }));
 * // ...
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const fleet = options.fleet
    ? parseFleetFile(options.fleet)
    : generateFleet({ instances: options.instances ?? 50, seed });
  const defaults = generateFleet({ instances: 0, seed });
  const accountId = fleet.accountId ?? defaults.accountId!;
  const credentials: CredentialRecord[] = fleet.credentials ?? defaults.credentials!;

  const state = new FleetState(accountId);
  for (const role of fleet.roles ?? defaultRoles(accountId)) state.addRole(role);
  const loadedAt = new Date(now());
  for (const instance of fleet.instances) state.addInstance(instance, loadedAt);
  for (const template of fleet.launchTemplates ?? []) state.addLaunchTemplate(template, loadedAt);
  for (const group of fleet.scalingGroups ?? []) state.addScalingGroup(group);
  const world = new World(accountId, state);
  for (const credential of credentials)
    world.addCredential({ ...credential, principal: fleetPrincipal(accountId, credential) });
  world.load(fleet, loadedAt);
  const lookup = (id: string): CredentialRecord | undefined => world.credentials.get(id);

  const behaviour: EmulatorBehaviour = { ...DEFAULT_BEHAVIOUR, ...definedOnly(fleet.behaviour ?? {}) };
  for (const key of Object.keys(DEFAULT_BEHAVIOUR) as (keyof EmulatorBehaviour)[]) {
    if (options[key] !== undefined) (behaviour as unknown as Record<string, unknown>)[key] = options[key];
  }
  const faults = new FaultInjector(seededRandom(seed ^ 0x5eed));
  faults.merge({ ...fleet.faults, ...options.faults });
  if (options.latencyMs !== undefined) faults.merge({ latencyMs: options.latencyMs });
  const quotas = new QuotaTracker(now);
  quotas.set({ ...fleet.quotas, ...options.quotas });
  const replay = new ReplayGuard(now, options.replayWindowMs);
  const cloudflow = cloudFlowService([...(fleet.flows ?? []), ...(options.flows ?? [])]);
  const oss = ossService(accountId, {
    buckets: [...(fleet.buckets ?? []), ...(options.buckets ?? [])],
    signatureV1: () => behaviour.ossSignatureV1,
    now,
  });
  const services: EmulatorService[] = [
    ...(options.services ?? []),
    cloudflow.service,
    oss.service,
    stsService(world, seededRandom(seed ^ 0x575)),
    resourceManagerService(world),
    ecsService(),
    essService(),
    ramService(),
  ];
  let stats = emptyStats();

  const timers = new Set<NodeJS.Timeout>();
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        timers.delete(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timers.add(timer);
      sleepers.add(done);
    });

  const operations = {
    instances: (regionId?: string, accountId?: string) => {
      const of = accountId === undefined ? state : world.state(accountId);
      const records = regionId
        ? (of.instancesByRegion.get(regionId) ?? [])
        : [...of.instancesByRegion.values()].flat();
      return records.map(viewInstance);
    },
    sessions: () => world.sessions.map((session) => ({ ...session })),
    crossAccountAttempts: () => world.crossAccount.map((attempt) => ({ ...attempt })),
    addInstances: (instances: (FleetInstance & { RunningAfterMs?: number })[]) => {
      const parsed = instances.map(({ RunningAfterMs, ...instance }) => ({
        instance: fleetInstanceSchema.parse(instance),
        RunningAfterMs,
      }));
      for (const { instance } of parsed) {
        if (world.instanceOwner.has(instance.InstanceId))
          throw new Error(`instance ${instance.InstanceId} already exists`);
      }
      return parsed.map(({ instance, RunningAfterMs }) => {
        const record = state.addInstance(instance, new Date(now()));
        world.instanceOwner.set(record.InstanceId, accountId);
        if (RunningAfterMs !== undefined && record.Status === 'Pending') {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (record.Status === 'Pending') state.setStatus(record.InstanceId, 'Running');
          }, RunningAfterMs);
          timers.add(timer);
        }
        return viewInstance(record);
      });
    },
    setInstanceStatus: (instanceIds: string[], status: InstanceStatus) => {
      const unknown = instanceIds.filter((id) => !state.instancesById.has(id));
      if (unknown.length > 0)
        throw new Error(`unknown instance ids: ${unknown.join(', ')}; nothing was changed`);
      for (const id of instanceIds) state.setStatus(id, status);
    },
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    faults: () => faults.current(),
    setFaults: (patch: unknown) => faults.merge(patch),
    quotas: () => quotas.current(),
    setQuotas: (patch: Record<string, QuotaSpec | null>) => quotas.set(patch),
    cloudflowCalls: () => cloudflow.calls(),
    revokeTaskTokens: (tokens: string[]) => cloudflow.revokeTaskTokens(tokens),
    ossListing: () => oss.listing(),
    createBuckets: (names: string[]) => oss.createBuckets(names),
  };

  const authenticate = (service: EmulatorService, request: ServiceRequest): VerifiedCaller | undefined => {
    if (service.authenticate === 'none') return undefined;
    if (service.authenticate) return service.authenticate(request, lookup);
    const signed: SignedRequest = {
      method: request.method,
      pathname: request.url.pathname,
      query: toParams(request.url.searchParams),
      headers: request.headers,
      body: request.body,
    };
    const scheme = signatureScheme(signed, request.params);
    if (scheme === 'none')
      throw CommonErrors.incompleteSignature('no Authorization header and no Signature parameter');
    const caller =
      scheme === 'acs3' ? verifyAcs3(signed, lookup) : verifyRpc(request.method, request.params, lookup);
    replay.check(caller);
    const expiresAt = world.credentials.get(caller.accessKeyId)?.expiresAt;
    if (expiresAt !== undefined && now() >= expiresAt) throw CommonErrors.securityTokenExpired();
    return caller;
  };

  const renderError = (
    error: EmulatorApiError,
    requestId: string,
    service: EmulatorService | undefined,
    request: ServiceRequest,
  ): ServiceResponse => {
    if (service?.renderError) return service.renderError(error, requestId, request);
    const product = service?.product ?? service?.name ?? 'Ecs';
    return {
      status: error.status,
      body: {
        HostId: service?.hostId ?? firstHeader(request.headers.host) ?? '127.0.0.1',
        Code: error.code,
        Message: error.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=${product}`,
      },
    };
  };

  const handleApi = async (incoming: IncomingMessage, response: ServerResponse, url: URL, body: Buffer) => {
    const requestId = randomUUID().toUpperCase();
    const params = toParams(url.searchParams);
    if (String(incoming.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      Object.assign(params, toParams(new URLSearchParams(body.toString('utf8'))));
    }
    const request: ServiceRequest = {
      method: (incoming.method ?? 'GET').toUpperCase(),
      url,
      headers: incoming.headers,
      body,
      params,
      action: firstHeader(incoming.headers['x-acs-action']) ?? params['Action'],
      version: firstHeader(incoming.headers['x-acs-version']) ?? params['Version'],
    };
    const service = services.find((s) => s.claims(request));
    let result: ServiceResponse;
    try {
      if (!service) throw CommonErrors.actionNotFound(request.action ?? '', request.version ?? '');
      const action = service.actionOf?.(request) ?? request.action ?? '';
      bump(stats.calls, action);
      const decision = faults.decide(action);
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      if (decision.reset) {
        bump(stats.injected, 'reset');
        incoming.socket.destroy();
        return;
      }
      let caller: VerifiedCaller | undefined;
      try {
        caller = authenticate(service, request);
      } catch (error) {
        if (error instanceof EmulatorApiError) bump(stats.rejected, error.code);
        throw error;
      }
      // Served from the caller's own account: its credentials cannot see or change another's resources.
      const callerAccount = caller
        ? (world.credentials.get(caller.accessKeyId)?.principal.accountId ?? accountId)
        : accountId;
      world.checkInstanceIds(action, callerAccount, namedInstanceIds(request.params));
      // Quotas are per account, and for ECS per region too: each has its own windows.
      if (!quotas.tryAcquire(action, `${callerAccount}|${service.quotaScope?.(request) ?? ''}`)) {
        bump(stats.throttled, action);
        throw CommonErrors.throttling();
      }
      stats.accounts[callerAccount] ??= {};
      bump(stats.accounts[callerAccount], action);
      if (decision.error) {
        bump(stats.injected, decision.error);
        if (decision.error === 'throttle') {
          bump(stats.throttled, action);
          throw CommonErrors.throttling();
        }
        throw decision.error === 'internal'
          ? CommonErrors.internalError()
          : CommonErrors.serviceUnavailable();
      }
      const permissions = caller ? lookup(caller.accessKeyId)?.permissions : undefined;
      if (service.ramNamespace !== undefined && !allowsAction(permissions, service.ramNamespace, action)) {
        bump(stats.rejected, 'permission');
        if (service.ramNamespace === 'ecs' && action === 'DescribeInstances') {
          // Real ECS answers a RAM user without ecs:DescribeInstances with an empty list, not an error.
          result = { body: { TotalCount: 0, PageSize: 10, Instances: { Instance: [] }, NextToken: '' } };
        } else throw permissionDenied(service.ramNamespace, action);
      } else {
        result = await service.handle(request, {
          requestId,
          caller,
          state: world.state(callerAccount),
          accountId: callerAccount,
          faults,
          behaviour,
          credentials: lookup,
          mayPassRole: (roleName) => allowsPassRole(permissions, roleName),
          now,
        });
      }
    } catch (error) {
      if (!(error instanceof EmulatorApiError)) throw error;
      result = renderError(error, requestId, service, request);
    }
    const headers = { 'x-acs-request-id': requestId, ...result.headers };
    if (Buffer.isBuffer(result.body) || typeof result.body === 'string') {
      response.writeHead(result.status ?? 200, headers);
      response.end(result.body);
      return;
    }
    sendJson(response, result.status ?? 200, { RequestId: requestId, ...result.body }, headers);
  };

  const server = createServer((incoming, response) => {
    void (async () => {
      const body = await readBody(incoming);
      const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith('/_emulator/') || url.pathname === '/_emulator') {
        if (!LOOPBACK.has(incoming.socket.remoteAddress ?? '')) {
          sendJson(response, 403, { error: 'admin routes answer loopback callers only' });
          return;
        }
        const result = handleAdmin(incoming.method ?? 'GET', url, body, operations);
        sendJson(response, result.status, result.body);
        return;
      }
      await handleApi(incoming, response, url, body);
    })().catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      const requestId = randomUUID().toUpperCase();
      sendJson(response, 500, {
        RequestId: requestId,
        HostId: '127.0.0.1',
        Code: 'InternalError',
        Message: `The emulator failed: ${error instanceof Error ? error.message : String(error)}`,
        Recommend: '',
      });
    });
  });

  // Idle keep-alive sockets stay open for a minute (Node's default is 5 s): a client socket reused just as
  // the server closes it fails with ECONNRESET, a retry no injected fault caused. On a starved CPU gaps of
  // seconds between calls are common, and the fault tests count every retry against the faults injected.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 61_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const plain = credentials.find((c) => c.securityToken === undefined);
  const sts = credentials.find((c) => c.securityToken !== undefined);
  if (!plain && !sts) throw new Error('fleet credentials must not be empty');
  const primary = plain ?? sts!;

  let closed: Promise<void> | undefined;
  const handle: EmulatorHandle = {
    endpoint: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    accessKeyId: primary.accessKeyId,
    accessKeySecret: primary.accessKeySecret,
    accountId,
    regions: state.regions(),
    state,
    world,
    behaviour,
    ...operations,
    setFaults: (patch) => faults.merge(patch),
    registerService: (service) => {
      services.unshift(service);
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const wake of [...sleepers]) wake();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
  if (sts?.securityToken) {
    handle.sts = {
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      securityToken: sts.securityToken,
    };
  }
  return handle;
}
