/**
 * Follow-up operations on the store fixture `test/fixtures/store-0.1.0` (executions written by release
 * 0.1.0: done, rolled back, paused, paused on failure, interrupted between intent and result). The
 * fixture's `scenarios.json` holds what 0.1.0 itself returned for these operations, so a test can check
 * that newer code reads, resumes and reports the old store the same way.
 */

import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  controlExecution,
  type EngineDeps,
  getExecutionReport,
  runExecution,
} from '../../src/engine/execution/index';
import { silentLogger } from '../../src/engine/ports';
import { FsExecutionStore } from '../../src/store';
import { SteppingClock } from './clocks';
import { FakeEcs, FakeRam, fleet } from './engineFakes';

export const LEGACY_STORE = join(__dirname, '..', 'fixtures', 'store-0.1.0');

export interface LegacyScenario {
  id: string;
  roles: Record<string, string | null>;
}

/** A copy of the fixture's state directory, so that a test can change it. */
export function copyLegacyState(): string {
  const directory = mkdtempSync(join(tmpdir(), 'legacy-store-'));
  cpSync(join(LEGACY_STORE, 'state'), directory, { recursive: true });
  return directory;
}

function ecsWith(roles: Record<string, string | null>): FakeEcs {
  const ids = Object.keys(roles);
  return new FakeEcs(
    fleet(ids.length, (index) => {
      const role = roles[ids[index] as string];
      return {
        ...(role ? { role } : {}),
        ...(index === 2 && ids.length === 8 ? { tags: { 'ecs-role-attach:exclude': 'yes' } } : {}),
      };
    }),
  );
}

/** Reads, resumes and decides the fixture's executions; returns what each step reported. */
export async function legacyFollowUps(
  stateDirectory: string,
  scenarios: Record<string, LegacyScenario>,
  clockStart: number,
): Promise<Record<string, unknown>> {
  const clock = new SteppingClock(Date.UTC(2026, 10, 22, 12));
  // Later than every lease the fixture left behind.
  clock.time = clockStart + 60 * 60_000;
  const store = new FsExecutionStore(stateDirectory, { clock });
  const deps = (ecs: FakeEcs): EngineDeps => ({
    ecs,
    ram: new FakeRam(['EcsAppRole']),
    store,
    clock,
    random: () => 0.5,
    logger: silentLogger,
    owner: 'follow-up',
  });
  const scenario = (name: string) => scenarios[name] as LegacyScenario;
  const none = new FakeEcs([]);
  const results: Record<string, unknown> = {};
  results.doneReport = await getExecutionReport(scenario('done').id, store);
  results.rollbackReport = await getExecutionReport(scenario('rollback').id, store);

  const paused = ecsWith(scenario('paused').roles);
  await controlExecution(scenario('paused').id, 'continue', deps(paused));
  results.pausedContinued = await runExecution(scenario('paused').id, deps(paused));
  results.pausedAttachCalls = paused.attachCount();

  const failing = ecsWith(scenario('failurePause').roles);
  await controlExecution(scenario('failurePause').id, 'retry', deps(failing));
  results.failurePauseRetried = await runExecution(scenario('failurePause').id, deps(failing));
  results.failurePauseAttachCalls = failing.attachCount();

  const crashed = ecsWith(scenario('crashed').roles);
  results.crashedResumed = await runExecution(scenario('crashed').id, deps(crashed));
  results.crashedAttachCalls = crashed.attachCount();
  void none;
  return results;
}
