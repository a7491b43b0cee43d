/**
 * `ecs-role-attach templates` end to end with the real ECS SDK (launch templates) and openapi-core's
 * generic call (ESS 2022-02-22) against the emulator: a new default version carrying the role and
 * otherwise identical to the old default, earlier versions unchanged, scaling configurations carrying
 * the role, rollback restoring the previous defaults and roles, dry run and bad input with zero writes,
 * the version limit, and a crash between creating a version and making it the default.
 */
import * as $Ecs from '@alicloud/ecs20140526';
import { createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { createExecution } from '../../../src/engine/execution/index';
import type { ExecutionReport } from '../../../src/engine/index';
import { FsExecutionStore } from '../../../src/store/index';
import { emulatorFlags, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, ecsClient, startTestEmulator } from '../../helpers/emulator';
import { sourcesFleet, WEB_DEFAULT_DATA } from '../../helpers/sourcesFleet';

let emulator: EmulatorHandle;
beforeAll(() => useEmulatorCredentials());
beforeEach(async () => {
  emulator = await startTestEmulator({ fleet: sourcesFleet() });
});
afterEach(() => emulator.close());

const WRITES = [
  'CreateLaunchTemplateVersion',
  'ModifyLaunchTemplateDefaultVersion',
  'ModifyScalingConfiguration',
];
const writeCalls = () => WRITES.reduce((n, action) => n + (emulator.stats().calls[action] ?? 0), 0);

function templates(state: string, ...extra: string[]) {
  return runCli([
    'templates',
    '--region',
    'cn-hangzhou',
    '--role',
    DESIGNATED_ROLE,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
    ...extra,
  ]);
}

async function versions(templateId: string) {
  const response = await ecsClient(emulator).describeLaunchTemplateVersions(
    new $Ecs.DescribeLaunchTemplateVersionsRequest({
      regionId: 'cn-hangzhou',
      launchTemplateId: templateId,
      detailFlag: true,
      pageSize: 50,
    }),
  );
  return response.body?.launchTemplateVersionSets?.launchTemplateVersionSet ?? [];
}

const configurationRole = (id: string) =>
  [...emulator.state.scalingGroups.values()]
    .flatMap((g) => g.ScalingConfigurations)
    .find((c) => c.ScalingConfigurationId === id)!.fields['RamRoleName'];

it('gives the sources the role through new default versions and scaling configurations; rollback restores them', async () => {
  const before = (await versions('lt-web')).map((v) => v.toMap());
  const state = tempState();
  const result = await templates(state);
  expect(result.code).toBe(0);
  const report = result.json<ExecutionReport>();
  expect(report.kind).toBe('templates');
  const byId = Object.fromEntries(report.instances.map((i) => [i.instanceId, i]));
  expect(byId['lt-web']).toMatchObject({ outcome: 'Updated', previous: '2', current: '4' });
  expect(byId['lt-api']).toMatchObject({ outcome: 'AlreadyCompliant' });
  expect(byId['lt-legacy']).toMatchObject({ outcome: 'Skipped', reason: 'OtherRole' });
  expect(byId['asc-worker2']).toMatchObject({ outcome: 'Updated', previous: '', current: DESIGNATED_ROLE });
  expect(byId['asc-batch1']).toMatchObject({ outcome: 'AlreadyCompliant' });
  expect(report.counts).toMatchObject({ updated: 2, alreadyCompliant: 2, skipped: 1, failed: 0 });

  const after = await versions('lt-web');
  const fresh = after.find((v) => v.versionNumber === 4)!;
  expect(fresh.defaultVersion).toBe(true);
  const { RamRoleName, ...rest } = fresh.launchTemplateData!.toMap();
  expect(RamRoleName).toBe(DESIGNATED_ROLE);
  const { RamRoleName: oldRole, ...oldRest } = after
    .find((v) => v.versionNumber === 2)!
    .launchTemplateData!.toMap();
  expect(oldRole).toBe('');
  expect(rest).toEqual(oldRest);
  expect(rest).toMatchObject({ ...WEB_DEFAULT_DATA });
  // Earlier versions are untouched (only the default flag moved).
  for (const old of before) {
    const now = after.find((v) => v.versionNumber === old['VersionNumber'])!.toMap();
    expect({ ...now, DefaultVersion: undefined }).toEqual({ ...old, DefaultVersion: undefined });
  }
  expect(configurationRole('asc-worker2')).toBe(DESIGNATED_ROLE);
  expect(configurationRole('asc-worker1')).toBe('OtherEcsRole');

  const rollback = await runCli([
    'rollback',
    report.executionId,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(rollback.code).toBe(0);
  expect(rollback.json<ExecutionReport>().counts).toMatchObject({ reverted: 2, failed: 0 });
  expect(emulator.state.launchTemplates.get('lt-web')!.DefaultVersionNumber).toBe(2);
  expect(configurationRole('asc-worker2')).toBe('');
});

it('a dry run predicts each outcome and writes nothing', async () => {
  const state = tempState();
  const result = await templates(state, '--dry-run', '--on-conflict', 'replace');
  expect(result.code).toBe(0);
  const report = result.json<ExecutionReport>();
  expect(report.status).toBe('Planned');
  expect(report.instances.filter((i) => i.outcome === 'Updated').map((i) => i.instanceId)).toEqual([
    'lt-web',
    'lt-legacy',
    'asc-worker2',
  ]);
  expect(writeCalls()).toBe(0);
  expect(await new FsExecutionStore(state).list()).toHaveLength(0);
});

it('refuses bad input with exit 2: syntax with zero calls, a template id that does not exist with one read and zero writes', async () => {
  const state = tempState();
  // Decidable from the input: not one call.
  for (const extra of [
    ['--kinds', 'launch-template,autoscaler'],
    ['--targets', '{"Type":"ResourceIds","ResourceIds":["lt-web","i-hz01"]}'],
    ['--kinds', 'scaling-configuration', '--targets', '{"Type":"ResourceIds","ResourceIds":["lt-web"]}'],
  ]) {
    const refused = await templates(state, ...extra);
    expect([extra, refused.code]).toEqual([extra, 2]);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  }
  expect(emulator.stats().calls).toEqual({});
  // Whether lt-nope exists is the cloud's to say: one DescribeLaunchTemplates of the named ids, nothing
  // else (no GetRole, no version read, no write), nothing stored.
  const missing = await templates(
    state,
    '--targets',
    '{"Type":"ResourceIds","ResourceIds":["lt-web","lt-nope"]}',
  );
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('lt-nope');
  expect(missing.stderr).toContain('does not exist in cn-hangzhou');
  expect(emulator.stats().calls).toEqual({ DescribeLaunchTemplates: 1 });
  expect(writeCalls()).toBe(0);
  expect(await new FsExecutionStore(state).list()).toHaveLength(0);
});

it('reports a template at its version limit as Failed without creating a version', async () => {
  const template = emulator.state.launchTemplates.get('lt-web')!;
  for (let n = 4; n <= 30; n++)
    template.Versions.push({ ...structuredClone(template.Versions[2]!), VersionNumber: n });
  const result = await templates(tempState(), '--kinds', 'launch-template');
  expect(result.code).toBe(1);
  const web = result.json<ExecutionReport>().instances.find((i) => i.instanceId === 'lt-web');
  expect(web).toMatchObject({ outcome: 'Failed', code: 'VersionLimitReached' });
  expect(emulator.stats().calls['CreateLaunchTemplateVersion']).toBeUndefined();
});

it('resumes a crash between CreateLaunchTemplateVersion and ModifyLaunchTemplateDefaultVersion without a second version', async () => {
  const state = tempState();
  const store = new FsExecutionStore(state);
  const cloud = createCloudApis({ regionId: 'cn-hangzhou', endpoint: emulator.endpoint });
  const deps = {
    ecs: cloud.ecs,
    ram: cloud.ram,
    sources: cloud.sources,
    store,
    clock: { now: () => Date.now(), sleep: async () => {} },
    random: Math.random,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
  const planned = await createExecution(
    {
      kind: 'templates',
      sourceKinds: ['launch-template'],
      regionId: 'cn-hangzhou',
      ramRoleName: DESIGNATED_ROLE,
      targets: { Type: 'ResourceIds', ResourceIds: ['lt-web'], RegionId: 'cn-hangzhou' },
      rateControl: { Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 },
      mode: 'Automatic',
      onConflict: 'skip',
      exclusions: { tags: [], instanceIds: [] },
    },
    deps,
    { origin: 'cli' },
  );
  await store.append(planned.executionId, {
    at: new Date().toISOString(),
    type: 'intent',
    chunkId: 'chunk-crashed',
    operation: 'update',
    instanceIds: ['lt-web'],
  });
  const [v2] = await cloud.sources.launchTemplates.describeLaunchTemplateVersions(
    'cn-hangzhou',
    'lt-web',
    [2],
  );
  await cloud.sources.launchTemplates.createLaunchTemplateVersion(
    'cn-hangzhou',
    'lt-web',
    { ...v2!.data, RamRoleName: DESIGNATED_ROLE },
    'crashed',
  );
  emulator.resetStats();
  const resumed = await runCli([
    'resume',
    planned.executionId,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(resumed.code).toBe(0);
  expect(resumed.json<ExecutionReport>().instances[0]).toMatchObject({
    outcome: 'Updated',
    previous: '2',
    current: '4',
  });
  expect(emulator.stats().calls['CreateLaunchTemplateVersion']).toBeUndefined();
  expect(emulator.state.launchTemplates.get('lt-web')!.Versions).toHaveLength(4);
  expect(emulator.state.launchTemplates.get('lt-web')!.DefaultVersionNumber).toBe(4);
});
