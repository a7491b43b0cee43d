/**
 * The role-rules document schema: what it accepts, and that every refusal names the rule and the field.
 */
import { InvalidInputError } from '../../../src/engine/errors';
import { parseRoleRules, parseRoleRulesAs, parseRoleRulesText } from '../../../src/inputs/rules';

const POLICY = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}';

const YAML_DOCUMENT = `
rules:                                   # first match wins
  - name: payments
    match: { tags: { app: payments }, resourceGroupId: rg-prod }
    role: PaymentsAppRole
    policy: '${POLICY}'
    onConflict: replace
  - name: web
    match: { tags: { app: web } }
    role: WebAppRole
  - name: default
    match: {}
    role: EcsAppRole
acceptedRoles: [LegacyAppRole]
`;

function refusal(raw: unknown): InvalidInputError {
  try {
    typeof raw === 'string' ? parseRoleRulesText(raw, '--rules') : parseRoleRules(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
}

describe('role rules document', () => {
  it('parses the YAML of the README example', () => {
    expect(parseRoleRulesText(YAML_DOCUMENT, '--rules')).toEqual({
      rules: [
        {
          name: 'payments',
          match: { tags: { app: 'payments' }, resourceGroupId: 'rg-prod' },
          role: 'PaymentsAppRole',
          policy: POLICY,
          onConflict: 'replace',
        },
        { name: 'web', match: { tags: { app: 'web' } }, role: 'WebAppRole' },
        { name: 'default', match: {}, role: 'EcsAppRole' },
      ],
      acceptedRoles: ['LegacyAppRole'],
    });
  });

  it('takes JSON text and a policy given as an object (sent as compact JSON)', () => {
    const parsed = parseRoleRulesText(
      JSON.stringify({
        rules: [{ name: 'all', match: {}, role: 'EcsAppRole', policy: JSON.parse(POLICY) }],
      }),
      'ROLE_RULES',
    );
    expect(parsed.rules[0]?.policy).toBe(POLICY);
    expect(parsed.acceptedRoles).toEqual([]);
  });

  it('accepts every match condition, "*" tag values and a policy of exactly 1,024 characters', () => {
    const policy = `{"Version":"1","Statement":[],"Pad":"${'x'.repeat(1024 - 39)}"}`;
    expect(policy).toHaveLength(1024);
    const parsed = parseRoleRules({
      rules: [
        {
          name: 'narrow',
          match: {
            tags: { team: '*' },
            resourceGroupId: 'rg-a',
            vpcId: 'vpc-bp1',
            vSwitchId: 'vsw-bp1',
            instanceIds: ['i-a1', 'i-a1', 'i-a2'],
            regionId: 'cn-hangzhou',
          },
          role: 'TeamRole',
          policy,
        },
      ],
    });
    expect(parsed.rules[0]?.match.instanceIds).toEqual(['i-a1', 'i-a2']);
    expect(parsed.rules[0]?.policy).toBe(policy);
  });

  it.each([
    [
      'an unknown rule key',
      { rules: [{ name: 'web', match: {}, role: 'WebAppRole', roles: 'x' }] },
      'rules[0].roles',
      /of rule "web" is not a rule key/,
    ],
    [
      'an unknown match condition',
      { rules: [{ name: 'web', match: { tag: { app: 'web' } }, role: 'WebAppRole' }] },
      'rules[0].match.tag',
      /of rule "web" is not a match condition/,
    ],
    [
      'an unknown document key',
      { rules: [{ name: 'a', match: {}, role: 'R' }], accepted: [] },
      'accepted',
      /is not a rules document key/,
    ],
    [
      'an empty role',
      { rules: [{ name: 'web', match: { tags: { app: 'web' } }, role: '' }] },
      'rules[0].role',
      /of rule "web" is required: a RAM role name/,
    ],
    [
      'a policy over 1,024 characters',
      {
        rules: [{ name: 'big', match: {}, role: 'R', policy: `{"Version":"1","Pad":"${'x'.repeat(1024)}"}` }],
      },
      'rules[0].policy',
      /of rule "big" must be 1-1024 characters .* it has 1048/,
    ],
    [
      'a policy that is not JSON',
      { rules: [{ name: 'p', match: {}, role: 'R', policy: 'Allow everything' }] },
      'rules[0].policy',
      /of rule "p" must be a JSON policy document/,
    ],
    [
      'a rule after match {}',
      {
        rules: [
          { name: 'default', match: {}, role: 'EcsAppRole' },
          { name: 'web', match: { tags: { app: 'web' } }, role: 'WebAppRole' },
        ],
      },
      'rules[1].match',
      /of rule "web" can never match: rule "default" \(rules\[0\]\) before it has match \{\}/,
    ],
    [
      'a rule an earlier, wider rule shadows',
      {
        rules: [
          { name: 'team', match: { tags: { team: '*' } }, role: 'TeamRole' },
          { name: 'web', match: { tags: { team: 'web', app: 'shop' } }, role: 'WebAppRole' },
        ],
      },
      'rules[1].match',
      /of rule "web" can never match: rule "team" \(rules\[0\]\) before it matches every instance/,
    ],
    [
      'a duplicate name',
      {
        rules: [
          { name: 'web', match: { tags: { app: 'web' } }, role: 'A' },
          { name: 'web', match: { tags: { app: 'api' } }, role: 'B' },
        ],
      },
      'rules[1].name',
      /must be unique: rules\[0\] is also named "web"/,
    ],
    [
      'a number as a tag value',
      { rules: [{ name: 'v', match: { tags: { version: 2 } }, role: 'R' }] },
      'rules[0].match.tags.version',
      /of rule "v" must be a tag value/,
    ],
    ['no rules', { rules: [] }, 'rules', /must be a non-empty list/],
    [
      'an onConflict that is not a policy',
      { rules: [{ name: 'x', match: {}, role: 'R', onConflict: 'overwrite' }] },
      'rules[0].onConflict',
      /of rule "x" must be one of skip, fail, replace/,
    ],
  ])('refuses %s, naming the rule and the field', (_case, document, field, message) => {
    const error = refusal(document);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/nothing was changed\.$/);
  });

  it('keeps what wider rules leave: a narrower rule before a wider one is reachable', () => {
    expect(() =>
      parseRoleRules({
        rules: [
          { name: 'web-shop', match: { tags: { team: 'web', app: 'shop' } }, role: 'A' },
          { name: 'team', match: { tags: { team: '*' } }, role: 'B' },
          { name: 'ids', match: { instanceIds: ['i-1', 'i-2'] }, role: 'C' },
          { name: 'one-id', match: { instanceIds: ['i-1', 'i-3'] }, role: 'D' },
        ],
      }),
    ).not.toThrow();
  });

  it('names the source of text that is not YAML', () => {
    const error = refusal('rules: [ { name: web');
    expect(error.field).toBe('--rules');
    expect(error.message).toMatch(/must be a YAML or JSON rules document/);
  });

  it('prefixes fields with where the document came from', () => {
    try {
      parseRoleRules({ rules: [{ name: 'web', match: {}, role: 'bad role' }] }, 'params.rules');
      throw new Error('accepted');
    } catch (error) {
      expect((error as InvalidInputError).field).toBe('params.rules.rules[0].role');
    }
  });
});

describe('rules text that is no document', () => {
  it.each(['vm', '42', '- a\n- b\n'])(
    '%j is refused naming the source (was an endless recursion)',
    (text) => {
      expect(() => parseRoleRulesAs(text, '--rules')).toThrow(InvalidInputError);
      expect(() => parseRoleRulesAs(text, '--rules')).toThrow(
        '--rules must be a YAML or JSON rules document (an object with rules: [...])',
      );
    },
  );
});
