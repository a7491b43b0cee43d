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
