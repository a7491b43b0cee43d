/**
 * Builders for the events FC hands our functions: EventBridge CloudEvents (ECS state change and
 * ActionTrail API-call records, shaped after the samples in research/function-compute.md §2), the
 * timer trigger event, and FC-style Buffer encoding.
 */

export const TEST_ACCOUNT_ID = '1234567890123456';
export const TEST_REGION_ID = 'cn-hangzhou';

let sequence = 0;
/** A fresh CloudEvent id (deterministic within a test run). */
export function nextEventId(): string {
  sequence += 1;
  return `45ef4dew-7c35-447a-bd93-${sequence.toString(16).padStart(12, '0')}`;
}

export interface StateChangeOptions {
  instanceId: string;
  state?: string;
  accountId?: string;
  regionId?: string;
  id?: string;
  /** Put the ARN-like `acs:ecs:<region>:<uid>:instance/<id>` in data.resourceId instead of the bare id. */
  arn?: boolean;
  /** Put the id under data.instanceId instead of data.resourceId. */
  instanceIdField?: boolean;
  /**
   * `flat` (default): `data` = `{resourceId, resourceType, state}`. `notification`: `data` is the whole
   * ECS notification, an ARN in `data.resourceId` and the id and state only in `data.content`
   * (real-cloud-evidence.md §2.17, test/fixtures/realEvents.ts).
   */
  shape?: 'flat' | 'notification';
}

/** An `ecs:Instance:StateChange` CloudEvent from the default bus. */
export function stateChangeEvent(options: StateChangeOptions): Record<string, unknown> {
  const accountId = options.accountId ?? TEST_ACCOUNT_ID;
  const regionId = options.regionId ?? TEST_REGION_ID;
  const resourceId = options.arn
    ? `acs:ecs:${regionId}:${accountId}:instance/${options.instanceId}`
    : options.instanceId;
  return {
    id: options.id ?? nextEventId(),
    source: 'acs.ecs',
    specversion: '1.0',
    subject: `acs:ecs:${regionId}:${accountId}:instance/${options.instanceId}`,
    time: '2026-01-05T10:00:00+08:00',
    type: 'ecs:Instance:StateChange',
    aliyunaccountid: accountId,
    aliyunpublishtime: '2026-01-05T10:00:00.179Z',
    aliyuneventbusname: 'default',
    aliyunregionid: regionId,
    aliyunpublishaddr: '172.25.XX.XX',
    datacontenttype: 'application/json;charset=utf-8',
    data:
      options.shape === 'notification'
        ? {
            eventTime: '20260105T100000.058+0800',
            id: '9435EAD6-3CF6-4494-8F7A-3A0123456777',
            level: 'INFO',
            name: 'Instance:StateChange',
            product: 'ECS',
            regionId,
            resourceId: `acs:ecs:${regionId}:${accountId}:instance/${options.instanceId}`,
            userId: accountId,
            ver: '1.0',
            content: {
              resourceId: options.instanceId,
              resourceType: 'ALIYUN::ECS::Instance',
              state: options.state ?? 'Running',
            },
          }
        : {
            ...(options.instanceIdField ? { instanceId: options.instanceId } : { resourceId }),
            resourceType: 'ALIYUN::ECS::Instance',
            state: options.state ?? 'Running',
          },
  };
}

export interface ApiCallOptions {
  /** Instance ids the call created. */
  instanceIds: string[];
  eventName?: 'RunInstances' | 'CreateInstance' | string;
  accountId?: string;
  regionId?: string;
  id?: string;
  /** Where the ids are written: RunInstances response, CreateInstance response, or only referencedResources. */
  idsIn?: 'InstanceIdSets' | 'InstanceId' | 'referencedResources';
  errorCode?: string;
  /** `ApiCall` (default) or `ConsoleOperation`. */
  eventType?: 'ApiCall' | 'ConsoleOperation';
  /** Omit aliyunregionid from the envelope (region must then come from data.acsRegion). */
  withoutEnvelopeRegion?: boolean;
}

/** An ActionTrail API-call CloudEvent (`ecs:ActionTrail:ApiCall`) for RunInstances / CreateInstance. */
export function apiCallEvent(options: ApiCallOptions): Record<string, unknown> {
  const accountId = options.accountId ?? TEST_ACCOUNT_ID;
  const regionId = options.regionId ?? TEST_REGION_ID;
  const eventName = options.eventName ?? 'RunInstances';
  const eventType = options.eventType ?? 'ApiCall';
  const idsIn = options.idsIn ?? (eventName === 'CreateInstance' ? 'InstanceId' : 'InstanceIdSets');
  const responseElements =
    options.errorCode !== undefined
      ? { RequestId: '32B7EB75-62EE-511E-9449-E19EBF67C2ED' }
      : idsIn === 'InstanceIdSets'
        ? {
            RequestId: '32B7EB75-62EE-511E-9449-E19EBF67C2ED',
            OrderId: '2156789',
            TradePrice: 0.5,
            InstanceIdSets: { InstanceIdSet: options.instanceIds },
          }
        : idsIn === 'InstanceId'
          ? { RequestId: '32B7EB75-62EE-511E-9449-E19EBF67C2ED', InstanceId: options.instanceIds[0] }
          : { RequestId: '32B7EB75-62EE-511E-9449-E19EBF67C2ED' };
  return {
    id: options.id ?? nextEventId(),
    source: 'acs.ecs',
    specversion: '1.0',
    subject: `acs.ecs:${regionId}:${accountId}:${eventName}`,
    time: '2026-01-05T10:00:00+08:00',
    type: `ecs:ActionTrail:${eventType}`,
    aliyunaccountid: accountId,
    aliyunpublishtime: '2026-01-05T10:00:01.012Z',
    aliyuneventbusname: 'default',
    ...(options.withoutEnvelopeRegion ? {} : { aliyunregionid: regionId }),
    aliyunpublishaddr: '172.25.XX.XX',
    data: {
      eventId: 'b1c1a1e5-0cef-47be-821f-fb9914d3abcd',
      eventVersion: 1,
      eventRW: 'Write',
      eventType,
      eventName,
      eventSource: 'ecs.aliyuncs.com',
      serviceName: 'Ecs',
      acsRegion: regionId,
      requestId: '32B7EB75-62EE-511E-9449-E19EBF67C2ED',
      eventTime: '2026-01-05T02:00:00Z',
      isGlobal: false,
      userIdentity: { type: 'ram-user', accountId, principalId: '2051234567', userName: 'ops' },
      sourceIpAddress: '10.0.0.1',
      requestParameters: { RegionId: regionId, Amount: options.instanceIds.length },
      responseElements,
      referencedResources: { 'ACS::ECS::Instance': options.instanceIds },
      ...(options.errorCode !== undefined
        ? { errorCode: options.errorCode, errorMessage: 'The specified parameter is invalid.' }
        : {}),
    },
  };
}

/** Some other product's event on the default bus (to be ignored). */
export function otherEvent(accountId = TEST_ACCOUNT_ID): Record<string, unknown> {
  return {
    id: nextEventId(),
    source: 'acs.ebs',
    specversion: '1.0',
    type: 'ebs:Disk:DiskBPSExceedDiskMaxLimit',
    aliyunaccountid: accountId,
    aliyunregionid: TEST_REGION_ID,
    data: { resourceId: 'd-2zef8thfnbx', extraAttributes: { EcsInstanceId: 'i-bp1dj' } },
  };
}

/** The FC timer trigger event; `payload` is the configured string (give an object to have it stringified). */
export function timerEvent(payload: unknown, triggerName = 'sweep'): Record<string, unknown> {
  return {
    triggerTime: '2026-01-05T03:00:00Z',
    triggerName,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  };
}

/** What FC hands a Node.js 20 handler: the event as a Buffer of its JSON. */
export function asFcEvent(event: unknown): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}
