import { createCloudApis } from '../../../src/cloud/clients';
import { describeCredentials } from '../../../src/cloud/credentials';
import { InvalidInputError } from '../../../src/engine/errors';
import { parseEndpoint } from '../../../src/inputs/atoms';

describe('parseEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8080', { host: '127.0.0.1:8080', protocol: 'http' }],
    ['https://ecs.example.test', { host: 'ecs.example.test', protocol: 'https' }],
    ['http://localhost:9/', { host: 'localhost:9', protocol: 'http' }],
  ])('%s', (endpoint, expected) => {
    expect(parseEndpoint(endpoint, '--endpoint')).toEqual(expected);
  });

  it.each([
    ['127.0.0.1:8080', 'must be a URL like'],
    ['not a url', 'must be a URL like "http://127.0.0.1:8080"'],
    ['ftp://x', 'must use http or https'],
    ['http://x/api', 'must not have a path'],
  ])('rejects %j', (endpoint, message) => {
    expect(() => parseEndpoint(endpoint, '--endpoint')).toThrow(InvalidInputError);
    expect(() => parseEndpoint(endpoint, '--endpoint')).toThrow(message);
  });
});

describe('createCloudApis', () => {
  const credential = { accessKeyId: 'LTAIexample', accessKeySecret: 'secret' };

  it('builds both ports for real regions without any network call', () => {
    const apis = createCloudApis({ regionId: 'cn-hangzhou', credential });
    expect(typeof apis.ecs.describeInstances).toBe('function');
    expect(typeof apis.ram.getRole).toBe('function');
    expect(apis.limiter.maxInFlight).toBe(10);
    expect(apis.stats.total().calls).toBe(0);
  });

  it.each([
    [{ regionId: 'Hangzhou' }, 'regionId must be a region id like "cn-hangzhou"'],
    [
      { regionId: 'cn-hangzhou', qps: { AttachInstanceRamRole: 0 } },
      'qps.AttachInstanceRamRole must be a positive',
    ],
    [{ regionId: 'cn-hangzhou', maxInFlight: 0 }, 'maxInFlight must be a positive integer'],
    [{ regionId: 'cn-hangzhou', retry: { maxAttempts: 0 } }, 'retry.maxAttempts must be an integer >= 1'],
    [{ regionId: 'cn-hangzhou', endpoint: 'localhost' }, '--endpoint'],
  ])('rejects %j before any call', (options, message) => {
    expect(() => createCloudApis({ credential, ...options })).toThrow(InvalidInputError);
    expect(() => createCloudApis({ credential, ...options })).toThrow(message);
  });
});

describe('describeCredentials', () => {
  it('never shows a secret or token', () => {
    const text = describeCredentials({
      accessKeyId: 'LTAI5tABCDEFGH',
      accessKeySecret: 'TOPSECRET',
      securityToken: 'TOKEN',
    });
    expect(text).toBe('static STS token LTA***FGH');
    expect(describeCredentials(undefined)).toBe('default credential chain');
    expect(describeCredentials({ accessKeyId: 'abc', accessKeySecret: 's' })).toBe('static AccessKey ***');
  });
});
