/**
 * The sweep: per region, find the instances lacking the designated role and attach it as a stored
 * execution (origin `sweep`), then report compliance the way the Cloud Config rule
 * `ecs-instance-ram-role-attached` does: compliant (already bearing the role), attached now,
 * skipped (by reason), failed.
 *
 * No overlap: a sweep of (region, role) takes the lock `sweep/<region>/<role>`, and refuses to start
 * a new execution while a sweep execution of the same pair is Running (it resumes that one instead:
 * its previous invocation ran out of time or crashed) or Waiting (left alone for the operator).
 */

import { BlastRadiusError } from '../blastRadius.js';
import { PARAMETER_DEFAULTS, SOURCE_DEFAULTS, SWEEP_DEFAULTS } from '../defaults.js';
import { type Doc, doc, KEYS, LOCKS, readDoc, writeDoc } from '../documents.js';
import { ExecutionNotFoundError, RoleAttachError } from '../errors.js';
import { exemptionLines, mergeExclusions } from '../exclusions.js';
import type { EngineDeps } from '../execution/index.js';
import { createExecution, runExecution } from '../execution/index.js';
import type { ExecutionReport } from '../execution/report.js';
import { newExecutionId } from '../ids.js';
import { ExecutionBusyError } from '../lease.js';
import type { NotificationEvent, Notifier } from '../notifications.js';
import type { ExecutionStore } from '../ports.js';
import { withRateControlDefaults } from '../rateControl.js';
import type {
  ConflictPolicy,
  Exclusions,
  ExecutionParameters,
  ExecutionRecord,
  ExecutionStatus,
  ExemptionNotice,
  SkipReason,
  SourceFix,
  SweepRequest,
} from '../types.js';
import { RULES_LABEL, SOURCE_KINDS } from '../types.js';

/**
 * The sources of one region: what new instances are born from, and the metadata mode of the instances.
 * A kind that could not be read has no lists here, only its line in `unavailable`.
 */
export interface SourceCompliance {
  /** Launch templates whose default version lacks the role (its rule's role) or carries another one. */
  launchTemplatesWithoutRole?: string[];
  /** Active scaling configurations lacking the role (or carrying another one). */
  scalingConfigurationsWithoutRole?: string[];
  /** Scaling groups launching from a numbered or `Latest` template version (not fixed through the template). */
  pinnedScalingGroups?: string[];
  /** Role rules: sources no rule matches (Skipped/NoRule), left alone. */
  sourcesWithoutRule?: string[];
  /** Instances (of the sweep's targets) in normal metadata mode, `HttpTokens: optional`. */
  normalMetadataMode?: string[];
  /** Kinds that could not be read (e.g. the caller lacks ess:DescribeScalingGroups): `<kind>: <code> <message>`. */
  unavailable?: string[];
  /** The executions `fix` ran, if any. */
  fixed: { fix: SourceFix; executionId: string; status: ExecutionStatus; updated: number; failed: number }[];
}

/** Settings that come from the deployment, not the payload. */
export interface SweepSettings {
  /** @default 'skip' */
  onConflict?: ConflictPolicy;
  /**
   * The deployment's exclusions (`EXCLUDE_TAG`), merged by {@link mergeExclusions}: the default tag
   * `ecs-role-attach:exclude` always excludes as well. @default only the default tag
   */
  exclusions?: Exclusions;
  /** Absolute time (deps.clock) after which no new chunk starts; the execution stays Running for the next sweep. */
  deadline?: number;
  /** Lock lease; a lock older than this is taken over. @default 900_000 (15 minutes) */
  lockTtlMs?: number;
  /** Lock owner id (e.g. the FC request id). @default a random id */
  owner?: string;
}

/** How one region's sweep went. */
export type SweepRegionState =
  /** An execution was created (or a Running one resumed) and run. */
  | 'swept'
  /** Another sweep holds the lock. Nothing was done. */
  | 'locked'
  /** A sweep execution of this (region, role) is Waiting for an operator. Nothing was done. */
  | 'waiting'
  /** The deadline passed before this region started. */
  | 'notStarted'
  /** More instances need a write than `maxTargets` allows: nothing was written (see the note). */
  | 'refused';

/** The compliance report of one region. */
export interface RegionCompliance {
  regionId: string;
  state: SweepRegionState;
  /** Human sentence on what happened and what to do next. */
  note: string;
  executionId?: string;
  status?: ExecutionStatus;
  /** Whether a Running sweep execution was resumed instead of starting a new one. */
  resumed?: boolean;
  /** Instances examined (the execution's targets). */
  evaluated: number;
  /** Already bearing the role: compliant before the sweep. */
  compliant: number;
  /** Attached by this sweep (includes `replaced` under onConflict replace). */
  attachedNow: number;
  replaced: number;
  skipped: Partial<Record<SkipReason, string[]>>;
  failed: { instanceId: string; code: string; message: string }[];
  /** Cancelled (MaxErrors exceeded) or still pending (deadline): will be picked up next time. */
  notAttempted: number;
  /** Role rules: bearing an accepted role (counted in `compliant`). */
  accepted?: number;
  /** Role rules: the same figures per rule, in rule order (instances no rule matched are skipped NoRule). */
  byRule?: RuleCompliance[];
  /** compliant + attachedNow: instances that bear the role after the sweep. */
  compliantAfter: number;
  /** The sources, when the cloud adapters for them are given (the CLI gives them). */
  sources?: SourceCompliance;
  /** E.g. the region listed no instance (a missing `ecs:DescribeInstances` looks like that). */
  warnings?: string[];
  /** Exemptions that expired (in scope again) or expire within 14 days. */
  exemptions?: ExemptionNotice[];
}

/**
 * One rule's compliance in one region: compliant = bears the rule's role or an accepted role.
 */
export interface RuleCompliance {
  rule: string;
  role: string;
  evaluated: number;
  compliant: number;
  attachedNow: number;
  skipped: number;
  failed: number;
  compliantAfter: number;
}

/** The compliance report of a whole sweep. */
export interface SweepReport {
  role: string;
  regions: RegionCompliance[];
  totals: {
    evaluated: number;
    compliant: number;
    attachedNow: number;
    skipped: number;
    failed: number;
    notAttempted: number;
    compliantAfter: number;
  };
}

/** Engine deps per region (cloud clients are regional). */
export type SweepDeps = (regionId: string) => EngineDeps;

/** The lock name of a (region, role) sweep. */
export function sweepLockName(regionId: string, role: string): string {
  return LOCKS.sweep(regionId, role);
}

/**
 * Sweeps each region in order.
 *
 * @example
 * const report = await runSweep({ regions: ['cn-hangzhou'], role: 'EcsAppRole' }, (r) => engineDeps(r), {});
 * // report.regions[0] -> { compliant: 120, attachedNow: 3, skipped: { ClassicNetwork: [...] }, failed: [], ... }
 */
export async function runSweep(
  request: SweepRequest,
  depsFor: SweepDeps,
  settings: SweepSettings = {},
): Promise<SweepReport> {
  // Validate every region's parameters first: an invalid request takes no lock and makes no call.
  const parameters = new Map(
    request.regions.map((regionId) => [regionId, sweepParameters(regionId, request, settings)]),
  );
  const regions: RegionCompliance[] = [];
  // The sweep tells its outcome once (`sweep.finished`); its region executions tell nothing themselves.
  let told: { notifier: Notifier; clock: EngineDeps['clock'] } | undefined;
  for (const regionId of request.regions) {
    const { notifier, ...deps } = depsFor(regionId);
    if (notifier) told = { notifier, clock: deps.clock };
    if (settings.deadline !== undefined && deps.clock.now() >= settings.deadline) {
      regions.push(
        empty(regionId, 'notStarted', 'the time budget ran out before this region; the next sweep covers it'),
      );
      continue;
    }
    regions.push(await sweepRegion(parameters.get(regionId)!, deps, settings, request.fix ?? []));
  }
  const report: SweepReport = { role: request.role, regions, totals: totalsOf(regions) };
  told?.notifier.publish(sweepEvent(report, new Date(told.clock.now()).toISOString()));
  return report;
}

/** The `sweep.finished` notification of a sweep report. */
export function sweepEvent(report: SweepReport, at: string): NotificationEvent {
  const t = report.totals;
  return {
    type: 'sweep.finished',
    at,
    role: report.role,
    totals: {
      evaluated: t.evaluated,
      compliantAfter: t.compliantAfter,
      attachedNow: t.attachedNow,
      failed: t.failed,
      notAttempted: t.notAttempted,
      skipped: t.skipped,
    },
    nonCompliant: report.regions.flatMap((r) =>
      r.failed.map((f) => ({ regionId: r.regionId, instanceId: f.instanceId, code: f.code })),
    ),
    regions: report.regions.map((r) => ({
      regionId: r.regionId,
      state: r.state,
      note: r.note,
      ...(r.executionId ? { executionId: r.executionId } : {}),
      ...(r.status ? { status: r.status } : {}),
    })),
  };
}

async function sweepRegion(
  parameters: ExecutionParameters,
  deps: EngineDeps,
  settings: SweepSettings,
  fix: readonly SourceFix[],
): Promise<RegionCompliance> {
  const { regionId } = parameters;
  const request = { role: parameters.ramRoleName };
  const lock = sweepLockName(regionId, request.role);
  const owner =
    settings.owner ?? `sweep-${deps.clock.now().toString(36)}-${deps.random().toString(36).slice(2, 10)}`;
  if (!(await deps.store.tryLock(lock, owner, settings.lockTtlMs ?? SWEEP_DEFAULTS.lockTtlMs))) {
    deps.logger.warn({ regionId, role: request.role, lock }, 'another sweep holds the lock; skipped');
    return empty(
      regionId,
      'locked',
      `another sweep of ${request.role} in ${regionId} is in progress (lock ${lock}); nothing was done`,
    );
  }
  try {
    const open = await openSweepExecution(deps.store, regionId, request.role);
    if (open?.status === 'Waiting') {
      const result = empty(
        regionId,
        'waiting',
        `sweep execution ${open.executionId} is paused (Waiting); resume, retry or cancel it first — no new sweep was started`,
      );
      result.executionId = open.executionId;
      result.status = 'Waiting';
      return result;
    }
    const runOptions = settings.deadline === undefined ? {} : { deadline: settings.deadline };
    let executionId = open?.executionId;
    if (executionId === undefined) {
      // Named in the index before it exists: a sweep that dies in between leaves an index pointing at
      // nothing (read as "none"), never an execution no sweep would find again.
      executionId = newExecutionId(deps.clock.now(), deps.random);
      await writeDoc(deps.store, openSweepDoc(regionId, request.role), { executionId });
      try {
        await createExecution(parameters, deps, { origin: 'sweep', executionId });
      } catch (error) {
        if (!(error instanceof BlastRadiusError)) throw error;
        deps.logger.warn(
          { regionId, role: request.role, limit: error.limit, count: error.count },
          error.message,
        );
        return empty(regionId, 'refused', error.message);
      }
    }
    let report: ExecutionReport;
    try {
      report = await runExecution(executionId, deps, runOptions);
    } catch (error) {
      // Its lease is held: a sweep whose lock expired is still running it (a long CLI sweep).
      if (!(error instanceof ExecutionBusyError)) throw error;
      const result = empty(
        regionId,
        'locked',
        `sweep execution ${executionId} is being run by another process; nothing was done`,
      );
      result.executionId = executionId;
      return result;
    }
    const compliance = complianceOf(report, open !== undefined);
    if (deps.sources) compliance.sources = await sweepSources(parameters, deps, fix, runOptions);
    return compliance;
  } finally {
    await deps.store.unlock(lock, owner);
  }
}

/**
 * The sources of one region, read with dry runs of `templates` and `harden-metadata` (zero writes), or
 * remediated by running them when `fix` names them. Organization sweeps call it per (account, region)
 * child with that child's deps.
 */
export async function sweepSources(
  parameters: ExecutionParameters,
  deps: EngineDeps,
  fix: readonly SourceFix[],
  runOptions: { deadline?: number },
): Promise<SourceCompliance> {
  const { regionId } = parameters;
  // The parameters `templates` and `harden-metadata` would take for this region, in Automatic mode.
  const base = { regionId, mode: 'Automatic' as const, exclusions: mergeExclusions() };
  // Role rules: each template or scaling configuration gets the role of the rule its instances match.
  const templates: ExecutionParameters = {
    ...base,
    kind: 'templates',
    ramRoleName: parameters.ramRoleName,
    ...(parameters.rules ? { rules: parameters.rules } : {}),
    targets: { ...SOURCE_DEFAULTS.templatesTargets, RegionId: regionId },
    rateControl: withRateControlDefaults(SOURCE_DEFAULTS.templatesRateControl),
    onConflict: parameters.onConflict,
    sourceKinds: [...SOURCE_KINDS],
  };
  const metadata: ExecutionParameters = {
    ...base,
    kind: 'harden-metadata',
    ramRoleName: '',
    targets: { Type: 'All', RegionId: regionId },
    rateControl: withRateControlDefaults(SOURCE_DEFAULTS.hardenRateControl),
    onConflict: PARAMETER_DEFAULTS.onConflict,
    hardenRoleless: false,
  };
  const sources: SourceCompliance = { fixed: [] };
  const kinds: [SourceFix, ExecutionParameters][] = [
    ['templates', templates],
    ['metadata', { ...metadata, targets: parameters.targets, exclusions: parameters.exclusions }],
  ];
  for (const [name, kindParameters] of kinds) {
    const fixing = fix.includes(name);
    let report: ExecutionReport;
    try {
      report = await createExecution(kindParameters, deps, {
        origin: 'sweep',
        ...(fixing ? {} : { dryRun: true }),
      });
    } catch (error) {
      // The sources are a report beside the sweep: a refused read (a missing permission) must not fail it.
      if (!(error instanceof RoleAttachError)) throw error;
      sources.unavailable = [...(sources.unavailable ?? []), `${name}: ${error.message}`];
      continue;
    }
    if (fixing) {
      report = await runExecution(report.executionId, deps, runOptions);
      sources.fixed.push({
        fix: name,
        executionId: report.executionId,
        status: report.status,
        updated: report.counts.updated ?? 0,
        failed: report.counts.failed,
      });
    }
    // Read: its lists are present, empty or not.
    if (name === 'metadata') sources.normalMetadataMode = [];
    else {
      sources.launchTemplatesWithoutRole = [];
      sources.scalingConfigurationsWithoutRole = [];
      sources.pinnedScalingGroups = [];
      if (parameters.rules) sources.sourcesWithoutRule = [];
    }
    for (const item of report.instances) {
      // After a fix, what it updated is compliant now; a dry run predicts Updated for what is not.
      const settled =
        item.outcome === 'AlreadyCompliant' ||
        (fixing && item.outcome === 'Updated') ||
        (item.outcome === 'Skipped' && LEFT_OUT.has(item.reason ?? ''));
      if (item.outcome === 'Skipped' && item.reason === 'PinnedVersion')
        sources.pinnedScalingGroups?.push(item.instanceId);
      if (item.outcome === 'Skipped' && item.reason === 'NoRule')
        sources.sourcesWithoutRule?.push(item.instanceId);
      if (settled) continue;
      if (name === 'metadata') sources.normalMetadataMode?.push(item.instanceId);
      else if (item.instanceId.startsWith('lt-')) sources.launchTemplatesWithoutRole?.push(item.instanceId);
      else if (item.instanceId.startsWith('asc-'))
        sources.scalingConfigurationsWithoutRole?.push(item.instanceId);
    }
  }
  return sources;
}

/** Skip reasons that say nothing about the item's compliance (not ours to judge, or gone). */
const LEFT_OUT = new Set([
  'Excluded',
  'Gone',
  'ClassicNetwork',
  'MetadataDisabled',
  'PinnedVersion',
  // Role rules: no rule names the source (listed apart), or it bears an accepted role (compliant).
  'NoRule',
  'AcceptedRole',
]);

/** Where the last sweep execution of (region, role) is named, so that a sweep need not list history. */
function openSweepDoc(regionId: string, role: string): Doc<{ executionId: string }> {
  return doc(KEYS.openSweep(regionId, role));
}

/** The last sweep execution of (region, role), if it is still Running or Waiting. */
async function openSweepExecution(
  store: ExecutionStore,
  regionId: string,
  role: string,
): Promise<{ executionId: string; status: ExecutionStatus } | undefined> {
  const open = (record: ExecutionRecord) => record.status === 'Running' || record.status === 'Waiting';
  const last = await readDoc(store, openSweepDoc(regionId, role));
  if (last) {
    const stored = await store.load(last.executionId).catch((error: unknown) => {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    });
    return stored && open(stored.record)
      ? { executionId: stored.record.executionId, status: stored.record.status }
      : undefined;
  }
  // No index yet (the first sweep, or one that died between creating its execution and naming it).
  const found = (await store.list()).find(
    (record) =>
      record.origin === 'sweep' &&
      record.parameters.kind === undefined &&
      record.parameters.regionId === regionId &&
      record.parameters.ramRoleName === role &&
      open(record),
  );
  return found ? { executionId: found.executionId, status: found.status } : undefined;
}

/**
 * The execution parameters of one region's sweep, from the validated request (src/inputs/timer.ts) and
 * the defaults: the request's targets in this region (`{"Type":"All"}` unless given), the sweep's rate
 * control, and the deployment's exclusions merged with the default tag.
 */
export function sweepParameters(
  regionId: string,
  request: SweepRequest,
  settings: Pick<SweepSettings, 'onConflict' | 'exclusions'> = {},
): ExecutionParameters {
  return {
    regionId,
    ramRoleName: request.role,
    ...(request.rules ? { rules: request.rules } : {}),
    // A request's targets may name one region; each region's execution targets its own.
    targets: { ...(request.targets ?? SWEEP_DEFAULTS.targets), RegionId: regionId },
    rateControl: withRateControlDefaults(request.rateControl ?? SWEEP_DEFAULTS.rateControl),
    mode: request.mode ?? SWEEP_DEFAULTS.mode,
    onConflict: settings.onConflict ?? PARAMETER_DEFAULTS.onConflict,
    exclusions: mergeExclusions(settings.exclusions),
    ...(request.maxTargets === undefined ? {} : { maxTargets: request.maxTargets }),
  };
}

/** Compliance figures of one region from its execution report. */
export function complianceOf(report: ExecutionReport, resumed = false): RegionCompliance {
  const skipped: Partial<Record<SkipReason, string[]>> = {};
  const failed: RegionCompliance['failed'] = [];
  // Role rules: bearing an accepted role is compliant, not skipped.
  let accepted = 0;
  const byRule = new Map<string, RuleCompliance>();
  for (const rule of report.rules ?? []) {
    byRule.set(rule.name, {
      rule: rule.name,
      role: rule.role,
      evaluated: 0,
      compliant: 0,
      attachedNow: 0,
      skipped: 0,
      failed: 0,
      compliantAfter: 0,
    });
  }
  for (const instance of report.instances) {
    const line = instance.rule === undefined ? undefined : byRule.get(instance.rule);
    if (line) {
      line.evaluated += 1;
      const isCompliant =
        instance.outcome === 'AlreadyAttached' ||
        (instance.outcome === 'Skipped' && instance.reason === 'AcceptedRole');
      const isAttached = instance.outcome === 'Attached' || instance.outcome === 'Replaced';
      if (isCompliant) line.compliant += 1;
      if (isAttached) line.attachedNow += 1;
      if (isCompliant || isAttached) line.compliantAfter += 1;
      else if (instance.outcome === 'Skipped') line.skipped += 1;
      if (instance.outcome === 'Failed') line.failed += 1;
    }
    if (instance.outcome === 'Skipped' && instance.reason === 'AcceptedRole') {
      accepted += 1;
      continue;
    }
    if (instance.outcome === 'Skipped') {
      const reason = (instance.reason ?? 'Excluded') as SkipReason;
      const list = skipped[reason];
      if (list) list.push(instance.instanceId);
      else skipped[reason] = [instance.instanceId];
    }
    if (instance.outcome === 'Failed') {
      failed.push({
        instanceId: instance.instanceId,
        code: instance.code ?? '',
        message: instance.message ?? '',
      });
    }
  }
  const c = report.counts;
  const attachedNow = c.attached + c.replaced;
  const note =
    report.status === 'Success'
      ? failed.length > 0
        ? `finished with ${failed.length} failed within MaxErrors ${report.maxErrors}`
        : 'finished'
      : report.status === 'Running'
        ? 'the time budget ran out; the next sweep resumes this execution'
        : report.status === 'Waiting'
          ? `paused: ${report.statusReason ?? ''}; resume, retry or cancel ${report.executionId}`
          : (report.statusReason ?? report.status);
  return {
    regionId: report.regionId,
    state: 'swept',
    note,
    executionId: report.executionId,
    status: report.status,
    ...(resumed ? { resumed: true } : {}),
    evaluated: c.total,
    compliant: c.alreadyAttached + accepted,
    attachedNow,
    replaced: c.replaced,
    skipped,
    failed,
    notAttempted: c.cancelled + c.pending,
    compliantAfter: c.alreadyAttached + accepted + attachedNow,
    ...(report.rules ? { accepted, byRule: [...byRule.values()] } : {}),
    ...(report.warnings ? { warnings: report.warnings } : {}),
    ...(report.exemptions ? { exemptions: report.exemptions } : {}),
  };
}

function empty(regionId: string, state: SweepRegionState, note: string): RegionCompliance {
  return {
    regionId,
    state,
    note,
    evaluated: 0,
    compliant: 0,
    attachedNow: 0,
    replaced: 0,
    skipped: {},
    failed: [],
    notAttempted: 0,
    compliantAfter: 0,
  };
}

function totalsOf(regions: RegionCompliance[]): SweepReport['totals'] {
  const totals = {
    evaluated: 0,
    compliant: 0,
    attachedNow: 0,
    skipped: 0,
    failed: 0,
    notAttempted: 0,
    compliantAfter: 0,
  };
  for (const r of regions) {
    totals.evaluated += r.evaluated;
    totals.compliant += r.compliant;
    totals.attachedNow += r.attachedNow;
    totals.skipped += Object.values(r.skipped).reduce((n, ids) => n + (ids?.length ?? 0), 0);
    totals.failed += r.failed.length;
    totals.notAttempted += r.notAttempted;
    totals.compliantAfter += r.compliantAfter;
  }
  return totals;
}

/** One line per region plus totals, for logs and terminals. */
export function renderSweepText(report: SweepReport): string {
  const what = report.role === RULES_LABEL ? 'role rules' : `role ${report.role}`;
  const lines = [`Sweep of ${what} (like Cloud Config rule ecs-instance-ram-role-attached):`];
  for (const r of report.regions) {
    lines.push(
      `  ${r.regionId}: ${r.state === 'swept' ? `${r.status}${r.resumed ? ' (resumed)' : ''}` : r.state} — ${r.note}${r.executionId ? ` [${r.executionId}]` : ''}`,
    );
    if (r.state !== 'swept') continue;
    for (const warning of r.warnings ?? []) lines.push(`    warning: ${warning}`);
    for (const rule of r.byRule ?? []) {
      lines.push(
        `    rule ${rule.rule} -> ${rule.role}: evaluated ${rule.evaluated}, compliant ${rule.compliant}, attached now ${rule.attachedNow}, skipped ${rule.skipped}, failed ${rule.failed}`,
      );
    }
    lines.push(
      `    evaluated ${r.evaluated}: compliant ${r.compliant}, attached now ${r.attachedNow}${r.replaced ? ` (replaced ${r.replaced})` : ''}, skipped ${sumSkipped(r)}, failed ${r.failed.length}${r.notAttempted ? `, not attempted ${r.notAttempted}` : ''}`,
    );
    for (const [reason, ids] of Object.entries(r.skipped)) {
      lines.push(`    skipped ${reason} (${ids?.length ?? 0}): ${abbreviate(ids ?? [])}`);
    }
    for (const f of r.failed) lines.push(`    failed ${f.instanceId}: ${f.code} ${f.message}`.trimEnd());
    if (r.sources) lines.push(...renderSources(r.sources));
    lines.push(...exemptionLines(r.exemptions ?? [], '    '));
  }
  const t = report.totals;
  lines.push(
    `  total: ${t.evaluated} evaluated, ${t.compliantAfter} bear ${report.role} now (${t.compliant} already, ${t.attachedNow} attached now), ${t.skipped} skipped, ${t.failed} failed${t.notAttempted ? `, ${t.notAttempted} not attempted` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The lines of one region's sources (indented for a region's block of the sweep text). */
export function renderSources(s: SourceCompliance): string[] {
  const list = (ids: string[]) => (ids.length ? ` (${abbreviate(ids)})` : '');
  const lines: string[] = [];
  if (s.launchTemplatesWithoutRole && s.scalingConfigurationsWithoutRole) {
    const pinned = s.pinnedScalingGroups ?? [];
    const noRule = s.sourcesWithoutRule ?? [];
    lines.push(
      `    sources: ${s.launchTemplatesWithoutRole.length} launch templates without the role${list(s.launchTemplatesWithoutRole)}, ${s.scalingConfigurationsWithoutRole.length} scaling configurations without it${list(s.scalingConfigurationsWithoutRole)}${pinned.length ? `, ${pinned.length} scaling groups pinned to a template version${list(pinned)}` : ''}${noRule.length ? `, ${noRule.length} matched by no rule${list(noRule)}` : ''}`,
    );
  }
  if (s.normalMetadataMode) {
    lines.push(
      `    metadata: ${s.normalMetadataMode.length} instances in normal mode${list(s.normalMetadataMode)}`,
    );
  }
  for (const reason of s.unavailable ?? []) lines.push(`    sources not read: ${reason}`);
  for (const f of s.fixed) {
    lines.push(
      `    fixed ${f.fix}: ${f.status}, updated ${f.updated}, failed ${f.failed} [${f.executionId}]`,
    );
  }
  if (
    s.fixed.length === 0 &&
    (s.launchTemplatesWithoutRole?.length ||
      s.scalingConfigurationsWithoutRole?.length ||
      s.normalMetadataMode?.length)
  ) {
    lines.push('    (report only: --fix templates,metadata remediates them in the same run)');
  }
  return lines;
}

function sumSkipped(r: RegionCompliance): number {
  return Object.values(r.skipped).reduce((n, ids) => n + (ids?.length ?? 0), 0);
}

function abbreviate(ids: string[]): string {
  return ids.length <= 8 ? ids.join(', ') : `${ids.slice(0, 8).join(', ')} … and ${ids.length - 8} more`;
}
