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

/** The region the targets live in: `targets.RegionId` when given, else the execution's region. */
export function targetRegion(spec: TargetsSpec, regionId: string): string {
  return spec.RegionId ?? regionId;
}

/**
 * Finds the instances a targets spec names, with DescribeInstances (MaxResults 100, NextToken paging
 * inside the adapter). Duplicated ResourceIds are resolved once.
 */
export async function resolveTargets(
  spec: TargetsSpec,
  regionId: string,
  ecs: EcsApi,
  onPage?: (page: InstanceInfo[]) => void,
): Promise<ResolvedTargets> {
  const region = targetRegion(spec, regionId);
  const query: InstanceQuery = { regionId: region };
  if ('Parameters' in spec && spec.Parameters) {
    if (spec.Parameters.Status) query.status = spec.Parameters.Status;
    if (spec.Parameters.InstanceNetworkType) query.networkType = spec.Parameters.InstanceNetworkType;
  }
  switch (spec.Type) {
    case 'ResourceIds': {
      const wanted = [...new Set(spec.ResourceIds)];
      const found = new Map(
        (await ecs.describeInstances({ ...query, instanceIds: wanted }, onPage)).map((instance) => [
          instance.instanceId,
          instance,
        ]),
      );
      return {
        instances: wanted.flatMap((id) => {
          const instance = found.get(id);
          return instance ? [instance] : [];
        }),
        // With a Parameters filter an unmatched id is merely filtered out, not gone.
        missingIds: 'Parameters' in spec && spec.Parameters ? [] : wanted.filter((id) => !found.has(id)),
      };
    }
    case 'Tags':
      return {
        instances: await ecs.describeInstances(
          {
            ...query,
            tags: spec.Tags.map((tag) =>
              tag.Value === undefined ? { key: tag.Key } : { key: tag.Key, value: tag.Value },
            ),
          },
          onPage,
        ),
        missingIds: [],
      };
    case 'ResourceGroup':
      return {
        instances: await ecs.describeInstances({ ...query, resourceGroupId: spec.ResourceGroupId }, onPage),
        missingIds: [],
      };
    case 'All':
      return { instances: await ecs.describeInstances(query, onPage), missingIds: [] };
  }
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
