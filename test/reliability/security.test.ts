/**
 * Security at the edges: events from another account are refused; unsigned and wrongly signed calls
 * are refused by the emulator and change nothing; a full CLI run at LOG_LEVEL=debug (AccessKey and STS
 * credentials, with a throttling storm to exercise every log line) never prints the secret or the token;
 * the function role's policy lets it pass only the designated role.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as $Ecs from '@alicloud/ecs20140526';
import type { EmulatorHandle } from '../../src/emulator/index';
import { decodeInstanceEvents } from '../../src/inputs/events';
import { cliFleet, tempState } from '../helpers/cli';
import { DESIGNATED_ROLE, ecsClient, startTestEmulator, TEST_CREDENTIALS } from '../helpers/emulator';
import { apiCallEvent, stateChangeEvent, TEST_ACCOUNT_ID } from '../helpers/events';
import { BIN, BUILT } from './crashHarness';

const FOREIGN_ACCOUNT = '9999999999999999';

let emulator: EmulatorHandle;
const states: string[] = [];
beforeAll(async () => {
  emulator = await startTestEmulator({ fleet: cliFleet(120) });
});
afterAll(async () => {
  await emulator.close();
  for (const state of states) rmSync(state, { recursive: true, force: true });
});

describe('foreign events', () => {
  it('events of another account yield no instance and are logged as ForeignAccount', () => {
    const decoded = decodeInstanceEvents(
      [
        stateChangeEvent({ instanceId: 'i-f00001', accountId: FOREIGN_ACCOUNT }),
        apiCallEvent({ instanceIds: ['i-f00002', 'i-f00003'], accountId: FOREIGN_ACCOUNT }),
        stateChangeEvent({ instanceId: 'i-f00004', accountId: FOREIGN_ACCOUNT, arn: true }),
      ],
      { accountId: TEST_ACCOUNT_ID },
    );
    expect(decoded.instances).toEqual([]);
    expect(decoded.ignored.map((i) => i.reason)).toEqual([
      'ForeignAccount',
      'ForeignAccount',
      'ForeignAccount',
    ]);
  });
});

describe('signatures', () => {
  const attach = (options: Parameters<typeof ecsClient>[1]) =>
    ecsClient(emulator, options).attachInstanceRamRole(
      new $Ecs.AttachInstanceRamRoleRequest({
        regionId: 'cn-hangzhou',
        ramRoleName: DESIGNATED_ROLE,
        instanceIds: JSON.stringify(['i-f00010']),
      }),
    );

  async function refusal(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      return String((error as { code?: unknown }).code);
    }
    throw new Error('expected a refusal');
  }

  it.each([
    ['a wrong secret', { accessKeySecret: 'notTheSecret000000000000000000' }, 'SignatureDoesNotMatch'],
    ['an unknown AccessKey id', { accessKeyId: 'LTAI5tUnknown00000000000' }, 'InvalidAccessKeyId.NotFound'],
    ['a wrong security token', { sts: true, securityToken: 'CAISforged' }, 'InvalidSecurityToken'],
    [
      'legacy signing with a wrong secret',
      { signatureAlgorithm: 'v2' as const, accessKeySecret: 'x' },
      'SignatureDoesNotMatch',
    ],
  ])('a call with %s is refused and changes nothing', async (_name, options, code) => {
    emulator.resetStats();
    expect(await refusal(attach(options))).toMatch(new RegExp(`^${code.split('.')[0]}`));
    expect(Object.values(emulator.stats().rejected).reduce((a, b) => a + b, 0)).toBe(1);
    const instance = emulator.instances().find((i) => i.InstanceId === 'i-f00010');
    expect(instance).toMatchObject({ RamRoleName: '', AttachCount: 0 });
  });

  it('an unsigned call is refused and changes nothing', async () => {
    emulator.resetStats();
    const query = new URLSearchParams({
      Action: 'AttachInstanceRamRole',
      Version: '2014-05-26',
      RegionId: 'cn-hangzhou',
      RamRoleName: DESIGNATED_ROLE,
      InstanceIds: '["i-f00010"]',
      Format: 'JSON',
    });
    const response = await fetch(`${emulator.endpoint}/?${query}`);
    expect(response.status).toBeGreaterThanOrEqual(400);
    const body = (await response.json()) as { Code: string };
    expect(body.Code).toMatch(/Signature|AccessKey/);
    expect(emulator.stats().calls['AttachInstanceRamRole'] ?? 0).toBeLessThanOrEqual(1);
    expect(emulator.instances().find((i) => i.InstanceId === 'i-f00010')).toMatchObject({ AttachCount: 0 });
  });
});

/** Runs the built CLI as a child; returns stdout + stderr together. */
function runBuilt(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
        LOG_LEVEL: 'debug',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

describe('secrets never reach the logs', () => {
  it.each([
    [
      'AccessKey',
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_CREDENTIALS.plain.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_CREDENTIALS.plain.accessKeySecret,
      },
      [TEST_CREDENTIALS.plain.accessKeySecret],
    ],
    [
      'STS',
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_CREDENTIALS.sts.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_CREDENTIALS.sts.accessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: TEST_CREDENTIALS.sts.securityToken,
      },
      [TEST_CREDENTIALS.sts.accessKeySecret, TEST_CREDENTIALS.sts.securityToken],
    ],
  ])(
    'a full debug-level run with %s credentials prints neither secret nor token',
    async (_name, env, secrets) => {
      expect(existsSync(BUILT)).toBe(true);
      const state = tempState();
      states.push(state);
      // A storm so that retry, warning and failure paths all log; one instance fails on purpose.
      emulator.setFaults({
        throttleRate: 0.2,
        serverErrorRate: 0.05,
        instanceErrors: { 'i-f00020': 'InvalidInstance.Forbidden' },
      });
      try {
        const common = ['--endpoint', emulator.endpoint, '--state', state];
        const run = await runBuilt(
          [
            'run',
            '--region',
            'cn-hangzhou',
            '--role',
            DESIGNATED_ROLE,
            '--targets',
            '{"Type":"All"}',
            '--rate-control',
            '{"Mode":"Batch","Batch":["50%"],"MaxErrors":5}',
            '--on-conflict',
            'replace',
            '--max-targets',
            '100%',
            ...common,
            '--output',
            'json',
          ],
          env,
        );
        const wrongSecret = await runBuilt(
          [
            'run',
            '--region',
            'cn-hangzhou',
            '--role',
            DESIGNATED_ROLE,
            '--targets',
            '{"Type":"All"}',
            ...common,
          ],
          {
            ...env,
            ALIBABA_CLOUD_ACCESS_KEY_SECRET: `${env.ALIBABA_CLOUD_ACCESS_KEY_SECRET}x`,
          },
        );
        const output = run.output + wrongSecret.output;
        // the runs did log at debug level (retries) and reported
        expect(run.output).toMatch(/retrying cloud API call/);
        expect(run.output).toContain('"executionId"');
        expect(wrongSecret.code).not.toBe(0);
        for (const secret of secrets) {
          expect(output).not.toContain(secret);
          // nor a recognisable part of it
          expect(output).not.toContain(secret.slice(0, 16));
          expect(output).not.toContain(secret.slice(-16));
        }
      } finally {
        emulator.setFaults({
          throttleRate: null,
          serverErrorRate: null,
          instanceErrors: { 'i-f00020': null },
        });
      }
    },
  );
});

describe('function role policy', () => {
  interface Statement {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
  }
  const policy = JSON.parse(
    readFileSync(join(__dirname, '../../policies/function-role-policy.json'), 'utf8'),
  ) as { Statement: Statement[] };
  const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

  it('grants ram:PassRole only on the designated role', () => {
    const passing = policy.Statement.filter(
      (s) =>
        s.Effect === 'Allow' && list(s.Action).some((a) => /^ram:(PassRole|\*)$|^\*$|^ram:Pass\*$/.test(a)),
    );
    expect(passing.length).toBeGreaterThan(0);
    for (const statement of passing) {
      expect(list(statement.Action)).toEqual(['ram:PassRole']);
      expect(list(statement.Resource)).toEqual(['acs:ram:*:<ACCOUNT_ID>:role/<ROLE_NAME>']);
    }
  });

  it('has no wildcard action and no other RAM write', () => {
    for (const statement of policy.Statement) {
      for (const action of list(statement.Action)) {
        expect(action).not.toMatch(/\*/);
        if (action.startsWith('ram:')) expect(['ram:GetRole', 'ram:PassRole']).toContain(action);
      }
    }
  });
});

const HANDLER_BUNDLE = join(__dirname, '../../dist/functions/on-instance-created/index.js');

/** Invokes the bundled on-instance-created handler in a fresh Node process; stdout+stderr captured. */
function invokeBundle(
  event: unknown,
  context: Record<string, unknown>,
  env: Record<string, string>,
): Promise<{ output: string; result: Record<string, unknown> | undefined }> {
  const script = `
    const { handler } = require(process.env.HANDLER_BUNDLE);
    handler(Buffer.from(process.env.EVENT, 'utf8'), JSON.parse(process.env.CONTEXT)).then(
      (result) => process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n'),
      (error) => process.stdout.write('\\nERROR ' + String(error && error.message) + '\\n'),
    );`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HANDLER_BUNDLE,
        EVENT: JSON.stringify(event),
        CONTEXT: JSON.stringify(context),
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
        LOG_LEVEL: 'debug',
        RAM_ROLE_NAME: DESIGNATED_ROLE,
        FC_REGION: 'cn-hangzhou',
        ENDPOINT_OVERRIDE: emulator.endpoint,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', () => {
      const output = Buffer.concat(chunks).toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ output, result: line ? (JSON.parse(line.slice(7)) as Record<string, unknown>) : undefined });
    });
  });
}

describe('the on-instance-created handler (bundle)', () => {
  const sts = TEST_CREDENTIALS.sts;
  const secrets = [sts.accessKeySecret, sts.securityToken];

  it('refuses events of another account with zero cloud calls', async () => {
    expect(existsSync(HANDLER_BUNDLE)).toBe(true);
    const state = tempState();
    states.push(state);
    emulator.resetStats();
    const { result, output } = await invokeBundle(
      [
        stateChangeEvent({ instanceId: 'i-f00030', accountId: FOREIGN_ACCOUNT }),
        apiCallEvent({ instanceIds: ['i-f00031'], accountId: FOREIGN_ACCOUNT }),
      ],
      { requestId: 'sec-1', accountId: TEST_ACCOUNT_ID, region: 'cn-hangzhou', function: { timeout: 30 } },
      {
        STATE: state,
        ALIBABA_CLOUD_ACCESS_KEY_ID: sts.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sts.accessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: sts.securityToken,
      },
    );
    expect(result).toMatchObject({ attached: [], ignoredEvents: 2 });
    expect(output).toMatch(/ForeignAccount/);
    expect(Object.values(emulator.stats().calls).reduce((a, b) => a + b, 0)).toBe(0);
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  it.each([
    ['environment', 'env'],
    ['FC context', 'context'],
  ])(
    'STS credentials from the %s never reach its debug logs, through a throttling storm',
    async (_name, source) => {
      const state = tempState();
      states.push(state);
      // fresh instances: the CLI runs above attached the whole fleet
      const fresh = source === 'env' ? 'i-g00040' : 'i-g00042';
      const failing = `${fresh}x`;
      emulator.addInstances([fresh, failing].map((InstanceId) => ({ InstanceId, RegionId: 'cn-hangzhou' })));
      emulator.setFaults({ throttleRate: 0.3, instanceErrors: { [failing]: 'InvalidInstance.Forbidden' } });
      try {
        const keys = {
          accessKeyId: sts.accessKeyId,
          accessKeySecret: sts.accessKeySecret,
          securityToken: sts.securityToken,
        };
        const { result, output } = await invokeBundle(
          [stateChangeEvent({ instanceId: fresh }), stateChangeEvent({ instanceId: failing })],
          {
            requestId: `sec-${source}`,
            accountId: TEST_ACCOUNT_ID,
            region: 'cn-hangzhou',
            function: { name: 'on-instance-created', timeout: 30 },
            ...(source === 'context' ? { credentials: keys } : {}),
          },
          {
            STATE: state,
            ...(source === 'env'
              ? {
                  ALIBABA_CLOUD_ACCESS_KEY_ID: keys.accessKeyId,
                  ALIBABA_CLOUD_ACCESS_KEY_SECRET: keys.accessKeySecret,
                  ALIBABA_CLOUD_SECURITY_TOKEN: keys.securityToken,
                }
              : {}),
          },
        );
        expect(result?.['attached']).toEqual([fresh]);
        expect(output).toMatch(/"level":20/); // debug lines were written
        for (const secret of secrets) {
          expect(output).not.toContain(secret);
          expect(output).not.toContain(secret.slice(0, 16));
        }
      } finally {
        emulator.setFaults({ throttleRate: null, instanceErrors: { [failing]: null } });
      }
    },
  );
});
