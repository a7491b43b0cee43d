/**
 * `templates`: the sources new instances come from. A launch template whose default version lacks the
 * role gets a new version copied field by field from that default with `RamRoleName` set, read back and
 * compared, then made the default (templates are immutable); the active scaling configuration of a
 * scaling group gets `RamRoleName` with ModifyScalingConfiguration (ESS 2022-02-22). A scaling group that
 * launches from a launch template is handled through the template (its `Default` version), or reported
 * `Skipped/PinnedVersion` when it launches from a numbered or `Latest` version.
 */
import { InvalidInputError } from '../errors.js';
import { acceptedOutcome } from '../execution/report.js';
import { assignmentOf, compileRules, type RuleMatcher } from '../rules.js';
import { targetRegion } from '../targets.js';
import type {
  ConflictPolicy,
  ExecutionParameters,
  InstanceInfo,
  InstanceOutcome,
  PlannedTarget,
  SourceKind,
} from '../types.js';
import { SOURCE_KINDS } from '../types.js';
import type {
  LaunchTemplateApi,
  LaunchTemplateData,
  LaunchTemplateVersionInfo,
  ScalingApi,
} from './ports.js';
import { describeError, type SourceWriter } from './writer.js';

/** "each template can have up to 30 versions" (ECS SDK 7.11.6 doc comment of CreateLaunchTemplate). */
export const MAX_VERSIONS_PER_TEMPLATE = 30;

export interface TemplateDeps {
  launchTemplates: LaunchTemplateApi;
  scaling: ScalingApi;
}

function roleOf(data: LaunchTemplateData | undefined): string {
  const role = data?.['RamRoleName'];
  return typeof role === 'string' ? role : '';
}

/** Whether two LaunchTemplateData documents carry the same values (empty values count as absent). */
export function sameData(a: unknown, b: unknown): boolean {
  const empty = (v: unknown): boolean =>
    v === undefined ||
    v === null ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(empty));
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameData(v, b[i]));
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) =>
      sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return a === b;
}

/** The role a source is to carry, and what to do when it carries another. */
interface Wanted {
  role: string;
  onConflict: ConflictPolicy;
  /** Role rules: the bearer of one of these is compliant as it is. */
  accepted: readonly string[];
}

/** The outcome for an item bearing `role`, or undefined when it needs the write. */
function decide(instanceId: string, role: string, wanted: Wanted): InstanceOutcome | undefined {
  const { role: ours, onConflict } = wanted;
  if (role === ours) return { instanceId, outcome: 'AlreadyCompliant' };
  if (role !== '' && wanted.accepted.includes(role)) return acceptedOutcome(instanceId, role);
  if (role === '' || onConflict === 'replace') return undefined;
  if (onConflict === 'skip') {
    return {
      instanceId,
      outcome: 'Skipped',
      reason: 'OtherRole',
      message: `carries role ${role}; onConflict is skip`,
    };
  }
  return {
    instanceId,
    outcome: 'Failed',
    code: 'OtherRole',
    message: `carries role ${role}, not ${ours}; onConflict is fail (use replace to change it)`,
  };
}

function versionLimit(instanceId: string, count: number): InstanceOutcome {
  return {
    instanceId,
    outcome: 'Failed',
    code: 'VersionLimitReached',
    message: `has ${count} versions, the most a launch template may have (${MAX_VERSIONS_PER_TEMPLATE}); delete an unused version and run again`,
  };
}

/** What a source launches, as a rule sees it: {@link launchedInstance}. */
interface LaunchedFacts {
  tags: Record<string, string>;
  resourceGroupId: string;
  vpcId: string;
  vSwitchIds: string[];
}

/**
 * Role rules describe instances, so a source matches the rule its instances would match: `tags`,
 * `resourceGroupId`, `vpcId` are those the launched instances get (a launch template version's
 * `Tags.InstanceTag`, `ResourceGroupId`, `VpcId`; a scaling configuration's `Tags` and `ResourceGroupId`
 * plus its group's `Propagate: true` tags and `VpcId`); `vSwitchId` holds only when every instance lands
 * in that one vSwitch (a template's `VSwitchId`, a group with exactly one vSwitch); `regionId` is the
 * source's region; `instanceIds` never matches a source (its instances do not exist yet).
 */
function launchedInstance(id: string, regionId: string, facts: LaunchedFacts): InstanceInfo {
  const [only, ...more] = facts.vSwitchIds;
  return {
    instanceId: id,
    regionId,
    status: '',
    networkType: 'vpc',
    tags: facts.tags,
    ...(facts.resourceGroupId ? { resourceGroupId: facts.resourceGroupId } : {}),
    ...(facts.vpcId ? { vpcId: facts.vpcId } : {}),
    ...(only !== undefined && more.length === 0 ? { vSwitchId: only } : {}),
  };
}

/** A launch template version's launch facts (LaunchTemplateData as DescribeLaunchTemplateVersions nests it). */
function templateFacts(data: LaunchTemplateData | undefined): LaunchedFacts {
  const text = (key: string) => (typeof data?.[key] === 'string' ? (data[key] as string) : '');
  const wrapped = data?.['Tags'] as { InstanceTag?: { Key?: unknown; Value?: unknown }[] } | undefined;
  const tags: Record<string, string> = {};
  for (const tag of wrapped?.InstanceTag ?? []) {
    if (typeof tag?.Key === 'string' && tag.Key !== '') tags[tag.Key] = String(tag.Value ?? '');
  }
  return {
    tags,
    resourceGroupId: text('ResourceGroupId'),
    vpcId: text('VpcId'),
    vSwitchIds: text('VSwitchId') ? [text('VSwitchId')] : [],
  };
}

/**
 * The role each planned source is to carry: the execution's one role, or its rule's (the target's
 * `rule`), or undefined with the rules document when no rule matches (the source ends Skipped/NoRule).
 */
function assigner(parameters: ExecutionParameters, regionId: string) {
  const matcher: RuleMatcher | undefined = parameters.rules ? compileRules(parameters.rules) : undefined;
  return (id: string, facts: LaunchedFacts): { wanted: Wanted; rule?: number } | undefined => {
    if (!matcher) return { wanted: wantedOf(parameters, undefined) };
    const rule = matcher(launchedInstance(id, regionId, facts));
    return rule === undefined ? undefined : { wanted: wantedOf(parameters, { rule }), rule };
  };
}

function wantedOf(parameters: ExecutionParameters, target: Pick<PlannedTarget, 'rule'> | undefined): Wanted {
  const { role, onConflict } = assignmentOf(parameters, target);
  return { role, onConflict, accepted: parameters.rules?.acceptedRoles ?? [] };
}

function noRule(instanceId: string, source: SourceKind): PlannedTarget {
  return {
    instanceId,
    source,
    decided: {
      instanceId,
      outcome: 'Skipped',
      reason: 'NoRule',
      message: 'no rule matches the instances it launches (their tags, resource group, VPC, vSwitch)',
    },
  };
}

/**
 * Plans the items: launch templates (`lt-`), active scaling configurations (`asc-`), and scaling groups
 * (`asg-`) pinned to a template version. With `ResourceIds` targets (`lt-` and `asg-` ids), an id that does
 * not exist in the region is refused ({@link InvalidInputError}, nothing written). With role rules, each
 * source gets the role of the rule its instances would match ({@link launchedInstance}).
 */
export async function planTemplateTargets(
  parameters: ExecutionParameters,
  deps: TemplateDeps,
  options: {
    /**
     * Runs once the named ids are known to exist and before the per-template reads (the role checks):
     * a `ResourceIds` id that does not exist costs only the reads that looked for it.
     */
    beforeReads?: () => Promise<void>;
  } = {},
): Promise<PlannedTarget[]> {
  const region = targetRegion(parameters.targets, parameters.regionId);
  const kinds = new Set<SourceKind>(parameters.sourceKinds ?? SOURCE_KINDS);
  const spec = parameters.targets;
  const ids = spec.Type === 'ResourceIds' ? [...new Set(spec.ResourceIds)] : undefined;
  const templateIds = ids?.filter((id) => id.startsWith('lt-'));
  const groupIds = ids?.filter((id) => id.startsWith('asg-'));
  const assign = assigner(parameters, region);
  // Decidable from the input alone: refused before any call.
  if (templateIds && templateIds.length > 0 && !kinds.has('launch-template')) {
    throw new InvalidInputError(
      'targets.ResourceIds',
      'names launch templates but --kinds leaves launch-template out',
      templateIds[0],
    );
  }

  const groups =
    kinds.has('scaling-configuration') || (groupIds && groupIds.length > 0)
      ? groupIds?.length === 0
        ? []
        : await deps.scaling.describeScalingGroups(region, groupIds)
      : [];
  if (groupIds) {
    const missing = groupIds.find((id) => !groups.some((g) => g.scalingGroupId === id));
    if (missing) {
      throw new InvalidInputError(
        'targets.ResourceIds',
        `names scaling group ${missing}, which does not exist in ${region}`,
        missing,
      );
    }
  }
  // A group launching from a template's Default version is fixed through the template.
  const viaTemplate = groups.filter((g) => g.launchTemplateId !== '');
  const wantedTemplates =
    templateIds === undefined
      ? undefined
      : [
          ...new Set([
            ...templateIds,
            ...viaTemplate
              .filter((g) => g.launchTemplateVersion === 'Default')
              .map((g) => g.launchTemplateId),
          ]),
        ];

  const targets: PlannedTarget[] = [];
  const templates =
    kinds.has('launch-template') && (wantedTemplates === undefined || wantedTemplates.length > 0)
      ? await deps.launchTemplates.describeLaunchTemplates(region, wantedTemplates)
      : [];
  for (const id of templateIds ?? []) {
    if (!templates.some((t) => t.launchTemplateId === id)) {
      throw new InvalidInputError(
        'targets.ResourceIds',
        `names launch template ${id}, which does not exist in ${region}`,
        id,
      );
    }
  }
  await options.beforeReads?.();
  for (const template of templates) {
    const instanceId = template.launchTemplateId;
    const versions = await deps.launchTemplates.describeLaunchTemplateVersions(region, instanceId);
    const current = versions.find((v) => v.versionNumber === template.defaultVersionNumber);
    const previous = String(template.defaultVersionNumber);
    const assigned = assign(instanceId, templateFacts(current?.data));
    if (!assigned) {
      targets.push({ ...noRule(instanceId, 'launch-template'), previous });
      continue;
    }
    const base = {
      instanceId,
      source: 'launch-template' as const,
      previous,
      ...(assigned.rule === undefined ? {} : { rule: assigned.rule }),
    };
    const decided = decide(instanceId, roleOf(current?.data), assigned.wanted);
    if (decided) targets.push({ ...base, decided });
    else if (versions.length >= MAX_VERSIONS_PER_TEMPLATE) {
      targets.push({ ...base, decided: versionLimit(instanceId, versions.length) });
    } else targets.push({ ...base, work: 'update' });
  }

  for (const group of viaTemplate) {
    if (group.launchTemplateVersion === 'Default') continue;
    targets.push({
      instanceId: group.scalingGroupId,
      source: 'scaling-configuration',
      decided: {
        instanceId: group.scalingGroupId,
        outcome: 'Skipped',
        reason: 'PinnedVersion',
        message: `launches from version ${group.launchTemplateVersion} of ${group.launchTemplateId}, not its default; point the group at the Default version to pick up the fixed template`,
      },
    });
  }
  if (kinds.has('scaling-configuration')) {
    const active = groups.filter((g) => g.launchTemplateId === '' && g.activeScalingConfigurationId !== '');
    const configurations = active.length
      ? await deps.scaling.describeScalingConfigurations(
          region,
          active.map((g) => g.activeScalingConfigurationId),
        )
      : [];
    for (const configuration of configurations) {
      const instanceId = configuration.scalingConfigurationId;
      const previous = configuration.ramRoleName;
      const group = active.find((g) => g.scalingGroupId === configuration.scalingGroupId);
      const assigned = assign(instanceId, {
        tags: { ...group?.propagatedTags, ...configuration.tags },
        resourceGroupId: configuration.resourceGroupId,
        vpcId: group?.vpcId ?? '',
        vSwitchIds: group?.vSwitchIds ?? [],
      });
      if (!assigned) {
        targets.push({ ...noRule(instanceId, 'scaling-configuration'), previous });
        continue;
      }
      const base = {
        instanceId,
        source: 'scaling-configuration' as const,
        previous,
        ...(assigned.rule === undefined ? {} : { rule: assigned.rule }),
      };
      const decided = decide(instanceId, previous, assigned.wanted);
      targets.push(decided ? { ...base, decided } : { ...base, work: 'update' });
    }
  }
  return targets;
}

/**
 * The writes of `templates` and of its rollback, per item kind. Each item's role is its rule's (the
 * planned target's `rule`) or the execution's one role.
 */
export function templateWriter(
  deps: TemplateDeps,
  parameters: ExecutionParameters,
  regionId: string,
  revert: boolean,
): SourceWriter {
  const lt = deps.launchTemplates;
  const gone = (instanceId: string): InstanceOutcome => ({
    instanceId,
    outcome: 'Skipped',
    reason: 'Gone',
    message: `not found in ${regionId}`,
  });
  const failed = (instanceId: string, error: unknown): InstanceOutcome => ({
    instanceId,
    outcome: 'Failed',
    ...describeError(error),
  });
  const versionsOf = async (id: string): Promise<LaunchTemplateVersionInfo[] | undefined> => {
    const [template] = await lt.describeLaunchTemplates(regionId, [id]);
    return template ? lt.describeLaunchTemplateVersions(regionId, id) : undefined;
  };
  const roleOfConfiguration = async (id: string): Promise<string | undefined> =>
    (await deps.scaling.describeScalingConfigurations(regionId, [id]))[0]?.ramRoleName;
  const changed = (instanceId: string, now: string): InstanceOutcome => ({
    instanceId,
    outcome: 'Skipped',
    reason: 'Changed',
    message: `is ${now} now, not what this execution set; left alone`,
  });

  if (!revert) {
    return {
      operation: 'update',
      async write(target, attempted) {
        const id = target.instanceId;
        const wanted = wantedOf(parameters, target);
        const ours = wanted.role;
        try {
          if (target.source === 'scaling-configuration') {
            const role = await roleOfConfiguration(id);
            if (role === undefined) return gone(id);
            if (role === ours && attempted)
              return { instanceId: id, outcome: 'Updated', previous: target.previous ?? '', current: ours };
            const decided = decide(id, role, wanted);
            if (decided) return decided;
            await deps.scaling.modifyScalingConfigurationRole(regionId, id, ours);
            return { instanceId: id, outcome: 'Updated', previous: role, current: ours };
          }
          return await updateTemplate(id, target, attempted, wanted);
        } catch (error) {
          return failed(id, error);
        }
      },
      async settle(target) {
        const id = target.instanceId;
        const ours = wantedOf(parameters, target).role;
        if (target.source === 'scaling-configuration') {
          const role = await roleOfConfiguration(id);
          if (role === undefined) return gone(id);
          return role === ours
            ? { instanceId: id, outcome: 'Updated', previous: target.previous ?? '', current: ours }
            : undefined;
        }
        const versions = await versionsOf(id);
        if (!versions) return gone(id);
        const current = versions.find((v) => v.defaultVersion);
        if (current && roleOf(current.data) === ours && String(current.versionNumber) !== target.previous) {
          return {
            instanceId: id,
            outcome: 'Updated',
            previous: target.previous ?? '',
            current: String(current.versionNumber),
          };
        }
        // Not switched yet: the next write reuses a version the interrupted run created, if any.
        return undefined;
      },
    };
  }

  return {
    operation: 'revert',
    async write(target, attempted) {
      const id = target.instanceId;
      const restoreTo = target.previous ?? '';
      try {
        if (target.source === 'scaling-configuration') {
          const role = await roleOfConfiguration(id);
          if (role === undefined) return gone(id);
          if (role === restoreTo && attempted)
            return { instanceId: id, outcome: 'Reverted', restoredTo: restoreTo };
          // What the execution set (the rollback target's `current`: its rule's role, or the one role).
          const ours = target.current ?? wantedOf(parameters, target).role;
          if (role !== ours) return changed(id, role === '' ? 'without a role' : `carrying ${role}`);
          await deps.scaling.modifyScalingConfigurationRole(regionId, id, restoreTo);
          return { instanceId: id, outcome: 'Reverted', restoredTo: restoreTo };
        }
        const versions = await versionsOf(id);
        if (!versions) return gone(id);
        const current = versions.find((v) => v.defaultVersion);
        const now = String(current?.versionNumber ?? '');
        if (now === restoreTo && attempted)
          return { instanceId: id, outcome: 'Reverted', restoredTo: restoreTo };
        if (now !== target.current) return changed(id, `at default version ${now}`);
        await lt.modifyLaunchTemplateDefaultVersion(regionId, id, Number(restoreTo));
        return { instanceId: id, outcome: 'Reverted', restoredTo: restoreTo };
      } catch (error) {
        return failed(id, error);
      }
    },
    async settle(target) {
      const id = target.instanceId;
      const restoreTo = target.previous ?? '';
      if (target.source === 'scaling-configuration') {
        const role = await roleOfConfiguration(id);
        if (role === undefined) return gone(id);
        return role === restoreTo
          ? { instanceId: id, outcome: 'Reverted', restoredTo: restoreTo }
          : undefined;
      }
      const versions = await versionsOf(id);
      if (!versions) return gone(id);
      const now = String(versions.find((v) => v.defaultVersion)?.versionNumber ?? '');
      return now === restoreTo ? { instanceId: id, outcome: 'Reverted', restoredTo: restoreTo } : undefined;
    },
  };

  /**
   * One template: read its versions; if the default does not carry the role, find a version an
   * interrupted run already created (same data, our role) or create one, read it back and compare it
   * with the default field by field, and only then make it the default.
   */
  async function updateTemplate(
    id: string,
    target: PlannedTarget,
    attempted: boolean,
    wanted: Wanted,
  ): Promise<InstanceOutcome> {
    const ours = wanted.role;
    const versions = await versionsOf(id);
    if (!versions) return gone(id);
    const current = versions.find((v) => v.defaultVersion);
    if (!current)
      return {
        instanceId: id,
        outcome: 'Failed',
        code: 'NoDefaultVersion',
        message: 'has no default version',
      };
    const previous = String(current.versionNumber);
    if (roleOf(current.data) === ours) {
      return attempted && previous !== target.previous
        ? { instanceId: id, outcome: 'Updated', previous: target.previous ?? '', current: previous }
        : { instanceId: id, outcome: 'AlreadyCompliant' };
    }
    const decided = decide(id, roleOf(current.data), wanted);
    if (decided) return decided;
    const expected = { ...current.data, RamRoleName: ours };
    let number = versions.find(
      (v) => v.versionNumber > current.versionNumber && sameData(v.data, expected),
    )?.versionNumber;
    if (number === undefined) {
      if (versions.length >= MAX_VERSIONS_PER_TEMPLATE) return versionLimit(id, versions.length);
      number = await lt.createLaunchTemplateVersion(
        regionId,
        id,
        expected,
        `ecs-role-attach: version ${previous} with RamRoleName ${ours}`,
      );
      const [created] = await lt.describeLaunchTemplateVersions(regionId, id, [number]);
      if (!created || !sameData(created.data, expected)) {
        return {
          instanceId: id,
          outcome: 'Failed',
          code: 'CopyMismatch',
          message: `new version ${number} does not read back identical to version ${previous} plus the role; the default was left at ${previous}`,
        };
      }
    }
    await lt.modifyLaunchTemplateDefaultVersion(regionId, id, number);
    return { instanceId: id, outcome: 'Updated', previous, current: String(number) };
  }
}
