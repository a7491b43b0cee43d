/**
 * The event path: attach the designated role to instances named by creation / state-change events,
 * within one invocation's time budget, behind a circuit breaker. Its steps, one file each:
 * - `remediate.ts`: one region's instances, classify -> write -> reattempt -> summarise;
 * - `breaker.ts`: the breaker and backlog documents, their arithmetic and the lock policy;
 * - `resume.ts`: `resume-events`, the backlog as a batch execution;
 * - `drift.ts`: role changes by ActionTrail (report or repair); `invocation.ts`: one invocation, all regions;
 * - `settings.ts`: defaults, settings, dependencies, the summary; `roleChecks.ts`: the GetRole memo.
 */
export {
  type BacklogDocument,
  type BreakerState,
  type EventPathKeys,
  eventPathKeys,
  tallyBreaker,
} from './breaker.js';
export {
  DRIFT_MODES,
  type DriftMode,
  type DriftPolicy,
  type DriftRecord,
  ROLE_CHANGE_CALLS,
  type RoleChange,
  type RoleChangeCall,
  TOOL_USER_AGENT,
} from './drift.js';
export {
  DEFAULT_DRIFT_POLICY,
  type InvocationEvents,
  type InvocationSummary,
  remediateRegions,
} from './invocation.js';
export { groupByRegion, remediateInstances } from './remediate.js';
export { type ResumeEventsResult, type ResumeEventsSettings, resumeEventPath } from './resume.js';
export { memoizeRoleChecks } from './roleChecks.js';
export * from './settings.js';
