/**
 * {@link ObjectStorage} on OSS with `ali-oss`: GetObject, PutObject (one PUT is atomic: readers see the old
 * or the new object), PutObject with `x-oss-forbid-overwrite: true` for create-if-absent (OSS answers 409
 * `FileAlreadyExists`), ListObjects with delimiter `/`, DeleteObject (204 even when absent).
 * Requests are signed with V4 (OSS4-HMAC-SHA256, `authorizationV4: true` and the bucket's region): OSS
 * refuses V1 for accounts created since 2025-03-01 and buckets created since 2025-09-01.
 * A bucket that does not exist (404 `NoSuchBucket`) is an {@link InvalidInputError} naming the bucket and
 * the region, never an empty store.
 * Credentials come from `@alicloud/credentials` (in FC: the function role's STS token from the environment).
 */

import type Credential from '@alicloud/credentials';
import OSS from 'ali-oss';
import { defaultCredential } from '../cloud/credentials.js';
import { InvalidInputError } from '../engine/index.js';
import type { ObjectStorage } from './objectStorage.js';

/** The four ali-oss calls the storage makes (an `OSS` client satisfies it). */
export interface OssClient {
  get(name: string): Promise<{ content: unknown }>;
  put(
    name: string,
    file: Buffer,
    options?: { headers?: Record<string, string>; mime?: string },
  ): Promise<unknown>;
  list(
    query: { prefix?: string; delimiter?: string; marker?: string; 'max-keys': number },
    options: Record<string, never>,
  ): Promise<{
    objects?: { name: string }[];
    prefixes?: string[];
    isTruncated: boolean;
    nextMarker?: string;
  }>;
  delete(name: string): Promise<unknown>;
}

export class OssObjectStorage implements ObjectStorage {
  public readonly location: string;
  private readonly client: OssClient;
  /** `prefix/` or `` (the root of the bucket). */
  private readonly root: string;

  private readonly bucket: string;
  private readonly regionId: string | undefined;

  /**
   * @param client an `ali-oss` client bound to `bucket`
   * @param prefix key prefix without leading or trailing slash (`''` for the bucket root)
   * @param regionId the bucket's region, named in the error for a missing bucket
   */
  public constructor(client: OssClient, bucket: string, prefix: string, regionId?: string) {
    this.client = client;
    const clean = prefix.replace(/^\/+|\/+$/g, '');
    this.root = clean === '' ? '' : `${clean}/`;
    this.location = `oss://${bucket}/${clean}`;
    this.bucket = bucket;
    this.regionId = regionId;
  }

  public async getObject(key: string): Promise<string | undefined> {
    try {
      const result = await this.client.get(this.keyOf(key));
      const content = result.content;
      return Buffer.isBuffer(content) ? content.toString('utf8') : String(content ?? '');
    } catch (error) {
      if (codeOf(error) === 'NoSuchKey') return undefined;
      throw this.explained(error);
    }
  }

  public async putObject(key: string, body: string): Promise<void> {
    try {
      await this.client.put(this.keyOf(key), Buffer.from(body, 'utf8'), { mime: 'application/json' });
    } catch (error) {
      throw this.explained(error);
    }
  }

  public async putObjectIfAbsent(key: string, body: string): Promise<boolean> {
    try {
      await this.client.put(this.keyOf(key), Buffer.from(body, 'utf8'), {
        mime: 'application/json',
        headers: { 'x-oss-forbid-overwrite': 'true' },
      });
      return true;
    } catch (error) {
      if (codeOf(error) === 'FileAlreadyExists' || statusOf(error) === 409) return false;
      throw this.explained(error);
    }
  }

  public async listKeys(prefix: string): Promise<string[]> {
    const full = this.keyOf(prefix.endsWith('/') ? prefix : `${prefix}/`);
    const names: string[] = [];
    let marker: string | undefined;
    // OSS returns at most 1,000 entries per page; follow NextMarker to the end.
    for (;;) {
      const page = await this.client
        .list(
          { prefix: full, delimiter: '/', 'max-keys': 1000, ...(marker === undefined ? {} : { marker }) },
          {},
        )
        .catch((error: unknown) => {
          throw this.explained(error);
        });
      for (const object of page.objects ?? []) {
        const name = object.name.slice(full.length);
        if (name !== '') names.push(name);
      }
      for (const sub of page.prefixes ?? []) names.push(sub.slice(full.length));
      if (!page.isTruncated || !page.nextMarker) return names;
      marker = page.nextMarker;
    }
  }

  public async deleteObject(key: string): Promise<void> {
    try {
      await this.client.delete(this.keyOf(key));
    } catch (error) {
      if (codeOf(error) === 'NoSuchKey') return;
      throw this.explained(error);
    }
  }

  /** A missing bucket becomes an {@link InvalidInputError} naming the bucket and region; others pass. */
  private explained(error: unknown): unknown {
    if (codeOf(error) !== 'NoSuchBucket') return error;
    const region = this.regionId === undefined ? '' : ` in region ${this.regionId}`;
    return new InvalidInputError(
      'the state store',
      `must name an existing OSS bucket: bucket "${this.bucket}" does not exist${region} (OSS 404 NoSuchBucket; create it there, or set ALIBABA_CLOUD_REGION_ID to the bucket's region)`,
      this.location,
      { cause: error },
    );
  }

  private keyOf(key: string): string {
    const segments = key.split('/');
    const trailing = key.endsWith('/');
    const clean = segments.filter((segment) => segment !== '');
    if (clean.some((segment) => segment === '.' || segment === '..')) {
      throw new RangeError(`storage key ${JSON.stringify(key)} must not contain "." or ".." segments`);
    }
    return `${this.root}${clean.join('/')}${trailing && clean.length > 0 ? '/' : ''}`;
  }
}

export interface OssStorageOptions {
  /** `oss://bucket/prefix`. */
  location: string;
  /**
   * Region of the bucket, e.g. `cn-hangzhou` (the client uses `oss-cn-hangzhou`).
   * @default `ALIBABA_CLOUD_REGION_ID`, else `cn-hangzhou`
   */
  regionId?: string;
  /** A `@alicloud/credentials` Credential. @default the default credential chain */
  credential?: Credential;
  /**
   * Send requests here instead of OSS (the emulator), e.g. `http://127.0.0.1:8080`. With an IP endpoint
   * ali-oss keeps the bucket in the Host header (`<bucket>.oss-<region>.aliyuncs.com`) and the key in the path.
   */
  endpoint?: string;
  /** @default 15000 */
  timeoutMs?: number;
}

/** Splits `oss://bucket[/prefix]`; throws {@link InvalidInputError} (field `--state`) otherwise. */
export function parseOssLocation(location: string): { bucket: string; prefix: string } {
  const match = /^oss:\/\/([a-z0-9][a-z0-9-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location.trim());
  const prefix = (match?.[2] ?? '').replace(/\/+$/, '');
  if (!match || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidInputError(
      '--state',
      'must be oss://bucket/prefix with a valid bucket name (3-63 lowercase letters, digits, "-") and no "." or ".." segments',
      location,
    );
  }
  return { bucket: match[1]!, prefix };
}

/**
 * Builds an {@link OssObjectStorage} for `oss://bucket/prefix`. Synchronous: the ali-oss client is
 * created on the first call, from the credential's current keys; STS credentials (FC, ECS role) are
 * refreshed from the Credential every 5 minutes. Nothing secret is logged.
 * @throws {@link InvalidInputError} for a location that is not `oss://bucket[/prefix]`.
 */
export function createOssObjectStorage(options: OssStorageOptions): OssObjectStorage {
  const { bucket, prefix } = parseOssLocation(options.location);
  const credential = options.credential ?? defaultCredential();
  const regionId = options.regionId ?? process.env['ALIBABA_CLOUD_REGION_ID'] ?? 'cn-hangzhou';
  let client: Promise<OssClient> | undefined;
  const connect = async (): Promise<OssClient> => {
    const initial = await credential.getCredential();
    const base: OSS.Options = {
      region: `oss-${regionId}`,
      // V4 (OSS4-HMAC-SHA256), signed for the bucket's region: OSS refuses V1 for new accounts and buckets.
      authorizationV4: true,
      bucket,
      accessKeyId: initial.accessKeyId ?? '',
      accessKeySecret: initial.accessKeySecret ?? '',
      secure: true,
      timeout: options.timeoutMs ?? 15_000,
    };
    if (initial.securityToken) {
      base.stsToken = initial.securityToken;
      base.refreshSTSTokenInterval = 300_000;
      base.refreshSTSToken = async () => {
        const fresh = await credential.getCredential();
        return {
          accessKeyId: fresh.accessKeyId ?? '',
          accessKeySecret: fresh.accessKeySecret ?? '',
          stsToken: fresh.securityToken ?? '',
        };
      };
    }
    if (options.endpoint !== undefined) {
      const url = new URL(options.endpoint);
      base.endpoint = url.origin;
      base.secure = url.protocol === 'https:';
    }
    return new OSS(base) as unknown as OssClient;
  };
  const lazy = (): Promise<OssClient> => {
    client ??= connect().catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
  const facade: OssClient = {
    get: async (name) => (await lazy()).get(name),
    put: async (name, file, putOptions) => (await lazy()).put(name, file, putOptions),
    list: async (query, listOptions) => (await lazy()).list(query, listOptions),
    delete: async (name) => (await lazy()).delete(name),
  };
  return new OssObjectStorage(facade, bucket, prefix, regionId);
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function statusOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
}
