/**
 * Admin routes under `/_emulator/` (no signature; loopback callers only). All bodies are JSON.
 *
 * | route | effect |
 * |---|---|
 * | `GET /_emulator/instances[?RegionId=&AccountId=]` | `{"Instances":[{InstanceId, RegionId, Status, InstanceNetworkType, ResourceGroupId, Tags, RamRoleName, RamRolePolicy, VpcId, VSwitchId, AttachCount, DetachCount, CreationTime}]}` |
 * | `POST /_emulator/instances` | body `{"instances":[<fleet instance> + optional "RunningAfterMs"]}`: creates them (an instance with `Status: "Pending"` and `RunningAfterMs` turns `Running` after that delay); answers `{"Instances":[...]}` |
 * | `POST /_emulator/instances/status` | body `{"InstanceIds":[...],"Status":"Running"}`: sets the status at once |
 * | `GET /_emulator/stats` | `{"calls":{"<Action>":n},"throttled":{"<Action>":n},"injected":{...},"rejected":{"<Code>":n}}` |
 * | `POST /_emulator/stats/reset` | zeroes the stats |
 * | `GET /_emulator/faults`, `POST /_emulator/faults` | reads / merges faults (see {@link Faults}) |
 * | `GET /_emulator/quotas`, `POST /_emulator/quotas` | reads / merges quotas `{"<Action>": N \| "N/Ks" \| {"bucket","refillPerSecond"} \| null}`, counted per action and region (ECS) |
 * | `GET /_emulator/cloudflow` | `{"Calls":[{action, at, requestId, taskToken, output \| error, cause \| flowName, executionName, input}]}` |
 * | `GET /_emulator/oss` | `{"Buckets":{"<bucket>":["<key>", ...]}}` |
 * | `POST /_emulator/buckets` | `{"Buckets":["<bucket>", ...]}` creates OSS buckets; answers the bucket names |
 */
import { z } from 'zod';
import type { Faults } from './faults.js';
import { type FleetInstance, INSTANCE_STATUSES, type InstanceRecord, type InstanceStatus } from './fleet.js';
import { type QuotaSpec, quotaSpecSchema } from './quotas.js';

/** An instance as the admin route and `handle.instances()` show it. */
export interface AdminInstanceView {
  InstanceId: string;
  RegionId: string;
  Status: InstanceStatus;
  InstanceNetworkType: 'vpc' | 'classic';
  ResourceGroupId: string;
  Tags: Record<string, string>;
  /** "" when none. */
  RamRoleName: string;
  /** The `Policy` the role was attached with; "" for none. */
  RamRolePolicy: string;
  VpcId: string;
  VSwitchId: string;
  CreationTime: string;
  AttachCount: number;
  DetachCount: number;
}

/** Call statistics since start or the last reset. */
export interface EmulatorStats {
  /** Every API request naming the action, whatever its outcome. */
  calls: Record<string, number>;
  /** Requests answered `Throttling.User` (quota or injected). */
  throttled: Record<string, number>;
  /** Injected faults by kind: `reset`, `internal` (500), `unavailable` (503), `throttle`. */
  injected: Record<string, number>;
  /** Requests rejected before reaching the action (signature, credentials, replay), by error code. */
  rejected: Record<string, number>;
  /** Authenticated requests the quota let through, by the caller's account id, then action. */
  accounts: Record<string, Record<string, number>>;
}

/** The operations the admin routes call; implemented by the server. */
export interface AdminOperations {
  instances(regionId?: string, accountId?: string): AdminInstanceView[];
  addInstances(instances: (FleetInstance & { RunningAfterMs?: number })[]): AdminInstanceView[];
  setInstanceStatus(instanceIds: string[], status: InstanceStatus): void;
  stats(): EmulatorStats;
  resetStats(): void;
  faults(): Faults;
  setFaults(patch: unknown): Faults;
  quotas(): Record<string, QuotaSpec>;
  setQuotas(patch: Record<string, QuotaSpec | null>): Record<string, QuotaSpec>;
  cloudflowCalls(): unknown[];
  ossListing(): Record<string, string[]>;
  createBuckets(names: string[]): void;
}

/** The admin view of an instance record (a copy; safe to keep). */
export function viewInstance(record: InstanceRecord): AdminInstanceView {
  return {
    InstanceId: record.InstanceId,
    RegionId: record.RegionId,
    Status: record.Status,
    InstanceNetworkType: record.InstanceNetworkType,
    ResourceGroupId: record.ResourceGroupId,
    Tags: { ...record.Tags },
    RamRoleName: record.RamRoleName,
    RamRolePolicy: record.RamRolePolicy,
    VpcId: record.VpcId,
    VSwitchId: record.VSwitchId,
    CreationTime: record.CreationTime,
    AttachCount: record.AttachCount,
    DetachCount: record.DetachCount,
  };
}

const createBody = z.strictObject({
  instances: z.array(z.looseObject({ RunningAfterMs: z.number().int().min(0).optional() })).min(1),
});
const statusBody = z.strictObject({
  InstanceIds: z.array(z.string()).min(1),
  Status: z.enum(INSTANCE_STATUSES),
});
const quotasBody = z.record(z.string(), quotaSpecSchema.nullable());
const bucketsBody = z.strictObject({ Buckets: z.array(z.string()).min(1) });

/** Result of an admin route: HTTP status and JSON body. */
export interface AdminResult {
  status: number;
  body: unknown;
}

/** Empty body = `{}`; invalid JSON throws (answered 400). */
function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  return JSON.parse(body.toString('utf8'));
}

/** Routes one admin request; unknown routes answer 404. Input errors answer 400 `{"error": message}`. */
export function handleAdmin(method: string, url: URL, body: Buffer, ops: AdminOperations): AdminResult {
  const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /_emulator/instances':
        return {
          status: 200,
          body: {
            Instances: ops.instances(
              url.searchParams.get('RegionId') ?? undefined,
              url.searchParams.get('AccountId') ?? undefined,
            ),
          },
        };
      case 'POST /_emulator/instances': {
        const input = createBody.parse(parseJson(body));
        return { status: 200, body: { Instances: ops.addInstances(input.instances as never) } };
      }
      case 'POST /_emulator/instances/status': {
        const input = statusBody.parse(parseJson(body));
        ops.setInstanceStatus(input.InstanceIds, input.Status);
        return { status: 200, body: { ok: true } };
      }
      case 'GET /_emulator/stats':
        return { status: 200, body: ops.stats() };
      case 'POST /_emulator/stats/reset':
        ops.resetStats();
        return { status: 200, body: ops.stats() };
      case 'GET /_emulator/faults':
        return { status: 200, body: ops.faults() };
      case 'POST /_emulator/faults':
        return { status: 200, body: ops.setFaults(parseJson(body)) };
      case 'GET /_emulator/quotas':
        return { status: 200, body: ops.quotas() };
      case 'POST /_emulator/quotas':
        return { status: 200, body: ops.setQuotas(quotasBody.parse(parseJson(body))) };
      case 'GET /_emulator/cloudflow':
        return { status: 200, body: { Calls: ops.cloudflowCalls() } };
      case 'GET /_emulator/oss':
        return { status: 200, body: { Buckets: ops.ossListing() } };
      case 'POST /_emulator/buckets': {
        const input = bucketsBody.parse(parseJson(body));
        ops.createBuckets(input.Buckets);
        return { status: 200, body: { Buckets: Object.keys(ops.ossListing()).sort() } };
      }
      default:
        return { status: 404, body: { error: `no admin route ${route}` } };
    }
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    return { status: 400, body: { error: message } };
  }
}
