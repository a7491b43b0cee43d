/**
 * Fuzzed input (fast-check) at every boundary: CLI flags and --params files (run in-process against
 * the emulator), CloudEvents, timer payloads and workflow control input. Never an unhandled exception;
 * invalid input yields a clear error naming a field (exit 2 / InvalidInputError) and zero cloud calls,
 * checked through the emulator's stats.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createHandler as onInstanceCreated } from '../../functions/on-instance-created/index';
import { createHandler as sweepHandler } from '../../functions/sweep/index';
import { createHandler as workflowHandler } from '../../functions/workflow/index';
import type { EmulatorHandle } from '../../src/emulator/index';
import { InvalidInputError, RoleAttachError } from '../../src/engine/errors';
import { silentLogger } from '../../src/engine/ports';
import { decodeInstanceEvents } from '../../src/inputs/events';
import { decodeTimerEvent } from '../../src/inputs/timer';
import { decodeWorkflowRequest } from '../../src/inputs/workflowRequest';
import { cliFleet, runCli, tempState, useEmulatorCredentials } from '../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../helpers/emulator';
import {
  apiCallEvent,
  asFcEvent,
  otherEvent,
  stateChangeEvent,
  TEST_ACCOUNT_ID,
  timerEvent,
} from '../helpers/events';

let emulator: EmulatorHandle;
let state: string;
beforeAll(async () => {
  useEmulatorCredentials();
  emulator = await startTestEmulator({ fleet: cliFleet(30) });
  state = tempState();
});
afterAll(async () => {
  await emulator.close();
});

const WRITE_ACTIONS = ['AttachInstanceRamRole', 'DetachInstanceRamRole'] as const;

/** Half plausible, half garbage: the parser must hold on both. */
function valueOr<T>(plausible: fc.Arbitrary<T>): fc.Arbitrary<T | string> {
  return fc.oneof({ arbitrary: plausible, weight: 6 }, fc.string(), fc.json());
}

const targetsArb = fc.oneof(
  { arbitrary: fc.constant('{"Type":"All"}'), weight: 4 },
  { arbitrary: fc.constant('{"Type":"ResourceIds","ResourceIds":["i-f00001","i-nosuch"]}'), weight: 4 },
  fc
    .record(
      {
        Type: fc.oneof(fc.constantFrom('All', 'Tags', 'ResourceIds', 'ResourceGroup'), fc.string()),
        ResourceIds: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant('i-f00002')), { maxLength: 3 }),
        Tags: fc.array(fc.record({ Key: fc.string(), Value: fc.anything() }, { requiredKeys: [] }), {
          maxLength: 2,
        }),
        ResourceGroupId: fc.anything(),
        RegionId: fc.oneof(fc.constant('cn-hangzhou'), fc.string()),
        Parameters: fc.anything(),
        Extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string(),
  fc.json(),
);

const amountArb = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom('10%', '0%', '101%', '5.5%', 'abc', '', '-1', '1e3'),
  fc.double(),
  fc.anything(),
);
const rateControlArb = fc.oneof(
  {
    arbitrary: fc.constantFrom('{"Mode":"Batch","Batch":[1,"50%"]}', '{"Concurrency":"20%","MaxErrors":1}'),
    weight: 5,
  },
  fc
    .record(
      {
        Mode: fc.oneof(fc.constantFrom('Batch', 'Concurrency'), fc.string()),
        Batch: fc.oneof(fc.array(amountArb, { maxLength: 3 }), amountArb),
        Concurrency: amountArb,
        ConcurrencyInBatches: fc.oneof(amountArb, fc.array(amountArb, { maxLength: 2 })),
        MaxErrors: amountArb,
        BatchPauseOption: fc.oneof(fc.constantFrom('Automatic', 'EveryBatchPause'), fc.string()),
        Unknown: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string(),
);

const qpsArb = fc.oneof(
  { arbitrary: fc.constant('AttachInstanceRamRole=50,default=50'), weight: 5 },
  fc.constantFrom('', '=', 'Attach=0', 'A=-1', 'A=1,A=2', 'Describe Instances=3', 'x=1e9'),
  fc.string(),
);

/** One `run` command line, and optionally a --params file. */
const runArgsArb = fc.record(
  {
    region: valueOr(fc.constant('cn-hangzhou')),
    role: fc.oneof(
      { arbitrary: fc.constantFrom(DESIGNATED_ROLE, 'NoSuchRole', 'NotEcsRole'), weight: 6 },
      fc.string(),
    ),
    targets: targetsArb,
    rateControl: rateControlArb,
    qps: qpsArb,
    mode: valueOr(fc.constantFrom('Automatic', 'FailurePause')),
    onConflict: valueOr(fc.constantFrom('skip', 'fail', 'replace')),
    excludeTag: fc.oneof(fc.constant('ecs-role-attach:exclude'), fc.string()),
    // the content of a --params file
    paramsFile: fc.oneof(
      fc
        .dictionary(
          fc.oneof(
            {
              arbitrary: fc.constantFrom(
                'regionId',
                'RamRoleName',
                'targets',
                'rateControl',
                'OOSAssumeRole',
                'mode',
                'onConflict',
              ),
              weight: 4,
            },
            fc.string(),
          ),
          fc.oneof(
            fc.json().map((text) => JSON.parse(text) as unknown),
            fc.string(),
            fc.constant('cn-hangzhou'),
          ),
          { maxKeys: 4 },
        )
        .map((params) => JSON.stringify(params)),
      fc.anything().map((value) => JSON.stringify(value) ?? 'null'),
      fc.string(),
    ),
  },
  { requiredKeys: ['region', 'role', 'targets'] },
);

function writeCalls(): number {
  const calls = emulator.stats().calls;
  return WRITE_ACTIONS.reduce((sum, action) => sum + (calls[action] ?? 0), 0);
}

function totalCalls(): number {
  return Object.values(emulator.stats().calls).reduce((a, b) => a + b, 0);
}

describe('fuzzed CLI input', () => {
  it('never throws; invalid input exits 2 naming a field, with zero cloud calls', async () => {
    let counter = 0;
    let invalid = 0;
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(runArgsArb, async (input) => {
        const args = [
          'run',
          '--endpoint',
          emulator.endpoint,
          '--state',
          state,
          '--output',
          'json',
          '--quiet',
        ];
        const flag = (name: string, value: unknown) => {
          if (value !== undefined) args.push(name, String(value));
        };
        flag('--region', input.region);
        flag('--role', input.role);
        flag('--targets', input.targets);
        flag('--rate-control', input.rateControl);
        flag('--qps', input.qps);
        flag('--mode', input.mode);
        flag('--on-conflict', input.onConflict);
        flag('--exclude-tag', input.excludeTag);
        if (input.paramsFile !== undefined) {
          counter++;
          const file = join(state, `params-${counter}.json`);
          writeFileSync(file, input.paramsFile);
          args.push('--params', file);
        }
        emulator.resetStats();
        const result = await runCli(args); // rejects on an unhandled exception: the property fails
        expect([0, 1, 2, 3]).toContain(result.code);
        codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
        if (result.code === 2) {
          invalid++;
          expect(totalCalls()).toBe(0);
          // commander's own parse errors (e.g. a value that looks like a flag) print through commander;
          // every product validation error names its field and says nothing was changed
          if (result.stderr !== '') {
            expect(result.stderr).toMatch(/^ecs-role-attach: \S.* nothing was changed\.\n$/s);
          }
        }
        if (result.code === 1 && /does not exist|does not trust/.test(result.stderr)) {
          expect(writeCalls()).toBe(0); // role checks refuse before any write
        }
      }),
      { numRuns: 80, seed: 4242 },
    );
    // both sides were exercised: refusals, and runs that went through
    expect(invalid).toBeGreaterThan(20);
    expect((codes.get(0) ?? 0) + (codes.get(1) ?? 0)).toBeGreaterThan(5);
  });

  it.each([
    [['--qps', 'AttachInstanceRamRole=0'], '--qps'],
    [['--rate-control', '{"Mode":"Batch","Batch":[0]}'], '--rate-control Batch[0]'],
    [['--targets', '{"Type":"Nope"}'], '--targets'],
    [['--on-conflict', 'overwrite'], '--on-conflict'],
    [['--params', '/nonexistent/params.json'], '--params'],
  ])('%j is refused naming %s, with zero calls', async (extra, field) => {
    emulator.resetStats();
    const base = ['--region', 'cn-hangzhou', '--role', DESIGNATED_ROLE, '--targets', '{"Type":"All"}'];
    const result = await runCli([
      'run',
      ...base,
      ...extra,
      '--endpoint',
      emulator.endpoint,
      '--state',
      state,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(field);
    expect(totalCalls()).toBe(0);
  });
});

/** The decoders either decode or throw InvalidInputError naming a field; nothing else. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const invalid = error as InvalidInputError;
    expect(invalid.field.length).toBeGreaterThan(0);
    expect(invalid.message.startsWith(invalid.field)).toBe(true);
  }
}

/** A valid value with one member (at any depth) replaced by something arbitrary. */
function mutated(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.nat(), fc.anything()).map(([value, pick, replacement]) => {
    const copy = structuredClone(value);
    const paths: { parent: Record<string, unknown>; key: string }[] = [];
    const walk = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      for (const key of Object.keys(node)) {
        paths.push({ parent: node as Record<string, unknown>, key });
        walk((node as Record<string, unknown>)[key]);
      }
    };
    walk(copy);
    const target = paths[pick % Math.max(1, paths.length)];
    if (target) target.parent[target.key] = replacement;
    return copy;
  });
}

const instanceIdArb = fc.stringMatching(/^i-[a-z0-9]{4,12}$/);
const cloudEventArb = fc.oneof(
  instanceIdArb.map((instanceId) => stateChangeEvent({ instanceId })),
  fc.array(instanceIdArb, { minLength: 1, maxLength: 3 }).map((instanceIds) => apiCallEvent({ instanceIds })),
  fc.constant(otherEvent()),
);

describe('fuzzed events', () => {
  it('CloudEvents: decoded or refused with InvalidInputError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutated(cloudEventArb),
          fc.array(mutated(cloudEventArb), { maxLength: 4 }),
          fc.anything(),
          fc.string(),
          fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
          mutated(cloudEventArb).map((event) => asFcEvent(event)),
        ),
        (event) => decodesOrRefuses(() => decodeInstanceEvents(event, { accountId: TEST_ACCOUNT_ID })),
      ),
      { numRuns: 600, seed: 1 },
    );
  });

  it('timer payloads: decoded or refused with InvalidInputError', () => {
    const payload = fc.record(
      {
        regions: fc.oneof(fc.constant(['cn-hangzhou']), fc.anything()),
        role: fc.oneof(fc.constant(DESIGNATED_ROLE), fc.anything()),
        targets: fc.oneof(fc.constant({ Type: 'All' }), fc.anything()),
        rateControl: fc.oneof(fc.constant({ Mode: 'Batch', Batch: ['10%'] }), fc.anything()),
        mode: fc.oneof(fc.constant('Automatic'), fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          payload.map((p) => timerEvent(p)),
          mutated(payload.map((p) => timerEvent(p))),
          fc.string().map((p) => timerEvent(p)),
          fc.anything(),
        ),
        fc.boolean(),
        (event, asBuffer) =>
          decodesOrRefuses(() =>
            decodeTimerEvent(asBuffer && event !== undefined ? asFcEvent(event) : event),
          ),
      ),
      { numRuns: 600, seed: 2 },
    );
  });

  it('workflow control input: decoded or refused with InvalidInputError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record(
            {
              executionId: fc.oneof(fc.constant('exec-20261122T231501Z-4f3a9c'), fc.string(), fc.anything()),
              action: fc.oneof(fc.constantFrom('continue', 'retry', 'cancel'), fc.anything()),
              extra: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
          fc.string(),
        ),
        (input) => decodesOrRefuses(() => decodeWorkflowRequest(input)),
      ),
      { numRuns: 600, seed: 3 },
    );
  });
});

describe('fuzzed handler input (functions, in-process, against the emulator)', () => {
  const context = {
    requestId: 'fuzz',
    accountId: TEST_ACCOUNT_ID,
    region: 'cn-hangzhou',
    function: { name: 'fuzz', timeout: 10 },
  };
  const handlerEnv = () => ({
    RAM_ROLE_NAME: DESIGNATED_ROLE,
    STATE: join(state, 'functions'),
    ENDPOINT_OVERRIDE: emulator.endpoint,
    QPS: 'DescribeInstances=200,DescribeInstanceRamRole=200,AttachInstanceRamRole=200',
  });

  /** Resolves, or rejects with a product error; an invalid-input rejection made no call at all. */
  async function answersOrRefuses(invoke: () => Promise<unknown>): Promise<'ok' | 'invalid' | 'refused'> {
    emulator.resetStats();
    try {
      await invoke();
      return 'ok';
    } catch (error) {
      expect(error).toBeInstanceOf(RoleAttachError);
      if (error instanceof InvalidInputError) {
        expect(error.message.startsWith(error.field)).toBe(true);
        expect(totalCalls()).toBe(0);
        return 'invalid';
      }
      expect(writeCalls()).toBe(0);
      return 'refused';
    }
  }

  it('on-instance-created: CloudEvents', async () => {
    const handler = onInstanceCreated({ env: handlerEnv(), logger: silentLogger });
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(cloudEventArb),
          fc.array(mutated(cloudEventArb), { maxLength: 3 }),
          fc.anything(),
          fc.string().map((text) => Buffer.from(text)),
          cloudEventArb.map((event) => asFcEvent(event)),
        ),
        async (event) => {
          seen.add(await answersOrRefuses(() => handler(event, context)));
        },
      ),
      { numRuns: 120, seed: 11 },
    );
    expect(seen).toEqual(new Set(['ok', 'invalid']));
  });

  it('sweep: timer payloads', async () => {
    const handler = sweepHandler({ env: handlerEnv(), logger: silentLogger });
    const seen = new Set<string>();
    const payload = fc.record(
      {
        regions: fc.oneof({ arbitrary: fc.constant(['cn-hangzhou']), weight: 3 }, fc.anything()),
        role: fc.oneof({ arbitrary: fc.constant(DESIGNATED_ROLE), weight: 3 }, fc.anything()),
        targets: fc.oneof(
          fc.constant({ Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] }),
          fc.anything(),
        ),
        rateControl: fc.oneof(fc.constant({ Mode: 'Batch', Batch: ['50%'] }), fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: ['regions', 'role'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          payload.map((p) => timerEvent(p)),
          mutated(payload.map((p) => timerEvent(p))),
          fc.anything(),
        ),
        async (event) => {
          seen.add(await answersOrRefuses(() => handler(event, context)));
        },
      ),
      { numRuns: 80, seed: 12 },
    );
    expect(seen.has('invalid')).toBe(true);
  });

  it('workflow: plan, step, await and control inputs', async () => {
    const handler = workflowHandler({ env: handlerEnv(), logger: silentLogger });
    const seen = new Set<string>();
    const request = fc.record(
      {
        action: fc.oneof(
          {
            arbitrary: fc.constantFrom(
              'plan',
              'step',
              'await',
              'continue',
              'retry',
              'cancel',
              'resume-events',
            ),
            weight: 4,
          },
          fc.anything(),
        ),
        executionId: fc.oneof(fc.constant('exec-20261122T231501Z-4f3a9c'), fc.string(), fc.anything()),
        taskToken: fc.oneof(fc.string(), fc.anything()),
        params: fc.oneof(
          fc.constant({
            regionId: 'cn-hangzhou',
            RamRoleName: DESIGNATED_ROLE,
            targets: { Type: 'ResourceIds', ResourceIds: ['i-nosuch'] },
          }),
          fc.anything(),
        ),
        regionId: fc.oneof(fc.constant('cn-hangzhou'), fc.anything()),
      },
      { requiredKeys: ['action'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(request, mutated(request as fc.Arbitrary<Record<string, unknown>>), fc.anything()),
        async (event) => {
          seen.add(await answersOrRefuses(() => handler(event, context)));
        },
      ),
      { numRuns: 120, seed: 13 },
    );
    expect(seen.has('invalid')).toBe(true);
  });
});
