/**
 * Drift by event: ActionTrail `DetachInstanceRamRole` (and `AttachInstanceRamRole` of another role) on an
 * instance in scope. `DRIFT=report` (the default) re-reads the instance and reports it (log line and
 * `eventpath.drift-detected`), writing nothing; `DRIFT=repair` re-attaches the designated role (the rule's
 * role with role rules) through {@link remediateInstances}, so exclusions, exemptions, the breaker and
 * the rate limits apply as to any event, replacing a role attached by someone else (whatever
 * `ON_CONFLICT` says: the event shows the instance was moved off its role), and tells
 * `eventpath.drift-repaired`. A failed repair is a Failed outcome like any other (it counts against the
 * breaker) and is reported as `eventpath.drift-detected` with the failure.
 *
 * Not drift: changes made by this tool itself (its API calls carry the user agent token
 * {@link TOOL_USER_AGENT}: the replace flow's detach-then-attach, a rollback's detach), changes by a
 * caller named in `DRIFT_IGNORE_CALLERS`, an attach of the designated role, and any change after which the
 * instance bears its role again (the state is re-read, never taken from the event).
 */
import type { DriftNotice } from '../../notifications.js';
import type { InstanceOutcome, RoleRules } from '../../types.js';
import { RULES_LABEL } from '../../types.js';
import { addOutcome, classifyInstances, remediateInstances } from './remediate.js';
import {
  type EventPathDeps,
  type EventPathSettings,
  type EventPathSummary,
  emptySummary,
} from './settings.js';

/** `DRIFT`: what the event path does about a role change on an instance in scope. */
export const DRIFT_MODES = ['report', 'repair'] as const;
export type DriftMode = (typeof DRIFT_MODES)[number];

/**
 * The product token appended to the SDK's user agent on every API call this tool makes (src/cloud/clients.ts;
 * `/1` is the token's own version, not the release). ActionTrail records the caller's `userAgent`.
 */
export const TOOL_USER_AGENT = 'ecs-role-attach/1';

/** The API calls that change an instance's role. */
export const ROLE_CHANGE_CALLS = ['DetachInstanceRamRole', 'AttachInstanceRamRole'] as const;
export type RoleChangeCall = (typeof ROLE_CHANGE_CALLS)[number];

/** One instance's role change, as an ActionTrail record tells it (decoded by src/inputs/events.ts). */
export interface RoleChange {
  instanceId: string;
  regionId: string;
  call: RoleChangeCall;
  /** `requestParameters.RamRoleName`: the role attached, or the one detached (optional for a detach). */
  roleName?: string;
  /** Who called: `userIdentity.userName` (`<role>:<session>` for an assumed role), else its principal id. */
  caller: string;
  /** `userIdentity.principalId`, when given. */
  principalId?: string;
  /** `userAgent` of the record. */
  userAgent?: string;
  /** CloudEvent `source` and `id` of the event. */
  source: string;
  eventId: string;
}

/** Drift policy of the event path. */
export interface DriftPolicy {
  /** @default 'report' */
  mode: DriftMode;
  /**
   * Callers whose changes are never drift: a RAM user name, a role name (any session of it), a
   * `<role>:<session>` or a principal id. @default []
   */
  ignoreCallers: readonly string[];
}

/** What became of one instance's role change. */
export interface DriftRecord {
  instanceId: string;
  regionId: string;
  call: RoleChangeCall;
  caller: string;
  /**
   * `Repaired` (the role re-attached), `Reported` (DRIFT=report: the instance lacks its role),
   * `NoDrift` (it bears its role), `Skipped` (excluded, exempt, gone...), `Failed` (the repair failed),
   * `Backlogged` (the breaker is open: queued for `resume-events`).
   */
  outcome: 'Repaired' | 'Reported' | 'NoDrift' | 'Skipped' | 'Failed' | 'Backlogged';
  /** The reason, code or role involved, e.g. `bears OtherRole` or `Excluded`. */
  detail?: string;
}

/** Why a role change is not looked at, or undefined when it may be drift. */
export function notDrift(
  change: RoleChange,
  settings: Pick<EventPathSettings, 'ramRoleName' | 'rules'>,
  policy: DriftPolicy,
): string | undefined {
  if (change.userAgent?.includes(TOOL_USER_AGENT)) return 'made by ecs-role-attach itself (user agent)';
  const name = change.caller;
  const roleOfSession = name.includes(':') ? name.slice(0, name.indexOf(':')) : undefined;
  const ignored = policy.ignoreCallers.find(
    (entry) => entry === name || entry === roleOfSession || entry === change.principalId,
  );
  if (ignored !== undefined) return `caller ${name} is in DRIFT_IGNORE_CALLERS (${ignored})`;
  if (change.call === 'AttachInstanceRamRole' && !settings.rules && change.roleName === settings.ramRoleName)
    return `attached the designated role ${settings.ramRoleName}`;
  return undefined;
}

/** Result of {@link remediateDrift}: the instance outcomes and one record per instance looked at. */
export interface DriftResult {
  summary: EventPathSummary;
  drift: DriftRecord[];
}

/**
 * The role changes of one region (already filtered by {@link notDrift}, one per instance): re-read, then
 * reported or repaired by `mode`.
 */
export async function remediateDrift(
  regionId: string,
  changes: RoleChange[],
  deps: EventPathDeps,
  settings: EventPathSettings,
  mode: DriftMode,
): Promise<DriftResult> {
  const ids = changes.map((c) => c.instanceId);
  if (ids.length === 0) return { summary: emptySummary(), drift: [] };
  const repairSettings: EventPathSettings = {
    ...settings,
    onConflict: 'replace',
    ...(settings.rules ? { rules: replacing(settings.rules) } : {}),
  };
  const result =
    mode === 'repair'
      ? await repair(regionId, changes, deps, repairSettings)
      : await report(regionId, changes, deps, repairSettings);
  notify(regionId, mode, changes, result.drift, deps, settings);
  for (const record of result.drift) {
    const line = { ...record, mode };
    if (record.outcome === 'Reported' || record.outcome === 'Failed')
      deps.logger.warn(line, 'event path drift');
    else deps.logger.info(line, 'event path drift');
  }
  return result;
}

/** Role rules whose every rule replaces another role (the repair of a drifted instance). */
function replacing(rules: RoleRules): RoleRules {
  return { ...rules, rules: rules.rules.map((rule) => ({ ...rule, onConflict: 'replace' as const })) };
}

async function repair(
  regionId: string,
  changes: RoleChange[],
  deps: EventPathDeps,
  settings: EventPathSettings,
): Promise<DriftResult> {
  const summary = await remediateInstances(
    regionId,
    changes.map((c) => c.instanceId),
    deps,
    settings,
  );
  const backlogged = new Set(summary.backlogged);
  const attached = new Set(summary.attached);
  const already = new Set(summary.alreadyAttached);
  const skipped = new Map(summary.skipped.map((s) => [s.instanceId, s.reason]));
  const failed = new Map(summary.failed.map((f) => [f.instanceId, `${f.code}: ${f.message}`]));
  const drift = changes.map((change): DriftRecord => {
    const id = change.instanceId;
    const base = { instanceId: id, regionId, call: change.call, caller: change.caller };
    if (backlogged.has(id)) return { ...base, outcome: 'Backlogged', detail: 'queued for resume-events' };
    if (attached.has(id)) return { ...base, outcome: 'Repaired' };
    if (already.has(id)) return { ...base, outcome: 'NoDrift', detail: 'bears its role' };
    const reason = skipped.get(id);
    if (reason !== undefined) return { ...base, outcome: 'Skipped', detail: reason };
    return { ...base, outcome: 'Failed', detail: failed.get(id) ?? 'no outcome' };
  });
  return { summary, drift };
}

/** DRIFT=report: the planner's reads only; an instance that needs a write ends Skipped `DriftReported`. */
async function report(
  regionId: string,
  changes: RoleChange[],
  deps: EventPathDeps,
  settings: EventPathSettings,
): Promise<DriftResult> {
  const summary = emptySummary();
  const label = settings.rules ? RULES_LABEL : settings.ramRoleName;
  const classified = await classifyInstances(
    regionId,
    changes.map((c) => c.instanceId),
    label,
    deps,
    settings,
  );
  const outcomes = new Map<string, InstanceOutcome>();
  const needing = new Map<string, string>();
  if ('unusable' in classified) {
    for (const change of changes) {
      const { code, message } = classified.unusable;
      outcomes.set(change.instanceId, { instanceId: change.instanceId, outcome: 'Failed', code, message });
    }
  } else {
    for (const outcome of classified.decided) outcomes.set(outcome.instanceId, outcome);
    for (const group of classified.groups) {
      for (const id of group.attach) needing.set(id, 'no role');
      for (const [id, role] of group.replace) needing.set(id, `bears ${role}`);
    }
  }
  const drift = changes.map((change): DriftRecord => {
    const id = change.instanceId;
    const base = { instanceId: id, regionId, call: change.call, caller: change.caller };
    const lacking = needing.get(id);
    if (lacking !== undefined) {
      summary.skipped.push({
        instanceId: id,
        reason: 'DriftReported',
        message: `${change.call} by ${change.caller}: ${lacking}; DRIFT=report, not repaired`,
      });
      return { ...base, outcome: 'Reported', detail: lacking };
    }
    const outcome = outcomes.get(id);
    if (outcome === undefined) {
      summary.skipped.push({ instanceId: id, reason: 'Gone', message: 'not found when re-read' });
      return { ...base, outcome: 'Skipped', detail: 'Gone' };
    }
    addOutcome(summary, outcome);
    switch (outcome.outcome) {
      case 'Skipped':
        return { ...base, outcome: 'Skipped', detail: outcome.reason };
      case 'Failed':
        return { ...base, outcome: 'Failed', detail: `${outcome.code}: ${outcome.message}` };
      default:
        return { ...base, outcome: 'NoDrift', detail: 'bears its role' };
    }
  });
  return { summary, drift };
}

/** One `drift-repaired` and one `drift-detected` per region and invocation, when there is anything to tell. */
function notify(
  regionId: string,
  mode: DriftMode,
  changes: RoleChange[],
  drift: DriftRecord[],
  deps: EventPathDeps,
  settings: EventPathSettings,
): void {
  if (!deps.notifier) return;
  const at = new Date(deps.clock.now()).toISOString();
  const ramRoleName = settings.rules ? RULES_LABEL : settings.ramRoleName;
  const roleOf = new Map(changes.map((c) => [c.instanceId, c.roleName]));
  const entry = (record: DriftRecord): DriftNotice => {
    const roleName = roleOf.get(record.instanceId);
    return {
      instanceId: record.instanceId,
      call: record.call,
      caller: record.caller,
      ...(roleName === undefined ? {} : { roleName }),
      outcome: record.outcome,
      ...(record.detail === undefined ? {} : { detail: record.detail }),
    };
  };
  const repaired = drift.filter((r) => r.outcome === 'Repaired');
  const detected = drift.filter(
    (r) => r.outcome === 'Reported' || r.outcome === 'Failed' || r.outcome === 'Backlogged',
  );
  if (repaired.length > 0) {
    deps.notifier.publish({
      type: 'eventpath.drift-repaired',
      at,
      regionId,
      ramRoleName,
      instances: repaired.map(entry),
    });
  }
  if (detected.length > 0) {
    deps.notifier.publish({
      type: 'eventpath.drift-detected',
      at,
      regionId,
      ramRoleName,
      mode,
      instances: detected.map(entry),
      ...(mode === 'report' && !settings.rules
        ? {
            command: `ecs-role-attach run --region ${regionId} --role ${ramRoleName} --on-conflict replace --targets '${JSON.stringify({ Type: 'ResourceIds', ResourceIds: detected.map((r) => r.instanceId) })}'${deps.commandFlags ?? ''}`,
          }
        : {}),
    });
  }
}
