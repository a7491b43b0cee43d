/**
 * The role-rules fleet shared by the rules tests (CLI run and sweep, the functions): three teams, a
 * default rule and an accepted legacy role over 60 instances, with each instance's expected rule worked
 * out independently of the product.
 */
import type { FleetFile } from '../../src/emulator/index';
import { trustPolicyFor } from '../../src/emulator/index';
import { fleetId } from './cli';
import { TEST_ACCOUNT_ID, TEST_CREDENTIALS } from './emulator';

export const POLICY =
  '{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}';

/** Three teams and a default; LegacyAppRole is accepted as it is. */
export const RULES = `
rules:
  - name: payments
    match: { tags: { app: payments }, resourceGroupId: rg-prod }
    role: PaymentsAppRole
    policy: '${POLICY}'
  - name: web
    match: { tags: { app: web } }
    role: WebAppRole
    onConflict: replace
  - name: batch
    match: { vpcId: vpc-batch }
    role: BatchAppRole
  - name: default
    match: { tags: { env: '*' } }
    role: EcsAppRole
acceptedRoles: [LegacyAppRole]
`;

export const ROLES = [
  'PaymentsAppRole',
  'WebAppRole',
  'BatchAppRole',
  'EcsAppRole',
  'LegacyAppRole',
  'OtherEcsRole',
];

/**
 * 60 instances: 0-11 payments (rg-prod; 10 and 11 in rg-other, so the default catches them), 12-29 web
 * (13 bears OtherEcsRole: replaced), 30-39 in vpc-batch, 40-55 env only (default; 41 bears
 * LegacyAppRole: accepted), 56-59 no tags at all (no rule).
 */
export function teamsFleet(): FleetFile {
  return {
    accountId: TEST_ACCOUNT_ID,
    credentials: [TEST_CREDENTIALS.plain, TEST_CREDENTIALS.sts],
    roles: ROLES.map((RoleName) => ({
      RoleName,
      AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com'),
    })),
    instances: Array.from({ length: 60 }, (_, index) => {
      const base = {
        InstanceId: fleetId(index),
        RegionId: 'cn-hangzhou',
        Status: 'Running' as const,
        ResourceGroupId: 'rg-other',
      };
      if (index < 12)
        return {
          ...base,
          ResourceGroupId: index < 10 ? 'rg-prod' : 'rg-other',
          Tags: { app: 'payments', env: 'prod' },
        };
      if (index < 30)
        return {
          ...base,
          Tags: { app: 'web', env: 'prod' },
          ...(index === 13 ? { RamRoleName: 'OtherEcsRole' } : {}),
        };
      if (index < 40) return { ...base, VpcId: 'vpc-batch', Tags: { team: 'batch' } };
      if (index < 56)
        return { ...base, Tags: { env: 'dev' }, ...(index === 41 ? { RamRoleName: 'LegacyAppRole' } : {}) };
      return base;
    }),
  };
}

/** The rule each instance should match (first match wins), or undefined: no rule. */
export function expectedRule(index: number): string | undefined {
  if (index < 10) return 'payments';
  if (index < 12) return 'default';
  if (index < 30) return 'web';
  if (index < 40) return 'batch';
  if (index < 56) return 'default';
  return undefined;
}

/** The rule names in document order, with their roles. */
export const RULE_ROLES: [string, string][] = [
  ['payments', 'PaymentsAppRole'],
  ['web', 'WebAppRole'],
  ['batch', 'BatchAppRole'],
  ['default', 'EcsAppRole'],
];

/** The role each instance should end with after a run of {@link RULES}, worked out from {@link expectedRule}. */
export function expectedRole(index: number): string {
  if (index === 41) return 'LegacyAppRole'; // accepted as it is
  const rule = expectedRule(index);
  return rule === undefined ? '' : new Map(RULE_ROLES).get(rule)!;
}
