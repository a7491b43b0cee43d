import {
  FUNCTION_CONFIG_DEFAULTS,
  loadFunctionConfig,
  parseQpsVariable,
  parseState,
} from '../../../../functions/shared/config';
import { InvalidInputError } from '../../../../src/engine/errors';

const base = {
  RAM_ROLE_NAME: 'EcsInstanceRole',
  FC_ACCOUNT_ID: '1234567890123456',
  FC_REGION: 'cn-hangzhou',
};

function invalid(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('loadFunctionConfig', () => {
  it('applies the defaults', () => {
    expect(loadFunctionConfig(base)).toEqual({
      ramRoleName: 'EcsInstanceRole',
      state: { kind: 'fs', directory: FUNCTION_CONFIG_DEFAULTS.state },
      qps: {},
      excludeTags: [],
      onConflict: 'skip',
      breakerThreshold: 5,
      notify: [],
      drift: 'report',
      driftIgnoreCallers: [],
      accountId: '1234567890123456',
      regionId: 'cn-hangzhou',
    });
  });

  it('reads every variable', () => {
    const config = loadFunctionConfig({
      ...base,
      STATE: 'oss://my-state-bucket/ecs-role-attach/prod/',
      ENDPOINT_OVERRIDE: 'http://127.0.0.1:9000',
      QPS: 'DescribeInstances=20, AttachInstanceRamRole=2.5',
      EXCLUDE_TAG: 'keep-role, team=legacy',
      ON_CONFLICT: 'replace',
      BREAKER_THRESHOLD: '3',
      DRIFT: 'repair',
      DRIFT_IGNORE_CALLERS: ' terraform ,ops-automation:ci,, ',
    });
    expect(config).toMatchObject({
      state: { kind: 'oss', bucket: 'my-state-bucket', prefix: 'ecs-role-attach/prod' },
      endpointOverride: 'http://127.0.0.1:9000',
      qps: { DescribeInstances: 20, AttachInstanceRamRole: 2.5 },
      excludeTags: [{ key: 'keep-role' }, { key: 'team', value: 'legacy' }],
      onConflict: 'replace',
      breakerThreshold: 3,
      drift: 'repair',
      driftIgnoreCallers: ['terraform', 'ops-automation:ci'],
    });
  });

  it('takes account and region from the FC context when the variables are absent', () => {
    const config = loadFunctionConfig(
      { RAM_ROLE_NAME: 'r' },
      { accountId: '5550001', region: 'ap-southeast-1' },
    );
    expect([config.accountId, config.regionId]).toEqual(['5550001', 'ap-southeast-1']);
  });

  it('prefers the variables over the context', () => {
    const config = loadFunctionConfig(base, { accountId: '1', region: 'cn-beijing' });
    expect([config.accountId, config.regionId]).toEqual(['1234567890123456', 'cn-hangzhou']);
  });

  it('treats blank variables as unset', () => {
    expect(loadFunctionConfig({ ...base, ON_CONFLICT: '  ', STATE: '' }).onConflict).toBe('skip');
  });

  it.each([
    ['RAM_ROLE_NAME', { RAM_ROLE_NAME: undefined }, 'is required'],
    ['RAM_ROLE_NAME', { RAM_ROLE_NAME: 'a/b' }, 'RAM role name'],
    ['STATE', { STATE: 'relative/dir' }, 'absolute directory'],
    ['STATE', { STATE: 'oss://Bad_Bucket/x' }, 'OSS bucket'],
    ['STATE', { STATE: 'oss://bucket/a/../b' }, '".." segments'],
    ['ENDPOINT_OVERRIDE', { ENDPOINT_OVERRIDE: 'localhost:9000' }, 'must use http or https'],
    ['ENDPOINT_OVERRIDE', { ENDPOINT_OVERRIDE: 'not a url' }, 'must be a URL'],
    ['QPS', { QPS: 'DescribeInstances' }, 'entries must look like Action=number'],
    ['QPS', { QPS: 'GetRole=' }, 'entries must look like Action=number'],
    ['QPS.GetRole', { QPS: 'GetRole=0' }, 'positive number'],
    ['QPS', { QPS: 'GetRole=1,GetRole=2' }, 'names GetRole twice'],
    ['EXCLUDE_TAG', { EXCLUDE_TAG: 'a,,b' }, 'key or key=value'],
    ['EXCLUDE_TAG', { EXCLUDE_TAG: `${'k'.repeat(129)}=v` }, 'key of 1-128 characters'],
    ['ON_CONFLICT', { ON_CONFLICT: 'overwrite' }, 'skip, fail, replace'],
    ['BREAKER_THRESHOLD', { BREAKER_THRESHOLD: '0' }, 'positive integer'],
    ['BREAKER_THRESHOLD', { BREAKER_THRESHOLD: '2.5' }, 'positive integer'],
    ['FC_ACCOUNT_ID', { FC_ACCOUNT_ID: undefined }, 'numeric Alibaba Cloud account id'],
    ['FC_REGION', { FC_REGION: 'Hangzhou' }, 'region id'],
  ])('names %s when it is invalid', (variable, override, rule) => {
    const error = invalid(() => loadFunctionConfig({ ...base, ...override }));
    expect(error.field).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(rule);
  });

  it('shows the value received', () => {
    expect(invalid(() => loadFunctionConfig({ ...base, ON_CONFLICT: 'overwrite' })).message).toBe(
      'ON_CONFLICT must be one of skip, fail, replace, got "overwrite"; nothing was changed.',
    );
  });
});

describe('ROLE_RULES', () => {
  const { RAM_ROLE_NAME: _role, ...noRole } = base;
  const RULES_JSON = JSON.stringify({
    rules: [
      { name: 'web', match: { tags: { app: 'web' } }, role: 'WebAppRole' },
      { name: 'default', match: {}, role: 'EcsAppRole' },
    ],
  });

  it.each([
    ['JSON', RULES_JSON],
    [
      'YAML',
      'rules:\n  - {name: web, match: {tags: {app: web}}, role: WebAppRole}\n  - {name: default, match: {}, role: EcsAppRole}\n',
    ],
  ])('takes an inline %s document instead of RAM_ROLE_NAME', (_label, value) => {
    const config = loadFunctionConfig({ ...noRole, ROLE_RULES: value });
    expect(config.ramRoleName).toBe('@rules');
    expect(config.roleRules?.kind).toBe('inline');
    const rules = config.roleRules?.kind === 'inline' ? config.roleRules.rules : undefined;
    expect(rules?.rules.map((r) => r.role)).toEqual(['WebAppRole', 'EcsAppRole']);
  });

  it('takes store:<key>, a document of the state store read per invocation', () => {
    expect(loadFunctionConfig({ ...noRole, ROLE_RULES: 'store:config/role-rules' }).roleRules).toEqual({
      kind: 'store',
      key: 'config/role-rules',
    });
  });

  it.each([
    ['together with RAM_ROLE_NAME', { ...base, ROLE_RULES: RULES_JSON }, 'ROLE_RULES', 'exclude each other'],
    ['neither', noRole, 'RAM_ROLE_NAME', 'is required (the designated instance RAM role), or ROLE_RULES'],
    [
      'an empty role',
      { ...noRole, ROLE_RULES: '{"rules":[{"name":"web","match":{},"role":""}]}' },
      'ROLE_RULES rules[0].role',
      'of rule "web" is required',
    ],
    [
      'an unknown key',
      { ...noRole, ROLE_RULES: '{"rules":[{"name":"web","match":{"tag":{}},"role":"R"}]}' },
      'ROLE_RULES rules[0].match.tag',
      'of rule "web"',
    ],
    ['text that is no document', { ...noRole, ROLE_RULES: '{"rules": [' }, 'ROLE_RULES', 'YAML or JSON'],
    ['a bad store key', { ...noRole, ROLE_RULES: 'store:../secrets' }, 'ROLE_RULES', 'store:<key>'],
  ])('refuses %s, naming the variable and the field', (_label, env, field, rule) => {
    const error = invalid(() => loadFunctionConfig(env));
    expect(error.field).toBe(field);
    expect(error.message).toContain(rule);
  });
});

describe('parseState', () => {
  it.each([
    ['oss://bucket-1', { kind: 'oss', bucket: 'bucket-1', prefix: '' }],
    ['oss://bucket-1/', { kind: 'oss', bucket: 'bucket-1', prefix: '' }],
    ['oss://bucket-1/a/b', { kind: 'oss', bucket: 'bucket-1', prefix: 'a/b' }],
    ['/tmp/x', { kind: 'fs', directory: '/tmp/x' }],
  ])('%s', (value, expected) => {
    expect(parseState(value)).toEqual(expected);
  });
});

describe('parseQps', () => {
  it('returns an empty map for no value', () => {
    expect(parseQpsVariable(undefined)).toEqual({});
  });
});
