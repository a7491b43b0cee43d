/** The exclusion rule: what no execution ever touches. */
import { EXEMPTION_DEFAULTS } from './defaults.js';
import type { Exclusions, ExemptionNotice, InstanceInfo } from './types.js';

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

/**
 * An exclusion tag's value may carry an exemption with an expiry: `until=YYYY-MM-DD;reason=...`
 * (parts separated by `;`, in any order). The exemption holds through the `until` day (UTC) and
 * expires at the next midnight UTC; an expired exemption no longer excludes. Any other value
 * (including an `until` that is not a date) excludes with no expiry, as before.
 */
export interface Exemption {
  /** The last exempt day, `YYYY-MM-DD` (UTC). */
  until: string;
  reason?: string;
}

/** Parses an exemption from a tag value; undefined when the value carries no valid `until`. */
export function parseExemption(value: string): Exemption | undefined {
  const parts = new Map<string, string>();
  for (const part of value.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0) parts.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const until = parts.get('until');
  if (until === undefined || expiresAt(until) === undefined) return undefined;
  const reason = parts.get('reason');
  return reason ? { until, reason } : { until };
}

/** The instant an exemption's `until` day ends (ms), or undefined when it is not a real date. */
function expiresAt(until: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(until);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const start = Date.UTC(year, month - 1, day);
  const date = new Date(start);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return start + 86_400_000;
}

/** Whether an exemption has expired at `now`. */
export function exemptionExpired(exemption: Exemption, now: number): boolean {
  return now >= (expiresAt(exemption.until) ?? Number.POSITIVE_INFINITY);
}

/** The exemption notice of one instance, if any of its exclusion tags carries one worth reporting. */
export function exemptionNotice(
  instance: Pick<InstanceInfo, 'instanceId' | 'tags'>,
  exclusions: Exclusions,
  now: number,
  soonMs: number = EXEMPTION_DEFAULTS.soonMs,
): ExemptionNotice | undefined {
  for (const tag of exclusions.tags) {
    if (tag.value !== undefined) continue;
    const value = instance.tags[tag.key];
    const exemption = value === undefined ? undefined : parseExemption(value);
    if (!exemption) continue;
    const end = expiresAt(exemption.until) ?? Number.POSITIVE_INFINITY;
    const state = now >= end ? 'expired' : end - now <= soonMs ? 'expiring' : undefined;
    if (state) return { instanceId: instance.instanceId, tag: tag.key, ...exemption, state };
  }
  return undefined;
}

/** Report lines on expired and soon-expiring exemptions: the instances, their expiry and reason. */
export function exemptionLines(exemptions: readonly ExemptionNotice[], indent: string): string[] {
  return (['expired', 'expiring'] as const).flatMap((state) => {
    const list = exemptions.filter((e) => e.state === state);
    if (list.length === 0) return [];
    const title =
      state === 'expired' ? 'exemptions expired, in scope again' : 'exemptions expiring within 14 days';
    const shown = list
      .slice(0, 10)
      .map((e) => `${e.instanceId} (until ${e.until}${e.reason ? `: ${e.reason}` : ''})`);
    const more = list.length > 10 ? ` … and ${list.length - 10} more` : '';
    return [`${indent}${title} (${list.length}): ${shown.join(', ')}${more}`];
  });
}
