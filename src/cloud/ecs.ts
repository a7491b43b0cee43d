/**
 * {@link EcsApi} over `@alicloud/ecs20140526`: the four ECS calls we make, with paging, chunking and the
 * shared limiter/retry path. Batch parameters `InstanceIds` are JSON array strings (SDK models type them as
 * `string`), per the API reference.
 */
import type Ecs from '@alicloud/ecs20140526';
import * as $Ecs from '@alicloud/ecs20140526';
import {
  CloudApiError,
  chunk,
  type EcsApi,
  type InstanceCallResult,
  type InstanceInfo,
  type InstanceQuery,
} from '../engine/index.js';
import type { CallApi } from './caller.js';

/** API limits, from the ECS API reference and SDK 7.11.6 doc comments. */
export const ECS_LIMITS = Object.freeze({
  /** DescribeInstances MaxResults and InstanceIds length. */
  describeInstancesPage: 100,
  /** DescribeInstanceRamRole InstanceIds length and PageSize (SDK comment: up to 50; older docs said 100). */
  describeRamRoleIds: 50,
  /** Attach/DetachInstanceRamRole InstanceIds length. */
  writeIds: 100,
  /** Tag.N filters per DescribeInstances call. */
  tags: 20,
});

export class SdkEcsApi implements EcsApi {
  public constructor(
    private readonly client: Ecs,
    private readonly call: CallApi,
  ) {}

  public async describeInstances(query: InstanceQuery): Promise<InstanceInfo[]> {
    const found: InstanceInfo[] = [];
    await this.scanInstances(query, (page) => {
      found.push(...page);
    });
    return found;
  }

  public async scanInstances(query: InstanceQuery, onPage: (page: InstanceInfo[]) => void): Promise<void> {
    if (query.tags !== undefined && query.tags.length > ECS_LIMITS.tags) {
      throw new RangeError(
        `DescribeInstances accepts at most ${ECS_LIMITS.tags} tag filters, got ${query.tags.length}`,
      );
    }
    if (query.instanceIds === undefined) return this.scanPages(query, undefined, onPage);
    for (const ids of chunk(query.instanceIds, ECS_LIMITS.describeInstancesPage)) {
      await this.scanPages(query, ids, onPage);
    }
  }

  public async describeInstanceRamRoles(
    regionId: string,
    instanceIds: string[],
  ): Promise<Map<string, string | undefined>> {
    const roles = new Map<string, string | undefined>();
    for (const ids of chunk([...new Set(instanceIds)], ECS_LIMITS.describeRamRoleIds)) {
      await this.describeRamRoleChunk(regionId, ids, roles);
    }
    return roles;
  }

  public async attachInstanceRamRole(
    regionId: string,
    ramRoleName: string,
    instanceIds: string[],
    policy?: string,
  ): Promise<InstanceCallResult[]> {
    checkWriteIds('AttachInstanceRamRole', instanceIds);
    const request = new $Ecs.AttachInstanceRamRoleRequest({
      regionId,
      ramRoleName,
      instanceIds: JSON.stringify(instanceIds),
      ...(policy === undefined ? {} : { policy }),
    });
    const response = await this.call(
      'AttachInstanceRamRole',
      () => this.client.attachInstanceRamRole(request),
      regionId,
    );
    const results = response.body?.attachInstanceRamRoleResults?.attachInstanceRamRoleResult ?? [];
    return toCallResults(results, instanceIds);
  }

  public async detachInstanceRamRole(
    regionId: string,
    instanceIds: string[],
    ramRoleName?: string,
  ): Promise<InstanceCallResult[]> {
    checkWriteIds('DetachInstanceRamRole', instanceIds);
    const request = new $Ecs.DetachInstanceRamRoleRequest({
      regionId,
      instanceIds: JSON.stringify(instanceIds),
      ...(ramRoleName === undefined ? {} : { ramRoleName }),
    });
    const response = await this.call(
      'DetachInstanceRamRole',
      () => this.client.detachInstanceRamRole(request),
      regionId,
    );
    const results = response.body?.detachInstanceRamRoleResults?.detachInstanceRamRoleResult ?? [];
    return toCallResults(results, instanceIds);
  }

  /** Follows NextToken to the end; an absent or empty NextToken is the last page (both seen documented). */
  private async scanPages(
    query: InstanceQuery,
    ids: string[] | undefined,
    onPage: (page: InstanceInfo[]) => void,
  ): Promise<void> {
    const seenTokens = new Set<string>();
    let nextToken: string | undefined;
    do {
      const request = new $Ecs.DescribeInstancesRequest({
        regionId: query.regionId,
        maxResults: ECS_LIMITS.describeInstancesPage,
        ...(ids === undefined ? {} : { instanceIds: JSON.stringify(ids) }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.resourceGroupId === undefined ? {} : { resourceGroupId: query.resourceGroupId }),
        ...(query.networkType === undefined ? {} : { instanceNetworkType: query.networkType }),
        ...(query.tags === undefined || query.tags.length === 0
          ? {}
          : {
              tag: query.tags.map(
                (tag) =>
                  new $Ecs.DescribeInstancesRequestTag({
                    key: tag.key,
                    ...(tag.value === undefined ? {} : { value: tag.value }),
                  }),
              ),
            }),
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      const response = await this.call(
        'DescribeInstances',
        () => this.client.describeInstances(request),
        query.regionId,
      );
      const page: InstanceInfo[] = [];
      for (const instance of response.body?.instances?.instance ?? []) {
        const info = toInstanceInfo(instance, query.regionId);
        if (info !== undefined) page.push(info);
      }
      if (page.length > 0) onPage(page);
      const token = response.body?.nextToken;
      nextToken = typeof token === 'string' && token !== '' ? token : undefined;
      if (nextToken !== undefined) {
        // A token seen twice would loop forever; the service never does this, a broken proxy might.
        if (seenTokens.has(nextToken)) {
          throw new CloudApiError({
            action: 'DescribeInstances',
            code: 'RepeatedNextToken',
            message: `NextToken ${nextToken} was returned twice; paging stopped to avoid a loop`,
            retryable: false,
          });
        }
        seenTokens.add(nextToken);
      }
    } while (nextToken !== undefined);
  }

  /**
   * One chunk of <= 50 ids, paged with PageNumber/PageSize 50 (the API has no NextToken). Two behaviours are
   * unconfirmed and handled both ways: role-less instances may be listed with an empty RamRoleName or omitted,
   * and unknown ids may be omitted or fail the whole call with `InvalidInstanceId.NotFound` (documented);
   * a classic-network id fails it with 403 `InvalidNetworkType.MismatchRamRole` (documented). A failing chunk
   * is bisected so that only the unknown ids drop out (classic ones are kept, bearing no role). When ids are missing from a successful answer and the
   * answer listed no role-less instance (so "missing" could mean "no role" or "unknown"), one
   * DescribeInstances call over the missing ids tells them apart. Unknown ids end up absent from the map.
   */
  private async describeRamRoleChunk(
    regionId: string,
    ids: string[],
    roles: Map<string, string | undefined>,
  ): Promise<void> {
    let listed: Map<string, string | undefined>;
    try {
      listed = await this.describeRamRolePages(regionId, ids);
    } catch (error) {
      if (!(error instanceof CloudApiError) || !isolatesOneId(error.code)) throw error;
      if (ids.length === 1) {
        // A classic-network instance exists and can bear no role; an unknown one stays absent.
        if (error.code === CLASSIC_REFUSAL) roles.set(ids[0]!, undefined);
        return;
      }
      const middle = Math.ceil(ids.length / 2);
      await this.describeRamRoleChunk(regionId, ids.slice(0, middle), roles);
      await this.describeRamRoleChunk(regionId, ids.slice(middle), roles);
      return;
    }
    const missing = ids.filter((id) => !listed.has(id));
    const listsRoleLess = [...listed.values()].some((role) => role === undefined);
    const existing = new Set<string>();
    if (missing.length > 0 && !listsRoleLess) {
      await this.scanPages({ regionId }, missing, (page) => {
        for (const instance of page) existing.add(instance.instanceId);
      });
    }
    for (const id of ids) {
      if (listed.has(id)) roles.set(id, listed.get(id));
      else if (existing.has(id)) roles.set(id, undefined);
    }
  }

  private async describeRamRolePages(
    regionId: string,
    ids: string[],
  ): Promise<Map<string, string | undefined>> {
    const listed = new Map<string, string | undefined>();
    const pageSize = ECS_LIMITS.describeRamRoleIds;
    // An instance appears once (or, defensively, twice across pages): more pages than that means the
    // service keeps answering full pages without a TotalCount, which would loop forever.
    const maxPages = Math.ceil(ids.length / pageSize) + 1;
    for (let pageNumber = 1; ; pageNumber++) {
      if (pageNumber > maxPages) {
        throw new CloudApiError({
          action: 'DescribeInstanceRamRole',
          code: 'UnboundedPaging',
          message: `${maxPages} full pages for ${ids.length} instance ids and no TotalCount ending them; paging stopped to avoid a loop`,
          retryable: false,
        });
      }
      const request = new $Ecs.DescribeInstanceRamRoleRequest({
        regionId,
        instanceIds: JSON.stringify(ids),
        pageNumber,
        pageSize,
      });
      const response = await this.call(
        'DescribeInstanceRamRole',
        () => this.client.describeInstanceRamRole(request),
        regionId,
      );
      const sets = response.body?.instanceRamRoleSets?.instanceRamRoleSet ?? [];
      for (const set of sets) {
        if (typeof set.instanceId !== 'string') continue;
        const role =
          typeof set.ramRoleName === 'string' && set.ramRoleName !== '' ? set.ramRoleName : undefined;
        // Keep a role found on an earlier page; an instance bears one role at most.
        if (role !== undefined || !listed.has(set.instanceId)) listed.set(set.instanceId, role);
      }
      const total = response.body?.totalCount;
      const seen = pageNumber * pageSize;
      if (sets.length < pageSize || (typeof total === 'number' && seen >= total)) return listed;
    }
  }
}

const CLASSIC_REFUSAL = 'InvalidNetworkType.MismatchRamRole';

/** Whole-call refusals of DescribeInstanceRamRole caused by one id (documented: unknown or classic ids). */
function isolatesOneId(code: string): boolean {
  return code === 'InvalidInstanceId.NotFound' || code === CLASSIC_REFUSAL;
}

function checkWriteIds(action: string, instanceIds: string[]): void {
  if (instanceIds.length < 1 || instanceIds.length > ECS_LIMITS.writeIds) {
    throw new RangeError(
      `${action} takes 1 to ${ECS_LIMITS.writeIds} instance ids, got ${instanceIds.length}`,
    );
  }
}

interface SdkCallResult {
  instanceId?: string;
  code?: string | number;
  message?: string;
  success?: boolean;
}

/**
 * Per-instance results in request order. Success is `String(code) === '200'` (the docs type Code as string;
 * JSON may carry a number). An id the response does not mention is reported as failed with code
 * `MissingResult`, so the engine never counts an unconfirmed write as done.
 */
function toCallResults(
  results: readonly SdkCallResult[],
  instanceIds: readonly string[],
): InstanceCallResult[] {
  const byId = new Map<string, SdkCallResult>();
  for (const result of results)
    if (typeof result.instanceId === 'string') byId.set(result.instanceId, result);
  return instanceIds.map((instanceId) => {
    const result = byId.get(instanceId);
    if (result === undefined) {
      return {
        instanceId,
        success: false,
        code: 'MissingResult',
        message: 'the response had no result for it',
      };
    }
    const code = result.code === undefined ? '' : String(result.code);
    return { instanceId, success: code === '200', code, message: result.message ?? '' };
  });
}

function toInstanceInfo(
  instance: $Ecs.DescribeInstancesResponseBodyInstancesInstance,
  regionId: string,
): InstanceInfo | undefined {
  if (typeof instance.instanceId !== 'string') return undefined;
  const tags: Record<string, string> = {};
  for (const tag of instance.tags?.tag ?? []) {
    if (typeof tag.tagKey === 'string') tags[tag.tagKey] = tag.tagValue ?? '';
  }
  return {
    instanceId: instance.instanceId,
    regionId: instance.regionId ?? regionId,
    status: instance.status ?? '',
    networkType: instance.instanceNetworkType ?? '',
    tags,
    ...(instance.resourceGroupId ? { resourceGroupId: instance.resourceGroupId } : {}),
    ...(instance.vpcAttributes?.vpcId ? { vpcId: instance.vpcAttributes.vpcId } : {}),
    ...(instance.vpcAttributes?.vSwitchId ? { vSwitchId: instance.vpcAttributes.vSwitchId } : {}),
    ...(instance.creationTime ? { creationTime: instance.creationTime } : {}),
  };
}
