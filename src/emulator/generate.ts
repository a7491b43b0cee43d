import { defaultRoles, type FleetFile, type FleetInstance, type InstanceStatus } from './fleet.js';
import { randomHex, randomString, seededRandom } from './prng.js';
import { DEFAULT_QUOTAS } from './quotas.js';

/** Options of {@link generateFleet}. */
export interface GenerateFleetOptions {
  /** Number of instances. @default 50 */
  instances?: number;
  /** PRNG seed; the same seed gives the same fleet, credentials included. @default 1 */
  seed?: number;
  /** Regions and their relative weights. @default cn-hangzhou 5, cn-shanghai 3, cn-beijing 2 */
  regions?: Record<string, number>;
  /** The designated role that some instances already bear. @default "EcsAppRole" */
  designatedRole?: string;
}

/** Shares used by {@link generateFleet}, exported so tests and docs can quote them. */
export const GENERATED_FLEET_SHARES = {
  status: { Running: 0.8, Stopped: 0.12, Pending: 0.03, Starting: 0.02, Stopping: 0.03 },
  classic: 0.05,
  /** Of VPC instances: already bearing the designated role / another ECS role. */
  designatedRole: 0.2,
  otherRole: 0.08,
  untagged: 0.1,
  excludeTag: 0.02,
  /** Every fourth instance is already in metadata security hardening mode (`HttpTokens: required`); no PRNG draw. */
  hardenedMetadataEvery: 4,
} as const;

const REGION_PREFIX: Record<string, string> = {
  'cn-hangzhou': 'bp',
  'cn-shanghai': 'uf',
  'cn-beijing': '2z',
};
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
const RESOURCE_GROUPS = ['rg-default', 'rg-aek2prod00001', 'rg-aek2stag00002', 'rg-aek2data00003'];
const ENVS = ['prod', 'staging', 'dev'];
const TEAMS = ['payments', 'search', 'platform', 'data'];
const APPS = ['web', 'api', 'worker', 'db', 'cache'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function pickWeighted<K extends string>(random: () => number, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let draw = random() * total;
  for (const [key, weight] of entries) {
    draw -= weight;
    if (draw < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/**
 * A deterministic, realistic fleet for `--instances N --seed S`: several regions, mixed statuses, env/team/app
 * tags, resource groups, ~5% classic-network instances, ~20% of VPC instances already bearing the designated
 * role and ~8% another role, roles that do and do not trust ECS, one AccessKey pair and one STS triple, and
 * the documented quota shapes ({@link DEFAULT_QUOTAS}).
 * Linear in `instances` (100,000 instances take well under a second).
 *
 * @example
 * const fleet = generateFleet({ instances: 1000, seed: 7 });
 * await startEmulator({ fleet });
 */
export function generateFleet(options: GenerateFleetOptions = {}): FleetFile {
  const count = options.instances ?? 50;
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`instances must be a non-negative integer, got ${count}`);
  }
  const random = seededRandom(options.seed ?? 1);
  const regions = options.regions ?? { 'cn-hangzhou': 5, 'cn-shanghai': 3, 'cn-beijing': 2 };
  const designated = options.designatedRole ?? 'EcsAppRole';
  const accountId = `1${randomString(random, 15, '0123456789')}`;
  const credentials = [
    {
      accessKeyId: `LTAI5t${randomString(random, 18, ALPHANUMERIC)}`,
      accessKeySecret: randomString(random, 30, ALPHANUMERIC),
    },
    {
      accessKeyId: `STS.NT${randomString(random, 26, ALPHANUMERIC)}`,
      accessKeySecret: randomString(random, 44, ALPHANUMERIC),
      securityToken: `CAIS${randomHex(random, 120)}`,
    },
  ];
  const roles = defaultRoles(accountId);
  if (!roles.some((role) => role.RoleName === designated)) {
    roles.unshift({ ...roles[0]!, RoleName: designated });
  }
  const otherRoles = roles
    .filter((role) => role.RoleName !== designated)
    .slice(0, 2)
    .map((r) => r.RoleName);
  const start = Date.parse('2024-01-01T00:00:00Z');
  const instances: FleetInstance[] = [];
  for (let index = 0; index < count; index++) {
    const regionId = pickWeighted(random, regions);
    const prefix = REGION_PREFIX[regionId] ?? 'x0';
    const status: InstanceStatus = pickWeighted(random, GENERATED_FLEET_SHARES.status);
    const classic = random() < GENERATED_FLEET_SHARES.classic;
    const roleDraw = random();
    const tags: Record<string, string> = {};
    if (random() >= GENERATED_FLEET_SHARES.untagged) {
      tags['env'] = pick(random, ENVS);
      tags['team'] = pick(random, TEAMS);
      tags['app'] = pick(random, APPS);
    }
    if (random() < GENERATED_FLEET_SHARES.excludeTag) tags['ecs-role-attach:exclude'] = 'true';
    const instance: FleetInstance = {
      InstanceId: `i-${prefix}${index.toString(36).padStart(6, '0')}${randomString(random, 12, ALPHANUMERIC)}`,
      RegionId: regionId,
      Status: status,
      InstanceNetworkType: classic ? 'classic' : 'vpc',
      ResourceGroupId: pick(random, RESOURCE_GROUPS),
      Tags: tags,
      CreationTime: `${new Date(start + index * 60_000).toISOString().slice(0, 16)}Z`,
    };
    if (!classic && roleDraw < GENERATED_FLEET_SHARES.designatedRole) instance.RamRoleName = designated;
    else if (
      !classic &&
      roleDraw < GENERATED_FLEET_SHARES.designatedRole + GENERATED_FLEET_SHARES.otherRole
    ) {
      instance.RamRoleName = pick(random, otherRoles);
    }
    if (index % GENERATED_FLEET_SHARES.hardenedMetadataEvery === 0) instance.HttpTokens = 'required';
    instances.push(instance);
  }
  const sources = generateSources(Object.keys(regions), designated, otherRoles[0] ?? designated);
  return { accountId, credentials, roles, instances, ...sources, quotas: { ...DEFAULT_QUOTAS } };
}

/**
 * Per region, the sources new instances come from (deterministic, no PRNG draw): a launch template whose
 * default version lacks the role (two versions), one whose default bears it, a scaling group launching from
 * the first template, and a scaling group whose active scaling configuration lacks the role (beside an
 * inactive one that bears another role).
 */
function generateSources(
  regionIds: string[],
  designated: string,
  other: string,
): Pick<FleetFile, 'launchTemplates' | 'scalingGroups'> {
  const launchTemplates: NonNullable<FleetFile['launchTemplates']> = [];
  const scalingGroups: NonNullable<FleetFile['scalingGroups']> = [];
  regionIds.forEach((regionId, r) => {
    const code = `${r}${regionId.replace(/[^a-z0-9]/g, '').slice(-6)}`;
    const base = { ImageId: 'aliyun_3_x64_20G_alibase_20240819.vhd', InstanceType: 'ecs.g7.large' };
    launchTemplates.push(
      {
        LaunchTemplateId: `lt-${code}web`,
        LaunchTemplateName: `web-${regionId}`,
        RegionId: regionId,
        DefaultVersionNumber: 2,
        Versions: [
          { VersionNumber: 1, ...base, InstanceType: 'ecs.g6.large' },
          {
            VersionNumber: 2,
            ...base,
            SecurityGroupId: `sg-${code}web`,
            SystemDisk: { Category: 'cloud_essd', Size: 40 },
            Tags: { InstanceTag: [{ Key: 'app', Value: 'web' }] },
          },
        ],
      },
      {
        LaunchTemplateId: `lt-${code}api`,
        LaunchTemplateName: `api-${regionId}`,
        RegionId: regionId,
        DefaultVersionNumber: 1,
        Versions: [{ VersionNumber: 1, ...base, RamRoleName: designated, HttpTokens: 'required' }],
      },
    );
    scalingGroups.push(
      {
        ScalingGroupId: `asg-${code}web`,
        ScalingGroupName: `web-${regionId}`,
        RegionId: regionId,
        LaunchTemplateId: `lt-${code}web`,
        LaunchTemplateVersion: 'Default',
      },
      {
        ScalingGroupId: `asg-${code}wrk`,
        ScalingGroupName: `worker-${regionId}`,
        RegionId: regionId,
        ActiveScalingConfigurationId: `asc-${code}wrk2`,
        ScalingConfigurations: [
          { ScalingConfigurationId: `asc-${code}wrk1`, ...base, RamRoleName: other },
          { ScalingConfigurationId: `asc-${code}wrk2`, ...base },
        ],
      },
    );
  });
  return { launchTemplates, scalingGroups };
}
