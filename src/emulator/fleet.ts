import { z } from 'zod';
import { faultsSchema } from './faults.js';
import { quotaSpecSchema } from './quotas.js';

/** ECS instance statuses the emulator knows (DescribeInstances `Status` filter values). */
export const INSTANCE_STATUSES = ['Pending', 'Running', 'Starting', 'Stopping', 'Stopped'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** The principal every instance RAM role must trust. */
export const ECS_SERVICE_PRINCIPAL = 'ecs.aliyuncs.com';

export const fleetInstanceSchema = z.strictObject({
  InstanceId: z.string().regex(/^i-[0-9a-z]+$/, 'must look like "i-<lowercase letters and digits>"'),
  /** @default "cn-hangzhou" */
  RegionId: z.string().min(1).optional(),
  /** @default "Running" */
  Status: z.enum(INSTANCE_STATUSES).optional(),
  /** @default "vpc" */
  InstanceNetworkType: z.enum(['vpc', 'classic']).optional(),
  /** @default "rg-default" */
  ResourceGroupId: z.string().min(1).optional(),
  Tags: z.record(z.string(), z.string()).optional(),
  /** The instance RAM role it bears; absent or "" for none. */
  RamRoleName: z.string().optional(),
  InstanceName: z.string().optional(),
  ZoneId: z.string().optional(),
  /** VPC instances only. @default one of four VPCs (eight vSwitches) of the region, by position */
  VpcId: z
    .string()
    .regex(/^vpc-[0-9a-z]+$/)
    .optional(),
  VSwitchId: z
    .string()
    .regex(/^vsw-[0-9a-z]+$/)
    .optional(),
  /** ISO time, e.g. "2024-01-01T00:00Z". @default the time the fleet was loaded */
  CreationTime: z.string().optional(),
  /** Metadata access mode (`MetadataOptions.HttpTokens`): `required` = security hardening mode only. @default "optional" */
  HttpTokens: z.enum(['optional', 'required']).optional(),
  /** Metadata access channel (`MetadataOptions.HttpEndpoint`). @default "enabled" */
  HttpEndpoint: z.enum(['enabled', 'disabled']).optional(),
});

/**
 * One launch template version as DescribeLaunchTemplateVersions reports its `LaunchTemplateData` (API
 * field names: `RamRoleName`, `HttpTokens`, `ImageId`, `InstanceType`, `SystemDisk`, ...), plus its number.
 */
const launchTemplateVersionSchema = z.looseObject({
  VersionNumber: z.number().int().min(1),
  RamRoleName: z.string().optional(),
  HttpTokens: z.enum(['optional', 'required']).optional(),
  ImageId: z.string().optional(),
  InstanceType: z.string().optional(),
  VersionDescription: z.string().optional(),
});

const launchTemplateSchema = z.strictObject({
  LaunchTemplateId: z.string().regex(/^lt-[0-9a-z]+$/, 'must look like "lt-<lowercase letters and digits>"'),
  LaunchTemplateName: z.string().min(1),
  /** @default "cn-hangzhou" */
  RegionId: z.string().min(1).optional(),
  DefaultVersionNumber: z.number().int().min(1),
  Versions: z.array(launchTemplateVersionSchema).min(1),
});

/** A scaling configuration as DescribeScalingConfigurations (ESS 2022-02-22) reports it. */
const scalingConfigurationSchema = z.looseObject({
  ScalingConfigurationId: z
    .string()
    .regex(/^asc-[0-9a-z]+$/, 'must look like "asc-<lowercase letters and digits>"'),
  ScalingConfigurationName: z.string().optional(),
  RamRoleName: z.string().optional(),
  ImageId: z.string().optional(),
  InstanceType: z.string().optional(),
});

const scalingGroupSchema = z.strictObject({
  ScalingGroupId: z.string().regex(/^asg-[0-9a-z]+$/, 'must look like "asg-<lowercase letters and digits>"'),
  ScalingGroupName: z.string().min(1),
  /** @default "cn-hangzhou" */
  RegionId: z.string().min(1).optional(),
  /** The group launches from this launch template (then it has no active scaling configuration). */
  LaunchTemplateId: z.string().optional(),
  /** `Default`, `Latest` or a version number. @default "Default" when LaunchTemplateId is set */
  LaunchTemplateVersion: z.string().optional(),
  ActiveScalingConfigurationId: z.string().optional(),
  ScalingConfigurations: z.array(scalingConfigurationSchema).optional(),
  /** Network and grouping, as DescribeScalingGroups (ess20220222) reports them. */
  VpcId: z.string().optional(),
  VSwitchIds: z.array(z.string()).optional(),
  ResourceGroupId: z.string().optional(),
  /** `Propagate: true` tags go onto the instances the group creates. */
  Tags: z
    .array(z.strictObject({ TagKey: z.string(), TagValue: z.string(), Propagate: z.boolean().optional() }))
    .optional(),
});

const roleSchema = z.strictObject({
  RoleName: z.string().min(1),
  /** JSON string (as RAM returns it) or the parsed policy object. */
  AssumeRolePolicyDocument: z.union([z.string(), z.record(z.string(), z.unknown())]),
  Description: z.string().optional(),
});

/**
 * What a credential may do, as a RAM policy would allow it; absent: everything. `actions` are RAM action
 * names (`ecs:DescribeInstances`, `ram:GetRole`, ...; `ecs:*` allows a whole service); `passRoles` the role
 * names it may attach or detach (`ram:PassRole`; `*` for any).
 */
export const permissionsSchema = z.strictObject({
  actions: z.array(z.string().regex(/^[a-z]+:(\*|[A-Za-z]+)$/, 'must look like "ecs:DescribeInstances"')),
  passRoles: z.array(z.string().min(1)).optional(),
});

const credentialSchema = z.strictObject({
  accessKeyId: z.string().min(1),
  accessKeySecret: z.string().min(1),
  securityToken: z.string().min(1).optional(),
  permissions: permissionsSchema.optional(),
});

/** The behaviour switches (see `EmulatorBehaviour`), each optional. */
export const behaviourSchema = z.strictObject({
  pendingAttach: z.enum(['reject-call', 'reject', 'allow']).optional(),
  roleAttachedAttach: z.enum(['instance', 'call']).optional(),
  sameRoleAttach: z.enum(['fail', 'succeed']).optional(),
  roleLessInDescribeRole: z.enum(['empty', 'omit']).optional(),
  unknownIdsInDescribeRole: z.enum(['omit', 'error']).optional(),
  classicInDescribeRole: z.enum(['error', 'list']).optional(),
  describeRoleWithoutFilter: z.enum(['all-empty', 'missing-parameter']).optional(),
  lastPageNextToken: z.enum(['empty', 'absent']).optional(),
  metadataEndpointParam: z.enum(['required', 'optional']).optional(),
  ossSignatureV1: z.enum(['reject', 'accept']).optional(),
});

const accountIdSchema = z.string().regex(/^\d{1,20}$/, 'must be digits');

/** The role Resource Directory creates in every member it creates, trusting the management account. */
export const RD_ACCESS_ROLE = 'ResourceDirectoryAccountAccessRole';

/** Resource Directory member account statuses (ListAccounts `Status`); only the `*Success` ones are members in use. */
export const ACCOUNT_STATUSES = [
  'CreateSuccess',
  'InviteSuccess',
  'PromoteSuccess',
  'CreateVerifying',
  'CreateFailed',
  'Removing',
] as const;

/**
 * A Resource Directory member account beside the management account's own fleet. Without `roles` it holds
 * the default roles plus {@link RD_ACCESS_ROLE} trusting the management account; with `roles`, exactly those.
 * Without `credentials` it is reachable only through STS AssumeRole.
 */
const memberAccountSchema = z.strictObject({
  accountId: accountIdSchema,
  /** @default "member-<accountId>" */
  displayName: z.string().min(1).optional(),
  /** The folder holding it. @default the root folder */
  folderId: z.string().min(1).optional(),
  /** @default "CreateSuccess" */
  status: z.enum(ACCOUNT_STATUSES).optional(),
  /** @default "ResourceAccount" */
  type: z.enum(['ResourceAccount', 'CloudAccount']).optional(),
  credentials: z.array(credentialSchema).optional(),
  roles: z.array(roleSchema).optional(),
  instances: z.array(fleetInstanceSchema),
});

/** A Resource Directory folder; without `parentFolderId` it sits under the root folder. */
const folderSchema = z.strictObject({
  folderId: z.string().regex(/^fd-[0-9A-Za-z-]+$/, 'must look like "fd-<letters, digits, dashes>"'),
  folderName: z.string().min(1),
  parentFolderId: z.string().min(1).optional(),
});

/**
 * The `--fleet` file. Every field but `instances` is optional: without `credentials` the emulator makes one
 * AccessKey pair and one STS triple; without `roles` it defines the default roles of {@link defaultRoles}.
 * `accountId`, `credentials`, `roles` and `instances` are the management account's own; `accounts` are the
 * Resource Directory's members (quotas apply to each account separately, as ECS quotas do).
 */
export const fleetFileSchema = z.strictObject({
  accountId: accountIdSchema.optional(),
  credentials: z.array(credentialSchema).optional(),
  roles: z.array(roleSchema).optional(),
  instances: z.array(fleetInstanceSchema),
  accounts: z.array(memberAccountSchema).optional(),
  folders: z.array(folderSchema).optional(),
  /** OSS buckets that exist (any other bucket answers 404 `NoSuchBucket`). */
  buckets: z
    .array(
      z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
          'must be an OSS bucket name (3-63 lowercase letters, digits, "-")',
        ),
    )
    .optional(),
  /** CloudFlow flows that exist (DescribeFlow answers 404 `FlowNotExists` for others). */
  flows: z.array(z.string().min(1)).optional(),
  /** Action -> quota: calls per second, `"N/Ks"` or a token bucket (see `QuotaSpec`). */
  quotas: z.record(z.string(), quotaSpecSchema).optional(),
  faults: faultsSchema.optional(),
  launchTemplates: z.array(launchTemplateSchema).optional(),
  scalingGroups: z.array(scalingGroupSchema).optional(),
  /** Behaviour switches; absent ones keep their defaults. */
  behaviour: behaviourSchema.optional(),
});

export type FleetFile = z.infer<typeof fleetFileSchema>;
export type FleetAccount = z.infer<typeof memberAccountSchema>;
export type FleetFolder = z.infer<typeof folderSchema>;
export type FleetInstance = z.infer<typeof fleetInstanceSchema>;
export type FleetRole = z.infer<typeof roleSchema>;
export type FleetLaunchTemplate = z.infer<typeof launchTemplateSchema>;
export type FleetScalingGroup = z.infer<typeof scalingGroupSchema>;
export type Permissions = z.infer<typeof permissionsSchema>;

/** Whether `permissions` (absent: all allowed) allow the RAM action `namespace:action`. */
export function allowsAction(
  permissions: Permissions | undefined,
  namespace: string,
  action: string,
): boolean {
  if (permissions === undefined) return true;
  return permissions.actions.some(
    (allowed) => allowed === `${namespace}:${action}` || allowed === `${namespace}:*`,
  );
}

/** Whether `permissions` (absent: all allowed) allow passing `roleName`. */
export function allowsPassRole(permissions: Permissions | undefined, roleName: string): boolean {
  if (permissions === undefined) return true;
  return (permissions.passRoles ?? []).some((allowed) => allowed === '*' || allowed === roleName);
}

/** Parses and validates a fleet file; throws an Error naming every offending field. */
export function parseFleetFile(input: unknown, source = 'fleet'): FleetFile {
  const parsed = fleetFileSchema.safeParse(input);
  if (!parsed.success) throw new Error(`${source} is invalid: ${z.prettifyError(parsed.error)}`);
  const seen = new Set<string>();
  const all = [parsed.data.instances, ...(parsed.data.accounts ?? []).map((a) => a.instances)].flat();
  for (const instance of all) {
    if (seen.has(instance.InstanceId))
      throw new Error(`${source} is invalid: duplicate InstanceId "${instance.InstanceId}"`);
    seen.add(instance.InstanceId);
  }
  const accounts = new Set<string>();
  for (const account of parsed.data.accounts ?? []) {
    if (accounts.has(account.accountId) || account.accountId === parsed.data.accountId)
      throw new Error(`${source} is invalid: duplicate accountId "${account.accountId}"`);
    accounts.add(account.accountId);
  }
  const folders = new Set((parsed.data.folders ?? []).map((f) => f.folderId));
  for (const folder of parsed.data.folders ?? []) {
    if (folder.parentFolderId !== undefined && !folders.has(folder.parentFolderId))
      throw new Error(
        `${source} is invalid: folder ${folder.folderId} names unknown parentFolderId "${folder.parentFolderId}"`,
      );
  }
  for (const account of parsed.data.accounts ?? []) {
    if (account.folderId !== undefined && !folders.has(account.folderId))
      throw new Error(
        `${source} is invalid: account ${account.accountId} names unknown folderId "${account.folderId}"`,
      );
  }
  return parsed.data;
}

/** A trust policy document allowing `service` to assume the role. */
export function trustPolicyFor(service: string): string {
  return JSON.stringify({
    Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: [service] } }],
    Version: '1',
  });
}

/** Roles defined when a fleet file has none: the designated role, two other ECS roles, and two non-ECS roles. */
export function defaultRoles(accountId: string): FleetRole[] {
  return [
    { RoleName: 'EcsAppRole', AssumeRolePolicyDocument: trustPolicyFor(ECS_SERVICE_PRINCIPAL) },
    { RoleName: 'LegacyAppRole', AssumeRolePolicyDocument: trustPolicyFor(ECS_SERVICE_PRINCIPAL) },
    { RoleName: 'MonitoringRole', AssumeRolePolicyDocument: trustPolicyFor(ECS_SERVICE_PRINCIPAL) },
    { RoleName: 'FcInvokeRole', AssumeRolePolicyDocument: trustPolicyFor('fc.aliyuncs.com') },
    {
      RoleName: 'OpsAdminRole',
      AssumeRolePolicyDocument: JSON.stringify({
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { RAM: [`acs:ram::${accountId}:root`] } },
        ],
        Version: '1',
      }),
    },
  ];
}

/** The trust policy of a role that principals of `accountId` (its root, hence its users and roles) may assume. */
export function accountTrustPolicy(accountId: string): string {
  return JSON.stringify({
    Statement: [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { RAM: [`acs:ram::${accountId}:root`] } },
    ],
    Version: '1',
  });
}

/** Whether a trust policy (JSON string) lets ecs.aliyuncs.com assume the role; `Service` may be a string or list. */
export function trustsEcs(policyDocument: string): boolean {
  let policy: unknown;
  try {
    policy = JSON.parse(policyDocument);
  } catch {
    return false;
  }
  const statements = (policy as { Statement?: unknown })?.Statement;
  if (!Array.isArray(statements)) return false;
  return statements.some((statement: { Effect?: unknown; Principal?: { Service?: unknown } }) => {
    if (statement?.Effect !== 'Allow') return false;
    const service = statement.Principal?.Service;
    const services = Array.isArray(service) ? service : [service];
    return services.includes(ECS_SERVICE_PRINCIPAL);
  });
}

/** One instance as the emulator holds it (mutable: status, role and counters change). */
export interface InstanceRecord {
  InstanceId: string;
  RegionId: string;
  Status: InstanceStatus;
  InstanceNetworkType: 'vpc' | 'classic';
  ResourceGroupId: string;
  Tags: Record<string, string>;
  /** "" when the instance bears no role. */
  RamRoleName: string;
  /** The `Policy` passed with the attach of the role it bears; "" for none. */
  RamRolePolicy: string;
  InstanceName: string;
  ZoneId: string;
  CreationTime: string;
  VpcId: string;
  VSwitchId: string;
  PrivateIpAddress: string;
  /** Successful attach calls for this instance. */
  AttachCount: number;
  /** Successful detach calls for this instance. */
  DetachCount: number;
  HttpTokens: 'optional' | 'required';
  HttpEndpoint: 'enabled' | 'disabled';
  /** Successful ModifyInstanceMetadataOptions calls for this instance. */
  MetadataWrites: number;
}

/** A launch template version as the emulator holds it: its number, times and `LaunchTemplateData` (API shape). */
export interface LaunchTemplateVersionRecord {
  VersionNumber: number;
  VersionDescription: string;
  CreateTime: string;
  CreatedBy: string;
  LaunchTemplateData: Record<string, unknown>;
}

export interface LaunchTemplateRecord {
  LaunchTemplateId: string;
  LaunchTemplateName: string;
  RegionId: string;
  DefaultVersionNumber: number;
  CreateTime: string;
  /** In version-number order. */
  Versions: LaunchTemplateVersionRecord[];
}

export interface ScalingConfigurationRecord {
  ScalingConfigurationId: string;
  ScalingConfigurationName: string;
  ScalingGroupId: string;
  RegionId: string;
  /** Every other field of the configuration, API names (RamRoleName "" for none). */
  fields: Record<string, unknown>;
}

export interface ScalingGroupRecord {
  ScalingGroupId: string;
  ScalingGroupName: string;
  RegionId: string;
  LaunchTemplateId: string;
  LaunchTemplateVersion: string;
  ActiveScalingConfigurationId: string;
  ScalingConfigurations: ScalingConfigurationRecord[];
  VpcId: string;
  VSwitchIds: string[];
  ResourceGroupId: string;
  Tags: { TagKey: string; TagValue: string; Propagate: boolean }[];
}

/** A role as the emulator holds it. */
export interface RoleRecord {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Description: string;
  AssumeRolePolicyDocument: string;
  CreateDate: string;
}

function zoneFor(regionId: string, index: number): string {
  return `${regionId}-${['h', 'i', 'j', 'k'][index % 4]}`;
}

function numericId(text: string, digits: number): string {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return String(hash).padStart(10, '0').repeat(2).slice(0, digits);
}

/**
 * The emulator's mutable world: instances indexed by id and by region (insertion order within a region is the
 * listing order), roles by name. `version` increments on every change that affects listings.
 */
export class FleetState {
  readonly instancesById = new Map<string, InstanceRecord>();
  readonly instancesByRegion = new Map<string, InstanceRecord[]>();
  readonly roles = new Map<string, RoleRecord>();
  readonly launchTemplates = new Map<string, LaunchTemplateRecord>();
  readonly scalingGroups = new Map<string, ScalingGroupRecord>();
  version = 0;

  constructor(readonly accountId: string) {}

  /** Adds an instance; throws when the id exists. Returns the stored record. */
  addInstance(input: FleetInstance, now: Date): InstanceRecord {
    if (this.instancesById.has(input.InstanceId))
      throw new Error(`instance ${input.InstanceId} already exists`);
    const regionId = input.RegionId ?? 'cn-hangzhou';
    const list = this.instancesByRegion.get(regionId) ?? [];
    const position = list.length;
    const network = input.InstanceNetworkType ?? 'vpc';
    const record: InstanceRecord = {
      InstanceId: input.InstanceId,
      RegionId: regionId,
      Status: input.Status ?? 'Running',
      InstanceNetworkType: network,
      ResourceGroupId: input.ResourceGroupId ?? 'rg-default',
      Tags: { ...(input.Tags ?? {}) },
      RamRoleName: network === 'classic' ? '' : (input.RamRoleName ?? ''),
      RamRolePolicy: '',
      InstanceName: input.InstanceName ?? input.InstanceId,
      ZoneId: input.ZoneId ?? zoneFor(regionId, position),
      CreationTime: input.CreationTime ?? `${now.toISOString().slice(0, 16)}Z`,
      VpcId:
        network !== 'vpc'
          ? ''
          : (input.VpcId ?? `vpc-${regionId.replace(/[^a-z0-9]/g, '')}${(position % 4) + 1}`),
      VSwitchId:
        network !== 'vpc'
          ? ''
          : (input.VSwitchId ?? `vsw-${regionId.replace(/[^a-z0-9]/g, '')}${(position % 8) + 1}`),
      PrivateIpAddress: `10.${(position >> 16) & 255}.${(position >> 8) & 255}.${position & 255}`,
      AttachCount: 0,
      DetachCount: 0,
      HttpTokens: input.HttpTokens ?? 'optional',
      HttpEndpoint: input.HttpEndpoint ?? 'enabled',
      MetadataWrites: 0,
    };
    this.instancesById.set(record.InstanceId, record);
    list.push(record);
    this.instancesByRegion.set(regionId, list);
    this.version++;
    return record;
  }

  /** Defines (or replaces) a role. */
  addRole(role: FleetRole): RoleRecord {
    const document =
      typeof role.AssumeRolePolicyDocument === 'string'
        ? role.AssumeRolePolicyDocument
        : JSON.stringify(role.AssumeRolePolicyDocument);
    const record: RoleRecord = {
      RoleName: role.RoleName,
      RoleId: numericId(`${this.accountId}/${role.RoleName}`, 19),
      Arn: `acs:ram::${this.accountId}:role/${role.RoleName}`,
      Description: role.Description ?? '',
      AssumeRolePolicyDocument: document,
      CreateDate: '2024-01-01T00:00:00Z',
    };
    this.roles.set(role.RoleName, record);
    return record;
  }

  /** Adds a launch template from the fleet file; throws when the id exists or the default version is missing. */
  addLaunchTemplate(input: FleetLaunchTemplate, now: Date): LaunchTemplateRecord {
    if (this.launchTemplates.has(input.LaunchTemplateId))
      throw new Error(`launch template ${input.LaunchTemplateId} already exists`);
    const at = `${now.toISOString().slice(0, 19)}Z`;
    const versions = [...input.Versions]
      .sort((a, b) => a.VersionNumber - b.VersionNumber)
      .map(({ VersionNumber, VersionDescription, ...data }) => ({
        VersionNumber,
        VersionDescription: VersionDescription ?? '',
        CreateTime: at,
        CreatedBy: this.accountId,
        LaunchTemplateData: { RamRoleName: '', HttpTokens: 'optional', ...data } as Record<string, unknown>,
      }));
    if (!versions.some((v) => v.VersionNumber === input.DefaultVersionNumber)) {
      throw new Error(
        `launch template ${input.LaunchTemplateId}: DefaultVersionNumber ${input.DefaultVersionNumber} is not among its Versions`,
      );
    }
    const record: LaunchTemplateRecord = {
      LaunchTemplateId: input.LaunchTemplateId,
      LaunchTemplateName: input.LaunchTemplateName,
      RegionId: input.RegionId ?? 'cn-hangzhou',
      DefaultVersionNumber: input.DefaultVersionNumber,
      CreateTime: at,
      Versions: versions,
    };
    this.launchTemplates.set(record.LaunchTemplateId, record);
    return record;
  }

  /** Adds a scaling group and its configurations from the fleet file. */
  addScalingGroup(input: FleetScalingGroup): ScalingGroupRecord {
    if (this.scalingGroups.has(input.ScalingGroupId))
      throw new Error(`scaling group ${input.ScalingGroupId} already exists`);
    const regionId = input.RegionId ?? 'cn-hangzhou';
    const configurations = (input.ScalingConfigurations ?? []).map(
      ({ ScalingConfigurationId, ScalingConfigurationName, ...fields }) => ({
        ScalingConfigurationId,
        ScalingConfigurationName: ScalingConfigurationName ?? ScalingConfigurationId,
        ScalingGroupId: input.ScalingGroupId,
        RegionId: regionId,
        fields: { RamRoleName: '', ...fields } as Record<string, unknown>,
      }),
    );
    const active = input.ActiveScalingConfigurationId ?? '';
    if (active !== '' && !configurations.some((c) => c.ScalingConfigurationId === active)) {
      throw new Error(
        `scaling group ${input.ScalingGroupId}: ActiveScalingConfigurationId ${active} is not among its ScalingConfigurations`,
      );
    }
    const record: ScalingGroupRecord = {
      ScalingGroupId: input.ScalingGroupId,
      ScalingGroupName: input.ScalingGroupName,
      RegionId: regionId,
      LaunchTemplateId: input.LaunchTemplateId ?? '',
      LaunchTemplateVersion: input.LaunchTemplateVersion ?? (input.LaunchTemplateId ? 'Default' : ''),
      ActiveScalingConfigurationId: active,
      ScalingConfigurations: configurations,
      VpcId: input.VpcId ?? '',
      VSwitchIds: input.VSwitchIds ?? [],
      ResourceGroupId: input.ResourceGroupId ?? '',
      Tags: (input.Tags ?? []).map((tag) => ({ ...tag, Propagate: tag.Propagate ?? false })),
    };
    this.scalingGroups.set(record.ScalingGroupId, record);
    return record;
  }

  /** Sets an instance's status; returns false when the id is unknown. */
  setStatus(instanceId: string, status: InstanceStatus): boolean {
    const record = this.instancesById.get(instanceId);
    if (!record) return false;
    record.Status = status;
    this.version++;
    return true;
  }

  /** Sets (value) or removes (`null`) tags of an instance, as TagResources / UntagResources would. */
  setTags(instanceId: string, tags: Record<string, string | null>): boolean {
    const record = this.instancesById.get(instanceId);
    if (!record) return false;
    for (const [key, value] of Object.entries(tags)) {
      if (value === null) delete record.Tags[key];
      else record.Tags[key] = value;
    }
    this.version++;
    return true;
  }

  /** Releases an instance, as DeleteInstance would: it is listed and found no more. */
  release(instanceId: string): boolean {
    const record = this.instancesById.get(instanceId);
    if (!record) return false;
    this.instancesById.delete(instanceId);
    const list = this.instancesByRegion.get(record.RegionId) ?? [];
    list.splice(list.indexOf(record), 1);
    this.version++;
    return true;
  }

  /** The regions that hold at least one instance, sorted. */
  regions(): string[] {
    return [...this.instancesByRegion.keys()].sort();
  }
}
