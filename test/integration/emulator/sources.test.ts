/**
 * The emulator's launch templates, ESS 2022-02-22 scaling groups/configurations and instance metadata
 * options, through the unmodified @alicloud/ecs20140526 SDK and @alicloud/openapi-core's generic call.
 */
import * as $Ecs from '@alicloud/ecs20140526';
import { type CloudApis, createCloudApis } from '../../../src/cloud/clients';
import { generateFleet } from '../../../src/emulator/generate';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { CloudApiError } from '../../../src/engine/errors';
import { ecsClient, startTestEmulator } from '../../helpers/emulator';
import { sourcesFleet, WEB_DEFAULT_DATA } from '../../helpers/sourcesFleet';

let emulator: EmulatorHandle;
let apis: CloudApis;

beforeEach(async () => {
  emulator = await startTestEmulator({ fleet: sourcesFleet() });
  apis = createCloudApis({
    regionId: 'cn-hangzhou',
    endpoint: emulator.endpoint,
    credential: { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    retry: { maxAttempts: 1 },
  });
});
afterEach(() => emulator.close());

describe('launch templates', () => {
  it('lists templates with default and latest version numbers', async () => {
    const response = await ecsClient(emulator).describeLaunchTemplates(
      new $Ecs.DescribeLaunchTemplatesRequest({ regionId: 'cn-hangzhou', pageSize: 50 }),
    );
    const sets = response.body?.launchTemplateSets?.launchTemplateSet ?? [];
    expect(sets.map((s) => [s.launchTemplateId, s.defaultVersionNumber, s.latestVersionNumber])).toEqual([
      ['lt-web', 2, 3],
      ['lt-api', 1, 1],
      ['lt-legacy', 1, 1],
    ]);
    expect(response.body?.totalCount).toBe(3);
  });

  it('copies a default version into a new one with the role, field by field, and makes it the default', async () => {
    const [old] = await apis.sources.launchTemplates.describeLaunchTemplateVersions(
      'cn-hangzhou',
      'lt-web',
      [2],
    );
    expect(old?.data).toMatchObject(WEB_DEFAULT_DATA);
    const created = await apis.sources.launchTemplates.createLaunchTemplateVersion(
      'cn-hangzhou',
      'lt-web',
      { ...old!.data, RamRoleName: 'EcsAppRole' },
      'role added',
    );
    expect(created).toBe(4);
    await apis.sources.launchTemplates.modifyLaunchTemplateDefaultVersion('cn-hangzhou', 'lt-web', 4);
    const versions = await apis.sources.launchTemplates.describeLaunchTemplateVersions(
      'cn-hangzhou',
      'lt-web',
    );
    const v4 = versions.find((v) => v.versionNumber === 4)!;
    expect(v4.defaultVersion).toBe(true);
    expect(v4.data).toEqual({ ...old!.data, RamRoleName: 'EcsAppRole' });
    expect(versions.filter((v) => v.defaultVersion).map((v) => v.versionNumber)).toEqual([4]);
  });

  it('answers the documented errors: unknown template, unknown version, 30 versions at most', async () => {
    const lt = apis.sources.launchTemplates;
    await expect(lt.describeLaunchTemplateVersions('cn-hangzhou', 'lt-nope')).rejects.toMatchObject({
      code: 'InvalidLaunchTemplate.NotFound',
    });
    await expect(lt.modifyLaunchTemplateDefaultVersion('cn-hangzhou', 'lt-web', 9)).rejects.toMatchObject({
      code: 'InvalidLaunchTemplateVersion.NotFound',
    });
    for (let i = 0; i < 29; i++)
      await lt.createLaunchTemplateVersion('cn-hangzhou', 'lt-api', { ImageId: `img-${i}` }, '');
    const error = await lt
      .createLaunchTemplateVersion('cn-hangzhou', 'lt-api', { ImageId: 'one-too-many' }, '')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudApiError);
    expect((error as CloudApiError).code).toBe('QuotaExceed.LaunchTemplateVersion');
  });

  it('refuses to copy a field CreateLaunchTemplateVersion cannot carry, before any call', async () => {
    emulator.resetStats();
    await expect(
      apis.sources.launchTemplates.createLaunchTemplateVersion(
        'cn-hangzhou',
        'lt-web',
        { ImageId: 'x', Unheard: 'y' },
        '',
      ),
    ).rejects.toMatchObject({ code: 'UncopyableField', field: 'Unheard' });
    expect(emulator.stats().calls['CreateLaunchTemplateVersion']).toBeUndefined();
  });
});

describe('Auto Scaling 2022-02-22 through the generic call', () => {
  it('lists groups and configurations and sets a configuration role', async () => {
    const groups = await apis.sources.scaling.describeScalingGroups('cn-hangzhou');
    expect(
      groups.map((g) => [
        g.scalingGroupId,
        g.activeScalingConfigurationId,
        g.launchTemplateId,
        g.launchTemplateVersion,
      ]),
    ).toEqual([
      ['asg-web', '', 'lt-web', 'Default'],
      ['asg-worker', 'asc-worker2', '', ''],
      ['asg-batch', 'asc-batch1', '', ''],
    ]);
    const before = await apis.sources.scaling.describeScalingConfigurations('cn-hangzhou', [
      'asc-worker1',
      'asc-worker2',
    ]);
    expect(before.map((c) => [c.scalingConfigurationId, c.lifecycleState, c.ramRoleName])).toEqual([
      ['asc-worker1', 'Inactive', 'OtherEcsRole'],
      ['asc-worker2', 'Active', ''],
    ]);
    await apis.sources.scaling.modifyScalingConfigurationRole('cn-hangzhou', 'asc-worker2', 'EcsAppRole');
    const [after] = await apis.sources.scaling.describeScalingConfigurations('cn-hangzhou', ['asc-worker2']);
    expect(after?.ramRoleName).toBe('EcsAppRole');
    await expect(
      apis.sources.scaling.modifyScalingConfigurationRole('cn-hangzhou', 'asc-nope', 'EcsAppRole'),
    ).rejects.toMatchObject({ code: 'InvalidScalingConfigurationId.NotFound' });
  });
});

describe('instance metadata options', () => {
  it('reports MetadataOptions, filters on HttpTokens and hardens one instance per call', async () => {
    const ecs = ecsClient(emulator);
    const hardened = await ecs.describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: 'cn-hangzhou', httpTokens: 'required', maxResults: 100 }),
    );
    expect(hardened.body?.instances?.instance?.map((i) => i.instanceId)).toEqual(['i-hz02']);
    expect(hardened.body?.instances?.instance?.[0]?.metadataOptions?.httpTokens).toBe('required');

    await apis.sources.metadata.modifyInstanceMetadataOptions('cn-hangzhou', 'i-hz01', 'required');
    const options = await apis.sources.metadata.describeMetadataOptions('cn-hangzhou', [
      'i-hz01',
      'i-hz03',
      'i-gone',
    ]);
    expect([...options.values()].map((o) => [o.instanceId, o.httpTokens, o.httpEndpoint])).toEqual([
      ['i-hz01', 'required', 'enabled'],
      ['i-hz03', 'optional', 'enabled'],
    ]);
  });

  it('wants HttpEndpoint by default (the SDK model marks it required), and not with the kinder switch', async () => {
    const ecs = ecsClient(emulator);
    const request = new $Ecs.ModifyInstanceMetadataOptionsRequest({
      regionId: 'cn-hangzhou',
      instanceId: 'i-hz01',
      httpTokens: 'required',
    });
    await expect(ecs.modifyInstanceMetadataOptions(request)).rejects.toMatchObject({
      code: 'MissingParameter.HttpEndpoint',
    });
    emulator.behaviour.metadataEndpointParam = 'optional';
    await ecs.modifyInstanceMetadataOptions(request);
    expect(emulator.state.instancesById.get('i-hz01')?.HttpTokens).toBe('required');
  });
});

it('the generator gives every region templates, scaling groups and some hardened instances', () => {
  const fleet = generateFleet({ instances: 40, seed: 3 });
  expect(fleet.launchTemplates?.length).toBe(6);
  expect(fleet.scalingGroups?.length).toBe(6);
  expect(fleet.instances.filter((i) => i.HttpTokens === 'required').length).toBe(10);
});
