import { ClientError, ServerError, ThrottlingError } from '@alicloud/openapi-core';
import { retryAfterMs, retryReason, toCloudApiError } from '../../../src/cloud/errors';
import { CloudApiError } from '../../../src/engine/errors';

describe('retryReason', () => {
  it.each([
    ['ThrottlingError', new ThrottlingError({ code: 'Throttling', statusCode: 429, data: {} }), 'throttled'],
    [
      'code Throttling.Api on a ClientError',
      new ClientError({ code: 'Throttling.Api', statusCode: 400, data: {} }),
      'throttled',
    ],
    ['ServerError 500', new ServerError({ code: 'InternalError', statusCode: 500, data: {} }), 'server'],
    ['statusCode 502 on a plain object', { code: 'BadGateway', statusCode: 502 }, 'server'],
    ['pop-core ServiceUnavailable', Object.assign(new Error('x'), { code: 'ServiceUnavailable' }), 'server'],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'network'],
    ['ECONNREFUSED', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'network'],
    ['ETIMEDOUT', Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'network'],
    ['socket hang up', new Error('socket hang up'), 'network'],
    [
      'httpx RequestTimeoutError',
      Object.assign(new Error('ConnectTimeout: Connect x failed.'), { name: 'RequestTimeoutError' }),
      'network',
    ],
    ['empty JSON body', new SyntaxError('Unexpected end of JSON input'), 'network'],
    [
      'ClientError 404',
      new ClientError({ code: 'InvalidInstanceId.NotFound', statusCode: 404, data: {} }),
      undefined,
    ],
    ['ClientError 403', new ClientError({ code: 'Forbidden.RAM', statusCode: 403, data: {} }), undefined],
    ['other SyntaxError', new SyntaxError('Unexpected token < in JSON'), undefined],
    ['plain Error', new Error('bug'), undefined],
    ['a string', 'oops', undefined],
  ])('%s -> %s', (_label, error, expected) => {
    expect(retryReason(error)).toBe(expected);
  });
});

describe('toCloudApiError', () => {
  it('keeps code, status, request id and the service message of an openapi-core error', () => {
    const sdk = new ClientError({
      code: 'EntityNotExist.Role',
      message: 'EntityNotExist.Role: code: 404, The role does not exist. request id: abc',
      statusCode: 404,
      requestId: 'abc',
      data: { Code: 'EntityNotExist.Role', Message: 'The role does not exist.', RequestId: 'abc' },
    });
    const error = toCloudApiError('GetRole', sdk);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({
      code: 'EntityNotExist.Role',
      action: 'GetRole',
      statusCode: 404,
      requestId: 'abc',
    });
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('The role does not exist.');
    expect(error.cause).toBe(sdk);
  });

  it('reads RequestId from the body of a pop-core error', () => {
    const pop = Object.assign(new Error('Specified role not found, URL: http://x'), {
      name: 'EntityNotExist.RoleError',
      code: 'EntityNotExist.Role',
      data: { Code: 'EntityNotExist.Role', Message: 'Specified role not found', RequestId: 'pop-1' },
    });
    expect(toCloudApiError('GetRole', pop)).toMatchObject({
      code: 'EntityNotExist.Role',
      requestId: 'pop-1',
    });
  });

  it.each([
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'ECONNRESET', true],
    [new SyntaxError('Unexpected end of JSON input'), 'EmptyResponse', true],
    [Object.assign(new Error('ReadTimeout: 10'), { name: 'RequestTimeoutError' }), 'RequestTimeout', true],
    [new Error('bug'), 'UnknownError', false],
  ])('names transport errors: %s -> %s', (error, code, retryable) => {
    expect(toCloudApiError('DescribeInstances', error)).toMatchObject({ code, retryable });
  });

  it('returns a CloudApiError unchanged', () => {
    const error = new CloudApiError({ action: 'A', code: 'X', message: 'm', retryable: false });
    expect(toCloudApiError('B', error)).toBe(error);
  });

  it('reads retryAfter in ms', () => {
    expect(retryAfterMs(new ThrottlingError({ code: 'Throttling', retryAfter: 250, data: {} }))).toBe(250);
    expect(retryAfterMs(new ThrottlingError({ code: 'Throttling', data: {} }))).toBeUndefined();
  });
});
