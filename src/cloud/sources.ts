/**
 * {@link LaunchTemplateApi} and {@link MetadataApi} over `@alicloud/ecs20140526` (7.11.6), with the shared
 * limiter/retry path. A new launch template version is copied field by field: every field of the
 * DescribeLaunchTemplateVersions `LaunchTemplateData` is mapped through the SDK models' own name tables
 * onto CreateLaunchTemplateVersionRequest; a field the request cannot carry stops the copy before any call.
 */
import type Ecs from '@alicloud/ecs20140526';
import * as $Ecs from '@alicloud/ecs20140526';
import {
  chunk,
  type HttpTokens,
  type InstanceMetadataInfo,
  type LaunchTemplateApi,
  type LaunchTemplateData,
  type LaunchTemplateInfo,
  type LaunchTemplateVersionInfo,
  type MetadataApi,
  RoleAttachError,
} from '../engine/index.js';
import type { CallApi } from './caller.js';
import { ECS_LIMITS } from './ecs.js';

/** DescribeLaunchTemplates / DescribeLaunchTemplateVersions PageSize maximum (SDK doc comments: 1 to 50). */
const TEMPLATE_PAGE_SIZE = 50;

/** A default version holds a field CreateLaunchTemplateVersion cannot carry: copying would lose it. */
export class UncopyableFieldError extends RoleAttachError {
  public readonly code = 'UncopyableField';
  public constructor(
    public readonly launchTemplateId: string,
    public readonly field: string,
  ) {
    super(
      `launch template ${launchTemplateId}: field ${field} of the default version cannot be copied into a new version (CreateLaunchTemplateVersion has no such parameter); the template was left unchanged`,
    );
  }
}

type ModelClass = {
  new (map?: Record<string, unknown>): object;
  names(): Record<string, string>;
  types(): Record<string, unknown>;
};

function isModelClass(value: unknown): value is ModelClass {
  return typeof value === 'function' && typeof (value as { names?: unknown }).names === 'function';
}

/**
 * The response nests some lists one level deeper than the request takes them:
 * `DataDisks.DataDisk[]` -> `DataDisk[]`, `Tags.InstanceTag[]` -> `Tag[]`,
 * `NetworkInterfaces.NetworkInterface[]` -> `NetworkInterface[]`, `SecurityGroupIds.SecurityGroupId[]` -> `SecurityGroupIds[]`.
 */
function toRequestShape(data: LaunchTemplateData): Record<string, unknown> {
  const unwrap = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)[key]
      : value;
  const shaped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || value === null) continue;
    switch (key) {
      case 'DataDisks':
        shaped['DataDisk'] = unwrap(value, 'DataDisk');
        break;
      case 'Tags':
        shaped['Tag'] = unwrap(value, 'InstanceTag');
        break;
      case 'SecurityGroupIds':
        shaped['SecurityGroupIds'] = unwrap(value, 'SecurityGroupId');
        break;
      case 'NetworkInterfaces': {
        const nics = unwrap(value, 'NetworkInterface');
        shaped['NetworkInterface'] = Array.isArray(nics)
          ? nics.map((nic: Record<string, unknown>) =>
              nic?.['SecurityGroupIds'] === undefined
                ? nic
                : { ...nic, SecurityGroupIds: unwrap(nic['SecurityGroupIds'], 'SecurityGroupId') },
            )
          : nics;
        break;
      }
      default:
        shaped[key] = value;
    }
  }
  return shaped;
}

/** Empty values (the service reports unset fields as "" or empty lists) carry nothing to copy. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value as object).every(isEmpty);
  return false;
}

/** Maps API-named `source` onto `model`'s camelCase fields; `path` names the field in errors. */
function toModelFields(
  model: ModelClass,
  source: Record<string, unknown>,
  templateId: string,
  path: string,
): Record<string, unknown> {
  const names = model.names();
  const types = model.types();
  const byApiName = new Map(Object.entries(names).map(([camel, api]) => [api, camel]));
  const fields: Record<string, unknown> = {};
  for (const [apiName, value] of Object.entries(source)) {
    if (isEmpty(value)) continue;
    const camel = byApiName.get(apiName);
    if (camel === undefined) throw new UncopyableFieldError(templateId, `${path}${apiName}`);
    const type = types[camel];
    if (isModelClass(type)) {
      fields[camel] = new type(
        toModelFields(type, value as Record<string, unknown>, templateId, `${path}${apiName}.`),
      );
    } else if (type !== null && typeof type === 'object' && (type as { type?: unknown }).type === 'array') {
      const item = (type as { itemType?: unknown }).itemType;
      if (!Array.isArray(value)) throw new UncopyableFieldError(templateId, `${path}${apiName}`);
      fields[camel] = isModelClass(item)
        ? value.map(
            (entry: Record<string, unknown>, i) =>
              new item(toModelFields(item, entry, templateId, `${path}${apiName}.${i + 1}.`)),
          )
        : [...value];
    } else fields[camel] = value;
  }
  return fields;
}

/** The camelCase-keyed, then API-named copy of a response model (the SDK's toMap keeps API names). */
function toData(
  model:
    | $Ecs.DescribeLaunchTemplateVersionsResponseBodyLaunchTemplateVersionSetsLaunchTemplateVersionSetLaunchTemplateData
    | undefined,
): LaunchTemplateData {
  if (model === undefined) return {};
  return model.toMap() as LaunchTemplateData;
}

export class SdkLaunchTemplateApi implements LaunchTemplateApi {
  public constructor(
    private readonly client: Ecs,
    private readonly call: CallApi,
  ) {}

  public async describeLaunchTemplates(regionId: string, ids?: string[]): Promise<LaunchTemplateInfo[]> {
    const found: LaunchTemplateInfo[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      const request = new $Ecs.DescribeLaunchTemplatesRequest({
        regionId,
        pageNumber,
        pageSize: TEMPLATE_PAGE_SIZE,
        ...(ids === undefined ? {} : { launchTemplateId: ids }),
      });
      const response = await this.call('DescribeLaunchTemplates', () =>
        this.client.describeLaunchTemplates(request),
      );
      const sets = response.body?.launchTemplateSets?.launchTemplateSet ?? [];
      for (const set of sets) {
        if (typeof set.launchTemplateId !== 'string') continue;
        found.push({
          launchTemplateId: set.launchTemplateId,
          launchTemplateName: set.launchTemplateName ?? '',
          defaultVersionNumber: Number(set.defaultVersionNumber ?? 0),
          latestVersionNumber: Number(set.latestVersionNumber ?? 0),
        });
      }
      const total = Number(response.body?.totalCount ?? 0);
      if (sets.length < TEMPLATE_PAGE_SIZE || pageNumber * TEMPLATE_PAGE_SIZE >= total) return found;
    }
  }

  public async describeLaunchTemplateVersions(
    regionId: string,
    launchTemplateId: string,
    versions?: number[],
  ): Promise<LaunchTemplateVersionInfo[]> {
    const found: LaunchTemplateVersionInfo[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      const request = new $Ecs.DescribeLaunchTemplateVersionsRequest({
        regionId,
        launchTemplateId,
        detailFlag: true,
        pageNumber,
        pageSize: TEMPLATE_PAGE_SIZE,
        ...(versions === undefined ? {} : { launchTemplateVersion: versions }),
      });
      const response = await this.call('DescribeLaunchTemplateVersions', () =>
        this.client.describeLaunchTemplateVersions(request),
      );
      const sets = response.body?.launchTemplateVersionSets?.launchTemplateVersionSet ?? [];
      for (const set of sets) {
        found.push({
          launchTemplateId: set.launchTemplateId ?? launchTemplateId,
          versionNumber: Number(set.versionNumber ?? 0),
          defaultVersion: set.defaultVersion === true,
          versionDescription: set.versionDescription ?? '',
          data: toData(set.launchTemplateData),
        });
      }
      const total = Number(response.body?.totalCount ?? 0);
      if (sets.length < TEMPLATE_PAGE_SIZE || pageNumber * TEMPLATE_PAGE_SIZE >= total) return found;
    }
  }

  public async createLaunchTemplateVersion(
    regionId: string,
    launchTemplateId: string,
    data: LaunchTemplateData,
    versionDescription: string,
  ): Promise<number> {
    const fields = toModelFields(
      $Ecs.CreateLaunchTemplateVersionRequest as unknown as ModelClass,
      toRequestShape(data),
      launchTemplateId,
      '',
    );
    const request = new $Ecs.CreateLaunchTemplateVersionRequest({
      ...fields,
      regionId,
      launchTemplateId,
      versionDescription,
    });
    const response = await this.call('CreateLaunchTemplateVersion', () =>
      this.client.createLaunchTemplateVersion(request),
    );
    return Number(response.body?.launchTemplateVersionNumber ?? 0);
  }

  public async modifyLaunchTemplateDefaultVersion(
    regionId: string,
    launchTemplateId: string,
    version: number,
  ): Promise<void> {
    const request = new $Ecs.ModifyLaunchTemplateDefaultVersionRequest({
      regionId,
      launchTemplateId,
      defaultVersionNumber: version,
    });
    await this.call('ModifyLaunchTemplateDefaultVersion', () =>
      this.client.modifyLaunchTemplateDefaultVersion(request),
    );
  }
}

export class SdkMetadataApi implements MetadataApi {
  public constructor(
    private readonly client: Ecs,
    private readonly call: CallApi,
  ) {}

  public async describeMetadataOptions(
    regionId: string,
    instanceIds: string[],
  ): Promise<Map<string, InstanceMetadataInfo>> {
    const found = new Map<string, InstanceMetadataInfo>();
    for (const ids of chunk([...new Set(instanceIds)], ECS_LIMITS.describeInstancesPage)) {
      const request = new $Ecs.DescribeInstancesRequest({
        regionId,
        instanceIds: JSON.stringify(ids),
        maxResults: ECS_LIMITS.describeInstancesPage,
      });
      const response = await this.call('DescribeInstances', () => this.client.describeInstances(request));
      for (const instance of response.body?.instances?.instance ?? []) {
        if (typeof instance.instanceId !== 'string') continue;
        const options = instance.metadataOptions;
        found.set(instance.instanceId, {
          instanceId: instance.instanceId,
          // Absent options are the documented defaults (optional, enabled).
          httpTokens: options?.httpTokens === 'required' ? 'required' : 'optional',
          httpEndpoint: options?.httpEndpoint === 'disabled' ? 'disabled' : 'enabled',
        });
      }
    }
    return found;
  }

  public async modifyInstanceMetadataOptions(
    regionId: string,
    instanceId: string,
    httpTokens: HttpTokens,
  ): Promise<void> {
    // HttpEndpoint is sent as `enabled` always: the SDK model marks it required, and the engine never
    // writes to an instance whose channel is disabled.
    const request = new $Ecs.ModifyInstanceMetadataOptionsRequest({
      regionId,
      instanceId,
      httpTokens,
      httpEndpoint: 'enabled',
    });
    await this.call('ModifyInstanceMetadataOptions', () =>
      this.client.modifyInstanceMetadataOptions(request),
    );
  }
}
