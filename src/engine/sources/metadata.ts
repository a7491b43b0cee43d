/**
 * `harden-metadata`: the metadata service's security hardening mode (`HttpTokens=required`, set with
 * ModifyInstanceMetadataOptions, one instance per call) as an execution kind. Planning reads
 * DescribeInstances (targets, exclusions), DescribeInstanceRamRole (role-less instances are left alone
 * unless `hardenRoleless`) and the MetadataOptions; every write is settled by reading MetadataOptions again.
 */
import { CloudApiError } from '../errors.js';
import type { Clock, EcsApi } from '../ports.js';
import { ineligibility, resolveTargets, targetRegion } from '../targets.js';
import type { ExecutionParameters, InstanceOutcome, PlannedTarget } from '../types.js';
import type { MetadataApi } from './ports.js';
import { describeError, type SourceWriter } from './writer.js';

/**
 * Prerequisites the source documents give for hardened mode, stated in reports and the README: guests whose
 * software still reads the metadata service in normal mode lose it.
 */
export const HARDENING_PREREQUISITES =
  'hardened mode needs images with cloud-init 23.2.2 or later, and credential clients at least: Python alibabacloud_credentials 0.3.6, Java credentials-java 0.3.10, Go credentials-go 1.3.10, Node.js @alicloud/credentials 2.3.1, .NET 1.4.2, PHP 1.2.0, Alibaba Cloud CLI 3.0.248 (Cloud Assistant agent 2.x.3.857 for scripted checks)';

export async function planMetadataTargets(
  parameters: ExecutionParameters,
  deps: { ecs: EcsApi; metadata: MetadataApi; clock: Pick<Clock, 'now'> },
): Promise<PlannedTarget[]> {
  const region = targetRegion(parameters.targets, parameters.regionId);
  const resolved = await resolveTargets(parameters.targets, parameters.regionId, deps.ecs);
  const excludedIds = new Set(parameters.exclusions.instanceIds);
  const targets: PlannedTarget[] = [];
  const eligible: string[] = [];
  for (const instance of resolved.instances) {
    const decided = ineligibility(instance, parameters.exclusions, deps.clock.now(), excludedIds);
    if (decided) targets.push({ instanceId: instance.instanceId, source: 'instance', decided });
    else eligible.push(instance.instanceId);
  }
  const roles =
    eligible.length > 0 && !parameters.hardenRoleless
      ? await deps.ecs.describeInstanceRamRoles(region, eligible)
      : new Map<string, string | undefined>();
  const options =
    eligible.length > 0 ? await deps.metadata.describeMetadataOptions(region, eligible) : new Map();
  for (const instanceId of eligible) {
    const found = options.get(instanceId);
    const skip = (reason: 'NoRole' | 'MetadataDisabled' | 'Gone', message: string): PlannedTarget => ({
      instanceId,
      source: 'instance',
      decided: { instanceId, outcome: 'Skipped', reason, message },
    });
    if (!found) targets.push(skip('Gone', `not found in ${region}`));
    else if (found.httpTokens === 'required') {
      targets.push({ instanceId, source: 'instance', decided: { instanceId, outcome: 'AlreadyCompliant' } });
    } else if (found.httpEndpoint === 'disabled') {
      targets.push(skip('MetadataDisabled', 'the metadata channel is disabled; hardening would enable it'));
    } else if (!parameters.hardenRoleless && !roles.get(instanceId)) {
      targets.push(skip('NoRole', 'bears no RAM role; pass --include-roleless to harden it anyway'));
    } else targets.push({ instanceId, source: 'instance', work: 'harden', previous: 'optional' });
  }
  for (const instanceId of resolved.missingIds) {
    targets.push({
      instanceId,
      source: 'instance',
      decided: { instanceId, outcome: 'Skipped', reason: 'Gone', message: `not found in ${region}` },
    });
  }
  return targets;
}

/** Hardening writes (`revert`: back to `optional` for a rollback). */
export function metadataWriter(metadata: MetadataApi, regionId: string, revert: boolean): SourceWriter {
  const read = async (id: string) => (await metadata.describeMetadataOptions(regionId, [id])).get(id);
  const gone = (instanceId: string): InstanceOutcome => ({
    instanceId,
    outcome: 'Skipped',
    reason: 'Gone',
    message: `not found in ${regionId}`,
  });
  if (!revert) {
    const updated = (instanceId: string): InstanceOutcome => ({
      instanceId,
      outcome: 'Updated',
      previous: 'optional',
      current: 'required',
    });
    return {
      operation: 'harden',
      async write(target) {
        const id = target.instanceId;
        try {
          await metadata.modifyInstanceMetadataOptions(regionId, id, 'required');
          return updated(id);
        } catch (error) {
          if (error instanceof CloudApiError && error.code === 'InvalidInstanceId.NotFound') return gone(id);
          // A failed call may have landed (a retry after a broken connection): the mode decides.
          const now = await read(id).catch(() => undefined);
          if (now?.httpTokens === 'required') return updated(id);
          return { instanceId: id, outcome: 'Failed', ...describeError(error) };
        }
      },
      async settle(target) {
        const now = await read(target.instanceId);
        if (!now) return gone(target.instanceId);
        return now.httpTokens === 'required' ? updated(target.instanceId) : undefined;
      },
    };
  }
  const reverted = (instanceId: string): InstanceOutcome => ({
    instanceId,
    outcome: 'Reverted',
    restoredTo: 'optional',
  });
  return {
    operation: 'revert',
    async write(target, attempted) {
      const id = target.instanceId;
      const now = await read(id);
      if (!now) return gone(id);
      if (now.httpTokens === 'optional') {
        return attempted
          ? reverted(id)
          : {
              instanceId: id,
              outcome: 'Skipped',
              reason: 'Changed',
              message: 'is in normal mode already; left alone',
            };
      }
      try {
        await metadata.modifyInstanceMetadataOptions(regionId, id, 'optional');
        return reverted(id);
      } catch (error) {
        const after = await read(id).catch(() => undefined);
        if (after?.httpTokens === 'optional') return reverted(id);
        return { instanceId: id, outcome: 'Failed', ...describeError(error) };
      }
    },
    async settle(target) {
      const now = await read(target.instanceId);
      if (!now) return gone(target.instanceId);
      return now.httpTokens === 'optional' ? reverted(target.instanceId) : undefined;
    },
  };
}
