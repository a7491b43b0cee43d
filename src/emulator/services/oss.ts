/**
 * OSS object calls, as `ali-oss` 6.23.0 sends them (checked in node_modules and by a probe server):
 * PutObject (with `x-oss-forbid-overwrite: true` for create-if-absent: 409 `FileAlreadyExists`),
 * GetObject, HeadObject, DeleteObject (204, also when absent) and ListObjects (V1: prefix, delimiter,
 * marker, max-keys). Buckets exist only when declared (fleet file `buckets`, `startEmulator({buckets})`
 * or `POST /_emulator/buckets`); any other bucket answers 404 `NoSuchBucket`, as OSS does.
 *
 * Addressing: with an IP endpoint ali-oss sends the path `/<key>` and sets `host: <bucket>.oss-<region>.aliyuncs.com`
 * (lib/common/utils/createRequest.js), so the bucket comes from the Host header; a Host that is an IP or
 * `localhost` means path-style `/<bucket>/<key>`.
 *
 * Signature V4 (lib/common/signUtils.js `authorizationV4`, sent with `authorizationV4: true`):
 * `authorization: OSS4-HMAC-SHA256 Credential=<ak>/<yyyymmdd>/<region>/oss/aliyun_v4_request,
 * [AdditionalHeaders=<h1;h2>,]Signature=<hex>`, verified by {@link verifyOssV4}. This is the default: OSS
 * refuses V1 for accounts created since 2025-03-01 and buckets created since 2025-09-01 (403; OSS
 * "Guidelines for upgrading V1 signatures to V4 signatures", error 0002-00000080), so V1 is refused with
 * 403 `AccessDenied` unless the behaviour switch `ossSignatureV1: 'accept'` (a legacy account) is set.
 *
 * Signature V1 (lib/common/signUtils.js): `authorization: OSS <ak>:base64(hmac-sha1(secret, S))` with
 * S = METHOD \n Content-MD5 \n Content-Type \n x-oss-date (or Date) \n sorted `x-oss-*:value` lines \n
 * `/<bucket>/<key>` + `?sub-resources`. An STS credential must present `x-oss-security-token`.
 * Errors are OSS XML `<Error><Code/><Message/><RequestId/><HostId/></Error>` with `x-oss-request-id`.
 */
import { createHash, createHmac } from 'node:crypto';
import { EmulatorApiError } from '../api-error.js';
import type { EmulatorService, ServiceRequest } from '../service.js';
import type { CredentialLookup, VerifiedCaller } from '../signature.js';

interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: string;
  contentType: string;
}

/** The service plus read access to the buckets (for tests and the admin route). */
export interface OssRecorder {
  service: EmulatorService;
  /** Creates these buckets (existing ones are kept); throws for an invalid name, creating none. */
  createBuckets(names: readonly string[]): void;
  /** `{ bucket: [keys, sorted] }` */
  listing(): Record<string, string[]>;
  /** An object's text, or undefined. */
  read(bucket: string, key: string): string | undefined;
}

/** Query parameters that are OSS sub-resources (signed as part of the resource). */
const SUB_RESOURCES = new Set([
  'acl',
  'uploads',
  'location',
  'cors',
  'logging',
  'website',
  'referer',
  'lifecycle',
  'delete',
  'append',
  'tagging',
  'objectMeta',
  'uploadId',
  'partNumber',
  'position',
  'symlink',
  'restore',
  'versions',
  'versioning',
  'versionId',
  'continuation-token',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
]);

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** Accepted distance between `x-oss-date` and the clock (OSS: 15 minutes). */
const SKEW_MS = 15 * 60_000;

const ossError = (status: number, code: string, message: string) =>
  new EmulatorApiError(status, code, message);

/** How the OSS service treats V1 signatures: `reject` (the default, as for new accounts and buckets) or `accept`. */
export type OssSignatureV1 = 'reject' | 'accept';

export interface OssServiceOptions {
  /** Buckets that exist from the start. */
  buckets?: readonly string[];
  /** Read at every request (the emulator's behaviour switches are live). @default () => 'reject' */
  signatureV1?: () => OssSignatureV1;
  now?: () => number;
}

/** Builds the OSS service; `accountId` is shown as the owner of objects. */
export function ossService(accountId: string, options: OssServiceOptions = {}): OssRecorder {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const signatureV1 = options.signatureV1 ?? (() => 'reject');
  const now = options.now ?? Date.now;
  const createBuckets = (names: readonly string[]): void => {
    const invalid = names.filter((name) => !BUCKET.test(name));
    if (invalid.length > 0) {
      throw new Error(
        `bucket names must be 3-63 lowercase letters, digits or "-" (not starting or ending with "-"), got ${invalid.map((n) => JSON.stringify(n)).join(', ')}; nothing was created`,
      );
    }
    for (const name of names) if (!buckets.has(name)) buckets.set(name, new Map());
  };
  createBuckets(options.buckets ?? []);

  const service: EmulatorService = {
    name: 'oss',
    product: 'Oss',
    hostId: 'oss-cn-hangzhou.aliyuncs.com',
    claims: (request) => /^OSS(4-HMAC-SHA256)? /.test(String(request.headers.authorization ?? '')),
    actionOf: (request) => `oss:${operationOf(request, address(request).key)}`,
    authenticate: (request, lookup) => {
      if (String(request.headers.authorization ?? '').startsWith('OSS4-HMAC-SHA256 ')) {
        return verifyOssV4(request, lookup, now);
      }
      if (signatureV1() !== 'accept') {
        throw ossError(
          403,
          'AccessDenied',
          'OSS no longer supports V1 signatures for this account or bucket; sign requests with V4 (OSS4-HMAC-SHA256). EC: 0002-00000080',
        );
      }
      return verifyOssV1(request, lookup, now);
    },
    handle: (request, context) => {
      const { bucket, key } = address(request);
      if (!BUCKET.test(bucket)) {
        throw ossError(400, 'InvalidBucketName', `The specified bucket is not valid: "${bucket}".`);
      }
      const objects = buckets.get(bucket);
      if (objects === undefined) {
        throw ossError(404, 'NoSuchBucket', `The specified bucket does not exist: "${bucket}".`);
      }
      const headers = { 'x-oss-request-id': context.requestId };
      switch (operationOf(request, key)) {
        case 'ListObjects':
          return {
            status: 200,
            headers: xmlHeaders(headers),
            body: listObjects(bucket, objects, request, accountId),
          };
        case 'PutObject': {
          const md5 = createHash('md5').update(request.body).digest('base64');
          const declared = header(request, 'content-md5');
          if (declared !== undefined && declared !== md5) {
            throw ossError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.');
          }
          if (header(request, 'x-oss-forbid-overwrite') === 'true' && objects.has(key)) {
            throw ossError(
              409,
              'FileAlreadyExists',
              'The object you specified already exists and can not be overwritten.',
            );
          }
          const etag = `"${createHash('md5').update(request.body).digest('hex').toUpperCase()}"`;
          objects.set(key, {
            body: Buffer.from(request.body),
            etag,
            lastModified: new Date(context.now()).toUTCString(),
            contentType: header(request, 'content-type') ?? 'application/octet-stream',
          });
          return { status: 200, headers: { ...headers, etag }, body: Buffer.alloc(0) };
        }
        case 'GetObject':
        case 'HeadObject': {
          const object = objects.get(key);
          if (!object) throw ossError(404, 'NoSuchKey', 'The specified key does not exist.');
          return {
            status: 200,
            headers: {
              ...headers,
              etag: object.etag,
              'last-modified': object.lastModified,
              'content-type': object.contentType,
              'content-length': String(object.body.length),
            },
            body: request.method === 'HEAD' ? Buffer.alloc(0) : object.body,
          };
        }
        case 'DeleteObject':
          objects.delete(key);
          return { status: 204, headers, body: Buffer.alloc(0) };
        default:
          throw ossError(405, 'MethodNotAllowed', `The specified method is not allowed: ${request.method}.`);
      }
    },
    renderError: (error, requestId, request) => {
      const headers = { 'x-oss-request-id': requestId };
      if (request.method === 'HEAD') return { status: error.status, headers, body: Buffer.alloc(0) };
      const hostId = header(request, 'host') ?? 'oss-cn-hangzhou.aliyuncs.com';
      const body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Error>',
        `  <Code>${xml(error.code)}</Code>`,
        `  <Message>${xml(error.message)}</Message>`,
        `  <RequestId>${requestId}</RequestId>`,
        `  <HostId>${xml(hostId)}</HostId>`,
        '</Error>',
        '',
      ].join('\n');
      return { status: error.status, headers: xmlHeaders(headers), body };
    },
  };

  return {
    service,
    createBuckets,
    listing: () =>
      Object.fromEntries([...buckets].map(([name, objects]) => [name, [...objects.keys()].sort()])),
    read: (bucket, key) => buckets.get(bucket)?.get(key)?.body.toString('utf8'),
  };
}

/** Bucket and object key of a request (virtual-hosted by Host header, or path-style on an IP host). */
function address(request: ServiceRequest): { bucket: string; key: string } {
  const host = (header(request, 'host') ?? '').replace(/:\d+$/, '');
  const path = request.url.pathname.replace(/^\//, '');
  const pathStyle = host === '' || host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
  if (pathStyle) {
    const slash = path.indexOf('/');
    const bucket = decodeURIComponent(slash === -1 ? path : path.slice(0, slash));
    return { bucket, key: slash === -1 ? '' : decodeKey(path.slice(slash + 1)) };
  }
  return { bucket: host.split('.')[0] ?? '', key: decodeKey(path) };
}

function decodeKey(path: string): string {
  return path.split('/').map(decodeURIComponent).join('/');
}

function operationOf(request: ServiceRequest, key: string): string {
  if (key === '') return request.method === 'GET' ? 'ListObjects' : `Bucket${request.method}`;
  switch (request.method) {
    case 'PUT':
      return 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return request.method;
  }
}

/** The ListObjects (V1) answer: keys after `marker` under `prefix`, grouped by `delimiter`. */
function listObjects(
  bucket: string,
  objects: Map<string, StoredObject>,
  request: ServiceRequest,
  accountId: string,
): string {
  const query = request.url.searchParams;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const marker = query.get('marker') ?? '';
  const maxKeysText = query.get('max-keys') ?? '100';
  const maxKeys = Number(maxKeysText);
  if (!/^\d+$/.test(maxKeysText) || maxKeys < 1 || maxKeys > 1000) {
    throw ossError(400, 'InvalidArgument', `max-keys must be 1-1000, got "${maxKeysText}".`);
  }
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (const key of [...objects.keys()].sort()) {
    if (!key.startsWith(prefix) || key <= marker) continue;
    const rest = key.slice(prefix.length);
    const cut = delimiter === '' ? -1 : rest.indexOf(delimiter);
    const entry = cut === -1 ? key : `${prefix}${rest.slice(0, cut + delimiter.length)}`;
    if (cut !== -1 && (prefixes.includes(entry) || entry <= marker)) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (cut === -1) contents.push(key);
    else prefixes.push(entry);
    last = entry;
  }
  const owner = `<Owner><ID>${accountId}</ID><DisplayName>${accountId}</DisplayName></Owner>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListBucketResult>',
    `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><Marker>${xml(marker)}</Marker>`,
    `<MaxKeys>${maxKeys}</MaxKeys><Delimiter>${xml(delimiter)}</Delimiter>`,
    `<IsTruncated>${truncated}</IsTruncated>`,
    truncated ? `<NextMarker>${xml(last)}</NextMarker>` : '',
    ...contents.map((key) => {
      const object = objects.get(key)!;
      return `<Contents><Key>${xml(key)}</Key><LastModified>${new Date(object.lastModified).toISOString()}</LastModified><ETag>${xml(object.etag)}</ETag><Type>Normal</Type><Size>${object.body.length}</Size><StorageClass>Standard</StorageClass>${owner}</Contents>`;
    }),
    ...prefixes.map((entry) => `<CommonPrefixes><Prefix>${xml(entry)}</Prefix></CommonPrefixes>`),
    '</ListBucketResult>',
    '',
  ].join('\n');
}

/**
 * Verifies the OSS V1 header signature. Throws (OSS codes): 403 `InvalidAccessKeyId`,
 * 403 `InvalidSecurityToken` (STS key without its token, or a wrong token), 403 `RequestTimeTooSkewed`,
 * 403 `SignatureDoesNotMatch`.
 */
export function verifyOssV1(
  request: ServiceRequest,
  lookup: CredentialLookup,
  now: () => number = Date.now,
): VerifiedCaller {
  const match = /^OSS ([^:]+):(.+)$/.exec(header(request, 'authorization') ?? '');
  if (!match) throw ossError(400, 'InvalidArgument', 'Authorization header is invalid.');
  const accessKeyId = match[1]!;
  const record = lookup(accessKeyId);
  if (!record) {
    throw ossError(
      403,
      'InvalidAccessKeyId',
      'The OSS Access Key Id you provided does not exist in our records.',
    );
  }
  const token = header(request, 'x-oss-security-token');
  if ((record.securityToken ?? '') !== (token ?? '')) {
    throw ossError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.');
  }
  const date = header(request, 'x-oss-date') ?? header(request, 'date') ?? '';
  const at = Date.parse(date);
  if (Number.isNaN(at) || Math.abs(now() - at) > SKEW_MS) {
    throw ossError(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  const stringToSign = ossStringToSign(request);
  const expected = createHmac('sha1', record.accessKeySecret).update(stringToSign, 'utf8').digest('base64');
  if (expected !== match[2]) {
    throw ossError(
      403,
      'SignatureDoesNotMatch',
      `The request signature we calculated does not match the signature you provided. Check your key and signing method. StringToSign: ${JSON.stringify(stringToSign)}`,
    );
  }
  return {
    accessKeyId,
    scheme: 'HMAC-SHA1',
    sts: record.securityToken !== undefined,
    nonce: undefined,
    timestamp: undefined,
  };
}

const V4_AUTHORIZATION =
  /^OSS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/oss\/aliyun_v4_request,(?:AdditionalHeaders=([a-z0-9;-]+),)?Signature=([0-9a-f]{64})$/;

/**
 * Verifies the OSS V4 header signature exactly as ali-oss 6.23.0 computes it (lib/common/signUtils.js
 * `getCanonicalRequest`, `getStringToSign`, `getSignatureV4`). Throws (OSS codes): 400 `InvalidArgument`
 * (malformed header), 403 `InvalidAccessKeyId`, 403 `InvalidSecurityToken`, 403 `RequestTimeTooSkewed`,
 * 403 `SignatureDoesNotMatch` (the message carries the canonical request and string to sign, as OSS does).
 */
export function verifyOssV4(
  request: ServiceRequest,
  lookup: CredentialLookup,
  now: () => number = Date.now,
): VerifiedCaller {
  const match = V4_AUTHORIZATION.exec(header(request, 'authorization') ?? '');
  if (!match) {
    throw ossError(400, 'InvalidArgument', 'Authorization header is invalid for OSS4-HMAC-SHA256.');
  }
  const accessKeyId = match[1]!;
  const day = match[2]!;
  const region = match[3]!;
  const additional = match[4];
  const signature = match[5]!;
  const record = lookup(accessKeyId);
  if (!record) {
    throw ossError(
      403,
      'InvalidAccessKeyId',
      'The OSS Access Key Id you provided does not exist in our records.',
    );
  }
  const token = header(request, 'x-oss-security-token');
  if ((record.securityToken ?? '') !== (token ?? '')) {
    throw ossError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.');
  }
  const date = header(request, 'x-oss-date') ?? '';
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  const at = parts
    ? Date.UTC(+parts[1]!, +parts[2]! - 1, +parts[3]!, +parts[4]!, +parts[5]!, +parts[6]!)
    : Number.NaN;
  if (Number.isNaN(at) || Math.abs(now() - at) > SKEW_MS) {
    throw ossError(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  if (date.slice(0, 8) !== day) {
    throw ossError(403, 'SignatureDoesNotMatch', 'The date of the Credential does not match x-oss-date.');
  }
  const canonicalRequest = ossV4CanonicalRequest(
    request,
    additional === undefined ? [] : additional.split(';'),
  );
  const stringToSign = [
    'OSS4-HMAC-SHA256',
    date,
    `${day}/${region}/oss/aliyun_v4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`aliyun_v4${record.accessKeySecret}`, day), region), 'oss'),
    'aliyun_v4_request',
  );
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  if (expected !== signature) {
    throw ossError(
      403,
      'SignatureDoesNotMatch',
      `The request signature we calculated does not match the signature you provided. Check your key and signing method. CanonicalRequest: ${JSON.stringify(canonicalRequest)} StringToSign: ${JSON.stringify(stringToSign)}`,
    );
  }
  return {
    accessKeyId,
    scheme: 'OSS4-HMAC-SHA256',
    sts: record.securityToken !== undefined,
    nonce: undefined,
    timestamp: undefined,
  };
}

/**
 * The V4 canonical request: METHOD, URI `/<bucket>/<key>` (encoded, `/` kept), the sorted query (a
 * parameter without `=` stands alone), the `content-type`, `content-md5`, `x-oss-*` and additional
 * headers as `name:value` lines, the additional header names, and `x-oss-content-sha256` (or
 * `UNSIGNED-PAYLOAD`).
 */
export function ossV4CanonicalRequest(request: ServiceRequest, additionalHeaders: string[]): string {
  const { bucket, key } = address(request);
  const uri = encodeV4(`/${bucket}/${key}`).replace(/%2F/g, '/');
  const query = request.url.search
    .replace(/^\?/, '')
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = decodeQuery(equals === -1 ? part : part.slice(0, equals));
      const value = equals === -1 ? undefined : decodeQuery(part.slice(equals + 1));
      return { name, value };
    })
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, value }) => (value === undefined ? encodeV4(name) : `${encodeV4(name)}=${encodeV4(value)}`))
    .join('&');
  const signed = new Set(additionalHeaders);
  for (const name of Object.keys(request.headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) signed.add(name);
  }
  const headerLines = [...signed]
    .sort()
    .map((name) => `${name}:${(header(request, name) ?? '').trim()}\n`)
    .join('');
  return [
    request.method.toUpperCase(),
    uri,
    query,
    headerLines,
    additionalHeaders.join(';'),
    header(request, 'x-oss-content-sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

/** ali-oss `encodeString`: encodeURIComponent, plus `!'()*`. */
function encodeV4(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeQuery(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/** The V1 string to sign of a request, as ali-oss `buildCanonicalString` builds it. */
export function ossStringToSign(request: ServiceRequest): string {
  const ossHeaders = Object.keys(request.headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${(header(request, name) ?? '').trim()}`);
  const { bucket, key } = address(request);
  const subResources = [...request.url.searchParams]
    .filter(([name]) => SUB_RESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const resource = `/${bucket}/${key}${subResources.length > 0 ? `?${subResources.join('&')}` : ''}`;
  return [
    request.method,
    header(request, 'content-md5') ?? '',
    header(request, 'content-type') ?? '',
    header(request, 'x-oss-date') ?? header(request, 'date') ?? '',
    ...ossHeaders,
    resource,
  ].join('\n');
}

function header(request: ServiceRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function xmlHeaders(headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'content-type': 'application/xml' };
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
