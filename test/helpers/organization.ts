/**
 * A small Resource Directory for tests: the management account of {@link smallFleet} plus member accounts,
 * each with instances in three regions, in folders `fd-prod` (with sub-folder `fd-prod-eu`) and `fd-dev`.
 */
import type { FleetAccount, FleetFile } from '../../src/emulator/index';
import { accountTrustPolicy, trustPolicyFor } from '../../src/emulator/index';
import { DESIGNATED_ROLE, smallFleet, TEST_ACCOUNT_ID } from './emulator';

export const ORG_REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing'] as const;

/** The member accounts' ids, in fleet order. */
export const MEMBER_IDS = ['2000000000000001', '2000000000000002', '2000000000000003'] as const;

/**
 * A member with `perRegion` instances in each of {@link ORG_REGIONS}: the first of each region already
 * bears the designated role, every other is role-less. Ids are `i-<n><region letter><k>` (unique in the world).
 */
export function memberAccount(
  accountId: string,
  index: number,
  options: { perRegion?: number; folderId?: string; assumable?: boolean } = {},
): FleetAccount {
  const perRegion = options.perRegion ?? 3;
  const roles = [
    { RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: trustPolicyFor('ecs.aliyuncs.com') },
    ...(options.assumable === false
      ? []
      : [
          {
            RoleName: 'ResourceDirectoryAccountAccessRole',
            AssumeRolePolicyDocument: accountTrustPolicy(TEST_ACCOUNT_ID),
          },
        ]),
  ];
  return {
    accountId,
    displayName: `member-${index}`,
    ...(options.folderId ? { folderId: options.folderId } : {}),
    roles,
    instances: ORG_REGIONS.flatMap((regionId) =>
      Array.from({ length: perRegion }, (_, k) => ({
        InstanceId: `i-m${index}${regionId.slice(3, 5)}${k}`,
        RegionId: regionId,
        ...(k === 0 ? { RamRoleName: DESIGNATED_ROLE } : {}),
      })),
    ),
  };
}

/**
 * {@link smallFleet} as the management account with three members: member 1 in fd-prod, member 2 in
 * fd-prod-eu (under fd-prod), member 3 in fd-dev. `overrides` replaces members by index (1-based).
 */
export function organizationFleet(overrides: Record<number, Partial<FleetAccount>> = {}): FleetFile {
  const folders = ['fd-prod', 'fd-prod-eu', 'fd-dev'];
  return {
    ...smallFleet(),
    folders: [
      { folderId: 'fd-prod', folderName: 'prod' },
      { folderId: 'fd-prod-eu', folderName: 'prod-eu', parentFolderId: 'fd-prod' },
      { folderId: 'fd-dev', folderName: 'dev' },
    ],
    accounts: MEMBER_IDS.map((id, i) => ({
      ...memberAccount(id, i + 1, { folderId: folders[i]! }),
      ...overrides[i + 1],
    })),
  };
}
