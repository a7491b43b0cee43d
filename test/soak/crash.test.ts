/**
 * Soak (`npm run test:soak`, not part of `npm test`): the built CLI is SIGKILLed at 20 seeded points of
 * a 2,000-instance execution (40 AttachInstanceRamRole calls of 50 ids), resumed each time; at the end
 * every target has exactly one outcome, it matches the emulator's truth, and no instance was written twice.
 */
import { existsSync } from 'node:fs';
import { BUILT, type CrashOutcome, crashAndResume, expectConsistent } from '../reliability/crashHarness';

let outcome: CrashOutcome | undefined;
afterEach(async () => {
  await outcome?.emulator.close();
  outcome = undefined;
});

describe('soak: crash and resume (20 kills, 2,000 instances)', () => {
  it.each([20261122, 5])(
    'seed %i',
    async (seed) => {
      expect(existsSync(BUILT)).toBe(true);
      outcome = await crashAndResume({
        instances: 2000,
        kills: 20,
        seed,
        latencyMs: 20,
        rateControl: '{"Mode":"Batch","Batch":["10%"],"ConcurrencyInBatches":50}',
      });
      expect(outcome.exits.filter((exit) => exit.signal === 'SIGKILL')).toHaveLength(20);
      expectConsistent(outcome, 2000);
    },
    300_000,
  );
});
