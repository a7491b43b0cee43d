/**
 * Crash safety, fast version (the soak test does 20 kills over 2,000 instances): the built CLI is
 * SIGKILLed 3 times during a 500-instance execution and resumed each time; every target ends with
 * exactly one outcome, matching the emulator, and no instance is written twice.
 */
import { existsSync } from 'node:fs';
import { BUILT, type CrashOutcome, crashAndResume, expectConsistent } from './crashHarness';

let outcome: CrashOutcome | undefined;
afterEach(async () => {
  await outcome?.emulator.close();
  outcome = undefined;
});

describe('crash and resume (3 kills, 500 instances)', () => {
  it('ends with one outcome per target, matching the emulator, nothing written twice', async () => {
    expect(existsSync(BUILT)).toBe(true); // `npm run build` (or `npm ci`, through prepare) builds dist/
    outcome = await crashAndResume({
      instances: 500,
      kills: 3,
      seed: 7,
      // 10 calls of 50 ids: batches of 10%, one call each
      rateControl: '{"Mode":"Batch","Batch":["10%"]}',
    });
    const killed = outcome.exits.filter((exit) => exit.signal === 'SIGKILL');
    expect(killed).toHaveLength(3);
    expectConsistent(outcome, 500);
  });
});
