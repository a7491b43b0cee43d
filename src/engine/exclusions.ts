/** The exclusion rule: what no execution ever touches. */
import type { Exclusions } from './types.js';

/** Default exclusion tag key: an instance carrying it (any value) is never touched. */
export const DEFAULT_EXCLUDE_TAG = 'ecs-role-attach:exclude';

/**
 * The one rule for what an execution never touches, used by every path (CLI, workflow plan, sweep,
 * event path, resume-events backlog): the default tag {@link DEFAULT_EXCLUDE_TAG} always excludes,
 * plus every tag and instance id of every source (the deployment's `EXCLUDE_TAG`, the execution's own
 * `excludeTags` / `excludeInstanceIds`). Duplicates are dropped; the order is default tag first, then
 * sources in the order given.
 *
 * @example
 * mergeExclusions(parameters.exclusions, { tags: config.excludeTags })
 * // => { tags: [{ key: 'ecs-role-attach:exclude' }, ...params, ...EXCLUDE_TAG], instanceIds: [...] }
 */
export function mergeExclusions(...sources: readonly (Partial<Exclusions> | undefined)[]): Exclusions {
  const tags = new Map<string, { key: string; value?: string }>();
  const instanceIds = new Set<string>();
  for (const tag of [{ key: DEFAULT_EXCLUDE_TAG }, ...sources.flatMap((source) => source?.tags ?? [])]) {
    const copy = tag.value === undefined ? { key: tag.key } : { key: tag.key, value: tag.value };
    tags.set(`${tag.key}\u0000${tag.value ?? '\u0001'}`, copy);
  }
  for (const id of sources.flatMap((source) => source?.instanceIds ?? [])) instanceIds.add(id);
  return { tags: [...tags.values()], instanceIds: [...instanceIds] };
}
