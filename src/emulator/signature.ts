/**
 * Signature verification for the two schemes the unmodified Alibaba Cloud SDKs send:
 *
 * - ACS3-HMAC-SHA256 (`Authorization` header): `@alicloud/openapi-core` `doRequest`, the default of every
 *   generated SDK (`@alicloud/ecs20140526`, `@alicloud/ram20150501`). Canonical request =
 *   `METHOD\nURI\nCanonicalQuery\nCanonicalHeaders\nSignedHeaders\nHashedPayload`, string to sign =
 *   `ACS3-HMAC-SHA256\n` + hex(sha256(canonical request)), key = AccessKeySecret (no `&`).
 *   Mirrors openapi-core 1.0.8 `utils.getAuthorization` / `getAuthorizationQueryString` / `getAuthorizationHeaders`.
 * - Legacy RPC HMAC-SHA1 (`Signature` parameter): openapi-core `doRPCRequest` (Config `signatureAlgorithm: 'v2'`)
 *   and `@alicloud/pop-core` `RPCClient` (GET query or POST form body). String to sign =
 *   `METHOD&%2F&` + encode(sorted `encode(k)=encode(v)` joined by `&`), key = AccessKeySecret + `&`,
 *   signature = base64(HMAC-SHA1). Mirrors openapi-core `utils.getRPCSignature` and pop-core `lib/rpc.js`.
 *
 * Everything here is pure; replay checks (timestamp window, nonce reuse) live in {@link ReplayGuard}.
 */
import { createHash, createHmac } from 'node:crypto';
import { CommonErrors } from './api-error.js';

/** One request as the verifiers see it: header names lowercased (as Node delivers them). */
export interface SignedRequest {
  method: string;
  /** URL path, e.g. `/`. */
  pathname: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A credential the emulator knows; `securityToken` marks an STS credential whose token must accompany it. */
export interface CredentialRecord {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
  /** What the credential may do (see the fleet file's `permissions`); absent: everything. */
  permissions?: { actions: string[]; passRoles?: string[] | undefined } | undefined;
}

/** Finds a credential by AccessKeyId. */
export type CredentialLookup = (accessKeyId: string) => CredentialRecord | undefined;

/** Who signed a request and the replay-relevant values it carried. */
export interface VerifiedCaller {
  accessKeyId: string;
  scheme: 'ACS3-HMAC-SHA256' | 'HMAC-SHA1' | 'OSS4-HMAC-SHA256';
  /** True when the caller used an STS credential (and presented its token). */
  sts: boolean;
  nonce: string | undefined;
  /** The signed request time (`x-acs-date` or `Timestamp`), as given. */
  timestamp: string | undefined;
}

/** The SDKs' percent-encoding: encodeURIComponent plus `! ' ( ) *`. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

/** hex(sha256(data)); the ACS3 payload hash (`e3b0c442...b855` for an empty body). */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value)
    ? value
        .map((v) => v.trim())
        .sort()
        .join(',')
    : value;
}

/** The ACS3 canonical query string: raw keys sorted with JS default order, values {@link percentEncode}d. */
export function acs3CanonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((key) => `${key}=${percentEncode(query[key] ?? '')}`)
    .join('&');
}

/** The ACS3 canonical request for the given signed header names (lowercase). */
export function acs3CanonicalRequest(
  request: SignedRequest,
  signedHeaders: readonly string[],
  hashedPayload: string,
): string {
  const uri = request.pathname.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim()}\n`)
    .join('');
  return [
    request.method.toUpperCase(),
    uri,
    acs3CanonicalQuery(request.query),
    canonicalHeaders,
    signedHeaders.join(';'),
    hashedPayload,
  ].join('\n');
}

/** `ACS3-HMAC-SHA256\n` + hex(sha256(canonicalRequest)). */
export function acs3StringToSign(canonicalRequest: string): string {
  return `ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`;
}

/** hex(HMAC-SHA256(secret, stringToSign)). */
export function acs3Signature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex');
}

/** The legacy RPC string to sign over every parameter except `Signature`. */
export function rpcStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key] ?? '')}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/** base64(HMAC-SHA1(secret + "&", stringToSign)). */
export function rpcSignature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
}

/** Which scheme a request uses, judged by the Authorization header and the `Signature` parameter. */
export function signatureScheme(
  request: SignedRequest,
  params: Record<string, string>,
): 'acs3' | 'rpc' | 'none' {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization?.startsWith('ACS3-')) return 'acs3';
  if (params['Signature'] !== undefined) return 'rpc';
  return 'none';
}

const AUTHORIZATION_PATTERN = /^(\S+) Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-fA-F]+)$/;

function checkToken(record: CredentialRecord, presented: string | undefined): boolean {
  if (record.securityToken === undefined) {
    if (presented !== undefined && presented !== '') throw CommonErrors.securityTokenMismatch();
    return false;
  }
  if (presented === undefined || presented === '') throw CommonErrors.securityTokenMissing();
  if (presented !== record.securityToken) throw CommonErrors.securityTokenMismatch();
  return true;
}

/**
 * Verifies an ACS3-HMAC-SHA256 request. Throws {@link EmulatorApiError}: 400 `IncompleteSignature`
 * (malformed header, unsigned `host`/`x-acs-*` header), 404 `InvalidAccessKeyId.NotFound`,
 * 400 `InvalidSecurityToken.*`, 400 `SignatureDoesNotMatch` (also when `x-acs-content-sha256` is not the body hash).
 */
export function verifyAcs3(request: SignedRequest, lookup: CredentialLookup): VerifiedCaller {
  const authorization = headerValue(request.headers, 'authorization') ?? '';
  const match = AUTHORIZATION_PATTERN.exec(authorization);
  if (!match) throw CommonErrors.incompleteSignature('malformed Authorization header');
  const [, algorithm, accessKeyId = '', signedHeaderList = '', signature = ''] = match;
  if (algorithm !== 'ACS3-HMAC-SHA256') {
    throw CommonErrors.incompleteSignature(`unsupported signature algorithm "${algorithm}"`);
  }
  const signedHeaders = signedHeaderList.split(';');
  for (const name of Object.keys(request.headers)) {
    if ((name === 'host' || name.startsWith('x-acs-')) && !signedHeaders.includes(name)) {
      throw CommonErrors.incompleteSignature(`header "${name}" must be signed`);
    }
  }
  const record = lookup(accessKeyId);
  if (!record) throw CommonErrors.accessKeyNotFound();
  const sts = checkToken(record, headerValue(request.headers, 'x-acs-security-token'));
  const declaredHash = headerValue(request.headers, 'x-acs-content-sha256');
  const bodyHash = sha256Hex(request.body);
  if (declaredHash !== undefined && declaredHash !== bodyHash) throw CommonErrors.signatureDoesNotMatch();
  const stringToSign = acs3StringToSign(acs3CanonicalRequest(request, signedHeaders, bodyHash));
  if (acs3Signature(record.accessKeySecret, stringToSign) !== signature.toLowerCase()) {
    throw CommonErrors.signatureDoesNotMatch();
  }
  return {
    accessKeyId,
    scheme: 'ACS3-HMAC-SHA256',
    sts,
    nonce: headerValue(request.headers, 'x-acs-signature-nonce'),
    timestamp: headerValue(request.headers, 'x-acs-date'),
  };
}

/**
 * Verifies a legacy RPC HMAC-SHA1 request; `params` = query merged with the form body.
 * Same errors as {@link verifyAcs3}; the SignatureDoesNotMatch message appends the server string to sign,
 * as the real V1 endpoints do.
 */
export function verifyRpc(
  method: string,
  params: Record<string, string>,
  lookup: CredentialLookup,
): VerifiedCaller {
  const accessKeyId = params['AccessKeyId'];
  if (!accessKeyId) throw CommonErrors.incompleteSignature('AccessKeyId is missing');
  if (params['SignatureMethod'] !== 'HMAC-SHA1') {
    throw CommonErrors.incompleteSignature(
      `SignatureMethod must be "HMAC-SHA1", got "${params['SignatureMethod'] ?? ''}"`,
    );
  }
  const record = lookup(accessKeyId);
  if (!record) throw CommonErrors.accessKeyNotFound();
  const sts = checkToken(record, params['SecurityToken']);
  const stringToSign = rpcStringToSign(method, params);
  if (rpcSignature(record.accessKeySecret, stringToSign) !== params['Signature']) {
    throw CommonErrors.signatureDoesNotMatch(stringToSign);
  }
  return {
    accessKeyId,
    scheme: 'HMAC-SHA1',
    sts,
    nonce: params['SignatureNonce'],
    timestamp: params['Timestamp'],
  };
}

/**
 * Rejects replays: a signed time more than `windowMs` away from the clock (400 `InvalidTimeStamp.Expired`)
 * and a nonce seen within the window (400 `SignatureNonceUsed`). Memory is bounded by the window.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    /** @default 900_000 (15 minutes, the documented V3 rule) */
    private readonly windowMs = 900_000,
  ) {}

  check(caller: VerifiedCaller): void {
    const now = this.now();
    if (caller.timestamp !== undefined) {
      const at = Date.parse(caller.timestamp);
      if (Number.isNaN(at) || Math.abs(now - at) > this.windowMs) throw CommonErrors.timestampExpired();
    }
    for (const [nonce, at] of this.seen) {
      if (now - at <= this.windowMs) break;
      this.seen.delete(nonce);
    }
    if (caller.nonce === undefined || caller.nonce === '') return;
    const key = `${caller.accessKeyId}/${caller.nonce}`;
    if (this.seen.has(key)) throw CommonErrors.nonceUsed();
    this.seen.set(key, now);
  }
}
