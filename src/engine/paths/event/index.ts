/**
 * The event path: attach the designated role to instances named by creation / state-change events,
 * within one invocation's time budget, behind a circuit breaker. Its steps, one file each:
 * - `remediate.ts`: one region's instances, classify -> write -> reattempt -> summarise;
 * - `breaker.ts`: the breaker and backlog documents, their arithmetic and the lock policy;
 * - `resume.ts`: `resume-events`, the backlog as a batch execution;
 * - `settings.ts`: defaults, settings, dependencies, the summary; `roleChecks.ts`: the GetRole memo.
 */
export {
  type BacklogDocument,
  type BreakerState,
  type EventPathKeys,
  eventPathKeys,
  tallyBreaker,
} from './breaker.js';
export { groupByRegion, remediateInstances, remediateRegions } from './remediate.js';
export { type ResumeEventsResult, type ResumeEventsSettings, resumeEventPath } from './resume.js';
export { memoizeRoleChecks } from './roleChecks.js';
export * from './settings.js';
