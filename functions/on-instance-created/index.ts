/**
 * FC entry point of `on-instance-created` (handler `index.handler`): EventBridge delivers one CloudEvent or
 * an array (ECS `ecs:Instance:StateChange`, ActionTrail `RunInstances` / `CreateInstance`, and the role
 * changes `DetachInstanceRamRole` / `AttachInstanceRamRole`: drift, per `DRIFT`); the role is attached
 * per region through the event path engine (`RAM_ROLE_NAME`, or the role per instance from the
 * `ROLE_RULES` document). Returns
 * `{"attached":[],"alreadyAttached":[],"skipped":[],"failed":[],"backlogged":[],"ignoredEvents":n}`, with
 * `drift` (one record per instance looked at) and `ignoredChanges` when role changes came in.
 */
import {
  type DeliveryStats,
  type InvocationSummary,
  remediateRegions,
  stepBudgetMs,
} from '../../src/engine/index.js';
import { decodeInstanceEvents } from '../../src/inputs/events.js';
import { createRuntime, type FcContext, type RuntimeOverrides } from '../shared/runtime.js';

export type OnInstanceCreatedResult = InvocationSummary & {
  ignoredEvents: number;
  /** With `NOTIFY`: deliveries of this invocation (breaker opened, drift). */
  notifications?: DeliveryStats;
};

/** Builds the handler; tests pass a clock, a logger or an environment. */
export function createHandler(overrides: RuntimeOverrides = {}) {
  return async (event: unknown, context: FcContext): Promise<OnInstanceCreatedResult> => {
    const runtime = createRuntime(context, overrides);
    const { config } = runtime;
    const { instances, changes, ignored } = decodeInstanceEvents(event, { accountId: config.accountId });
    for (const entry of ignored) runtime.logger.info({ ...entry }, 'event ignored');
    const deadline = runtime.deadline(stepBudgetMs(runtime.timeoutSeconds));
    // ROLE_RULES instead of RAM_ROLE_NAME: the role per instance (a store document is read now).
    const rules = instances.length + changes.length > 0 ? await runtime.roleRules() : undefined;
    const summary = await remediateRegions(
      { instances, changes },
      (regionId) => ({ ...runtime.cloud(regionId), ...runtime, owner: runtime.requestId }),
      {
        ramRoleName: config.ramRoleName,
        ...(rules ? { rules } : {}),
        onConflict: config.onConflict,
        exclusions: { tags: config.excludeTags, instanceIds: [] },
        breakerThreshold: config.breakerThreshold,
        deadline,
        drift: { mode: config.drift, ignoreCallers: config.driftIgnoreCallers },
      },
    );
    return runtime.withNotifications({ ...summary, ignoredEvents: ignored.length });
  };
}

export const handler = createHandler();
