/**
 * ECS 2014-05-26: DescribeInstances, DescribeInstanceRamRole, AttachInstanceRamRole, DetachInstanceRamRole,
 * with the documented request shapes, response shapes and error codes (research cloud-apis.md §1).
 * Decisions on unconfirmed behaviour are switchable through {@link EmulatorBehaviour} and listed in the README section "The embedded Alibaba Cloud".
 */
import { CommonErrors, EmulatorApiError } from './api-error.js';
import { INSTANCE_STATUSES, type InstanceRecord, type InstanceStatus, trustsEcs } from './fleet.js';
import { launchTemplateActions } from './launchTemplates.js';
import { type EmulatorService, rpcService, type ServiceContext, type ServiceResponse } from './service.js';

/** Per-instance result codes the emulator uses where the cloud's are undocumented (see the README section "The embedded Alibaba Cloud"). */
export const PER_INSTANCE_CODES = {
  success: '200',
  /** Attach on an instance that bears a role (another one, or the same one with sameRoleAttach 'fail'). */
  roleAlreadyAttached: 'RamRoleAlreadyAttached',
  /** Attach on a Pending instance (pendingAttach 'reject-call': the whole call, 403; 'reject': per instance). */
  incorrectStatus: 'IncorrectInstanceStatus',
  /** Detach on an instance without a role. */
  roleNotAttached: 'RamRoleNotAttached',
  /** Detach naming a RamRoleName other than the one the instance bears. */
  roleMismatch: 'RamRoleMismatch',
} as const;

const MALFORMED_IDS = () =>
  new EmulatorApiError(400, 'InvalidInstanceIds.Malformed', 'The specified instanceIds are not valid.');

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw CommonErrors.missingParameter(name);
  return value;
}

/** Parses a JSON-array InstanceIds parameter with 1..max distinct strings (duplicates dropped, order kept). */
function parseInstanceIds(raw: string, max: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw MALFORMED_IDS();
  }
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > max) throw MALFORMED_IDS();
  if (!parsed.every((id) => typeof id === 'string' && id !== '')) throw MALFORMED_IDS();
  return [...new Set(parsed as string[])];
}

function intParam(
  params: Record<string, string>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = params[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw CommonErrors.invalidParameter(name, `must be an integer from ${min} to ${max}`, raw);
  }
  return value;
}

interface InstanceFilter {
  ids: Set<string> | undefined;
  status: InstanceStatus | undefined;
  resourceGroupId: string | undefined;
  networkType: string | undefined;
  httpTokens: string | undefined;
  tags: { key: string; value: string | undefined }[];
}

function parseFilter(params: Record<string, string>): InstanceFilter {
  const status = params['Status'];
  if (status !== undefined && status !== '' && !(INSTANCE_STATUSES as readonly string[]).includes(status)) {
    throw new EmulatorApiError(
      404,
      'InvalidStatus.NotFound',
      `The specified Status "${status}" is not found.`,
    );
  }
  const networkType = params['InstanceNetworkType'];
  if (networkType !== undefined && networkType !== '' && networkType !== 'vpc' && networkType !== 'classic') {
    throw new EmulatorApiError(
      404,
      'InvalidNetworkType.NotFound',
      `The specified InstanceNetworkType "${networkType}" is not found; use vpc or classic.`,
    );
  }
  const tags: InstanceFilter['tags'] = [];
  for (const name of Object.keys(params)) {
    const match = /^Tag\.(\d+)\.(Key|Value)$/.exec(name);
    if (!match) continue;
    const n = Number(match[1]);
    if (n < 1 || n > 20)
      throw new EmulatorApiError(400, 'InvalidTagCount', 'The number of specified tags exceeds 20.');
    if (match[2] === 'Value' && !params[`Tag.${n}.Key`]) {
      throw new EmulatorApiError(400, 'InvalidTag.Mismatch', `Tag.${n}.Value is given without Tag.${n}.Key.`);
    }
    if (match[2] === 'Key' && params[name])
      tags.push({ key: params[name] ?? '', value: params[`Tag.${n}.Value`] });
  }
  const rawIds = params['InstanceIds'];
  let ids: Set<string> | undefined;
  if (rawIds !== undefined && rawIds !== '' && rawIds !== '[]') ids = new Set(parseInstanceIds(rawIds, 100));
  return {
    ids,
    status: status ? (status as InstanceStatus) : undefined,
    resourceGroupId: params['ResourceGroupId'] || undefined,
    networkType: networkType || undefined,
    httpTokens: params['HttpTokens'] || undefined,
    tags,
  };
}

function matches(instance: InstanceRecord, filter: InstanceFilter): boolean {
  if (filter.ids && !filter.ids.has(instance.InstanceId)) return false;
  if (filter.status && instance.Status !== filter.status) return false;
  if (filter.resourceGroupId && instance.ResourceGroupId !== filter.resourceGroupId) return false;
  if (filter.networkType && instance.InstanceNetworkType !== filter.networkType) return false;
  if (filter.httpTokens && instance.HttpTokens !== filter.httpTokens) return false;
  for (const tag of filter.tags) {
    const value = instance.Tags[tag.key];
    if (value === undefined || (tag.value !== undefined && tag.value !== '' && value !== tag.value))
      return false;
  }
  return true;
}

function describeInstance(instance: InstanceRecord): Record<string, unknown> {
  const vpc = instance.InstanceNetworkType === 'vpc';
  return {
    InstanceId: instance.InstanceId,
    InstanceName: instance.InstanceName,
    RegionId: instance.RegionId,
    ZoneId: instance.ZoneId,
    Status: instance.Status,
    InstanceNetworkType: instance.InstanceNetworkType,
    InstanceType: 'ecs.g7.large',
    ResourceGroupId: instance.ResourceGroupId,
    CreationTime: instance.CreationTime,
    Tags: { Tag: Object.entries(instance.Tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) },
    VpcAttributes: {
      VpcId: instance.VpcId,
      VSwitchId: instance.VSwitchId,
      NatIpAddress: '',
      PrivateIpAddress: { IpAddress: vpc ? [instance.PrivateIpAddress] : [] },
    },
    InnerIpAddress: { IpAddress: vpc ? [] : [instance.PrivateIpAddress] },
    OperationLocks: { LockReason: [] },
    MetadataOptions: {
      HttpEndpoint: instance.HttpEndpoint,
      HttpTokens: instance.HttpTokens,
      HttpPutResponseHopLimit: 1,
      InstanceMetadataTags: 'disabled',
    },
  };
}

/**
 * Caches the positions (in the region's list) of the instances matching a filter, so that paging through a
 * 100,000-instance region costs O(n) once rather than O(n) per page. Invalidated by any state change.
 */
class MatchCache {
  private readonly entries = new Map<string, { version: number; positions: number[] }>();

  positions(context: ServiceContext, regionId: string, filter: InstanceFilter, key: string): number[] {
    const cacheKey = `${regionId}\u0000${key}`;
    const cached = this.entries.get(cacheKey);
    if (cached && cached.version === context.state.version) return cached.positions;
    const list = context.state.instancesByRegion.get(regionId) ?? [];
    const positions: number[] = [];
    for (let i = 0; i < list.length; i++) if (matches(list[i]!, filter)) positions.push(i);
    if (this.entries.size >= 32) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(cacheKey, { version: context.state.version, positions });
    return positions;
  }
}

function encodeToken(regionId: string, position: number): string {
  return Buffer.from(`${regionId}:${position}`).toString('base64url');
}

function decodeToken(token: string, regionId: string): number {
  const [tokenRegion, position] = Buffer.from(token, 'base64url').toString().split(':');
  const value = Number(position);
  if (tokenRegion !== regionId || !Number.isInteger(value) || value < 0) {
    throw new EmulatorApiError(
      400,
      'InvalidNextToken.Malformed',
      `The specified NextToken "${token}" is not valid.`,
    );
  }
  return value;
}

/** First index in sorted `positions` whose value is >= `from`. */
function lowerBound(positions: number[], from: number): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (positions[mid]! < from) low = mid + 1;
    else high = mid;
  }
  return low;
}

function describeInstances(cache: MatchCache) {
  return (params: Record<string, string>, context: ServiceContext): ServiceResponse => {
    const regionId = required(params, 'RegionId');
    const filter = parseFilter(params);
    const key = JSON.stringify({ ...filter, ids: filter.ids && [...filter.ids] });
    const positions = cache.positions(context, regionId, filter, key);
    const list = context.state.instancesByRegion.get(regionId) ?? [];
    const tokenMode =
      params['NextToken'] !== undefined ||
      params['MaxResults'] !== undefined ||
      (params['PageNumber'] === undefined && params['PageSize'] === undefined);
    if (tokenMode) {
      // Documented: MaxResults max 100, default 10; smaller values become 10, larger become 100.
      const raw = Number(params['MaxResults'] ?? 10);
      const size = Number.isFinite(raw) ? Math.min(100, Math.max(10, Math.floor(raw))) : 10;
      const token = params['NextToken'];
      const from = token ? decodeToken(token, regionId) : 0;
      const start = lowerBound(positions, from);
      const page = positions.slice(start, start + size);
      const more = start + size < positions.length;
      const body: Record<string, unknown> = {
        TotalCount: positions.length,
        PageSize: size,
        Instances: { Instance: page.map((p) => describeInstance(list[p]!)) },
      };
      if (more) body['NextToken'] = encodeToken(regionId, positions[start + size]!);
      else if (context.behaviour.lastPageNextToken === 'empty') body['NextToken'] = '';
      return { body };
    }
    const pageNumber = intParam(params, 'PageNumber', 1, 1, Number.MAX_SAFE_INTEGER);
    const pageSize = intParam(params, 'PageSize', 10, 1, 100);
    const page = positions.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      body: {
        TotalCount: positions.length,
        PageNumber: pageNumber,
        PageSize: pageSize,
        Instances: { Instance: page.map((p) => describeInstance(list[p]!)) },
      },
    };
  };
}

function findRole(context: ServiceContext, name: string) {
  const role = context.state.roles.get(name);
  if (!role) {
    throw new EmulatorApiError(
      404,
      'InvalidRamRole.NotFound',
      `The specified RAMRoleName "${name}" does not exist.`,
    );
  }
  return role;
}

function instanceInRegion(context: ServiceContext, regionId: string, id: string): InstanceRecord | undefined {
  const instance = context.state.instancesById.get(id);
  return instance && instance.RegionId === regionId ? instance : undefined;
}

function describeInstanceRamRole(params: Record<string, string>, context: ServiceContext): ServiceResponse {
  const regionId = required(params, 'RegionId');
  const rawIds = params['InstanceIds'];
  const roleName = params['RamRoleName'] || undefined;
  if ((rawIds === undefined || rawIds === '') && !roleName) {
    if (context.behaviour.describeRoleWithoutFilter === 'missing-parameter')
      throw CommonErrors.missingParameter('InstanceIds');
    throw new EmulatorApiError(
      403,
      'InvalidParameter.AllEmpty',
      'The required parameters are not specified.',
    );
  }
  const pageNumber = intParam(params, 'PageNumber', 1, 1, Number.MAX_SAFE_INTEGER);
  const pageSize = intParam(params, 'PageSize', 10, 1, 50);
  if (roleName) findRole(context, roleName);
  let candidates: InstanceRecord[];
  if (rawIds !== undefined && rawIds !== '') {
    const ids = parseInstanceIds(rawIds, 50);
    candidates = [];
    for (const id of ids) {
      const instance = instanceInRegion(context, regionId, id);
      if (instance) candidates.push(instance);
      else if (context.behaviour.unknownIdsInDescribeRole === 'error') {
        throw new EmulatorApiError(
          404,
          'InvalidInstanceId.NotFound',
          `The specified instanceId "${id}" does not exist.`,
        );
      }
    }
    if (
      context.behaviour.classicInDescribeRole === 'error' &&
      candidates.some((i) => i.InstanceNetworkType === 'classic')
    ) {
      throw mismatchRamRole();
    }
    if (roleName) candidates = candidates.filter((i) => i.RamRoleName === roleName);
    else if (context.behaviour.roleLessInDescribeRole === 'omit')
      candidates = candidates.filter((i) => i.RamRoleName);
  } else {
    candidates = (context.state.instancesByRegion.get(regionId) ?? []).filter(
      (i) => i.RamRoleName === roleName,
    );
  }
  const page = candidates.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return {
    body: {
      RegionId: regionId,
      TotalCount: candidates.length,
      InstanceRamRoleSets: {
        InstanceRamRoleSet: page.map((i) => ({ InstanceId: i.InstanceId, RamRoleName: i.RamRoleName })),
      },
    },
  };
}

/** Validates a write call: ids, every id known in the region (else 404 whole call), none classic (else 403). */
function writeTargets(
  params: Record<string, string>,
  context: ServiceContext,
  regionId: string,
): InstanceRecord[] {
  const ids = parseInstanceIds(required(params, 'InstanceIds'), 100);
  const instances: InstanceRecord[] = [];
  for (const id of ids) {
    const instance = instanceInRegion(context, regionId, id);
    if (!instance) {
      throw new EmulatorApiError(
        404,
        'InvalidInstanceId.NotFound',
        `The specified instanceId "${id}" does not exist.`,
      );
    }
    instances.push(instance);
  }
  if (instances.some((i) => i.InstanceNetworkType === 'classic')) throw mismatchRamRole();
  return instances;
}

const mismatchRamRole = () =>
  new EmulatorApiError(
    403,
    'InvalidNetworkType.MismatchRamRole',
    'Ram role cannot be applied to instances of Classic network type.',
  );

/** 403 for the whole call when the caller may not pass one of `roleNames` (`ram:PassRole`). */
function checkPassRole(context: ServiceContext, roleNames: Iterable<string>): void {
  for (const roleName of roleNames) {
    if (roleName !== '' && !context.mayPassRole(roleName)) {
      throw new EmulatorApiError(
        403,
        'InvalidUser.PassRoleForbidden',
        `The RAM user does not have the privilege to pass a RAM role. (ram:PassRole on role ${roleName})`,
      );
    }
  }
}

const INCORRECT_STATUS_MESSAGE = 'The current status of the resource does not support this operation.';

interface InstanceResult {
  InstanceId: string;
  Code: string;
  Message: string;
  Success: boolean;
  [extra: string]: unknown;
}

const failure = (InstanceId: string, Code: string, Message: string): InstanceResult => ({
  InstanceId,
  Code,
  Message,
  Success: false,
});

function attachInstanceRamRole(params: Record<string, string>, context: ServiceContext): ServiceResponse {
  const regionId = required(params, 'RegionId');
  const roleName = required(params, 'RamRoleName');
  parseInstanceIds(required(params, 'InstanceIds'), 100);
  // Documented "Length: 1 to 1,024 characters"; the real code for a longer one is unknown, so the
  // harsher form: the whole call is refused.
  const policy = params['Policy'];
  if (policy !== undefined && (policy.length < 1 || policy.length > 1024)) {
    throw CommonErrors.invalidParameter('Policy', 'must be 1 to 1024 characters', `${policy.slice(0, 40)}…`);
  }
  const role = findRole(context, roleName);
  if (!trustsEcs(role.AssumeRolePolicyDocument)) {
    throw new EmulatorApiError(
      404,
      'InvalidRamRole.NotEcsRole',
      'The specified ram role is not authorized for ecs, please check your role policy.',
    );
  }
  const instances = writeTargets(params, context, regionId);
  checkPassRole(context, [roleName]);
  if (
    context.behaviour.pendingAttach === 'reject-call' &&
    instances.some((instance) => instance.Status === 'Pending')
  ) {
    throw new EmulatorApiError(403, PER_INSTANCE_CODES.incorrectStatus, INCORRECT_STATUS_MESSAGE);
  }
  if (context.behaviour.roleAttachedAttach === 'call') {
    const bearing = instances.find(
      (i) => i.RamRoleName && !(i.RamRoleName === roleName && context.behaviour.sameRoleAttach === 'succeed'),
    );
    if (bearing) {
      throw new EmulatorApiError(
        403,
        PER_INSTANCE_CODES.roleAlreadyAttached,
        `The instance ${bearing.InstanceId} already has an instance RAM role; an instance can have only one.`,
      );
    }
  }
  const results = instances.map((instance): InstanceResult => {
    const id = instance.InstanceId;
    const forced = context.faults.instanceFault(id, false);
    if (forced) return failure(id, forced.Code, forced.Message);
    if (instance.Status === 'Pending' && context.behaviour.pendingAttach === 'reject') {
      return failure(id, PER_INSTANCE_CODES.incorrectStatus, INCORRECT_STATUS_MESSAGE);
    }
    const sameRoleOk = instance.RamRoleName === roleName && context.behaviour.sameRoleAttach === 'succeed';
    if (instance.RamRoleName && !sameRoleOk) {
      return failure(
        id,
        PER_INSTANCE_CODES.roleAlreadyAttached,
        `The instance already has the instance RAM role "${instance.RamRoleName}"; an instance can have only one.`,
      );
    }
    instance.RamRoleName = roleName;
    instance.RamRolePolicy = policy ?? '';
    instance.AttachCount += 1;
    return { InstanceId: id, Code: PER_INSTANCE_CODES.success, Message: 'success', Success: true };
  });
  context.state.version++;
  return {
    body: {
      RamRoleName: roleName,
      TotalCount: results.length,
      FailCount: results.filter((r) => !r.Success).length,
      AttachInstanceRamRoleResults: { AttachInstanceRamRoleResult: results },
    },
  };
}

function detachInstanceRamRole(params: Record<string, string>, context: ServiceContext): ServiceResponse {
  const regionId = required(params, 'RegionId');
  parseInstanceIds(required(params, 'InstanceIds'), 100);
  const roleName = params['RamRoleName'] || undefined;
  if (roleName) findRole(context, roleName);
  const instances = writeTargets(params, context, regionId);
  checkPassRole(context, roleName ? [roleName] : new Set(instances.map((i) => i.RamRoleName)));
  const results = instances.map((instance): InstanceResult => {
    const id = instance.InstanceId;
    const forced = context.faults.instanceFault(id, true);
    if (forced) return failure(id, forced.Code, forced.Message);
    if (!instance.RamRoleName) {
      return failure(
        id,
        PER_INSTANCE_CODES.roleNotAttached,
        'The instance has no instance RAM role attached.',
      );
    }
    if (roleName && instance.RamRoleName !== roleName) {
      return failure(
        id,
        PER_INSTANCE_CODES.roleMismatch,
        `The instance bears the instance RAM role "${instance.RamRoleName}", not "${roleName}".`,
      );
    }
    const removed = instance.RamRoleName;
    instance.RamRoleName = '';
    instance.RamRolePolicy = '';
    instance.DetachCount += 1;
    return {
      InstanceId: id,
      Code: PER_INSTANCE_CODES.success,
      Message: 'Success',
      Success: true,
      InstanceRamRoleSets: { InstanceRamRoleSet: [{ InstanceId: id, RamRoleName: removed }] },
    };
  });
  context.state.version++;
  return {
    body: {
      RamRoleName: roleName ?? '',
      TotalCount: results.length,
      FailCount: results.filter((r) => !r.Success).length,
      DetachInstanceRamRoleResults: { DetachInstanceRamRoleResult: results },
    },
  };
}

/** The ECS 2014-05-26 service (RPC style, claimed by version). */
export function ecsService(): EmulatorService {
  const cache = new MatchCache();
  return rpcService({
    name: 'ecs',
    product: 'Ecs',
    version: '2014-05-26',
    hostId: 'ecs.aliyuncs.com',
    regional: true,
    ramNamespace: 'ecs',
    actions: {
      DescribeInstances: describeInstances(cache),
      DescribeInstanceRamRole: describeInstanceRamRole,
      AttachInstanceRamRole: attachInstanceRamRole,
      DetachInstanceRamRole: detachInstanceRamRole,
      ...launchTemplateActions,
    },
  });
}
