/**
 * The extension point of the emulator: a {@link EmulatorService} claims requests and answers them, while the
 * server supplies everything shared — body reading, the RequestId, fault injection (latency, resets, 5xx,
 * throttling), the signature check against the emulator's credentials, per-action quotas, call statistics and
 * the error envelope.
 *
 * Pipeline for every non-admin request:
 * 1. find the first registered service whose `claims(request)` is true (404 `InvalidAction.NotFound` if none);
 * 2. action = `service.actionOf?.(request) ?? request.action` (used for stats, quotas and `faults.actions`);
 * 3. fault latency, then fault connection reset;
 * 4. authentication: `service.authenticate` if present, else the shared ACS3/RPC verifier
 *    ({@link verifyAcs3} / {@link verifyRpc}) plus the replay guard; `authenticate: 'none'` skips it;
 * 5. quota (400 `Throttling.User`, counted per action and `service.quotaScope`), then fault throttle / 500 / 503;
 * 6. the caller's permissions (credentials with `permissions`): an action outside them answers 403
 *    `Forbidden.RAM` (ECS; `ecs:DescribeInstances` answers an empty list instead) or `NoPermission` (RAM, STS);
 * 7. `service.handle(request, context)`; a thrown {@link EmulatorApiError} becomes the error envelope
 *    (or `service.renderError` for services with another error format, e.g. OSS XML).
 *
 * Adding a service (e.g. CloudFlow/FnF 2019-03-15 callbacks sent by pop-core, or OSS object calls whose
 * requests carry `authorization: OSS <ak>:<sig>`):
 *
 * @example
 * // RPC style: claimed by version, one function per action, shared signature check.
 * const fnf = rpcService({
 *   name: 'fnf', version: '2019-03-15', hostId: 'cn-hangzhou.fnf.aliyuncs.com',
 *   actions: { ReportTaskSucceeded: (params) => ({ body: {} }) },
 * });
 * // Custom style: claimed by a predicate, own authentication using the shared credential lookup.
 * const oss: EmulatorService = {
 *   name: 'oss', hostId: 'oss-cn-hangzhou.aliyuncs.com',
 *   claims: (r) => String(r.headers.authorization ?? '').startsWith('OSS '),
 *   actionOf: (r) => `oss:${r.method}`,
 *   authenticate: (r, lookup) => verifyOssSignature(r, lookup),
 *   handle: (r, ctx) => ({ status: 200, body: Buffer.alloc(0) }),
 * };
 * const emulator = await startEmulator({ services: [fnf, oss] }); // or emulator.registerService(oss)
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CommonErrors, type EmulatorApiError } from './api-error.js';
import type { FaultInjector } from './faults.js';
import type { FleetState } from './fleet.js';
import type { CredentialLookup, VerifiedCaller } from './signature.js';

/** A request as services see it. */
export interface ServiceRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Decoded query parameters merged with a form-urlencoded body (body wins). */
  params: Record<string, string>;
  /** `x-acs-action` header, else the `Action` parameter. */
  action: string | undefined;
  /** `x-acs-version` header, else the `Version` parameter. */
  version: string | undefined;
}

/** Unconfirmed cloud behaviours, switchable because the product must cope with both; see the README section "The embedded Alibaba Cloud". */
export interface EmulatorBehaviour {
  /**
   * Attach on a `Pending` instance: the whole call refused with 403 `IncorrectInstanceStatus` (how every
   * other ECS API answers it), a per-instance `IncorrectInstanceStatus` failure, or allowed. @default 'reject-call'
   */
  pendingAttach: 'reject-call' | 'reject' | 'allow';
  /**
   * Attach on an instance that already bears a role: per-instance `RamRoleAlreadyAttached`, or the whole call
   * refused with 403 `RamRoleAlreadyAttached` (the documented "an error is returned"; its form is unknown). @default 'instance'
   */
  roleAttachedAttach: 'instance' | 'call';
  /** Re-attaching the role an instance already bears: per-instance failure or success. @default 'fail' */
  sameRoleAttach: 'fail' | 'succeed';
  /** DescribeInstanceRamRole with InstanceIds: role-less instances listed with `RamRoleName: ""`, or omitted. @default 'empty' */
  roleLessInDescribeRole: 'empty' | 'omit';
  /** DescribeInstanceRamRole with unknown InstanceIds: 404 `InvalidInstanceId.NotFound` (documented), or omitted. @default 'error' */
  unknownIdsInDescribeRole: 'omit' | 'error';
  /** DescribeInstanceRamRole with a classic-network id: 403 `InvalidNetworkType.MismatchRamRole` (documented), or listed with `RamRoleName: ""`. @default 'error' */
  classicInDescribeRole: 'error' | 'list';
  /** DescribeInstanceRamRole without InstanceIds and RamRoleName: 403 `InvalidParameter.AllEmpty` (documented), or 400 `MissingParameter.InstanceIds`. @default 'all-empty' */
  describeRoleWithoutFilter: 'all-empty' | 'missing-parameter';
  /** DescribeInstances (NextToken mode) on the last page: `NextToken: ""` or no NextToken field. @default 'empty' */
  lastPageNextToken: 'empty' | 'absent';
  /**
   * ModifyInstanceMetadataOptions without `HttpEndpoint`: the SDK model says "This parameter is required"
   * beside "Default value: enabled". 'required' answers 400 `MissingParameter`; 'optional' keeps the channel as it is.
   * @default 'required'
   */
  metadataEndpointParam: 'required' | 'optional';
  /**
   * OSS requests signed with V1 (`OSS <ak>:<sig>`): refused with 403 `AccessDenied` as OSS does for
   * accounts created since 2025-03-01 and buckets created since 2025-09-01, or accepted (a legacy
   * account). V4 (`OSS4-HMAC-SHA256`) is always verified. @default 'reject'
   */
  ossSignatureV1: 'reject' | 'accept';
}

/** What a service handler can use. */
export interface ServiceContext {
  requestId: string;
  /** The verified caller; undefined when the service uses `authenticate: 'none'`. */
  caller: VerifiedCaller | undefined;
  /** The state of the caller's account (the management account's for unauthenticated services). */
  state: FleetState;
  /** The caller's account id. */
  accountId: string;
  faults: FaultInjector;
  behaviour: EmulatorBehaviour;
  credentials: CredentialLookup;
  /** Whether the caller may pass (attach or detach) `roleName`: its credential's `permissions.passRoles`, if any. */
  mayPassRole(roleName: string): boolean;
  now(): number;
}

/** A service's answer. Objects are sent as JSON with `RequestId` added first. */
export interface ServiceResponse {
  /** @default 200 */
  status?: number;
  body: Record<string, unknown> | Buffer | string;
  headers?: Record<string, string>;
}

/** One cloud product plugged into the emulator. */
export interface EmulatorService {
  readonly name: string;
  /** `HostId` of error envelopes, e.g. `ecs.aliyuncs.com`. */
  readonly hostId: string;
  /** Product name used in `Recommend` links, e.g. `Ecs`. @default name */
  readonly product?: string;
  claims(request: ServiceRequest): boolean;
  /** The action name for stats, quotas and faults. @default request.action */
  actionOf?(request: ServiceRequest): string;
  /** Where quotas are counted besides the action, e.g. the region for ECS. @default '' (per action) */
  quotaScope?(request: ServiceRequest): string;
  /** The RAM action prefix (`ecs`, `ram`, `sts`) for credential permissions; none: not checked. */
  readonly ramNamespace?: string;
  /** Own authentication (throw an EmulatorApiError to reject), or 'none'. @default shared ACS3/RPC verifier */
  authenticate?: ((request: ServiceRequest, lookup: CredentialLookup) => VerifiedCaller) | 'none';
  handle(request: ServiceRequest, context: ServiceContext): ServiceResponse | Promise<ServiceResponse>;
  /** Own error format; default is the JSON envelope `{RequestId, HostId, Code, Message, Recommend}`. */
  renderError?(error: EmulatorApiError, requestId: string, request: ServiceRequest): ServiceResponse;
}

/** A handler of one RPC action. */
export type RpcActionHandler = (
  params: Record<string, string>,
  context: ServiceContext,
  request: ServiceRequest,
) => ServiceResponse | Promise<ServiceResponse>;

/**
 * An RPC-style service: claims requests whose version is `version` (from `x-acs-version` or `Version`);
 * unknown actions of that version answer 404 `InvalidAction.NotFound`.
 */
export function rpcService(spec: {
  name: string;
  version: string;
  hostId: string;
  product?: string;
  /** Quotas counted per `RegionId` parameter (ECS). @default false */
  regional?: boolean;
  ramNamespace?: string;
  actions: Record<string, RpcActionHandler>;
}): EmulatorService {
  return {
    name: spec.name,
    hostId: spec.hostId,
    product: spec.product ?? spec.name,
    ...(spec.ramNamespace === undefined ? {} : { ramNamespace: spec.ramNamespace }),
    ...(spec.regional ? { quotaScope: (request: ServiceRequest) => request.params['RegionId'] ?? '' } : {}),
    claims: (request) => request.version === spec.version,
    handle: (request, context) => {
      const handler = Object.hasOwn(spec.actions, request.action ?? '')
        ? spec.actions[request.action ?? '']
        : undefined;
      if (!handler) throw CommonErrors.actionNotFound(request.action ?? '', spec.version);
      return handler(request.params, context, request);
    },
  };
}
