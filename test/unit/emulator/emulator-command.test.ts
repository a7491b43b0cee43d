import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { Command } from 'commander';
import { emulatorOptionsFromFlags, registerEmulatorCommand } from '../../../src/cli/commands/emulator';
import { smallFleet } from '../../helpers/emulator';

function harness() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  let exitCode = 0;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const program = new Command().exitOverride();
  registerEmulatorCommand(
    program,
    { stdout, stderr, setExitCode: (code) => (exitCode = code) },
    { waitForStop: () => stopped },
  );
  return { program, stop, out: () => out, err: () => err, exitCode: () => exitCode };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-cmd-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ecs-role-attach emulator', () => {
  it('serves a --fleet file, prints one JSON line, and stops when asked', async () => {
    const file = join(dir, 'fleet.json');
    await writeFile(file, JSON.stringify(smallFleet()));
    const h = harness();
    const running = h.program.parseAsync(['node', 'x', 'emulator', '--fleet', file, '--port', '0']);
    while (!h.out().includes('\n')) await new Promise((resolve) => setImmediate(resolve));
    const lines = h.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    const ready = JSON.parse(lines[0]!);
    expect(Object.keys(ready)).toEqual([
      'endpoint',
      'accessKeyId',
      'accessKeySecret',
      'accountId',
      'regions',
    ]);
    expect(ready).toMatchObject({ accountId: '1234567890123456', regions: ['cn-hangzhou', 'cn-shanghai'] });
    expect(ready.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ecs = new Ecs(
      new $OpenApiUtil.Config({
        accessKeyId: ready.accessKeyId,
        accessKeySecret: ready.accessKeySecret,
        endpoint: ready.endpoint.slice('http://'.length),
        protocol: 'http',
        regionId: 'cn-shanghai',
      }),
    );
    const listed = await ecs.describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: 'cn-shanghai' }),
    );
    expect(listed.body!.totalCount).toBe(4);
    h.stop();
    await running;
    await expect(fetch(`${ready.endpoint}/_emulator/stats`)).rejects.toThrow();
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc"'],
    [['--instances', '-1'], '--instances must be an integer'],
    [['--latency-ms', '1.5'], '--latency-ms must be an integer'],
    [['--fleet', '/nonexistent/fleet.json'], '--fleet /nonexistent/fleet.json cannot be read'],
  ])('rejects %j with exit code 2 and starts nothing', async (args, message) => {
    const h = harness();
    await h.program.parseAsync(['node', 'x', 'emulator', ...args]);
    expect(h.exitCode()).toBe(2);
    expect(h.err()).toContain(message);
    expect(h.out()).toBe('');
  });

  it('takes --bucket names, refusing an invalid one by name', async () => {
    await expect(emulatorOptionsFromFlags({ bucket: ['era-state', 'other-1'] })).resolves.toMatchObject({
      buckets: ['era-state', 'other-1'],
    });
    await expect(emulatorOptionsFromFlags({ bucket: ['Bad_Bucket'] })).rejects.toThrow(
      /--bucket must be an OSS bucket name .*"Bad_Bucket"/,
    );
  });

  it('names invalid fleet fields and reads YAML fleets', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ instances: [{ InstanceId: 'i-1', Status: 'Flying' }] }));
    await expect(emulatorOptionsFromFlags({ fleet: bad })).rejects.toThrow(/instances\[0\]\.Status|Status/);
    const yaml = join(dir, 'fleet.yaml');
    await writeFile(yaml, 'instances:\n  - InstanceId: i-y1\n    RegionId: cn-beijing\n');
    const options = await emulatorOptionsFromFlags({ fleet: yaml, seed: '7', latencyMs: '5' });
    expect(options).toMatchObject({
      port: 0,
      seed: 7,
      latencyMs: 5,
      fleet: { instances: [{ InstanceId: 'i-y1' }] },
    });
    await expect(emulatorOptionsFromFlags({ fleet: yaml, instances: '3' })).rejects.toThrow(
      /exclude each other/,
    );
  });
});
