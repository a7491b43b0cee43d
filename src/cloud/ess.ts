/**
 * {@link ScalingApi} over Auto Scaling (ESS) 2022-02-22 through `@alicloud/openapi-core`'s generic
 * `callApi` (the official SDK path for any API; the generated ess20220222 package is not on the registry
 * this project installs from). Request and response shapes follow the generated ess20220222 models:
 * RPC, POST, form body, list parameters as `ScalingGroupIds.1`, flat response arrays.
 */
import type OpenApi from '@alicloud/openapi-core';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import {
  chunk as chunks,
  type ScalingApi,
  type ScalingConfigurationInfo,
  type ScalingGroupInfo,
} from '../engine/index.js';
import type { CallApi } from './caller.js';

export const ESS_VERSION = '2022-02-22';
/** ESS endpoint for every public region (ess20220222 endpoint map). */
export const ESS_ENDPOINT = 'ess.aliyuncs.com';
/** DescribeScalingGroups / DescribeScalingConfigurations PageSize maximum. */
const PAGE_SIZE = 50;
/** ScalingGroupIds / ScalingConfigurationIds per call (API reference: up to 20 / 10). */
const IDS_PER_CALL = 10;

type Body = Record<string, unknown>;

/**
 * A response's tag list as a map: scaling groups report `[{TagKey, TagValue, Propagate}]`, scaling
 * configurations `[{Key, Value}]` (ess20220222 DescribeScalingGroups / DescribeScalingConfigurations models).
 */
function tagMap(
  list: unknown,
  keyField: string,
  valueField: string,
  keep: (tag: Body) => boolean = () => true,
): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of Array.isArray(list) ? (list as Body[]) : []) {
    const key = tag?.[keyField];
    if (typeof key === 'string' && key !== '' && keep(tag)) tags[key] = String(tag[valueField] ?? '');
  }
  return tags;
}

export class GenericScalingApi implements ScalingApi {
  public constructor(
    private readonly client: OpenApi,
    private readonly call: CallApi,
  ) {}

  private async rpc(action: string, query: Record<string, unknown>): Promise<Body> {
    const params = new $OpenApiUtil.Params({
      action,
      version: ESS_VERSION,
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const request = new $OpenApiUtil.OpenApiRequest({ query: $OpenApiUtil.default.query(query) });
    const response = await this.call(action, () =>
      this.client.callApi(params, request, new $dara.RuntimeOptions({})),
    );
    return (response['body'] ?? {}) as Body;
  }

  private async pages(action: string, query: Record<string, unknown>, listKey: string): Promise<Body[]> {
    const items: Body[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      const body = await this.rpc(action, { ...query, PageNumber: pageNumber, PageSize: PAGE_SIZE });
      const list = Array.isArray(body[listKey]) ? (body[listKey] as Body[]) : [];
      items.push(...list);
      const total = Number(body['TotalCount'] ?? 0);
      if (list.length < PAGE_SIZE || pageNumber * PAGE_SIZE >= total) return items;
    }
  }

  public async describeScalingGroups(regionId: string, ids?: string[]): Promise<ScalingGroupInfo[]> {
    const batches = ids === undefined ? [undefined] : chunks(ids, IDS_PER_CALL);
    const groups: ScalingGroupInfo[] = [];
    for (const batch of batches) {
      const query = { RegionId: regionId, ...(batch ? { ScalingGroupIds: batch } : {}) };
      for (const g of await this.pages('DescribeScalingGroups', query, 'ScalingGroups')) {
        if (typeof g['ScalingGroupId'] !== 'string') continue;
        groups.push({
          scalingGroupId: g['ScalingGroupId'],
          scalingGroupName: String(g['ScalingGroupName'] ?? ''),
          activeScalingConfigurationId: String(g['ActiveScalingConfigurationId'] ?? ''),
          launchTemplateId: String(g['LaunchTemplateId'] ?? ''),
          launchTemplateVersion: String(g['LaunchTemplateVersion'] ?? ''),
          vpcId: String(g['VpcId'] ?? ''),
          vSwitchIds: [
            ...new Set(
              [...(Array.isArray(g['VSwitchIds']) ? g['VSwitchIds'] : []), g['VSwitchId']].filter(
                (id): id is string => typeof id === 'string' && id !== '',
              ),
            ),
          ],
          propagatedTags: tagMap(g['Tags'], 'TagKey', 'TagValue', (tag) => tag['Propagate'] === true),
        });
      }
    }
    return groups;
  }

  public async describeScalingConfigurations(
    regionId: string,
    ids: string[],
  ): Promise<ScalingConfigurationInfo[]> {
    const found: ScalingConfigurationInfo[] = [];
    for (const batch of chunks(ids, IDS_PER_CALL)) {
      const query = { RegionId: regionId, ScalingConfigurationIds: batch };
      for (const c of await this.pages('DescribeScalingConfigurations', query, 'ScalingConfigurations')) {
        if (typeof c['ScalingConfigurationId'] !== 'string') continue;
        found.push({
          scalingConfigurationId: c['ScalingConfigurationId'],
          scalingGroupId: String(c['ScalingGroupId'] ?? ''),
          ramRoleName: String(c['RamRoleName'] ?? ''),
          lifecycleState: String(c['LifecycleState'] ?? ''),
          tags: tagMap(c['Tags'], 'Key', 'Value'),
          resourceGroupId: String(c['ResourceGroupId'] ?? ''),
        });
      }
    }
    return found;
  }

  public async modifyScalingConfigurationRole(
    regionId: string,
    scalingConfigurationId: string,
    ramRoleName: string,
  ): Promise<void> {
    await this.rpc('ModifyScalingConfiguration', {
      RegionId: regionId,
      ScalingConfigurationId: scalingConfigurationId,
      RamRoleName: ramRoleName,
    });
  }
}
