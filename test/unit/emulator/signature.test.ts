import { OpenApiUtil } from '@alicloud/openapi-core';
import {
  acs3CanonicalQuery,
  type CredentialRecord,
  percentEncode,
  ReplayGuard,
  rpcSignature,
  rpcStringToSign,
  type SignedRequest,
  sha256Hex,
  verifyAcs3,
  verifyRpc,
} from '../../../src/emulator/signature';

const plain: CredentialRecord = { accessKeyId: 'testAk', accessKeySecret: 'testSecret' };
const sts: CredentialRecord = {
  accessKeyId: 'STS.testAk',
  accessKeySecret: 'stsSecret',
  securityToken: 'tok/en+=',
};
const lookup = (id: string) => [plain, sts].find((c) => c.accessKeyId === id);

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The request of research §1.0 (AttachInstanceRamRole, V3), signed by the SDK's own getAuthorization. */
function sdkSignedAttach(credential: CredentialRecord): SignedRequest {
  const query = {
    InstanceIds: '["i-1","i-2"]',
    Policy: '{"a":"(b)*!\'"}',
    RamRoleName: 'MyRole',
    RegionId: 'cn-hangzhou',
  };
  const headers: Record<string, string> = {
    host: '127.0.0.1:46743',
    'x-acs-version': '2014-05-26',
    'x-acs-action': 'AttachInstanceRamRole',
    'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2',
    'x-acs-date': '2026-11-22T15:17:31Z',
    'x-acs-signature-nonce': 'a'.repeat(64),
    accept: 'application/json',
    'x-acs-content-sha256': EMPTY_SHA256,
    'x-acs-credentials-provider': 'static_ak',
  };
  if (credential.securityToken) {
    headers['x-acs-accesskey-id'] = credential.accessKeyId;
    headers['x-acs-security-token'] = credential.securityToken;
  }
  const authorization = OpenApiUtil.getAuthorization(
    { pathname: '/', method: 'POST', query, headers } as never,
    'ACS3-HMAC-SHA256',
    EMPTY_SHA256,
    credential.accessKeyId,
    credential.accessKeySecret,
  );
  return {
    method: 'POST',
    pathname: '/',
    query,
    headers: { ...headers, authorization },
    body: Buffer.alloc(0),
  };
}

describe('percentEncode / canonical query', () => {
  it('encodes the characters encodeURIComponent leaves alone', () => {
    expect(percentEncode("a b!'()*~")).toBe('a%20b%21%27%28%29%2A~');
  });
  it('sorts raw keys and encodes values', () => {
    expect(acs3CanonicalQuery({ b: '2 3', a: '["i-1"]', 'Tag.1.Key': 'env' })).toBe(
      'Tag.1.Key=env&a=%5B%22i-1%22%5D&b=2%203',
    );
  });
  it('hashes the empty payload as the SDK does', () => {
    expect(sha256Hex(Buffer.alloc(0))).toBe(EMPTY_SHA256);
  });
});

describe('verifyAcs3 (ACS3-HMAC-SHA256)', () => {
  it('accepts the research §1.0 request signed by openapi-core', () => {
    const caller = verifyAcs3(sdkSignedAttach(plain), lookup);
    expect(caller).toEqual({
      accessKeyId: 'testAk',
      scheme: 'ACS3-HMAC-SHA256',
      sts: false,
      nonce: 'a'.repeat(64),
      timestamp: '2026-11-22T15:17:31Z',
    });
  });

  it('accepts an STS request whose token travels in x-acs-security-token', () => {
    expect(verifyAcs3(sdkSignedAttach(sts), lookup).sts).toBe(true);
  });

  it.each([
    [
      'a tampered query value',
      (r: SignedRequest) => (r.query['RamRoleName'] = 'Other'),
      'SignatureDoesNotMatch',
      400,
    ],
    [
      'a tampered signed header',
      (r: SignedRequest) => (r.headers['x-acs-action'] = 'DetachInstanceRamRole'),
      'SignatureDoesNotMatch',
      400,
    ],
    [
      'a body that does not match x-acs-content-sha256',
      (r: SignedRequest) => (r.body = Buffer.from('x')),
      'SignatureDoesNotMatch',
      400,
    ],
    [
      'an unsigned x-acs header',
      (r: SignedRequest) => (r.headers['x-acs-extra'] = '1'),
      'IncompleteSignature',
      400,
    ],
    [
      'an unknown AccessKeyId',
      (r: SignedRequest) =>
        (r.headers['authorization'] = String(r.headers['authorization']).replace('testAk', 'nobody')),
      'InvalidAccessKeyId.NotFound',
      404,
    ],
  ])('rejects %s', (_label, mutate, code, status) => {
    const request = sdkSignedAttach(plain);
    mutate(request);
    expect(() => verifyAcs3(request, lookup)).toThrow(expect.objectContaining({ code, status }));
  });

  it('rejects a wrong secret', () => {
    const request = sdkSignedAttach({ ...plain, accessKeySecret: 'wrong' });
    expect(() => verifyAcs3(request, lookup)).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
  });

  it('rejects an STS key without its token and a token on a plain key', () => {
    const missing = sdkSignedAttach({ ...sts, securityToken: undefined });
    expect(() => verifyAcs3(missing, lookup)).toThrow(
      expect.objectContaining({ code: 'InvalidSecurityToken.Missing' }),
    );
    const wrong = sdkSignedAttach({ ...sts, securityToken: 'other' });
    expect(() => verifyAcs3(wrong, lookup)).toThrow(
      expect.objectContaining({ code: 'InvalidSecurityToken.MismatchWithAccessKey' }),
    );
    const extra = sdkSignedAttach({ ...plain, securityToken: 'tok' });
    expect(() => verifyAcs3(extra, lookup)).toThrow(
      expect.objectContaining({ code: 'InvalidSecurityToken.MismatchWithAccessKey' }),
    );
  });
});

describe('verifyRpc (HMAC-SHA1)', () => {
  // Alibaba Cloud's published RPC signature example (DescribeRegions, AccessKeyId testid / secret testsecret).
  const docExample = {
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    Format: 'XML',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2014-05-26',
  };

  it('reproduces the documented string to sign and signature', () => {
    const stringToSign = rpcStringToSign('GET', docExample);
    expect(stringToSign).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(rpcSignature('testsecret', stringToSign)).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('agrees with openapi-core getRPCSignature and accepts it', () => {
    const params: Record<string, string> = {
      ...docExample,
      AccessKeyId: 'STS.testAk',
      SecurityToken: 'tok/en+=',
      InstanceIds: '["i-1","i-2"]',
      'Tag.1.Key': "it's (x)*",
    };
    params['Signature'] = OpenApiUtil.getRPCSignature(params, 'POST', 'stsSecret');
    expect(params['Signature']).toBe(rpcSignature('stsSecret', rpcStringToSign('POST', params)));
    expect(verifyRpc('POST', params, lookup)).toMatchObject({
      accessKeyId: 'STS.testAk',
      sts: true,
      scheme: 'HMAC-SHA1',
    });
    expect(() => verifyRpc('GET', params, lookup)).toThrow(
      expect.objectContaining({
        code: 'SignatureDoesNotMatch',
        message: expect.stringContaining('server string to sign is:GET&%2F&'),
      }),
    );
  });

  it('maps unknown keys and bad tokens to their codes', () => {
    const base = { ...docExample, AccessKeyId: 'nobody', Signature: 'x' };
    expect(() => verifyRpc('GET', base, lookup)).toThrow(
      expect.objectContaining({ code: 'InvalidAccessKeyId.NotFound', status: 404 }),
    );
    const badToken = { ...docExample, AccessKeyId: 'STS.testAk', SecurityToken: 'nope', Signature: 'x' };
    expect(() => verifyRpc('GET', badToken, lookup)).toThrow(
      expect.objectContaining({ code: 'InvalidSecurityToken.MismatchWithAccessKey' }),
    );
  });
});

describe('ReplayGuard', () => {
  const caller = (nonce: string, timestamp: string) => ({
    accessKeyId: 'testAk',
    scheme: 'HMAC-SHA1' as const,
    sts: false,
    nonce,
    timestamp,
  });

  it('rejects a reused nonce within the window and forgets it after', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const guard = new ReplayGuard(() => now, 60_000);
    guard.check(caller('n1', '2026-01-01T00:00:00Z'));
    expect(() => guard.check(caller('n1', '2026-01-01T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'SignatureNonceUsed' }),
    );
    now += 61_000;
    guard.check(caller('n2', '2026-01-01T00:01:01Z'));
    guard.check(caller('n1', '2026-01-01T00:01:01Z'));
  });

  it('rejects a timestamp outside the window', () => {
    const guard = new ReplayGuard(() => Date.parse('2026-01-01T00:20:00Z'));
    expect(() => guard.check(caller('n', '2026-01-01T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'InvalidTimeStamp.Expired', status: 400 }),
    );
  });
});
