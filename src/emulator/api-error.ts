/**
 * An error the emulator answers with the Alibaba Cloud error envelope
 * `{RequestId, HostId, Code, Message, Recommend}` and the given HTTP status.
 * Thrown by signature checks, quotas and service handlers; the server turns it into the response.
 */
export class EmulatorApiError extends Error {
  override readonly name = 'EmulatorApiError';
  constructor(
    /** HTTP status, e.g. 404. */
    readonly status: number,
    /** Alibaba Cloud error code, e.g. `InvalidInstanceId.NotFound`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Common error codes and messages used across services (messages as the real services word them). */
export const CommonErrors = {
  signatureDoesNotMatch: (stringToSign?: string) =>
    new EmulatorApiError(
      400,
      'SignatureDoesNotMatch',
      stringToSign === undefined
        ? 'Specified signature is not matched with our calculation.'
        : `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
    ),
  accessKeyNotFound: () =>
    new EmulatorApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  incompleteSignature: (detail: string) =>
    new EmulatorApiError(
      400,
      'IncompleteSignature',
      `The request signature does not conform to Aliyun standards: ${detail}`,
    ),
  securityTokenMismatch: () =>
    new EmulatorApiError(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'The security token you provided does not match the access key id.',
    ),
  securityTokenMissing: () =>
    new EmulatorApiError(
      400,
      'InvalidSecurityToken.Missing',
      'The access key id is a temporary (STS) key but no security token was provided.',
    ),
  securityTokenExpired: () =>
    new EmulatorApiError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.'),
  timestampExpired: () =>
    new EmulatorApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.'),
  nonceUsed: () =>
    new EmulatorApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  throttling: () =>
    new EmulatorApiError(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  internalError: () =>
    new EmulatorApiError(
      500,
      'InternalError',
      'The request processing has failed due to some unknown error.',
    ),
  serviceUnavailable: () =>
    new EmulatorApiError(
      503,
      'ServiceUnavailable',
      'The request has failed due to a temporary failure of the server.',
    ),
  actionNotFound: (action: string, version: string) =>
    new EmulatorApiError(
      404,
      'InvalidAction.NotFound',
      `Specified api is not found, please check your url and method (action "${action}", version "${version}").`,
    ),
  missingParameter: (name: string) =>
    new EmulatorApiError(
      400,
      `MissingParameter.${name}`,
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    ),
  invalidParameter: (name: string, rule: string, value: string) =>
    new EmulatorApiError(400, 'InvalidParameter', `The parameter "${name}" ${rule}, got "${value}".`),
} as const;
