/**
 * Decoding of the EventBridge CloudEvents Function Compute hands `on-instance-created` (the timer
 * payload of `sweep` is timer.ts, the input of `workflow` workflowRequest.ts).
 * Pure: no I/O, no clock. Every malformed payload raises {@link InvalidInputError} naming the field,
 * the rule and the value, so a handler can fail before making a single cloud call.
 */
import { z } from 'zod';
import { InvalidInputError } from '../engine/errors.js';
import { ROLE_CHANGE_CALLS, type RoleChange, type RoleChangeCall } from '../engine/paths/event/drift.js';
import { INSTANCE_ID, REGION_ID } from './atoms.js';
import { parseJsonPayload, parseWith } from './zod.js';

/** An instance named by an event, ready for the event path to attach. */
export interface EventInstance {
  instanceId: string;
  regionId: string;
  /** CloudEvent `source` of the first event that named the instance (e.g. `acs.ecs`). */
  source: string;
  /** CloudEvent `id` of that event. */
  eventId: string;
  /** ECS state carried by `ecs:Instance:StateChange` (`Running`, `Pending`, ...); absent for ActionTrail. */
  state?: string;
}

/** Why an event was not turned into instances; the caller logs one line per entry. */
export const IGNORE_REASONS = [
  'UnsupportedType',
  'UnsupportedApiCall',
  'FailedApiCall',
  'ForeignAccount',
  'UnknownAccount',
  'NoInstanceId',
  'NoRegion',
  'InstanceDeleted',
  'NotRunning',
  'DuplicateEvent',
  'DuplicateInstance',
] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

export interface IgnoredEvent {
  reason: IgnoreReason;
  /** Human sentence with the values involved. */
  detail: string;
  id?: string;
  type?: string;
}

export interface DecodedInstanceEvents {
  /** Unique by instance id, in event order. */
  instances: EventInstance[];
  /**
   * Role changes (ActionTrail DetachInstanceRamRole / AttachInstanceRamRole), one per instance and event,
   * in event order; whether one is drift is the engine's call.
   */
  changes: RoleChange[];
  ignored: IgnoredEvent[];
}

export interface DecodeInstanceEventsOptions {
  /** The account the function runs in; events of any other account are ignored (`ForeignAccount`). */
  accountId: string;
}

/** `acs:ecs:<region>:<uid>:instance/<id>`, the ARN-like form ECS notifications use for resourceId. */
const INSTANCE_ARN = /^acs:ecs:([a-z0-9-]*):(\d*):instance\/(i-[a-z0-9]{1,64})$/;
/** API calls that create instances; anything else in an ActionTrail record is ignored. */
const CREATE_CALLS: readonly string[] = ['RunInstances', 'CreateInstance'];
const STATE_CHANGE_TYPE = 'ecs:Instance:StateChange';
const ACTIONTRAIL_TYPE = /:ActionTrail:(ApiCall|ConsoleOperation)$/;

const nonEmpty = z.string().min(1, 'must be a non-empty string');

/**
 * The CloudEvents envelope as EventBridge delivers it. `id`, `source` and `type` are required
 * (CloudEvents 1.0); the Alibaba extensions are optional here and checked by the decoder.
 */
const cloudEventSchema = z.looseObject({
  id: nonEmpty,
  source: nonEmpty,
  type: nonEmpty,
  specversion: z.string().optional(),
  aliyunaccountid: z.union([z.string(), z.number()]).optional(),
  aliyunregionid: z.string().optional(),
  data: z.unknown().optional(),
});
type CloudEvent = z.infer<typeof cloudEventSchema>;

/** The instance fields of a state change, flat in `data` or nested in `data.content`. */
const stateFieldsSchema = z.looseObject({
  resourceId: z.string().optional(),
  instanceId: z.string().optional(),
  state: z.string().optional(),
  regionId: z.string().optional(),
});

/**
 * `ecs:Instance:StateChange` data in either shape (real-cloud-evidence.md §2.17; no verbatim EventBridge
 * sample is public): the flat form `{resourceId, state}`, or the ECS notification form with an ARN in
 * `resourceId` and `content: {resourceId, resourceType, state}`.
 */
const stateChangeDataSchema = stateFieldsSchema.extend({ content: stateFieldsSchema.optional() });

/** An ActionTrail management event record (research §2.3); every field read defensively. */
const actionTrailDataSchema = z.looseObject({
  eventName: z.string().optional(),
  serviceName: z.string().optional(),
  acsRegion: z.string().optional(),
  errorCode: z.unknown().optional(),
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
  referencedResources: z.unknown().optional(),
  userAgent: z.unknown().optional(),
  userIdentity: z.unknown().optional(),
});
type ActionTrailRecord = z.infer<typeof actionTrailDataSchema>;

/**
 * Turns what FC hands `on-instance-created` into instance ids to attach and ignored events to log.
 *
 * Accepts a Buffer, a string or an already parsed value; one CloudEvent or an array of them (the
 * EventBridge batch window). Handles `ecs:Instance:StateChange` and ActionTrail `RunInstances` /
 * `CreateInstance` records (`*:ActionTrail:ApiCall` or `*:ActionTrail:ConsoleOperation`), and the
 * ActionTrail role changes `DetachInstanceRamRole` / `AttachInstanceRamRole` (into `changes`). Duplicates
 * by `source`+`id` (EventBridge may redeliver) and repeated instance ids of creations are dropped.
 *
 * @throws {@link InvalidInputError} when the payload is not JSON, not an object or array, or an event
 *   lacks `id`, `source` or `type`.
 * @example
 * const { instances, ignored } = decodeInstanceEvents(event, { accountId: context.accountId });
 */
export function decodeInstanceEvents(
  raw: unknown,
  options: DecodeInstanceEventsOptions,
): DecodedInstanceEvents {
  const parsed = parseJsonPayload(raw, 'event');
  if (parsed === null || typeof parsed !== 'object') {
    throw new InvalidInputError('event', 'must be a CloudEvent object or an array of CloudEvents', parsed);
  }
  const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  const events = list.map((item, index) =>
    parseWith(cloudEventSchema, item, Array.isArray(parsed) ? `event[${index}]` : 'event'),
  );

  const instances: EventInstance[] = [];
  const changes: RoleChange[] = [];
  const ignored: IgnoredEvent[] = [];
  const seenEvents = new Set<string>();
  const seenInstances = new Set<string>();
  for (const event of events) {
    const eventKey = `${event.source}\u0000${event.id}`;
    const ignore = (reason: IgnoreReason, detail: string): void => {
      ignored.push({ reason, detail, id: event.id, type: event.type });
    };
    if (seenEvents.has(eventKey)) {
      ignore('DuplicateEvent', `event ${event.id} from ${event.source} was already in this invocation`);
      continue;
    }
    seenEvents.add(eventKey);

    const extracted = extractInstances(event, options.accountId);
    if ('reason' in extracted) {
      ignore(extracted.reason, extracted.detail);
      continue;
    }
    if ('changes' in extracted) {
      changes.push(...extracted.changes);
      continue;
    }
    const fresh = extracted.filter((instance) => !seenInstances.has(instance.instanceId));
    if (fresh.length === 0) {
      ignore(
        'DuplicateInstance',
        `every instance it names (${extracted.map((i) => i.instanceId).join(', ')}) was already named by an earlier event`,
      );
      continue;
    }
    for (const instance of fresh) {
      seenInstances.add(instance.instanceId);
      instances.push(instance);
    }
  }
  return { instances, changes, ignored };
}

type Extraction = EventInstance[] | { changes: RoleChange[] } | { reason: IgnoreReason; detail: string };

function extractInstances(event: CloudEvent, accountId: string): Extraction {
  const isStateChange = event.type === STATE_CHANGE_TYPE;
  const isActionTrail = ACTIONTRAIL_TYPE.test(event.type);
  if (!isStateChange && !isActionTrail) {
    return { reason: 'UnsupportedType', detail: `event type ${event.type} is not handled` };
  }
  if (event.aliyunaccountid === undefined || String(event.aliyunaccountid) === '') {
    return {
      reason: 'UnknownAccount',
      detail: 'the event has no aliyunaccountid, so its account is unknown',
    };
  }
  if (String(event.aliyunaccountid) !== accountId) {
    return {
      reason: 'ForeignAccount',
      detail: `the event belongs to account ${String(event.aliyunaccountid)}, the function to account ${accountId}`,
    };
  }
  return isStateChange ? fromStateChange(event) : fromActionTrail(event);
}

/** The only state the event path acts on: earlier states may not be attachable yet, later ones need no role. */
const ACTIONABLE_STATE = 'Running';

function fromStateChange(event: CloudEvent): Extraction {
  const data = stateChangeDataSchema.safeParse(event.data);
  if (!data.success) return { reason: 'NoInstanceId', detail: 'data is not an object' };
  const { content, ...flat } = data.data;
  const named = [content?.resourceId, content?.instanceId, flat.resourceId, flat.instanceId].filter(
    (value): value is string => value !== undefined,
  );
  const ids = named.map((value) => {
    const arn = INSTANCE_ARN.exec(value);
    return { instanceId: arn ? arn[3]! : value, arnRegion: arn?.[1] };
  });
  const found = ids.find((id) => INSTANCE_ID.test(id.instanceId));
  if (found === undefined) {
    return {
      reason: 'NoInstanceId',
      detail: `data.resourceId/data.instanceId (or data.content.resourceId) must name an ECS instance like "i-bp1...", got ${JSON.stringify(named[0] ?? '')}`,
    };
  }
  const { instanceId } = found;
  const state = content?.state ?? flat.state;
  if (state === 'Deleted') {
    return { reason: 'InstanceDeleted', detail: `instance ${instanceId} was deleted` };
  }
  if (state !== undefined && state !== ACTIONABLE_STATE) {
    return {
      reason: 'NotRunning',
      detail: `instance ${instanceId} changed to ${state}; only ${ACTIONABLE_STATE} is acted on (its own event follows)`,
    };
  }
  const regionId = pickRegion(
    event.aliyunregionid,
    content?.regionId,
    flat.regionId,
    ...ids.map((id) => id.arnRegion),
  );
  if (regionId === undefined) {
    return { reason: 'NoRegion', detail: `no aliyunregionid or region in the event for ${instanceId}` };
  }
  return [
    {
      instanceId,
      regionId,
      source: event.source,
      eventId: event.id,
      ...(state === undefined ? {} : { state }),
    },
  ];
}

function fromActionTrail(event: CloudEvent): Extraction {
  const data = actionTrailDataSchema.safeParse(event.data);
  if (!data.success) return { reason: 'NoInstanceId', detail: 'data is not an object' };
  const record = data.data;
  const roleChange = (ROLE_CHANGE_CALLS as readonly string[]).includes(record.eventName ?? '');
  if (record.eventName === undefined || (!CREATE_CALLS.includes(record.eventName) && !roleChange)) {
    return {
      reason: 'UnsupportedApiCall',
      detail: `API call ${JSON.stringify(record.eventName)} neither creates instances nor changes their role (handled: ${[...CREATE_CALLS, ...ROLE_CHANGE_CALLS].join(', ')})`,
    };
  }
  if (record.serviceName !== undefined && record.serviceName.toLowerCase() !== 'ecs') {
    return { reason: 'UnsupportedApiCall', detail: `API call from service ${record.serviceName}, not ECS` };
  }
  if (record.errorCode !== undefined && record.errorCode !== null && record.errorCode !== '') {
    return {
      reason: 'FailedApiCall',
      detail: `${record.eventName} failed with ${JSON.stringify(record.errorCode)}; ${roleChange ? 'no role was changed' : 'no instance was created'}`,
    };
  }
  if (roleChange) return fromRoleChange(event, record, record.eventName as RoleChangeCall);
  const ids = actionTrailInstanceIds(record.responseElements, record.referencedResources);
  if (ids.length === 0) {
    return { reason: 'NoInstanceId', detail: `the ${record.eventName} record names no instance id` };
  }
  const regionId = pickRegion(event.aliyunregionid, record.acsRegion);
  if (regionId === undefined) {
    return { reason: 'NoRegion', detail: 'no aliyunregionid or data.acsRegion in the event' };
  }
  return ids.map((instanceId) => ({ instanceId, regionId, source: event.source, eventId: event.id }));
}

/**
 * A DetachInstanceRamRole / AttachInstanceRamRole record. The instances are `requestParameters.InstanceIds`
 * (the API's JSON array text, e.g. `["i-bp67acfmxazb4p****"]`; a list or comma-separated text read too),
 * else `referencedResources["ACS::ECS::Instance"]`; the role is `requestParameters.RamRoleName`; the caller
 * `userIdentity.userName` (`<role>:<session>` for an assumed role), else `principalId` or `type`
 * (ActionTrail event samples, test/fixtures/realEvents.ts).
 */
function fromRoleChange(event: CloudEvent, record: ActionTrailRecord, call: RoleChangeCall): Extraction {
  const request = asRecord(parseMaybeJson(record.requestParameters));
  const named = request?.['InstanceIds'];
  const listed = Array.isArray(named)
    ? named
    : typeof named === 'string'
      ? asArray(parseMaybeJson(named)).length > 0
        ? asArray(parseMaybeJson(named))
        : named.split(',').map((id) => id.trim())
      : [];
  let ids = [...new Set(listed.filter((id): id is string => typeof id === 'string' && INSTANCE_ID.test(id)))];
  if (ids.length === 0) {
    ids = asArray(asRecord(record.referencedResources)?.['ACS::ECS::Instance']).filter(
      (id): id is string => typeof id === 'string' && INSTANCE_ID.test(id),
    );
  }
  if (ids.length === 0) return { reason: 'NoInstanceId', detail: `the ${call} record names no instance id` };
  const regionId = pickRegion(
    event.aliyunregionid,
    record.acsRegion,
    typeof request?.['RegionId'] === 'string' ? request['RegionId'] : undefined,
  );
  if (regionId === undefined) {
    return { reason: 'NoRegion', detail: 'no aliyunregionid or data.acsRegion in the event' };
  }
  const identity = asRecord(record.userIdentity);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const principalId = text(identity?.['principalId']);
  const caller = text(identity?.['userName']) ?? principalId ?? text(identity?.['type']) ?? 'unknown';
  const roleName = text(request?.['RamRoleName']);
  const userAgent = text(record.userAgent);
  return {
    changes: ids.map((instanceId) => ({
      instanceId,
      regionId,
      call,
      caller,
      ...(principalId === undefined ? {} : { principalId }),
      ...(roleName === undefined ? {} : { roleName }),
      ...(userAgent === undefined ? {} : { userAgent }),
      source: event.source,
      eventId: event.id,
    })),
  };
}

/**
 * Instance ids of a RunInstances/CreateInstance record, first source that yields any:
 * `responseElements.InstanceIdSets.InstanceIdSet[]` (RunInstances), `responseElements.InstanceId`
 * (CreateInstance), then `referencedResources["ACS::ECS::Instance"][]`. The responseElements shape in
 * ActionTrail is unconfirmed (research §2.3), hence the fallbacks.
 */
function actionTrailInstanceIds(responseElements: unknown, referencedResources: unknown): string[] {
  const response = asRecord(parseMaybeJson(responseElements));
  const candidates: unknown[][] = [
    asArray(asRecord(response?.['InstanceIdSets'])?.['InstanceIdSet']),
    [response?.['InstanceId']],
    asArray(asRecord(referencedResources)?.['ACS::ECS::Instance']),
  ];
  for (const candidate of candidates) {
    const ids = candidate.filter((id): id is string => typeof id === 'string' && INSTANCE_ID.test(id));
    if (ids.length > 0) return [...new Set(ids)];
  }
  return [];
}

function pickRegion(...candidates: (string | undefined)[]): string | undefined {
  return candidates.find((region) => region !== undefined && REGION_ID.test(region));
}

/** ActionTrail sometimes carries JSON documents as strings; read them either way. */
function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
