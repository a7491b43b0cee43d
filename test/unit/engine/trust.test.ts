import { trustsEcs } from '../../../src/engine/trust';

const ecsStatement = {
  Action: 'sts:AssumeRole',
  Effect: 'Allow',
  Principal: { Service: ['ecs.aliyuncs.com'] },
};

describe('trustsEcs', () => {
  it.each([
    ['Service as array', { Version: '1', Statement: [ecsStatement] }, true],
    [
      'Service as string',
      { Statement: [{ ...ecsStatement, Principal: { Service: 'ecs.aliyuncs.com' } }] },
      true,
    ],
    [
      'among other services',
      { Statement: [{ ...ecsStatement, Principal: { Service: ['fc.aliyuncs.com', 'ecs.aliyuncs.com'] } }] },
      true,
    ],
    [
      'second statement',
      { Statement: [{ ...ecsStatement, Principal: { RAM: ['acs:ram::1:root'] } }, ecsStatement] },
      true,
    ],
    ['Action as list', { Statement: [{ ...ecsStatement, Action: ['sts:AssumeRole'] }] }, true],
    ['Statement as object', { Statement: ecsStatement }, true],
    [
      'RAM principal only',
      { Statement: [{ ...ecsStatement, Principal: { RAM: ['acs:ram::123:root'] } }] },
      false,
    ],
    [
      'another service',
      { Statement: [{ ...ecsStatement, Principal: { Service: ['fc.aliyuncs.com'] } }] },
      false,
    ],
    ['Deny', { Statement: [{ ...ecsStatement, Effect: 'Deny' }] }, false],
    ['other action', { Statement: [{ ...ecsStatement, Action: 'sts:GetCallerIdentity' }] }, false],
    ['no Statement', { Version: '1' }, false],
    ['empty statements', { Statement: [] }, false],
    ['not an object', 'ecs.aliyuncs.com', false],
    ['null', null, false],
    [
      'lookalike',
      { Statement: [{ ...ecsStatement, Principal: { Service: ['ecs.aliyuncs.com.evil'] } }] },
      false,
    ],
  ])('%s -> %s', (_label, policy, expected) => {
    expect(trustsEcs(policy)).toBe(expected);
  });
});
