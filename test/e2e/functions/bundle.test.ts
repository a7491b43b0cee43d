/**
 * The deployable artefacts, driven for real: the esbuild bundles in dist/functions (whose SDK model
 * index is trimmed to the actions we call, see scripts/bundle.mjs) attach roles against the emulator
 * exactly as the sources do, and the bundled CLI (dist/cli/main.js) runs a whole execution.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EmulatorHandle } from '../../../src/emulator';
import { builtCliEnv, cliFleet, fleetId } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent, stateChangeEvent } from '../../helpers/events';
import { fcContext, setFunctionEnv } from '../../helpers/fcContext';
import { organizationFleet } from '../../helpers/organization';

const root = join(__dirname, '../../..');
type Handler = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
const load = (name: string): Handler => {
  const file = join(root, 'dist/functions', name, 'index.js');
  expect(existsSync(file)).toBe(true); // npm ci builds dist/ through `prepare`
  return (require(file) as { handler: Handler }).handler;
};

let emulator: EmulatorHandle;
let restoreEnv: () => void;
beforeEach(async () => {
  emulator = await startTestEmulator({ fleet: cliFleet(30) });
  restoreEnv = setFunctionEnv(emulator, {
    RAM_ROLE_NAME: DESIGNATED_ROLE,
    STATE: mkdtempSync(join(tmpdir(), 'era-bundle-')),
    FC_ACCOUNT_ID: emulator.accountId,
    FC_REGION: 'cn-hangzhou',
  });
});
afterEach(async () => {
  restoreEnv();
  await emulator.close();
});

const roleOf = (id: string) => emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName;

describe('bundled functions', () => {
  it('on-instance-created attaches the role from a batch of creation events', async () => {
    const handler = load('on-instance-created');
    const ids = [fleetId(1), fleetId(2), fleetId(3)];
    const events = ids.map((instanceId) => stateChangeEvent({ instanceId, accountId: emulator.accountId }));
    const result = await handler(asFcEvent(events), fcContext(emulator));
    expect(result).toMatchObject({ attached: ids, failed: [] });
    for (const id of ids) expect(roleOf(id)).toBe(DESIGNATED_ROLE);
    expect(roleOf(fleetId(4))).toBe('');
  });

  it('workflow plans and steps an execution to Success', async () => {
    const handler = load('workflow');
    const context = fcContext(emulator, { functionName: 'ecs-role-attach-workflow', timeout: 600 });
    const planned = await handler(
      asFcEvent({
        action: 'plan',
        params: {
          regionId: 'cn-hangzhou',
          RamRoleName: DESIGNATED_ROLE,
          targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] },
          rateControl: { Mode: 'Batch', Batch: [1, '50%'] },
        },
      }),
      context,
    );
    expect(planned).toMatchObject({ status: 'Running' });
    const stepped = await handler(
      asFcEvent({ action: 'step', executionId: planned['executionId'] }),
      context,
    );
    expect(stepped).toMatchObject({ status: 'Success', counts: { attached: 10, failed: 0 } });
  });
});

describe('bundled sweep at organization scope', () => {
  it('sweeps the members named by the timer payload through STS and Resource Directory', async () => {
    const org = await startTestEmulator({ fleet: organizationFleet() });
    const restore = setFunctionEnv(org, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: mkdtempSync(join(tmpdir(), 'era-bundle-org-')),
      FC_ACCOUNT_ID: org.accountId,
      FC_REGION: 'cn-hangzhou',
    });
    try {
      const payload = JSON.stringify({
        regions: ['cn-hangzhou'],
        role: DESIGNATED_ROLE,
        accounts: 'folder:fd-prod',
      });
      const event = { triggerTime: '2026-12-01T00:00:00Z', triggerName: 'sweep', payload };
      const report = await load('sweep')(
        asFcEvent(event),
        fcContext(org, { functionName: 'sweep', timeout: 600 }),
      );
      expect(report).toMatchObject({ status: 'Success', totals: { accounts: 2, attached: 4 } });
    } finally {
      restore();
      await org.close();
    }
  });
});

describe('bundled CLI', () => {
  it('runs an execution through bin/ecs-role-attach.js', async () => {
    // Asynchronous: the emulator answers from this process's event loop.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(root, 'bin/ecs-role-attach.js'),
        'run',
        '--region',
        'cn-hangzhou',
        '--role',
        DESIGNATED_ROLE,
        '--targets',
        '{"Type":"All"}',
        '--endpoint',
        emulator.endpoint,
        '--state',
        mkdtempSync(join(tmpdir(), 'era-bundle-cli-')),
        '--output',
        'json',
        '--quiet',
      ],
      {
        env: builtCliEnv(),
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ status: 'Success', counts: { total: 30, attached: 30 } });
  });
});
