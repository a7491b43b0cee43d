/**
 * `ecs-role-attach harden-metadata` end to end with the real ECS SDK against the emulator: canary first,
 * FailurePause at a forced failure, retry, every targeted instance `required`; role-less instances left
 * alone; rollback to `optional` for exactly the instances it changed; a crash mid-run resumed without a
 * blind second write; dry run and bad input with zero writes.
 */
import { createCloudApis } from '../../../src/cloud/clients';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { createExecution } from '../../../src/engine/execution/index';
import type { ExecutionReport } from '../../../src/engine/index';
import { FsExecutionStore } from '../../../src/store/index';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

let emulator: EmulatorHandle;
beforeAll(() => useEmulatorCredentials());
afterEach(() => emulator.close());

/** i-f00000..5 bear the role except i-f00005; i-f00001 is hardened already. */
async function start(): Promise<void> {
  const overrides: Parameters<typeof cliFleet>[1] = Object.fromEntries(
    [0, 1, 2, 3, 4].map((i) => [fleetId(i), { RamRoleName: DESIGNATED_ROLE }]),
  );
  overrides[fleetId(1)] = { RamRoleName: DESIGNATED_ROLE, HttpTokens: 'required' };
  emulator = await startTestEmulator({ fleet: cliFleet(6, overrides) });
}

const modes = () => [0, 1, 2, 3, 4, 5].map((i) => emulator.state.instancesById.get(fleetId(i))!.HttpTokens);
const writes = (i: number) => emulator.state.instancesById.get(fleetId(i))!.MetadataWrites;
const metadataCalls = () => emulator.stats().calls['ModifyInstanceMetadataOptions'] ?? 0;

function harden(state: string, ...extra: string[]) {
  return runCli([
    'harden-metadata',
    '--region',
    'cn-hangzhou',
    '--targets',
    '{"Type":"All"}',
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
    ...extra,
  ]);
}

it('pauses at a forced failure after the canary, retries, hardens every targeted instance; rollback reverts exactly those', async () => {
  await start();
  emulator.setFaults({ instanceErrors: { [fleetId(2)]: 'IncorrectInstanceStatus' } });
  const state = tempState();
  const first = await harden(state);
  expect(first.code).toBe(3);
  const paused = first.json<ExecutionReport>();
  expect(paused).toMatchObject({
    kind: 'harden-metadata',
    status: 'Waiting',
    pauseReason: 'MaxErrorsExceeded',
    mode: 'FailurePause',
  });
  // Canary batch of one, then 10% batches: i-f00000 alone first, then i-f00002 fails and pauses the rest.
  expect(paused.batches.map((b) => b.size)).toEqual([1, 1, 1, 1]);
  expect(modes()).toEqual(['required', 'required', 'optional', 'optional', 'optional', 'optional']);
  expect(paused.instances.find((i) => i.instanceId === fleetId(5))).toMatchObject({
    outcome: 'Skipped',
    reason: 'NoRole',
  });
  expect(paused.instances.find((i) => i.instanceId === fleetId(1))).toMatchObject({
    outcome: 'AlreadyCompliant',
  });

  emulator.setFaults({ instanceErrors: { [fleetId(2)]: null } });
  const retried = await runCli([
    'retry',
    paused.executionId,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(retried.code).toBe(0);
  expect(retried.json<ExecutionReport>().counts).toMatchObject({
    updated: 4,
    alreadyCompliant: 1,
    skipped: 1,
    failed: 0,
    pending: 0,
  });
  expect(modes()).toEqual(['required', 'required', 'required', 'required', 'required', 'optional']);

  const rollback = await runCli([
    'rollback',
    paused.executionId,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(rollback.code).toBe(0);
  const reverted = rollback.json<ExecutionReport>();
  expect(reverted.counts).toMatchObject({ reverted: 4, failed: 0 });
  expect(reverted.instances.map((i) => i.instanceId).sort()).toEqual([0, 2, 3, 4].map(fleetId));
  // i-f00001 was hardened before the execution: it stays hardened.
  expect(modes()).toEqual(['optional', 'required', 'optional', 'optional', 'optional', 'optional']);
});

it('hardens a role-less instance only when told, and a dry run writes nothing', async () => {
  await start();
  const state = tempState();
  const dry = await harden(state, '--include-roleless', '--dry-run');
  expect(dry.code).toBe(0);
  expect(dry.json<ExecutionReport>().instances.find((i) => i.instanceId === fleetId(5))).toMatchObject({
    outcome: 'Updated',
  });
  expect(metadataCalls()).toBe(0);
  expect(await new FsExecutionStore(state).list()).toHaveLength(0);
  const run = await harden(
    state,
    '--include-roleless',
    '--rate-control',
    '{"Mode":"Concurrency","Concurrency":10}',
  );
  expect(run.code).toBe(0);
  expect(modes()).toEqual(Array(6).fill('required'));
  // One call per instance: five instances needed the write.
  expect(metadataCalls()).toBe(5);
});

it('resumes a run that crashed mid-call without writing the landed instance again', async () => {
  await start();
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
  const rateControl = { Mode: 'Concurrency' as const, Concurrency: 10, MaxErrors: 0 };
  const planned = await createExecution(
    {
      kind: 'harden-metadata',
      hardenRoleless: false,
      regionId: 'cn-hangzhou',
      ramRoleName: '',
      targets: { Type: 'All', RegionId: 'cn-hangzhou' },
      rateControl,
      mode: 'FailurePause',
      onConflict: 'skip',
      exclusions: { tags: [], instanceIds: [] },
    },
    deps,
    { origin: 'cli' },
  );
  // The process wrote its intent for four instances and died after the write of i-f00000 landed.
  await store.append(planned.executionId, {
    at: new Date().toISOString(),
    type: 'intent',
    chunkId: 'chunk-crashed',
    operation: 'harden',
    instanceIds: [0, 2, 3, 4].map(fleetId),
  });
  await cloud.sources.metadata.modifyInstanceMetadataOptions('cn-hangzhou', fleetId(0), 'required');
  const resumed = await runCli([
    'resume',
    planned.executionId,
    ...emulatorFlags(emulator, state),
    '--output',
    'json',
    '--quiet',
  ]);
  expect(resumed.code).toBe(0);
  expect(resumed.json<ExecutionReport>().counts).toMatchObject({ updated: 4, pending: 0, failed: 0 });
  expect(writes(0)).toBe(1);
  expect([2, 3, 4].map(writes)).toEqual([1, 1, 1]);
  expect(modes()).toEqual(['required', 'required', 'required', 'required', 'required', 'optional']);
});

it('refuses bad input with exit 2 and zero calls', async () => {
  await start();
  const state = tempState();
  for (const args of [
    ['--kinds', 'launch-template'],
    ['--mode', 'Sometimes'],
    ['--region', 'cn-hangzhou,cn-shanghai'],
    ['--rate-control', '{"Mode":"Batch","Batch":[0]}'],
  ]) {
    const result = await harden(state, ...args);
    expect(result.code).toBe(2);
    // The message names the flag (an unknown flag is refused by the parser, the rest by the input schema).
    expect(result.stderr).toContain(args[0]);
  }
  expect(emulator.stats().calls).toEqual({});
});
