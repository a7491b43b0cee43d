/**
 * The sweep reports the sources per region (launch templates and active scaling configurations without
 * the role, instances in normal metadata mode) with zero writes to them, and remediates them in the same
 * run with `--fix templates,metadata`.
 */
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { SweepReport } from '../../../src/engine/index';
import { emulatorFlags, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator, TEST_CREDENTIALS } from '../../helpers/emulator';
import { sourcesFleet } from '../../helpers/sourcesFleet';

let emulator: EmulatorHandle;
beforeAll(() => useEmulatorCredentials());
beforeEach(async () => {
  emulator = await startTestEmulator({ fleet: sourcesFleet() });
});
afterEach(() => emulator.close());

const SOURCE_WRITES = [
  'CreateLaunchTemplateVersion',
  'ModifyLaunchTemplateDefaultVersion',
  'ModifyScalingConfiguration',
  'ModifyInstanceMetadataOptions',
];

function sweep(state: string, ...extra: string[]) {
  return runCli([
    'sweep',
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

it('reports the sources without writing to them', async () => {
  const result = await sweep(tempState());
  const region = result.json<SweepReport>().regions[0]!;
  expect(region.sources).toEqual({
    launchTemplatesWithoutRole: ['lt-web', 'lt-legacy'],
    scalingConfigurationsWithoutRole: ['asc-worker2'],
    pinnedScalingGroups: [],
    normalMetadataMode: ['i-hz01', 'i-hz03', 'i-hz04', 'i-hz05'],
    fixed: [],
  });
  for (const action of SOURCE_WRITES) expect(emulator.stats().calls[action]).toBeUndefined();
});

it('remediates them in the same run with --fix templates,metadata', async () => {
  const result = await sweep(tempState(), '--fix', 'templates,metadata');
  const sources = result.json<SweepReport>().regions[0]!.sources!;
  expect(sources.fixed.map((f) => [f.fix, f.status, f.updated, f.failed])).toEqual([
    ['templates', 'Success', 2, 0],
    ['metadata', 'Success', 3, 0],
  ]);
  expect(emulator.state.launchTemplates.get('lt-web')!.DefaultVersionNumber).toBe(4);
  // i-hz05 is Pending: its attach failed, so it has no role and hardening leaves it alone.
  expect(sources.normalMetadataMode).toEqual(['i-hz05']);
  const modes = ['i-hz01', 'i-hz03', 'i-hz04'].map((id) => emulator.state.instancesById.get(id)!.HttpTokens);
  expect(modes).toEqual(['required', 'required', 'required']);
  const bad = await sweep(tempState(), '--fix', 'templates,everything');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--fix[1]');
});

it('a source kind the caller may not read is reported "not read"; the sweep and the other kinds go on', async () => {
  // The caller may do everything the attach sweep needs, and read instances, but not call ESS.
  await emulator.close();
  emulator = await startTestEmulator({
    fleet: {
      ...sourcesFleet(),
      credentials: [
        {
          ...TEST_CREDENTIALS.plain,
          permissions: { actions: ['ecs:*', 'ram:GetRole'], passRoles: [DESIGNATED_ROLE] },
        },
      ],
    },
  });
  const result = await sweep(tempState());
  const region = result.json<SweepReport>().regions[0]!;
  // The sweep ran as without the refusal (the fixture's Pending i-hz05 fails its attach, as always).
  expect(region).toMatchObject({ status: 'Success', attachedNow: 2, compliantAfter: 3 });
  expect(region.sources?.unavailable).toEqual([
    expect.stringMatching(/^templates: .*NoPermission.*ess:DescribeScalingGroups/),
  ]);
  // A kind not read shows no lists beside its reason (empty lists would read as "all compliant").
  for (const list of [
    'launchTemplatesWithoutRole',
    'scalingConfigurationsWithoutRole',
    'pinnedScalingGroups',
  ])
    expect(region.sources).not.toHaveProperty(list);
  // The metadata kind still reads; the attach sweep itself is unaffected.
  expect(region.sources?.normalMetadataMode).toEqual(['i-hz01', 'i-hz03', 'i-hz04', 'i-hz05']);
  for (const action of SOURCE_WRITES) expect(emulator.stats().calls[action]).toBeUndefined();
  const text = await runCli([
    'sweep',
    '--region',
    'cn-hangzhou',
    '--role',
    DESIGNATED_ROLE,
    ...emulatorFlags(emulator, tempState()),
    '--quiet',
  ]);
  expect(text.stdout).toMatch(/sources not read: templates: .*ess:DescribeScalingGroups/);
  expect(text.stdout).not.toMatch(/launch templates without the role/);
});
