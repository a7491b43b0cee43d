import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  copyLegacyState,
  LEGACY_STORE,
  type LegacyScenario,
  legacyFollowUps,
} from '../../helpers/legacyStore';

// The fixture was written by release 0.1.0 (commit cb4898c) through FsExecutionStore, and
// `expected` is what that release reported for the same follow-up operations.
const scenarios = JSON.parse(readFileSync(join(LEGACY_STORE, 'scenarios.json'), 'utf8')) as Record<
  string,
  unknown
> & { expected: Record<string, unknown>; clock: number };

describe('a store written by release 0.1.0', () => {
  it('reports, continues, retries and resumes its executions as 0.1.0 did', async () => {
    const directory = copyLegacyState();
    try {
      const results = await legacyFollowUps(
        directory,
        scenarios as unknown as Record<string, LegacyScenario>,
        scenarios.clock,
      );
      expect(JSON.parse(JSON.stringify(results))).toEqual(scenarios.expected);
      // The interrupted chunk is settled by reading the roles: no blind second write.
      expect(results.crashedAttachCalls).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
