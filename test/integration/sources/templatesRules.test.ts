/**
 * `templates --rules` end to end with the real ECS SDK and openapi-core's generic ESS call against the
 * emulator: each launch template and scaling configuration gets the role of the rule its instances would
 * match (a template version's instance tags, resource group, VPC; a configuration's tags plus its group's
 * propagated tags and VPC), a source no rule matches ends Skipped/NoRule, an accepted role is left alone,
 * a rule with an unusable role stops everything before the first write, rollback restores each source;
 * and `sweep --rules` reports and fixes the sources by the same rules.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorHandle, FleetFile } from '../../../src/emulator/index';
import type { ExecutionReport, SweepReport } from '../../../src/engine/index';
import { emulatorFlags, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { startTestEmulator } from '../../helpers/emulator';
import { RULES, teamsFleet } from '../../helpers/rulesFleet';
import { WEB_DEFAULT_DATA } from '../../helpers/sourcesFleet';

let emulator: EmulatorHandle;
beforeAll(() => useEmulatorCredentials());
afterEach(() => emulator.close());

const WRITES = [
  'CreateLaunchTemplateVersion',
  'ModifyLaunchTemplateDefaultVersion',
  'ModifyScalingConfiguration',
];
const writeCalls = () => WRITES.reduce((n, action) => n + (emulator.stats().calls[action] ?? 0), 0);

/**
 * The teams' rules (rulesFleet RULES: payments = app=payments in rg-prod, web = app=web with replace,
 * batch = vpc-batch, default = any env tag; LegacyAppRole accepted) over sources of every kind.
 */
function fleet(): FleetFile {
  return {
    ...teamsFleet(),
    instances: [],
    launchTemplates: [
      {
        LaunchTemplateId: 'lt-pay',
        LaunchTemplateName: 'pay',
        DefaultVersionNumber: 1,
        Versions: [
          {
            VersionNumber: 1,
            ImageId: 'img-pay',
            ResourceGroupId: 'rg-prod',
            Tags: { InstanceTag: [{ Key: 'app', Value: 'payments' }] },
          } as never,
        ],
      },
      {
        LaunchTemplateId: 'lt-web',
        LaunchTemplateName: 'web',
        DefaultVersionNumber: 2,
        Versions: [
          { VersionNumber: 1, ImageId: 'img-old' },
          { VersionNumber: 2, ...structuredClone(WEB_DEFAULT_DATA) } as never,
        ],
      },
      {
        LaunchTemplateId: 'lt-batch',
        LaunchTemplateName: 'batch',
        DefaultVersionNumber: 1,
        Versions: [{ VersionNumber: 1, ImageId: 'img-batch', VpcId: 'vpc-batch' } as never],
      },
      {
        LaunchTemplateId: 'lt-legacy',
        LaunchTemplateName: 'legacy',
        DefaultVersionNumber: 1,
        Versions: [
          {
            VersionNumber: 1,
            RamRoleName: 'LegacyAppRole',
            Tags: { InstanceTag: [{ Key: 'env', Value: 'dev' }] },
          } as never,
        ],
      },
      {
        LaunchTemplateId: 'lt-bare',
        LaunchTemplateName: 'bare',
        DefaultVersionNumber: 1,
        Versions: [{ VersionNumber: 1, ImageId: 'img-bare' }],
      },
    ],
    scalingGroups: [
      {
        // Two vSwitches, one VPC: the batch rule (vpcId) matches.
        ScalingGroupId: 'asg-worker',
        ScalingGroupName: 'worker',
        VpcId: 'vpc-batch',
        VSwitchIds: ['vsw-a', 'vsw-b'],
        ActiveScalingConfigurationId: 'asc-worker',
        ScalingConfigurations: [{ ScalingConfigurationId: 'asc-worker', ImageId: 'img-w' }],
      },
      {
        // The group's propagated tag app=web makes its instances web's: OtherEcsRole is replaced.
        ScalingGroupId: 'asg-shop',
        ScalingGroupName: 'shop',
        Tags: [{ TagKey: 'app', TagValue: 'web', Propagate: true }],
        ActiveScalingConfigurationId: 'asc-shop',
        ScalingConfigurations: [
          { ScalingConfigurationId: 'asc-shop', RamRoleName: 'OtherEcsRole', Tags: [] } as never,
        ],
      },
      {
        // app=web is not propagated: only the configuration's env=dev reaches the instances -> default.
        ScalingGroupId: 'asg-dev',
        ScalingGroupName: 'dev',
        Tags: [{ TagKey: 'app', TagValue: 'web', Propagate: false }],
        ActiveScalingConfigurationId: 'asc-dev',
        ScalingConfigurations: [
          { ScalingConfigurationId: 'asc-dev', Tags: [{ Key: 'env', Value: 'dev' }] } as never,
        ],
      },
    ],
  };
}

function rulesFile(text: string): string {
  const path = join(tempState(), 'rules.yaml');
  writeFileSync(path, text);
  return path;
}

function templates(state: string, rules: string, ...extra: string[]) {
  return runCli([
    'templates',
    '--region',
    'cn-hangzhou',
    '--rules',
    rules,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
    ...extra,
  ]);
}

const defaultRole = (id: string) => {
  const template = emulator.state.launchTemplates.get(id)!;
  const version = template.Versions.find((v) => v.VersionNumber === template.DefaultVersionNumber)!;
  return version.LaunchTemplateData['RamRoleName'] ?? '';
};
const configurationRole = (id: string) =>
  [...emulator.state.scalingGroups.values()]
    .flatMap((g) => g.ScalingConfigurations)
    .find((c) => c.ScalingConfigurationId === id)!.fields['RamRoleName'];

it('gives each source the role of the rule its instances match; NoRule and accepted roles left alone; rollback restores', async () => {
  emulator = await startTestEmulator({ fleet: fleet() });
  const state = tempState();
  const rules = rulesFile(RULES);
  const result = await templates(state, rules);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const report = result.json<ExecutionReport>();
  const byId = Object.fromEntries(report.instances.map((i) => [i.instanceId, i]));
  expect(byId['lt-pay']).toMatchObject({ outcome: 'Updated', rule: 'payments', role: 'PaymentsAppRole' });
  expect(byId['lt-web']).toMatchObject({ outcome: 'Updated', rule: 'web', previous: '2', current: '3' });
  expect(byId['lt-batch']).toMatchObject({ outcome: 'Updated', rule: 'batch', role: 'BatchAppRole' });
  expect(byId['lt-legacy']).toMatchObject({ outcome: 'Skipped', reason: 'AcceptedRole', rule: 'default' });
  expect(byId['lt-bare']).toMatchObject({ outcome: 'Skipped', reason: 'NoRule' });
  expect(byId['lt-bare']?.rule).toBeUndefined();
  expect(byId['asc-worker']).toMatchObject({ outcome: 'Updated', rule: 'batch', current: 'BatchAppRole' });
  expect(byId['asc-shop']).toMatchObject({
    outcome: 'Updated',
    rule: 'web',
    previous: 'OtherEcsRole',
    current: 'WebAppRole',
  });
  expect(byId['asc-dev']).toMatchObject({ outcome: 'Updated', rule: 'default', current: 'EcsAppRole' });
  expect(report.noRule).toBe(1);
  expect(report.rules?.map((r) => [r.name, r.counts.updated ?? 0])).toEqual([
    ['payments', 1],
    ['web', 2],
    ['batch', 2],
    ['default', 1],
  ]);

  // The emulator's truth: the default versions and the configurations carry their rule's role.
  expect(['lt-pay', 'lt-web', 'lt-batch', 'lt-legacy', 'lt-bare'].map(defaultRole)).toEqual([
    'PaymentsAppRole',
    'WebAppRole',
    'BatchAppRole',
    'LegacyAppRole',
    '',
  ]);
  expect(['asc-worker', 'asc-shop', 'asc-dev'].map(configurationRole)).toEqual([
    'BatchAppRole',
    'WebAppRole',
    'EcsAppRole',
  ]);

  const rollback = await runCli([
    'rollback',
    report.executionId,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(rollback.code).toBe(0);
  expect(rollback.json<ExecutionReport>().counts).toMatchObject({ reverted: 6, failed: 0 });
  expect(
    ['lt-pay', 'lt-web', 'lt-batch'].map(
      (id) => emulator.state.launchTemplates.get(id)!.DefaultVersionNumber,
    ),
  ).toEqual([1, 2, 1]);
  expect(['asc-worker', 'asc-shop', 'asc-dev'].map(configurationRole)).toEqual(['', 'OtherEcsRole', '']);
});

it('a dry run predicts per rule and writes nothing; a rule whose role is unusable stops before any write', async () => {
  emulator = await startTestEmulator({ fleet: fleet() });
  const dry = await templates(tempState(), rulesFile(RULES), '--dry-run');
  expect(dry.code).toBe(0);
  const predicted = dry.json<ExecutionReport>().instances.filter((i) => i.outcome === 'Updated');
  expect(predicted.map((i) => [i.instanceId, i.rule])).toEqual([
    ['lt-pay', 'payments'],
    ['lt-web', 'web'],
    ['lt-batch', 'batch'],
    ['asc-worker', 'batch'],
    ['asc-shop', 'web'],
    ['asc-dev', 'default'],
  ]);
  expect(writeCalls()).toBe(0);

  const bad = await templates(
    tempState(),
    rulesFile(RULES.replace('role: BatchAppRole', 'role: MissingRole')),
  );
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/RAM role "MissingRole" of rule "batch" does not exist/);
  expect(writeCalls()).toBe(0);

  const both = await templates(tempState(), rulesFile(RULES), '--role', 'EcsAppRole');
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--rules and --role exclude each other/);
});

it('sweep --rules reports the sources by the same rules and fixes them with --fix templates', async () => {
  emulator = await startTestEmulator({ fleet: fleet() });
  const sweep = (state: string, ...extra: string[]) =>
    runCli([
      'sweep',
      '--region',
      'cn-hangzhou',
      '--rules',
      rulesFile(RULES),
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
      ...extra,
    ]);
  const report = await sweep(tempState());
  expect(report.code).toBe(0);
  const sources = report.json<SweepReport>().regions[0]!.sources!;
  expect(sources.unavailable).toBeUndefined();
  expect(sources).toMatchObject({
    launchTemplatesWithoutRole: ['lt-pay', 'lt-web', 'lt-batch'],
    scalingConfigurationsWithoutRole: ['asc-worker', 'asc-shop', 'asc-dev'],
    sourcesWithoutRule: ['lt-bare'],
    fixed: [],
  });
  expect(writeCalls()).toBe(0);

  const fixed = await sweep(tempState(), '--fix', 'templates');
  expect(fixed.code).toBe(0);
  const after = fixed.json<SweepReport>().regions[0]!.sources!;
  expect(after.fixed.map((f) => [f.fix, f.status, f.updated, f.failed])).toEqual([
    ['templates', 'Success', 6, 0],
  ]);
  expect(after.launchTemplatesWithoutRole).toEqual([]);
  expect(after.scalingConfigurationsWithoutRole).toEqual([]);
  expect(configurationRole('asc-shop')).toBe('WebAppRole');
  expect(defaultRole('lt-pay')).toBe('PaymentsAppRole');
});
