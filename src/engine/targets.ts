/**
 * Resolution of OOS targets into instances, and the eligibility rules (exclusions, classic network).
 */
import { exemptionExpired, parseExemption } from './exclusions.js';
import type { EcsApi, InstanceQuery } from './ports.js';
import type { Exclusions, InstanceInfo, InstanceOutcome, TargetsSpec } from './types.js';

export interface ResolvedTargets {
  /** Instances found, in the order given (ResourceIds) or as DescribeInstances returned them. */
  instances: InstanceInfo[];
  /** ResourceIds that DescribeInstances did not return (deleted or wrong region). */
  missingIds: string[];
}

/** What a {@link scanTargets} learnt besides the pages it handed over. */
export interface TargetScan {
  /** ResourceIds: the ids as given, duplicates removed, for callers that keep that order (pages come in the API's). */
  order?: string[];
  /** ResourceIds that DescribeInstances did not return (deleted or wrong region). */
  missingIds: string[];
}

/** The region the targets live in: `targets.RegionId` when given, else the execution's region. */
export function targetRegion(spec: TargetsSpec, regionId: string): string {
  return spec.RegionId ?? regionId;
}

/**
 * Finds the instances a targets spec names, with DescribeInstances (MaxResults 100, NextToken paging
 * inside the adapter), handing each page to `onPage` as it arrives and keeping none: a planner over
 * 100,000 instances keeps what it decided per instance, not every instance's tags (docs/benchmarks.md §4).
 * Duplicated ResourceIds are looked up once.
 */
export async function scanTargets(
  spec: TargetsSpec,
  regionId: string,
  ecs: EcsApi,
  onPage: (page: InstanceInfo[]) => void,
): Promise<TargetScan> {
  const region = targetRegion(spec, regionId);
  const query: InstanceQuery = { regionId: region };
  if ('Parameters' in spec && spec.Parameters) {
    if (spec.Parameters.Status) query.status = spec.Parameters.Status;
    if (spec.Parameters.InstanceNetworkType) query.networkType = spec.Parameters.InstanceNetworkType;
  }
  switch (spec.Type) {
    case 'ResourceIds': {
      const order = [...new Set(spec.ResourceIds)];
      const found = new Set<string>();
      await ecs.scanInstances({ ...query, instanceIds: order }, (page) => {
        for (const instance of page) found.add(instance.instanceId);
        onPage(page);
      });
      return {
        order,
        // With a Parameters filter an unmatched id is merely filtered out, not gone.
        missingIds: 'Parameters' in spec && spec.Parameters ? [] : order.filter((id) => !found.has(id)),
      };
    }
    case 'Tags':
      await ecs.scanInstances(
        {
          ...query,
          tags: spec.Tags.map((tag) =>
            tag.Value === undefined ? { key: tag.Key } : { key: tag.Key, value: tag.Value },
          ),
        },
        onPage,
      );
      return { missingIds: [] };
    case 'ResourceGroup':
      await ecs.scanInstances({ ...query, resourceGroupId: spec.ResourceGroupId }, onPage);
      return { missingIds: [] };
    case 'All':
      await ecs.scanInstances(query, onPage);
      return { missingIds: [] };
  }
}

/** {@link scanTargets}, keeping every instance: in the order given (ResourceIds) or as returned. */
export async function resolveTargets(
  spec: TargetsSpec,
  regionId: string,
  ecs: EcsApi,
): Promise<ResolvedTargets> {
  const instances: InstanceInfo[] = [];
  const scan = await scanTargets(spec, regionId, ecs, (page) => {
    instances.push(...page);
  });
  return { instances: scan.order ? inOrder(instances, scan.order) : instances, missingIds: scan.missingIds };
}

/** `items` in the order of `ids` (by `instanceId`); an id without an item is left out, so is an item of no id. */
export function inOrder<T extends { instanceId: string }>(items: readonly T[], ids: readonly string[]): T[] {
  const byId = new Map(items.map((item) => [item.instanceId, item]));
  return ids.flatMap((id) => {
    const item = byId.get(id);
    return item === undefined ? [] : [item];
  });
}

/**
 * The outcome an instance gets without any write, if it is ineligible: excluded by id or tag, or on
 * the classic network (ECS refuses instance RAM roles there with InvalidNetworkType.MismatchRamRole).
 * `now` (ms) decides whether an exemption tag (`until=YYYY-MM-DD;reason=...`) has expired.
 */
export function ineligibility(
  instance: InstanceInfo,
  exclusions: Exclusions,
  now: number,
  excludedIds: ReadonlySet<string> = new Set(exclusions.instanceIds),
): InstanceOutcome | undefined {
  if (excludedIds.has(instance.instanceId)) {
    return {
      instanceId: instance.instanceId,
      outcome: 'Skipped',
      reason: 'Excluded',
      message: 'excluded by id',
    };
  }
  for (const tag of exclusions.tags) {
    const value = instance.tags[tag.key];
    if (value === undefined || (tag.value !== undefined && tag.value !== value)) continue;
    // A key-only exclusion tag may carry an exemption with an expiry; an expired one no longer excludes.
    const exemption = tag.value === undefined ? parseExemption(value) : undefined;
    if (exemption && exemptionExpired(exemption, now)) continue;
    return {
      instanceId: instance.instanceId,
      outcome: 'Skipped',
      reason: 'Excluded',
      message: exemption
        ? `exempt by tag ${tag.key} until ${exemption.until}${exemption.reason ? ` (${exemption.reason})` : ''}`
        : `excluded by tag ${tag.value === undefined ? tag.key : `${tag.key}=${tag.value}`}`,
    };
  }
  if (instance.networkType === 'classic') {
    return {
      instanceId: instance.instanceId,
      outcome: 'Skipped',
      reason: 'ClassicNetwork',
      message: 'instance RAM roles need a VPC instance',
    };
  }
  return undefined;
}
