/**
 * Translation of SDK and transport errors into {@link CloudApiError}, with the retry classification.
 *
 * Shapes handled (checked in node_modules):
 * - `@alicloud/openapi-core` 1.0.8 `ClientError` / `ServerError` / `ThrottlingError` (all `AlibabaCloudError`
 *   extends `$dara.ResponseError`): `code` (body Code), `statusCode` (HTTP), `requestId`, `data` (whole
 *   error body), `retryAfter` (ThrottlingError: `x-acs-retry-after` header, ms). ThrottlingError is raised
 *   whenever the Code contains "Throttling", whatever the HTTP status.
 * - `@alicloud/pop-core` 1.8.0: plain `Error` with `name = Code + 'Error'`, `code`, `data` (whole body,
 *   `RequestId`), no HTTP status.
 * - transport (httpx / node:http): `code` ECONNRESET, ECONNREFUSED, ETIMEDOUT...; "socket hang up";
 *   `RequestTimeoutError` (httpx connect/read timeouts); `SyntaxError: Unexpected end of JSON input`
 *   when a body is empty or cut (the SDK parses it as JSON).
 */
import { CloudApiError } from '../engine/index.js';

/** Why an error is worth retrying, or `undefined` when it is not. */
export type RetryReason = 'throttled' | 'server' | 'network';

/** Node/httpx error codes that mean "the connection failed, the request may not have been processed". */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/** Service codes that mean "try again later" even without an HTTP status (pop-core) or with a 4xx. */
const RETRYABLE_SERVICE_CODES = new Set([
  'ServiceUnavailable',
  'InternalError',
  'UnknownError',
  'ServiceBusy',
  'LastTokenProcessing',
  'OperationConflict',
  'IncorrectInstanceStatus.OperationConflict',
]);

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  requestId?: unknown;
  retryAfter?: unknown;
  data?: unknown;
}

/** Why `error` is retryable, or `undefined` when it is a definitive client-side error. */
export function retryReason(error: unknown): RetryReason | undefined {
  if (error instanceof CloudApiError) {
    if (!error.retryable) return undefined;
    if (error.code.includes('Throttling')) return 'throttled';
    return error.statusCode !== undefined && error.statusCode >= 500 ? 'server' : 'network';
  }
  const fields = asFields(error);
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const name = typeof fields.name === 'string' ? fields.name : '';
  const message = typeof fields.message === 'string' ? fields.message : '';
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) return 'network';
  if (name === 'ThrottlingError' || code?.includes('Throttling')) return 'throttled';
  const statusCode = statusOf(fields);
  if (name === 'ServerError' || (statusCode !== undefined && statusCode >= 500)) return 'server';
  if (code !== undefined && RETRYABLE_SERVICE_CODES.has(code)) return 'server';
  if (/timeout/i.test(name) || /ReadTimeout|ConnectTimeout|socket hang up/i.test(message)) return 'network';
  if (error instanceof SyntaxError && /Unexpected end of JSON input/i.test(message)) return 'network';
  return undefined;
}

/**
 * The `retryAfter` hint of a throttling error in ms (openapi-core reads header `x-acs-retry-after`),
 * or `undefined`.
 */
export function retryAfterMs(error: unknown): number | undefined {
  const value = asFields(error).retryAfter;
  const ms = typeof value === 'string' ? Number(value) : value;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * A {@link CloudApiError} for `error` raised by `action` (returned as is when it already is one).
 * `code` is the service code (`Throttling.User`, `InvalidInstanceId.NotFound`...), the errno for transport
 * errors (`ECONNRESET`), `EmptyResponse` for an empty body, `RequestTimeout` for SDK timeouts,
 * `UnknownError` otherwise.
 */
export function toCloudApiError(action: string, error: unknown): CloudApiError {
  if (error instanceof CloudApiError) return error;
  const fields = asFields(error);
  const reason = retryReason(error);
  const data = isRecord(fields.data) ? fields.data : {};
  const statusCode = statusOf(fields);
  const requestId =
    typeof fields.requestId === 'string' && fields.requestId !== ''
      ? fields.requestId
      : typeof data['RequestId'] === 'string'
        ? data['RequestId']
        : undefined;
  return new CloudApiError({
    action,
    code: codeOf(error, fields),
    message: messageOf(fields, data),
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(requestId === undefined ? {} : { requestId }),
    retryable: reason !== undefined,
    cause: error,
  });
}

function codeOf(error: unknown, fields: ErrorFields): string {
  if (typeof fields.code === 'string' && fields.code !== '' && fields.code !== 'undefined')
    return fields.code;
  if (typeof fields.code === 'number') return String(fields.code);
  if (error instanceof SyntaxError) return 'EmptyResponse';
  const name = typeof fields.name === 'string' ? fields.name : '';
  if (/timeout/i.test(name)) return 'RequestTimeout';
  return 'UnknownError';
}

function messageOf(fields: ErrorFields, data: Record<string, unknown>): string {
  // openapi-core's message repeats code, status and request id ("Code: code: 404, Msg request id: X");
  // the body's Message is the service's own sentence.
  if (typeof data['Message'] === 'string' && data['Message'] !== '') return data['Message'];
  if (typeof fields.message === 'string' && fields.message !== '') return fields.message;
  return 'no message';
}

function statusOf(fields: ErrorFields): number | undefined {
  const data = isRecord(fields.data) ? fields.data : {};
  const raw = fields.statusCode ?? data['statusCode'] ?? data['StatusCode'];
  const status = typeof raw === 'string' ? Number(raw) : raw;
  return typeof status === 'number' && Number.isInteger(status) && status > 0 ? status : undefined;
}

function asFields(error: unknown): ErrorFields {
  return isRecord(error) ? (error as ErrorFields) : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
