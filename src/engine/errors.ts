import type { InstanceOutcome } from './types.js';

/**
 * One error root for the whole product. Subclasses carry data; match with `instanceof` or `code`,
 * never with `error.name` (esbuild minifies class names in the FC bundles).
 */
export class RoleAttachError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoleAttachError';
  }
}

/** Invalid input at a boundary (CLI flag, params file, event, payload, env). Nothing was called. */
export class InvalidInputError extends RoleAttachError {
  /** e.g. `rateControl.Batch[1]` or `--qps`. */
  public readonly field: string;
  /** e.g. `must be a positive integer or a percentage like "10%"`. */
  public readonly rule: string;
  public readonly value: unknown;
  public constructor(field: string, rule: string, value: unknown, options?: ErrorOptions) {
    super(`${field} ${rule}, got ${formatValue(value)}; nothing was changed.`, options);
    this.name = 'InvalidInputError';
    this.field = field;
    this.rule = rule;
    this.value = value;
  }
}

/** An API call that failed after retries (or was not retryable). */
export class CloudApiError extends RoleAttachError {
  public readonly code: string;
  public readonly action: string;
  public readonly statusCode?: number;
  public readonly requestId?: string;
  /** Throttling, 5xx or network: worth retrying later. */
  public readonly retryable: boolean;
  public constructor(init: {
    action: string;
    code: string;
    message: string;
    statusCode?: number;
    requestId?: string;
    retryable: boolean;
    cause?: unknown;
  }) {
    super(
      `${init.action} failed with ${init.code}${init.statusCode ? ` (HTTP ${init.statusCode})` : ''}: ${init.message}${
        init.requestId ? ` [RequestId ${init.requestId}]` : ''
      }`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'CloudApiError';
    this.code = init.code;
    this.action = init.action;
    this.retryable = init.retryable;
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }
}

/** The designated role is missing or does not trust ECS: the execution fails before any write. */
export class RoleNotUsableError extends RoleAttachError {
  public readonly roleName: string;
  public readonly code: 'RoleNotFound' | 'RoleNotTrustedByEcs';
  /** The role rule that assigns the role, when the execution has rules. */
  public readonly rule?: string;
  public constructor(
    roleName: string,
    code: 'RoleNotFound' | 'RoleNotTrustedByEcs',
    message: string,
    rule?: string,
  ) {
    super(message);
    this.name = 'RoleNotUsableError';
    this.roleName = roleName;
    this.code = code;
    if (rule !== undefined) this.rule = rule;
  }
}

export class ExecutionNotFoundError extends RoleAttachError {
  public readonly executionId: string;
  public constructor(executionId: string, where: string) {
    super(`Execution ${executionId} was not found in ${where}; check the id with \`ecs-role-attach list\`.`);
    this.name = 'ExecutionNotFoundError';
    this.executionId = executionId;
  }
}

/** An operator action that does not fit the execution's state (e.g. continue on a Success execution). */
export class InvalidActionError extends RoleAttachError {
  public readonly executionId: string;
  public readonly status: string;
  public constructor(executionId: string, action: string, status: string, hint: string) {
    super(`Cannot ${action} execution ${executionId}: it is ${status}. ${hint}`);
    this.name = 'InvalidActionError';
    this.executionId = executionId;
    this.status = status;
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}

/** Why a whole call was refused for the caller rather than for an instance. */
export type RefusalKind = 'permission' | 'credentials' | 'throttled';

/**
 * Whole-call refusals that concern the caller (its permissions or credentials) or a quota that stayed
 * exhausted past the throttling budget: no instance of the call is at fault, and every further call would be
 * refused the same way. `Forbidden.RAM` is ECS's code for a missing `ecs:` action, `NoPermission` RAM's and
 * STS's, `InvalidUser.PassRoleForbidden` a missing `ram:PassRole` (Attach/DetachInstanceRamRole docs).
 */
export function refusalKind(code: string): RefusalKind | undefined {
  if (
    code === 'InvalidUser.PassRoleForbidden' ||
    code === 'NoPermission' ||
    code === 'Forbidden' ||
    code.startsWith('Forbidden.')
  ) {
    return 'permission';
  }
  if (
    code === 'SignatureDoesNotMatch' ||
    code === 'IncompleteSignature' ||
    code.startsWith('InvalidAccessKeyId') ||
    code.startsWith('InvalidSecurityToken') ||
    code === 'InvalidTimeStamp.Expired'
  ) {
    return 'credentials';
  }
  if (code.includes('Throttling')) return 'throttled';
  return undefined;
}

/**
 * A call refused for the caller (see {@link refusalKind}): the execution stops before its next call. Its
 * instances were not touched and stay pending.
 */
export class CallRefusedError extends RoleAttachError {
  public readonly kind: RefusalKind;
  public readonly code: string;
  public readonly action: string;
  /** The instances of the refused call. */
  public readonly instanceIds: readonly string[];
  /** What to grant or fix, e.g. `ram:PassRole on acs:ram::*:role/EcsAppRole`. */
  public readonly remedy: string;
  /** Outcomes of the chunk that are known already (e.g. a replace's detached instances), recorded before stopping. */
  public readonly settled: readonly InstanceOutcome[];
  readonly #init: ConstructorParameters<typeof CallRefusedError>[0];
  public constructor(init: {
    kind: RefusalKind;
    error: CloudApiError;
    instanceIds: readonly string[];
    ramRoleName: string;
    settled?: readonly InstanceOutcome[];
  }) {
    const { kind, error } = init;
    const remedy = remedyFor(kind, error, init.ramRoleName);
    super(
      `${error.action} was refused for the caller with ${error.code}${error.statusCode ? ` (HTTP ${error.statusCode})` : ''} on a call for ${init.instanceIds.length} instances: ${remedy}`,
      { cause: error },
    );
    this.name = 'CallRefusedError';
    this.kind = kind;
    this.code = error.code;
    this.action = error.action;
    this.instanceIds = init.instanceIds;
    this.remedy = remedy;
    this.settled = init.settled ?? [];
    this.#init = init;
  }

  /** The same refusal for a larger call, with these outcomes known. */
  public withSettled(settled: readonly InstanceOutcome[], instanceIds = this.instanceIds): CallRefusedError {
    return new CallRefusedError({ ...this.#init, instanceIds, settled });
  }
}

/** The ECS and RAM actions we call, by RAM namespace. */
const RAM_ACTIONS = new Set(['GetRole', 'PassRole']);

function remedyFor(kind: RefusalKind, error: CloudApiError, ramRoleName: string): string {
  if (kind === 'throttled') {
    return `the API stayed throttled past the throttling budget; wait for its quota window (ECS: the next minute) or raise the quota in Quota Center`;
  }
  if (kind === 'credentials') return `check the credentials (AccessKey, STS token, clock) the process uses`;
  if (error.code === 'InvalidUser.PassRoleForbidden') {
    return `grant ram:PassRole on acs:ram::*:role/${ramRoleName} to the caller`;
  }
  const namespace = RAM_ACTIONS.has(error.action) ? 'ram' : 'ecs';
  return `grant ${namespace}:${error.action} to the caller`;
}
