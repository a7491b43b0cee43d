/**
 * Ports of the source kinds (launch templates, Auto Scaling, instance metadata options): only the calls
 * `templates` and `harden-metadata` make. `src/cloud` implements them over `@alicloud/ecs20140526` and,
 * for ESS 2022-02-22 (no generated SDK on this project's registry), over `@alicloud/openapi-core`'s
 * generic call. Engine unit tests may implement them with tiny in-memory fakes.
 */

/** `MetadataOptions.HttpTokens`: `required` is the metadata service's security hardening mode. */
export type HttpTokens = 'optional' | 'required';

/**
 * A launch template version's `LaunchTemplateData` as DescribeLaunchTemplateVersions returns it (API
 * field names, nested as the response nests them: `DataDisks.DataDisk[]`, `Tags.InstanceTag[]`, ...).
 */
export type LaunchTemplateData = Record<string, unknown>;

export interface LaunchTemplateInfo {
  launchTemplateId: string;
  launchTemplateName: string;
  defaultVersionNumber: number;
  latestVersionNumber: number;
}

export interface LaunchTemplateVersionInfo {
  launchTemplateId: string;
  versionNumber: number;
  defaultVersion: boolean;
  versionDescription: string;
  data: LaunchTemplateData;
}

/** ECS launch template calls. */
export interface LaunchTemplateApi {
  /** Every launch template of the region (paging to the end), or only `ids`. */
  describeLaunchTemplates(regionId: string, ids?: string[]): Promise<LaunchTemplateInfo[]>;
  /** Versions of one template: the numbered ones, or every version when `versions` is absent. */
  describeLaunchTemplateVersions(
    regionId: string,
    launchTemplateId: string,
    versions?: number[],
  ): Promise<LaunchTemplateVersionInfo[]>;
  /**
   * Creates a version carrying exactly `data` (copied field by field into the request).
   * Throws {@link UncopyableFieldError} before any call when `data` holds a field the request cannot carry.
   */
  createLaunchTemplateVersion(
    regionId: string,
    launchTemplateId: string,
    data: LaunchTemplateData,
    versionDescription: string,
  ): Promise<number>;
  modifyLaunchTemplateDefaultVersion(
    regionId: string,
    launchTemplateId: string,
    version: number,
  ): Promise<void>;
}

export interface ScalingGroupInfo {
  scalingGroupId: string;
  scalingGroupName: string;
  activeScalingConfigurationId: string;
  launchTemplateId: string;
  /** `Default`, `Latest` or a version number. */
  launchTemplateVersion: string;
  /** `VpcId` of the group ("" when absent). */
  vpcId: string;
  /** `VSwitchIds` (and `VSwitchId`) of the group: new instances land in one of them. */
  vSwitchIds: string[];
  /** The group's tags with `Propagate: true`: ESS puts them on the instances it creates. */
  propagatedTags: Record<string, string>;
}

export interface ScalingConfigurationInfo {
  scalingConfigurationId: string;
  scalingGroupId: string;
  /** "" when the configuration carries no instance RAM role. */
  ramRoleName: string;
  lifecycleState: string;
  /** `Tags` (`[{Key, Value}]`): the tags of the instances it creates. */
  tags: Record<string, string>;
  /** `ResourceGroupId` of the instances it creates ("" when absent). */
  resourceGroupId: string;
}

/** Auto Scaling (ESS 2022-02-22) calls. */
export interface ScalingApi {
  describeScalingGroups(regionId: string, ids?: string[]): Promise<ScalingGroupInfo[]>;
  describeScalingConfigurations(regionId: string, ids: string[]): Promise<ScalingConfigurationInfo[]>;
  /** `ModifyScalingConfiguration` with `RamRoleName` ("" clears it: rollback of a configuration that had none). */
  modifyScalingConfigurationRole(
    regionId: string,
    scalingConfigurationId: string,
    ramRoleName: string,
  ): Promise<void>;
}

export interface InstanceMetadataInfo {
  instanceId: string;
  httpTokens: HttpTokens;
  /** `disabled`: the metadata channel is off; hardening it would turn it on. */
  httpEndpoint: 'enabled' | 'disabled';
}

/** Instance metadata calls. */
export interface MetadataApi {
  /** MetadataOptions of the given instances (DescribeInstances, 100 ids per call); unknown ids are absent. */
  describeMetadataOptions(
    regionId: string,
    instanceIds: string[],
  ): Promise<Map<string, InstanceMetadataInfo>>;
  /** One ModifyInstanceMetadataOptions call (the API takes one instance). */
  modifyInstanceMetadataOptions(regionId: string, instanceId: string, httpTokens: HttpTokens): Promise<void>;
}

/** Everything the source kinds need from the cloud. */
export interface SourceApis {
  launchTemplates: LaunchTemplateApi;
  scaling: ScalingApi;
  metadata: MetadataApi;
}
