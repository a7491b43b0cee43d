/**
 * Operator `resume-events`: the backlog of a (region, role) event path becomes one batch execution and
 * the breaker closes.
 */
import { EVENT_PATH_DEFAULTS } from '../../defaults.js';
import { readDoc, writeDoc } from '../../documents.js';
import { mergeExclusions } from '../../exclusions.js';
import { createExecution, type EngineDeps } from '../../execution/index.js';
import type { ExecutionReport } from '../../execution/report.js';
import type { ConflictPolicy, Exclusions, ExecutionMode, RateControl, RoleRules } from '../../types.js';
import { RULES_LABEL } from '../../types.js';
import {
  backlogDoc,
  breakerDoc,
  closedBreaker,
  eventPathKeys,
  readBreaker,
  withBreakerLock,
} from './breaker.js';

/** What {@link resumeEventPath} did. */
export interface ResumeEventsResult {
  regionId: string;
  ramRoleName: string;
  /** Instance ids taken from the backlog. */
  backlog: number;
  /** The batch execution created for them (absent when the backlog was empty). */
  execution?: ExecutionReport;
  /** Breaker state before the resume. */
  wasOpen: boolean;
}

export interface ResumeEventsSettings {
  onConflict: ConflictPolicy;
  /** Merged by {@link mergeExclusions} (the default tag always excludes). */
  exclusions: Exclusions;
  /** @default EVENT_PATH_DEFAULTS.backlogRateControl */
  rateControl?: RateControl;
  /** @default 'Automatic' */
  mode?: ExecutionMode;
  /** Role rules of the event path (`ROLE_RULES`); `ramRoleName` is then {@link RULES_LABEL}. */
  rules?: RoleRules;
}

/**
 * Runs the backlog as a batch execution (ResourceIds targets, origin `event-backlog`; planned and stored
 * here, run by the caller with runExecution) and closes the breaker. When planning fails (e.g. the role
 * is still not usable) nothing changes: the backlog stays and the breaker stays open.
 * @example
 * const resumed = await resumeEventPath('cn-hangzhou', 'EcsAppRole', { ...engineDeps, owner }, settings);
 */
export async function resumeEventPath(
  regionId: string,
  ramRoleName: string,
  deps: EngineDeps & { owner: string },
  settings: ResumeEventsSettings,
): Promise<ResumeEventsResult> {
  const role = settings.rules ? RULES_LABEL : ramRoleName;
  const keys = eventPathKeys(regionId, role);
  return withBreakerLock(keys.breaker, deps, async () => {
    const breaker = await readBreaker(keys, deps);
    const backlog = (await readDoc(deps.store, backlogDoc(keys)))?.instanceIds ?? [];
    const result: ResumeEventsResult = {
      regionId,
      ramRoleName: role,
      backlog: backlog.length,
      wasOpen: breaker?.state === 'open',
    };
    if (backlog.length > 0) {
      result.execution = await createExecution(
        {
          regionId,
          ramRoleName: role,
          ...(settings.rules ? { rules: settings.rules } : {}),
          targets: { Type: 'ResourceIds', ResourceIds: backlog, RegionId: regionId },
          rateControl: settings.rateControl ?? EVENT_PATH_DEFAULTS.backlogRateControl,
          mode: settings.mode ?? 'Automatic',
          onConflict: settings.onConflict,
          exclusions: mergeExclusions(settings.exclusions),
        },
        deps,
        { origin: 'event-backlog' },
      );
    }
    const now = new Date(deps.clock.now()).toISOString();
    await writeDoc(deps.store, backlogDoc(keys), { instanceIds: [], updatedAt: now });
    await writeDoc(deps.store, breakerDoc(keys), closedBreaker(now));
    deps.logger.info(
      { regionId, ramRoleName: role, backlog: backlog.length, executionId: result.execution?.executionId },
      'event path resumed',
    );
    if (result.wasOpen) {
      deps.notifier?.publish({
        type: 'eventpath.breaker-closed',
        at: now,
        regionId,
        ramRoleName: role,
        backlog: backlog.length,
        ...(result.execution ? { executionId: result.execution.executionId } : {}),
      });
    }
    return result;
  });
}
