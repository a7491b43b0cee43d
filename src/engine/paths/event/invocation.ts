/**
 * One invocation of the event path: the instances named by creation / state-change events and the role
 * changes (drift) of every region, the regions concurrently, the summaries merged.
 */
import { type DriftPolicy, type DriftRecord, notDrift, type RoleChange, remediateDrift } from './drift.js';
import { groupByRegion, remediateInstances } from './remediate.js';
import {
  type EventPathDeps,
  type EventPathSettings,
  type EventPathSummary,
  mergeSummaries,
} from './settings.js';

/** What one invocation's events name. */
export interface InvocationEvents {
  instances: { instanceId: string; regionId: string }[];
  /** ActionTrail role changes (DetachInstanceRamRole, AttachInstanceRamRole). @default [] */
  changes?: RoleChange[];
}

/** The merged summary; `drift` only when the invocation carried role changes. */
export type InvocationSummary = EventPathSummary & {
  drift?: DriftRecord[];
  /** Role changes that are not drift (made by this tool, an ignored caller, the designated role). */
  ignoredChanges?: number;
};

/** @default { mode: 'report', ignoreCallers: [] } */
export const DEFAULT_DRIFT_POLICY: DriftPolicy = { mode: 'report', ignoreCallers: [] };

/**
 * Remediates each region with its own dependencies: first the created instances
 * ({@link remediateInstances}), then the role changes of instances not named by those
 * ({@link remediateDrift}: one per instance, the first that may be drift).
 */
export async function remediateRegions(
  events: InvocationEvents,
  depsOf: (regionId: string) => EventPathDeps,
  settings: EventPathSettings & { drift?: DriftPolicy },
): Promise<InvocationSummary> {
  const { drift: policy = DEFAULT_DRIFT_POLICY, ...base } = settings;
  const changes = events.changes ?? [];
  const named = new Set(events.instances.map((i) => i.instanceId));
  const candidates = new Map<string, RoleChange[]>();
  let ignoredChanges = 0;
  for (const change of changes) {
    const reason = named.has(change.instanceId)
      ? 'the instance is remediated for another event of this invocation'
      : notDrift(change, base, policy);
    if (reason !== undefined) {
      ignoredChanges += 1;
      depsOf(change.regionId).logger.info(
        {
          instanceId: change.instanceId,
          regionId: change.regionId,
          call: change.call,
          caller: change.caller,
          id: change.eventId,
          detail: reason,
        },
        'role change is not drift',
      );
      continue;
    }
    named.add(change.instanceId);
    const region = candidates.get(change.regionId);
    if (region) region.push(change);
    else candidates.set(change.regionId, [change]);
  }
  const regions = new Set([...groupByRegion(events.instances).keys(), ...candidates.keys()]);
  const instancesOf = groupByRegion(events.instances);
  const results = await Promise.all(
    [...regions].map(async (regionId) => {
      const deps = depsOf(regionId);
      const created = await remediateInstances(regionId, instancesOf.get(regionId) ?? [], deps, base);
      const drifted = await remediateDrift(regionId, candidates.get(regionId) ?? [], deps, base, policy.mode);
      return { summary: mergeSummaries([created, drifted.summary]), drift: drifted.drift };
    }),
  );
  const summary = mergeSummaries(results.map((r) => r.summary));
  if (changes.length === 0) return summary;
  return { ...summary, drift: results.flatMap((r) => r.drift), ignoredChanges };
}
