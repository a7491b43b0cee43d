/**
 * Auto Scaling (ESS) 2022-02-22: DescribeScalingGroups, DescribeScalingConfigurations,
 * ModifyScalingConfiguration. Shapes follow the generated ess20220222 SDK models (flat arrays
 * `ScalingGroups: [...]`, `ScalingConfigurations: [...]`; list parameters as `ScalingGroupIds.1`).
 * The product reaches it through `@alicloud/openapi-core`'s generic call, as no ess20220222 package is
 * on the registry this project installs from.
 */
import { CommonErrors, EmulatorApiError } from '../api-error.js';
import type { ScalingConfigurationRecord, ScalingGroupRecord } from '../fleet.js';
import { pageParams } from '../paging.js';
import { type EmulatorService, type RpcActionHandler, rpcService, type ServiceContext } from '../service.js';

/** ESS pages hold at most 50 entries (DescribeScalingGroups / DescribeScalingConfigurations PageSize). */
export const ESS_PAGE_SIZE_MAX = 50;

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw CommonErrors.missingParameter(name);
  return value;
}

/** `Name.1`, `Name.2`, ... (or a JSON array in `Name`) in order. */
function listParam(params: Record<string, string>, name: string): string[] {
  const json = params[name];
  if (json?.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      throw CommonErrors.invalidParameter(name, 'must be a list', json);
    }
  }
  return Object.keys(params)
    .map((key) => new RegExp(`^${name}\\.(\\d+)$`).exec(key))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((match) => params[match[0]]!)
    .filter((value) => value !== '');
}

function page<T>(params: Record<string, string>, items: T[]): { items: T[]; number: number; size: number } {
  const { number, size } = pageParams(params, ESS_PAGE_SIZE_MAX);
  return { items: items.slice((number - 1) * size, number * size), number, size };
}

function describeGroup(group: ScalingGroupRecord): Record<string, unknown> {
  return {
    ScalingGroupId: group.ScalingGroupId,
    ScalingGroupName: group.ScalingGroupName,
    RegionId: group.RegionId,
    LifecycleState: 'Active',
    ActiveScalingConfigurationId: group.ActiveScalingConfigurationId,
    LaunchTemplateId: group.LaunchTemplateId,
    LaunchTemplateVersion: group.LaunchTemplateVersion,
    GroupType: 'ECS',
    MinSize: 0,
    MaxSize: 10,
    VpcId: group.VpcId,
    VSwitchIds: [...group.VSwitchIds],
    // The first vSwitch (the 2014-08-28 single-vSwitch field the 2022-02-22 answer still carries).
    VSwitchId: group.VSwitchIds[0] ?? '',
    ResourceGroupId: group.ResourceGroupId,
    Tags: group.Tags.map((tag) => ({ ...tag })),
  };
}

function describeConfiguration(
  configuration: ScalingConfigurationRecord,
  group: ScalingGroupRecord,
): Record<string, unknown> {
  return {
    ...structuredClone(configuration.fields),
    ScalingConfigurationId: configuration.ScalingConfigurationId,
    ScalingConfigurationName: configuration.ScalingConfigurationName,
    ScalingGroupId: configuration.ScalingGroupId,
    LifecycleState:
      group.ActiveScalingConfigurationId === configuration.ScalingConfigurationId ? 'Active' : 'Inactive',
  };
}

const describeScalingGroups: RpcActionHandler = (params, context) => {
  const regionId = required(params, 'RegionId');
  const ids = new Set(listParam(params, 'ScalingGroupIds'));
  const name = params['ScalingGroupName'] || undefined;
  const matching = [...context.state.scalingGroups.values()].filter(
    (g) =>
      g.RegionId === regionId &&
      (ids.size === 0 || ids.has(g.ScalingGroupId)) &&
      (name === undefined || g.ScalingGroupName === name),
  );
  const { items, number, size } = page(params, matching);
  return {
    body: {
      TotalCount: matching.length,
      PageNumber: number,
      PageSize: size,
      ScalingGroups: items.map(describeGroup),
    },
  };
};

function allConfigurations(
  context: ServiceContext,
  regionId: string,
): { configuration: ScalingConfigurationRecord; group: ScalingGroupRecord }[] {
  return [...context.state.scalingGroups.values()]
    .filter((g) => g.RegionId === regionId)
    .flatMap((group) => group.ScalingConfigurations.map((configuration) => ({ configuration, group })));
}

const describeScalingConfigurations: RpcActionHandler = (params, context) => {
  const regionId = required(params, 'RegionId');
  const groupId = params['ScalingGroupId'] || undefined;
  const ids = new Set(listParam(params, 'ScalingConfigurationIds'));
  const matching = allConfigurations(context, regionId).filter(
    ({ configuration }) =>
      (groupId === undefined || configuration.ScalingGroupId === groupId) &&
      (ids.size === 0 || ids.has(configuration.ScalingConfigurationId)),
  );
  const { items, number, size } = page(params, matching);
  return {
    body: {
      TotalCount: matching.length,
      PageNumber: number,
      PageSize: size,
      ScalingConfigurations: items.map(({ configuration, group }) =>
        describeConfiguration(configuration, group),
      ),
    },
  };
};

const modifyScalingConfiguration: RpcActionHandler = (params, context) => {
  const id = required(params, 'ScalingConfigurationId');
  const regionId = params['RegionId'] || undefined;
  const found = [...context.state.scalingGroups.values()]
    .filter((g) => regionId === undefined || g.RegionId === regionId)
    .flatMap((g) => g.ScalingConfigurations)
    .find((c) => c.ScalingConfigurationId === id);
  if (!found) {
    throw new EmulatorApiError(
      404,
      'InvalidScalingConfigurationId.NotFound',
      `The specified scaling configuration "${id}" does not exist.`,
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
  // Only RamRoleName (and the name) are modelled as writable; other fields are kept as they are.
  if (roleName !== undefined) found.fields['RamRoleName'] = roleName;
  if (params['ScalingConfigurationName']) found.ScalingConfigurationName = params['ScalingConfigurationName'];
  return { body: {} };
};

/** The ESS 2022-02-22 service (RPC style, claimed by version). */
export function essService(): EmulatorService {
  return rpcService({
    name: 'ess',
    product: 'Ess',
    version: '2022-02-22',
    hostId: 'ess.aliyuncs.com',
    // Credential permissions apply (`ess:DescribeScalingGroups`, ...): a refusal answers 403 NoPermission.
    ramNamespace: 'ess',
    actions: {
      DescribeScalingGroups: describeScalingGroups,
      DescribeScalingConfigurations: describeScalingConfigurations,
      ModifyScalingConfiguration: modifyScalingConfiguration,
    },
  });
}
