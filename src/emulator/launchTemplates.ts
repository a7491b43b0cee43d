/**
 * ECS 2014-05-26 launch templates and instance metadata options: DescribeLaunchTemplates,
 * DescribeLaunchTemplateVersions, CreateLaunchTemplateVersion, ModifyLaunchTemplateDefaultVersion,
 * ModifyInstanceMetadataOptions. Request and response shapes follow `@alicloud/ecs20140526` 7.11.6 models
 * (RPC query parameters flattened as `DataDisk.1.Size`, `Tag.1.Key`, `SecurityGroupIds.1`).
 */
import { CommonErrors, EmulatorApiError } from './api-error.js';
import type { LaunchTemplateRecord, LaunchTemplateVersionRecord } from './fleet.js';
import { pageParams } from './paging.js';
import type { RpcActionHandler, ServiceContext } from './service.js';

/** "Each account can create up to 30 launch templates per region, and each template can have up to 30 versions." (SDK 7.11.6 doc comment) */
export const LAUNCH_TEMPLATE_LIMITS = { versionsPerTemplate: 30, describePageSize: 50 } as const;

/** Error code when a template already has 30 versions (the real code is undocumented: a GUESS in the quota family). */
export const VERSION_QUOTA_CODE = 'QuotaExceed.LaunchTemplateVersion';

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw CommonErrors.missingParameter(name);
  return value;
}

/** Numeric and boolean fields of LaunchTemplateData (SDK model types); every other field is a string. */
const NUMBER_FIELDS = new Set([
  'AutoRenewPeriod',
  'InternetMaxBandwidthIn',
  'InternetMaxBandwidthOut',
  'Ipv6AddressCount',
  'Period',
  'SpotDuration',
  'SpotPriceLimit',
  'HttpPutResponseHopLimit',
  'Size',
  'Iops',
  'ProvisionedIops',
]);
const BOOLEAN_FIELDS = new Set([
  'AutoRenew',
  'DeletionProtection',
  'EnableVmOsConfig',
  'PasswordInherit',
  'BurstingEnabled',
  'DeleteWithInstance',
  'DeleteOnRelease',
  'LoginAsNonRoot',
]);

function typed(name: string, value: string): unknown {
  if (NUMBER_FIELDS.has(name) && value !== '' && Number.isFinite(Number(value))) return Number(value);
  if (BOOLEAN_FIELDS.has(name) && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

type Tree = { [key: string]: Tree | string };

/** `A.1.B` style parameters into a tree (numeric segments stay keys; {@link listOf} orders them). */
function unflatten(params: Record<string, string>, skip: ReadonlySet<string>): Tree {
  const root: Tree = {};
  for (const [key, value] of Object.entries(params)) {
    if (skip.has(key)) continue;
    const parts = key.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      const next = node[part];
      if (typeof next === 'object') node = next;
      else {
        const created: Tree = {};
        node[part] = created;
        node = created;
      }
    }
    node[parts[parts.length - 1]!] = value;
  }
  return root;
}

function listOf(node: Tree | string | undefined): (Tree | string)[] {
  if (node === undefined || typeof node === 'string') return [];
  return Object.keys(node)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => node[key]!);
}

function typedObject(node: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string') out[key] = typed(key, value);
  }
  return out;
}

/** Request names that the response nests differently (request `DataDisk.N` -> `DataDisks.DataDisk[]`, ...). */
function toLaunchTemplateData(tree: Tree): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    switch (key) {
      case 'DataDisk':
        data['DataDisks'] = {
          DataDisk: listOf(value).flatMap((d) => (typeof d === 'string' ? [] : [typedObject(d)])),
        };
        break;
      case 'Tag':
        data['Tags'] = {
          InstanceTag: listOf(value).flatMap((t) => (typeof t === 'string' ? [] : [typedObject(t)])),
        };
        break;
      case 'SecurityGroupIds':
        data['SecurityGroupIds'] = { SecurityGroupId: listOf(value).filter((v) => typeof v === 'string') };
        break;
      case 'NetworkInterface':
        data['NetworkInterfaces'] = {
          NetworkInterface: listOf(value).flatMap((n) => {
            if (typeof n === 'string') return [];
            const nic = typedObject(n);
            const groups = n['SecurityGroupIds'];
            if (groups !== undefined) {
              nic['SecurityGroupIds'] = {
                SecurityGroupId: listOf(groups).filter((v) => typeof v === 'string'),
              };
            }
            return [nic];
          }),
        };
        break;
      case 'SystemDisk':
      case 'ImageOptions':
      case 'SecurityOptions':
        if (typeof value !== 'string') data[key] = typedObject(value);
        break;
      default:
        if (typeof value === 'string') data[key] = typed(key, value);
    }
  }
  return data;
}

function findTemplate(context: ServiceContext, params: Record<string, string>): LaunchTemplateRecord {
  const regionId = required(params, 'RegionId');
  const id = params['LaunchTemplateId'] || undefined;
  const name = params['LaunchTemplateName'] || undefined;
  if (!id && !name) throw CommonErrors.missingParameter('LaunchTemplateId');
  for (const template of context.state.launchTemplates.values()) {
    if (template.RegionId !== regionId) continue;
    if (id ? template.LaunchTemplateId === id : template.LaunchTemplateName === name) return template;
  }
  throw new EmulatorApiError(
    403,
    'InvalidLaunchTemplate.NotFound',
    `The specified launch template ${id ?? name} does not exist.`,
  );
}

/** `Name.1`, `Name.2`, ... values in order. */
function repeated(params: Record<string, string>, name: string): string[] {
  return Object.keys(params)
    .map((key) => new RegExp(`^${name}\\.(\\d+)$`).exec(key))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((match) => params[match[0]]!)
    .filter((value) => value !== '');
}

const describeLaunchTemplates: RpcActionHandler = (params, context) => {
  const regionId = required(params, 'RegionId');
  const { number, size } = pageParams(params, LAUNCH_TEMPLATE_LIMITS.describePageSize);
  const ids = new Set(repeated(params, 'LaunchTemplateId'));
  const names = new Set(repeated(params, 'LaunchTemplateName'));
  const matching = [...context.state.launchTemplates.values()].filter(
    (t) =>
      t.RegionId === regionId &&
      (ids.size === 0 || ids.has(t.LaunchTemplateId)) &&
      (names.size === 0 || names.has(t.LaunchTemplateName)),
  );
  const page = matching.slice((number - 1) * size, number * size);
  return {
    body: {
      TotalCount: matching.length,
      PageNumber: number,
      PageSize: size,
      LaunchTemplateSets: {
        LaunchTemplateSet: page.map((t) => ({
          LaunchTemplateId: t.LaunchTemplateId,
          LaunchTemplateName: t.LaunchTemplateName,
          DefaultVersionNumber: t.DefaultVersionNumber,
          LatestVersionNumber: t.Versions[t.Versions.length - 1]!.VersionNumber,
          CreateTime: t.CreateTime,
          ModifiedTime: t.CreateTime,
          CreatedBy: context.state.accountId,
          ResourceGroupId: '',
          Tags: { Tag: [] },
        })),
      },
    },
  };
};

function describeVersion(
  template: LaunchTemplateRecord,
  version: LaunchTemplateVersionRecord,
  detail: boolean,
) {
  return {
    LaunchTemplateId: template.LaunchTemplateId,
    LaunchTemplateName: template.LaunchTemplateName,
    VersionNumber: version.VersionNumber,
    VersionDescription: version.VersionDescription,
    DefaultVersion: version.VersionNumber === template.DefaultVersionNumber,
    CreateTime: version.CreateTime,
    ModifiedTime: version.CreateTime,
    CreatedBy: version.CreatedBy,
    ...(detail ? { LaunchTemplateData: structuredClone(version.LaunchTemplateData) } : {}),
  };
}

const describeLaunchTemplateVersions: RpcActionHandler = (params, context) => {
  const template = findTemplate(context, params);
  const { number, size } = pageParams(params, LAUNCH_TEMPLATE_LIMITS.describePageSize);
  const wanted = new Set(repeated(params, 'LaunchTemplateVersion').map(Number));
  const min = params['MinVersion'] ? Number(params['MinVersion']) : undefined;
  const max = params['MaxVersion'] ? Number(params['MaxVersion']) : undefined;
  const defaultOnly = params['DefaultVersion'] === 'true';
  const detail = params['DetailFlag'] !== 'false';
  const matching = template.Versions.filter(
    (v) =>
      (wanted.size === 0 || wanted.has(v.VersionNumber)) &&
      (min === undefined || v.VersionNumber >= min) &&
      (max === undefined || v.VersionNumber <= max) &&
      (!defaultOnly || v.VersionNumber === template.DefaultVersionNumber),
  );
  const page = matching.slice((number - 1) * size, number * size);
  return {
    body: {
      TotalCount: matching.length,
      PageNumber: number,
      PageSize: size,
      LaunchTemplateVersionSets: {
        LaunchTemplateVersionSet: page.map((v) => describeVersion(template, v, detail)),
      },
    },
  };
};

const CREATE_CONTROL_PARAMS = new Set([
  'RegionId',
  'LaunchTemplateId',
  'LaunchTemplateName',
  'VersionDescription',
  'OwnerId',
  'OwnerAccount',
  'ResourceOwnerAccount',
  'ResourceOwnerId',
]);

const createLaunchTemplateVersion: RpcActionHandler = (params, context) => {
  const template = findTemplate(context, params);
  if (template.Versions.length >= LAUNCH_TEMPLATE_LIMITS.versionsPerTemplate) {
    throw new EmulatorApiError(
      403,
      VERSION_QUOTA_CODE,
      `The launch template ${template.LaunchTemplateId} already has ${LAUNCH_TEMPLATE_LIMITS.versionsPerTemplate} versions; delete one first.`,
    );
  }
  const roleName = params['RamRoleName'];
  if (roleName !== undefined && roleName !== '' && !context.state.roles.has(roleName)) {
    throw new EmulatorApiError(
      404,
      'InvalidRamRole.NotFound',
      `The specified RAMRoleName "${roleName}" does not exist.`,
    );
  }
  const data = toLaunchTemplateData(unflatten(params, CREATE_CONTROL_PARAMS));
  const number = template.Versions[template.Versions.length - 1]!.VersionNumber + 1;
  template.Versions.push({
    VersionNumber: number,
    VersionDescription: params['VersionDescription'] ?? '',
    CreateTime: `${new Date(context.now()).toISOString().slice(0, 19)}Z`,
    CreatedBy: context.state.accountId,
    LaunchTemplateData: { RamRoleName: '', HttpTokens: 'optional', ...data },
  });
  return { body: { LaunchTemplateId: template.LaunchTemplateId, LaunchTemplateVersionNumber: number } };
};

const modifyLaunchTemplateDefaultVersion: RpcActionHandler = (params, context) => {
  const template = findTemplate(context, params);
  const raw = required(params, 'DefaultVersionNumber');
  const number = Number(raw);
  if (!template.Versions.some((v) => v.VersionNumber === number)) {
    throw new EmulatorApiError(
      403,
      'InvalidLaunchTemplateVersion.NotFound',
      `The specified version ${raw} of launch template ${template.LaunchTemplateId} does not exist.`,
    );
  }
  template.DefaultVersionNumber = number;
  return { body: { LaunchTemplateId: template.LaunchTemplateId } };
};

const modifyInstanceMetadataOptions: RpcActionHandler = (params, context) => {
  const regionId = required(params, 'RegionId');
  const instanceId = required(params, 'InstanceId');
  const endpoint = params['HttpEndpoint'] || undefined;
  if (endpoint === undefined && context.behaviour.metadataEndpointParam === 'required') {
    throw CommonErrors.missingParameter('HttpEndpoint');
  }
  if (endpoint !== undefined && endpoint !== 'enabled' && endpoint !== 'disabled') {
    throw CommonErrors.invalidParameter('HttpEndpoint', 'must be enabled or disabled', endpoint);
  }
  const tokens = params['HttpTokens'] || undefined;
  if (tokens !== undefined && tokens !== 'optional' && tokens !== 'required') {
    throw CommonErrors.invalidParameter('HttpTokens', 'must be optional or required', tokens);
  }
  const instance = context.state.instancesById.get(instanceId);
  if (!instance || instance.RegionId !== regionId) {
    throw new EmulatorApiError(
      404,
      'InvalidInstanceId.NotFound',
      `The specified instanceId "${instanceId}" does not exist.`,
    );
  }
  const forced = context.faults.instanceFault(instanceId, false);
  if (forced) throw new EmulatorApiError(403, forced.Code, forced.Message);
  if (endpoint !== undefined) instance.HttpEndpoint = endpoint;
  if (tokens !== undefined) instance.HttpTokens = tokens;
  instance.MetadataWrites += 1;
  context.state.version++;
  return { body: {} };
};

/** The launch-template and metadata actions, merged into the ECS service's action table. */
export const launchTemplateActions: Record<string, RpcActionHandler> = {
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  ModifyLaunchTemplateDefaultVersion: modifyLaunchTemplateDefaultVersion,
  ModifyInstanceMetadataOptions: modifyInstanceMetadataOptions,
};
