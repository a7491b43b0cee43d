/**
 * What every step of the event path shares (its defaults are EVENT_PATH_DEFAULTS of defaults.ts): its settings, its dependencies and the
 * per-region summary it returns. A leaf: imports only engine vocabulary.
 */

import type { Notifier } from '../../notifications.js';
import type { Clock, EcsApi, ExecutionStore, Logger, RamApi } from '../../ports.js';
import type { ConflictPolicy, Exclusions, InstanceOutcome, RoleRules } from '../../types.js';

export interface EventPathSettings {
  /** The one role; `RULES_LABEL` (ignored) when `rules` assign the role per instance. */
  ramRoleName: string;
  /** Role rules (validated, e.g. `ROLE_RULES`): the role, policy and conflict policy per instance. */
  rules?: RoleRules;
  onConflict: ConflictPolicy;
  /** The deployment's exclusions, merged by `mergeExclusions` (the default tag always excludes). */
  exclusions: Exclusions;
  /** @default EVENT_PATH_DEFAULTS.breakerThreshold */
  breakerThreshold?: number;
  /** Absolute time (deps.clock) after which no re-attempt starts. */
  deadline: number;
  /** @default EVENT_PATH_DEFAULTS.initialRetryDelayMs */
  initialRetryDelayMs?: number;
  /** @default EVENT_PATH_DEFAULTS.maxRetryDelayMs */
  maxRetryDelayMs?: number;
}

export interface EventPathDeps {
  ecs: EcsApi;
  ram: RamApi;
  store: ExecutionStore;
  clock: Clock;
  logger: Logger;
  /** Lock owner, e.g. the FC request id. */
  owner: string;
  /** Told when the breaker opens (`eventpath.breaker-opened`). @default none */
  notifier?: Notifier;
  /** Flags repeated in the command the notification shows, e.g. ` --state oss://bucket/prefix`. */
  commandFlags?: string;
}

/** What happened to each instance of one region. */
export interface EventPathSummary {
  attached: string[];
  alreadyAttached: string[];
  skipped: { instanceId: string; reason: string; message?: string }[];
  failed: { instanceId: string; code: string; message: string }[];
  /** Queued for `resume-events` because the breaker is (or just became) open. */
  backlogged: string[];
}

/** An empty summary (to merge regions into). */
export function emptySummary(): EventPathSummary {
  return { attached: [], alreadyAttached: [], skipped: [], failed: [], backlogged: [] };
}

/** Merges the per-region summaries of one invocation. */
export function mergeSummaries(summaries: EventPathSummary[]): EventPathSummary {
  const merged = emptySummary();
  for (const summary of summaries) {
    merged.attached.push(...summary.attached);
    merged.alreadyAttached.push(...summary.alreadyAttached);
    merged.skipped.push(...summary.skipped);
    merged.failed.push(...summary.failed);
    merged.backlogged.push(...summary.backlogged);
  }
  return merged;
}

/** ECS per-instance codes meaning "not in a state that accepts a role yet" (e.g. Pending). */
export function isNotYetAttachable(code: string): boolean {
  return code.startsWith('IncorrectInstanceStatus') && code !== 'IncorrectInstanceStatus.OperationConflict';
}

/**
 * The outcomes that move the breaker: written (Attached, Replaced), found right (AlreadyAttached), or
 * Failed for a reason other than "not attachable yet". Skips and Pending instances leave it as it is.
 */
export function isDecisive(outcome: InstanceOutcome): boolean {
  return (
    outcome.outcome === 'Attached' ||
    outcome.outcome === 'AlreadyAttached' ||
    outcome.outcome === 'Replaced' ||
    (outcome.outcome === 'Failed' && !isNotYetAttachable(outcome.code))
  );
}
