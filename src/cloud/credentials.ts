/**
 * Credentials come only from `@alicloud/credentials`: the default chain (env vars
 * `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`/`_SECURITY_TOKEN`, OIDC, CLI profile, credentials file, the ECS
 * instance role via hardened IMDS, credentials URI), or an explicit static AccessKey / STS token for the
 * emulator and tests. No secret is ever read from this project's config or logged.
 */
import Credential, { Config as CredentialConfig } from '@alicloud/credentials';

/** An explicit static credential (emulator, tests). Prefer the default chain everywhere else. */
export type StaticCredentials =
  | { accessKeyId: string; accessKeySecret: string; securityToken?: undefined }
  | { accessKeyId: string; accessKeySecret: string; securityToken: string };

/**
 * What openapi-core asks a `config.credential` for before every request (research cloud-apis.md §4.5): a
 * `@alicloud/credentials` Credential, or an object handing out one (e.g. a member account's renewing STS credential).
 */
export interface CredentialSource {
  getCredential(): Promise<{
    accessKeyId?: string;
    accessKeySecret?: string;
    securityToken?: string;
    type?: string;
  }>;
}

/** The `@alicloud/credentials` default chain (`new Credential()`). */
export function defaultCredential(): Credential {
  return new Credential();
}

/** A static AccessKey (`access_key`) or STS (`sts`) credential. */
export function staticCredential(credentials: StaticCredentials): Credential {
  const config =
    credentials.securityToken === undefined
      ? new CredentialConfig({
          type: 'access_key',
          accessKeyId: credentials.accessKeyId,
          accessKeySecret: credentials.accessKeySecret,
        })
      : new CredentialConfig({
          type: 'sts',
          accessKeyId: credentials.accessKeyId,
          accessKeySecret: credentials.accessKeySecret,
          securityToken: credentials.securityToken,
        });
  return new Credential(config);
}

/** A log-safe description of a credential source: the kind and a masked key id, never a secret. */
export function describeCredentials(credentials: StaticCredentials | undefined): string {
  if (credentials === undefined) return 'default credential chain';
  const id = credentials.accessKeyId;
  const masked = id.length <= 6 ? '***' : `${id.slice(0, 3)}***${id.slice(-3)}`;
  return `${credentials.securityToken === undefined ? 'static AccessKey' : 'static STS token'} ${masked}`;
}
