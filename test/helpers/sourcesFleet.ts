/**
 * A small fleet with the sources new instances come from: launch templates (API field names, as
 * DescribeLaunchTemplateVersions reports LaunchTemplateData), ESS scaling groups and configurations,
 * and instances in both metadata modes.
 */
import type { FleetFile } from '../../src/emulator/index';
import { DESIGNATED_ROLE, smallFleet } from './emulator';

/** The default version of lt-web: every kind of field the copy must carry (nested disks, tags, NICs). */
export const WEB_DEFAULT_DATA = {
  ImageId: 'aliyun_3_x64_20G_alibase_20240819.vhd',
  InstanceType: 'ecs.g7.large',
  InstanceName: 'web-node',
  SecurityGroupId: 'sg-web01',
  VSwitchId: 'vsw-web01',
  InternetMaxBandwidthOut: 5,
  PasswordInherit: true,
  UserData: 'IyEvYmluL3NoCmVjaG8gaGVsbG8K',
  SystemDisk: { Category: 'cloud_essd', Size: 40, PerformanceLevel: 'PL0' },
  DataDisks: { DataDisk: [{ Category: 'cloud_essd', Size: 100, DeleteWithInstance: true }] },
  Tags: {
    InstanceTag: [
      { Key: 'app', Value: 'web' },
      { Key: 'env', Value: 'prod' },
    ],
  },
  HttpTokens: 'optional',
} as const;

export function sourcesFleet(): FleetFile {
  const fleet = smallFleet();
  return {
    ...fleet,
    instances: fleet.instances.map((instance) =>
      instance.InstanceId === 'i-hz02' ? { ...instance, HttpTokens: 'required' as const } : instance,
    ),
    launchTemplates: [
      {
        LaunchTemplateId: 'lt-web',
        LaunchTemplateName: 'web',
        RegionId: 'cn-hangzhou',
        DefaultVersionNumber: 2,
        Versions: [
          {
            VersionNumber: 1,
            ImageId: 'aliyun_2_x64_20G_alibase_20230101.vhd',
            InstanceType: 'ecs.g6.large',
          },
          { VersionNumber: 2, ...structuredClone(WEB_DEFAULT_DATA) } as never,
          { VersionNumber: 3, ImageId: 'draft', InstanceType: 'ecs.g8i.large' },
        ],
      },
      {
        LaunchTemplateId: 'lt-api',
        LaunchTemplateName: 'api',
        RegionId: 'cn-hangzhou',
        DefaultVersionNumber: 1,
        Versions: [{ VersionNumber: 1, ImageId: 'img-api', RamRoleName: DESIGNATED_ROLE }],
      },
      {
        LaunchTemplateId: 'lt-legacy',
        LaunchTemplateName: 'legacy',
        RegionId: 'cn-hangzhou',
        DefaultVersionNumber: 1,
        Versions: [{ VersionNumber: 1, ImageId: 'img-legacy', RamRoleName: 'OtherEcsRole' }],
      },
    ],
    scalingGroups: [
      {
        ScalingGroupId: 'asg-web',
        ScalingGroupName: 'web',
        RegionId: 'cn-hangzhou',
        LaunchTemplateId: 'lt-web',
        LaunchTemplateVersion: 'Default',
      },
      {
        ScalingGroupId: 'asg-worker',
        ScalingGroupName: 'worker',
        RegionId: 'cn-hangzhou',
        ActiveScalingConfigurationId: 'asc-worker2',
        ScalingConfigurations: [
          { ScalingConfigurationId: 'asc-worker1', ImageId: 'img-old', RamRoleName: 'OtherEcsRole' },
          { ScalingConfigurationId: 'asc-worker2', ImageId: 'img-new', InstanceType: 'ecs.c7.large' },
        ],
      },
      {
        ScalingGroupId: 'asg-batch',
        ScalingGroupName: 'batch',
        RegionId: 'cn-hangzhou',
        ActiveScalingConfigurationId: 'asc-batch1',
        ScalingConfigurations: [{ ScalingConfigurationId: 'asc-batch1', RamRoleName: DESIGNATED_ROLE }],
      },
    ],
  };
}
