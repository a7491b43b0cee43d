import { InvalidInputError } from '../../../src/engine/errors';
import {
  checkAtom,
  EXECUTION_ID,
  EXECUTION_RULE,
  INSTANCE_ID,
  parseAmount,
  REGION_ID,
  ROLE_NAME,
} from '../../../src/inputs/atoms';

describe('atoms', () => {
  it.each([
    [REGION_ID, 'cn-hangzhou', true],
    [REGION_ID, 'cn-shanghai-finance-1', true],
    [REGION_ID, 'cn--x', false],
    [REGION_ID, 'cn-', false],
    [REGION_ID, 'Hangzhou', false],
    [ROLE_NAME, 'EcsAppRole', true],
    [ROLE_NAME, 'app.role-1', true],
    [ROLE_NAME, 'a'.repeat(64), true],
    [ROLE_NAME, 'a'.repeat(65), false],
    [ROLE_NAME, '..', false],
    [ROLE_NAME, '.', false],
    [ROLE_NAME, '../x', false],
    [INSTANCE_ID, 'i-bp1abc', true],
    [INSTANCE_ID, 'i-BP1', false],
    [EXECUTION_ID, 'exec-20261122T231501Z-4f3a9c', true],
    [EXECUTION_ID, 'org-1.1234567890123456.cn-hangzhou', true],
    [EXECUTION_ID, '..', false],
    [EXECUTION_ID, 'a/b', false],
  ])('%s %j -> %s', (pattern, value, ok) => {
    expect(pattern.test(value)).toBe(ok);
  });

  it('checkAtom names the field, the rule and the value', () => {
    expect(() => checkAtom('a/b', EXECUTION_ID, EXECUTION_RULE, '<executionId>')).toThrow(
      '<executionId> must be an execution id (letters, digits, "-", "_", "."), got "a/b"; nothing was changed.',
    );
  });

  it.each([
    [5, false, 5],
    ['5', false, 5],
    [' 10% ', false, '10%'],
    ['12.5%', false, '12.5%'],
    [0, true, 0],
    ['0%', true, '0%'],
  ])('parseAmount(%j, allowZero %s) is %j', (value, allowZero, expected) => {
    expect(parseAmount(value, 'f', allowZero)).toBe(expected);
  });

  it.each([
    [0, false, 'must be a positive integer'],
    [1.5, false, 'must be a positive integer'],
    ['101%', false, 'at most 100%'],
    [-1, true, 'must be a non-negative integer'],
    ['ten', true, 'must be a non-negative integer'],
  ])('parseAmount(%j, allowZero %s) refuses: %s', (value, allowZero, rule) => {
    expect(() => parseAmount(value, 'f', allowZero)).toThrow(InvalidInputError);
    expect(() => parseAmount(value, 'f', allowZero)).toThrow(rule);
  });
});
