/**
 * The console over a role-rules sweep (CLI `sweep --rules` against the emulator): the executions list
 * names the rules, and the compliance page counts an accepted role as compliant, as the sweep does,
 * whether it reads summary.json or the plan and journal.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startConsole } from '../../../src/cli/console/server';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { cliFleet, fleetId, runCli, tempState, useEmulatorCredentials } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

let emulator: EmulatorHandle;

beforeAll(async () => {
  useEmulatorCredentials();
  // Four instances; the second bears OtherEcsRole, which the rules accept.
  emulator = await startTestEmulator({
    fleet: cliFleet(4, { [fleetId(1)]: { RamRoleName: 'OtherEcsRole' } }),
  });
});

afterAll(async () => {
  await emulator.close();
});

async function pages(state: string): Promise<{ list: string; compliance: string }> {
  const console = await startConsole({ state });
  try {
    const get = async (path: string) => {
      const response = await fetch(`${console.origin}${path}`, {
        headers: { authorization: `Bearer ${console.token}` },
      });
      expect(response.status).toBe(200);
      return response.text();
    };
    return { list: await get('/'), compliance: await get('/compliance') };
  } finally {
    await console.close();
  }
}

describe('console over a role-rules sweep', () => {
  it('names the rules and counts the accepted role as compliant', async () => {
    const state = tempState();
    const rules = join(state, '..', `rules-${process.pid}.yaml`);
    writeFileSync(
      rules,
      `rules:\n  - name: everyone\n    match: {}\n    role: ${DESIGNATED_ROLE}\nacceptedRoles: [OtherEcsRole]\n`,
    );
    const sweep = await runCli([
      'sweep',
      '--region',
      'cn-hangzhou',
      '--rules',
      rules,
      '--endpoint',
      emulator.endpoint,
      '--state',
      state,
      '--quiet',
      '--output',
      'json',
    ]);
    expect(sweep.code).toBe(0);
    const [region] = sweep.json<{ regions: { executionId: string; compliantAfter: number }[] }>().regions;
    expect(region?.compliantAfter).toBe(4);

    const fromSummary = await pages(state);
    expect(fromSummary.list).toContain(`rules: everyone → ${DESIGNATED_ROLE}`);
    expect(fromSummary.compliance).toMatch(
      /<td class="num">4<\/td><td class="num">4<\/td><td class="num">100\.0%<\/td>/,
    );
    expect(fromSummary.compliance).toContain('0 instances not compliant');
    // The same from plan and journal (a store written before summaries existed).
    rmSync(join(state, 'executions', region!.executionId, 'summary.json'));
    expect((await pages(state)).compliance).toBe(fromSummary.compliance);
  });
});
