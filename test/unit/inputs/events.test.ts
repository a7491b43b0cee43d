import fc from 'fast-check';
import { InvalidInputError } from '../../../src/engine/errors';
import { decodeInstanceEvents } from '../../../src/inputs/events';
import {
  AT_REC_RUN_INSTANCES_API_CALL_REFERENCED_ONLY,
  AT_REC_RUN_INSTANCES_CONSOLE,
  EB_AT_DELETE_DISK_API_CALL,
  ECS_NOTIF_INSTANCE_ID,
  envelope,
  REAL_ACCOUNT_ID,
  roleChangeRecord,
  stateChangeData,
} from '../../fixtures/realEvents';
import { apiCallEvent, asFcEvent, otherEvent, stateChangeEvent, TEST_ACCOUNT_ID } from '../../helpers/events';

const options = { accountId: TEST_ACCOUNT_ID };

function invalid(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('decodeInstanceEvents', () => {
  it('reads a state-change event delivered as a Buffer', () => {
    const event = stateChangeEvent({ instanceId: 'i-bp1aaa', id: 'ev-1' });
    expect(decodeInstanceEvents(asFcEvent(event), options)).toEqual({
      instances: [
        {
          instanceId: 'i-bp1aaa',
          regionId: 'cn-hangzhou',
          source: 'acs.ecs',
          eventId: 'ev-1',
          state: 'Running',
        },
      ],
      changes: [],
      ignored: [],
    });
  });

  it.each([
    ['a bare id in data.resourceId', { instanceId: 'i-bp1bbb' }],
    ['an ARN-like data.resourceId', { instanceId: 'i-bp1bbb', arn: true }],
    ['data.instanceId', { instanceId: 'i-bp1bbb', instanceIdField: true }],
  ])('takes the instance id from %s', (_label, extra) => {
    const event = stateChangeEvent({ ...extra, regionId: 'cn-shanghai' });
    const { instances } = decodeInstanceEvents(JSON.stringify(event), options);
    expect(instances.map((i) => [i.instanceId, i.regionId])).toEqual([['i-bp1bbb', 'cn-shanghai']]);
  });

  it('takes the region from the ARN when the envelope has none', () => {
    const event = stateChangeEvent({ instanceId: 'i-bp1ccc', arn: true, regionId: 'eu-central-1' });
    delete event['aliyunregionid'];
    expect(decodeInstanceEvents(event, options).instances[0]?.regionId).toBe('eu-central-1');
  });

  it('acts on Running only: other states are NotRunning, Deleted instances InstanceDeleted', () => {
    const result = decodeInstanceEvents(
      [
        stateChangeEvent({ instanceId: 'i-pending', state: 'Pending' }),
        stateChangeEvent({ instanceId: 'i-stopped', state: 'Stopped', shape: 'notification' }),
        stateChangeEvent({ instanceId: 'i-gone', state: 'Deleted' }),
        stateChangeEvent({ instanceId: 'i-gone2', state: 'Deleted', shape: 'notification' }),
        stateChangeEvent({ instanceId: 'i-up' }),
      ],
      options,
    );
    expect(result.instances).toEqual([expect.objectContaining({ instanceId: 'i-up', state: 'Running' })]);
    expect(result.ignored.map((i) => i.reason)).toEqual([
      'NotRunning',
      'NotRunning',
      'InstanceDeleted',
      'InstanceDeleted',
    ]);
    expect(result.ignored[1]?.detail).toContain('i-stopped changed to Stopped');
  });

  it('reads the notification shape: id and state in data.content, an ARN in data.resourceId', () => {
    const event = stateChangeEvent({
      instanceId: 'i-bp1nested',
      shape: 'notification',
      regionId: 'cn-beijing',
    });
    expect(decodeInstanceEvents(event, options).instances).toEqual([
      expect.objectContaining({ instanceId: 'i-bp1nested', regionId: 'cn-beijing', state: 'Running' }),
    ]);
    // Without the envelope region, the region comes from data.regionId / the ARN.
    const { aliyunregionid: _dropped, ...bare } = event;
    expect(decodeInstanceEvents(bare, options).instances[0]?.regionId).toBe('cn-beijing');
  });

  it.each([
    ['RunInstances', 'InstanceIdSets', ['i-a1', 'i-a2', 'i-a3']],
    ['CreateInstance', 'InstanceId', ['i-b1']],
    ['RunInstances', 'referencedResources', ['i-c1', 'i-c2']],
  ] as const)('reads %s ids from %s', (eventName, idsIn, ids) => {
    const event = apiCallEvent({ eventName, idsIn, instanceIds: [...ids], regionId: 'cn-beijing' });
    const { instances, ignored } = decodeInstanceEvents(asFcEvent(event), options);
    expect(ignored).toEqual([]);
    expect(instances.map((i) => i.instanceId)).toEqual(ids);
    expect(instances.every((i) => i.regionId === 'cn-beijing' && i.state === undefined)).toBe(true);
  });

  it('accepts console operations and takes the region from data.acsRegion', () => {
    const event = apiCallEvent({
      instanceIds: ['i-con1'],
      eventType: 'ConsoleOperation',
      regionId: 'ap-southeast-1',
      withoutEnvelopeRegion: true,
    });
    expect(decodeInstanceEvents(event, options).instances).toEqual([
      expect.objectContaining({ instanceId: 'i-con1', regionId: 'ap-southeast-1' }),
    ]);
  });

  it('reads responseElements given as a JSON string', () => {
    const event = apiCallEvent({ instanceIds: ['i-str1'] });
    const data = event['data'] as Record<string, unknown>;
    data['responseElements'] = JSON.stringify({ InstanceIdSets: { InstanceIdSet: ['i-str1', 'i-str2'] } });
    expect(decodeInstanceEvents(event, options).instances.map((i) => i.instanceId)).toEqual([
      'i-str1',
      'i-str2',
    ]);
  });

  it.each([
    ['another product', otherEvent(), 'UnsupportedType'],
    [
      'a failed RunInstances',
      apiCallEvent({ instanceIds: ['i-x'], errorCode: 'InvalidParameter' }),
      'FailedApiCall',
    ],
    [
      'another API call',
      apiCallEvent({ instanceIds: ['i-x'], eventName: 'StopInstance' }),
      'UnsupportedApiCall',
    ],
    ['a foreign account', stateChangeEvent({ instanceId: 'i-x', accountId: '999' }), 'ForeignAccount'],
    [
      'a state change without an id',
      { ...stateChangeEvent({ instanceId: 'i-x' }), data: { state: 'Running' } },
      'NoInstanceId',
    ],
    ['a state change naming a disk', stateChangeEvent({ instanceId: 'd-bp1disk' }), 'NoInstanceId'],
    [
      'data that is not an object',
      { ...stateChangeEvent({ instanceId: 'i-x' }), data: 'Running' },
      'NoInstanceId',
    ],
  ] as const)('ignores %s with reason %s', (_label, event, reason) => {
    const result = decodeInstanceEvents(event, options);
    expect(result.instances).toEqual([]);
    expect(result.ignored).toEqual([
      expect.objectContaining({
        reason,
        id: (event as { id: string }).id,
        type: (event as { type: string }).type,
      }),
    ]);
    expect(result.ignored[0]?.detail.length).toBeGreaterThan(10);
  });

  it('ignores an event without aliyunaccountid rather than trusting it', () => {
    const event = stateChangeEvent({ instanceId: 'i-x' });
    delete event['aliyunaccountid'];
    expect(decodeInstanceEvents(event, options).ignored[0]?.reason).toBe('UnknownAccount');
  });

  it('names both accounts when rejecting a foreign event', () => {
    const result = decodeInstanceEvents(
      stateChangeEvent({ instanceId: 'i-x', accountId: '5550001' }),
      options,
    );
    expect(result.ignored[0]?.detail).toContain('5550001');
    expect(result.ignored[0]?.detail).toContain(TEST_ACCOUNT_ID);
  });

  it('dedupes redelivered events by source+id and repeated instances across kinds', () => {
    const first = stateChangeEvent({ instanceId: 'i-dup', id: 'same' });
    const batch = [
      first,
      { ...first },
      apiCallEvent({ instanceIds: ['i-dup'] }),
      apiCallEvent({ instanceIds: ['i-dup', 'i-new'] }),
      { ...stateChangeEvent({ instanceId: 'i-other' }), id: 'same', source: 'acs.other.source' },
    ];
    const result = decodeInstanceEvents(asFcEvent(batch), options);
    expect(result.instances.map((i) => i.instanceId)).toEqual(['i-dup', 'i-new', 'i-other']);
    expect(result.ignored.map((i) => i.reason)).toEqual(['DuplicateEvent', 'DuplicateInstance']);
  });

  it('accepts an empty batch', () => {
    expect(decodeInstanceEvents(Buffer.from('[]'), options)).toEqual({
      instances: [],
      changes: [],
      ignored: [],
    });
  });

  it.each([
    ['not JSON', Buffer.from('{"id":'), 'event', 'must be JSON'],
    ['a number', Buffer.from('42'), 'event', 'must be a CloudEvent object or an array'],
    ['null', 'null', 'event', 'must be a CloudEvent object or an array'],
    [
      'an event without id',
      { source: 'acs.ecs', type: 'ecs:Instance:StateChange' },
      'event.id',
      'is required',
    ],
    [
      'a batch member without type',
      [stateChangeEvent({ instanceId: 'i-1' }), { id: 'x', source: 's' }],
      'event[1].type',
      'is required',
    ],
    ['a numeric source', { id: 'x', source: 7, type: 't' }, 'event.source', 'must be a string'],
    ['an empty id', { id: '', source: 's', type: 't' }, 'event.id', 'must be a non-empty string'],
  ])('rejects %s with InvalidInputError naming %s', (_label, raw, field, rule) => {
    const error = invalid(() => decodeInstanceEvents(raw, options));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(rule);
    expect(error.message).toContain('nothing was changed');
  });

  it('never throws anything but InvalidInputError for arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.json(), fc.boolean(), (text, asBuffer) => {
        try {
          const result = decodeInstanceEvents(asBuffer ? Buffer.from(text) : text, options);
          expect(Array.isArray(result.instances)).toBe(true);
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but InvalidInputError for event-shaped values (property)', () => {
    const anyValue = fc.jsonValue();
    const eventLike = fc.record(
      {
        id: fc.oneof(fc.string(), anyValue),
        source: fc.oneof(fc.constant('acs.ecs'), anyValue),
        type: fc.oneof(
          fc.constantFrom(
            'ecs:Instance:StateChange',
            'ecs:ActionTrail:ApiCall',
            'x:ActionTrail:ConsoleOperation',
          ),
          anyValue,
        ),
        aliyunaccountid: fc.oneof(fc.constant(TEST_ACCOUNT_ID), anyValue),
        aliyunregionid: fc.oneof(fc.constant('cn-hangzhou'), anyValue),
        data: fc.oneof(
          fc.record(
            {
              resourceId: fc.oneof(fc.constant('i-abc'), anyValue),
              eventName: fc.oneof(fc.constant('RunInstances'), anyValue),
              responseElements: anyValue,
              referencedResources: anyValue,
              errorCode: anyValue,
              state: anyValue,
            },
            { requiredKeys: [] },
          ),
          anyValue,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(eventLike, fc.array(eventLike, { maxLength: 5 })), (event) => {
        try {
          const result = decodeInstanceEvents(event, options);
          const ids = result.instances.map((i) => i.instanceId);
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) expect(id).toMatch(/^i-[a-z0-9]+$/);
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('every well-formed event yields instances or exactly one ignored entry (property)', () => {
    const idArb = fc.stringMatching(/^i-[a-z0-9]{4,8}$/);
    const eventArb = fc.oneof(
      idArb.map((instanceId) => stateChangeEvent({ instanceId })),
      fc.array(idArb, { minLength: 1, maxLength: 4 }).map((instanceIds) => apiCallEvent({ instanceIds })),
      fc.constant(null).map(() => otherEvent()),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 8 }), (events) => {
        const result = decodeInstanceEvents(events, options);
        const named = new Set(
          events.flatMap((event) => {
            const data = event['data'] as Record<string, unknown>;
            if (event['type'] === 'ecs:Instance:StateChange') return [data['resourceId'] as string];
            if (String(event['type']).includes('ActionTrail'))
              return (data['referencedResources'] as Record<string, string[]>)['ACS::ECS::Instance']!;
            return [];
          }),
        );
        expect(new Set(result.instances.map((i) => i.instanceId))).toEqual(named);
        expect(result.instances.length).toBe(named.size);
        const contributing = new Set(result.instances.map((i) => i.eventId));
        expect(contributing.size + result.ignored.length).toBe(events.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('decodeInstanceEvents on real payloads (test/fixtures/realEvents.ts)', () => {
  const real = { accountId: REAL_ACCOUNT_ID };

  it('AT-REC: a console RunInstances record (ids in InstanceIdSets and referencedResources)', () => {
    const event = envelope('actiontrail:ActionTrail:ConsoleOperation', AT_REC_RUN_INSTANCES_CONSOLE, {
      id: 'at-rec-1',
    });
    expect(decodeInstanceEvents(asFcEvent(event), real)).toEqual({
      instances: [
        {
          instanceId: 'i-bp12uqx3r5o21mj0trru',
          regionId: 'cn-hangzhou',
          source: 'acs.ecs',
          eventId: 'at-rec-1',
        },
      ],
      changes: [],
      ignored: [],
    });
  });

  it('the AT-REC record as an ApiCall with the id only in referencedResources', () => {
    const event = envelope('ecs:ActionTrail:ApiCall', AT_REC_RUN_INSTANCES_API_CALL_REFERENCED_ONLY, {
      id: 'at-rec-2',
    });
    expect(decodeInstanceEvents(event, real).instances.map((i) => i.instanceId)).toEqual([
      'i-bp12uqx3r5o21mj0trru',
    ]);
  });

  it('EB-AT: the documented DeleteDisk ApiCall is ignored although it names an instance', () => {
    const event = envelope('actiontrail:ActionTrail:ApiCall', EB_AT_DELETE_DISK_API_CALL, { id: 'eb-at-1' });
    const result = decodeInstanceEvents(event, real);
    expect(result.instances).toEqual([]);
    expect(result.ignored.map((i) => i.reason)).toEqual(['UnsupportedApiCall']);
  });

  it.each(['content', 'notification'] as const)(
    'ECS-NOTIF, data = %s: Running is attached, the sample state Stopping is not',
    (shape) => {
      const accountId = '1690701234567830';
      const running = envelope('ecs:Instance:StateChange', stateChangeData(shape, 'Running', accountId), {
        id: `notif-${shape}-1`,
        accountId,
      });
      expect(decodeInstanceEvents(running, { accountId }).instances).toEqual([
        expect.objectContaining({
          instanceId: ECS_NOTIF_INSTANCE_ID,
          regionId: 'cn-hangzhou',
          state: 'Running',
        }),
      ]);
      const stopping = envelope('ecs:Instance:StateChange', stateChangeData(shape, 'Stopping', accountId), {
        id: `notif-${shape}-2`,
        accountId,
      });
      expect(decodeInstanceEvents(stopping, { accountId }).ignored.map((i) => i.reason)).toEqual([
        'NotRunning',
      ]);
    },
  );
});

describe('decodeInstanceEvents: role changes (ActionTrail DetachInstanceRamRole / AttachInstanceRamRole)', () => {
  const real = { accountId: REAL_ACCOUNT_ID };
  const decode = (record: unknown, id = 'rc-1', type = 'actiontrail:ActionTrail:ConsoleOperation') =>
    decodeInstanceEvents(asFcEvent(envelope(type, record, { id })), real);

  it('a console detach: instances from requestParameters.InstanceIds, the role, the caller and the user agent', () => {
    const record = roleChangeRecord({
      eventName: 'DetachInstanceRamRole',
      instanceIds: ['i-bp67acfmxazb4pabcd', 'i-bp67acfmxazb5pabcd'],
      ramRoleName: 'EcsAppRole',
    });
    expect(decode(record)).toEqual({
      instances: [],
      changes: ['i-bp67acfmxazb4pabcd', 'i-bp67acfmxazb5pabcd'].map((instanceId) => ({
        instanceId,
        regionId: 'cn-hangzhou',
        call: 'DetachInstanceRamRole',
        roleName: 'EcsAppRole',
        caller: 'shami',
        principalId: '201553751340157473',
        userAgent: 'ecs.console.aliyun.com',
        source: 'acs.ecs',
        eventId: 'rc-1',
      })),
      ignored: [],
    });
  });

  it('an SDK attach by an assumed role: the caller is <role>:<session>', () => {
    const record = roleChangeRecord({
      eventName: 'AttachInstanceRamRole',
      instanceIds: ['i-bp1aaa'],
      ramRoleName: 'OtherRole',
      caller: 'assumed-role',
    });
    const [change] = decode(record, 'rc-2', 'actiontrail:ActionTrail:ApiCall').changes;
    expect(change).toMatchObject({
      call: 'AttachInstanceRamRole',
      roleName: 'OtherRole',
      caller: 'ops-automation:u1',
      principalId: '343597926003931234:u1',
      userAgent: expect.stringMatching(/^AlibabaCloud \(linux; x64\) Node\.js/),
    });
  });

  it.each([
    ['a comma-separated InstanceIds', 'i-bp1aaa, i-bp1bbb', ['i-bp1aaa', 'i-bp1bbb']],
    ['a list', ['i-bp1aaa', 'i-bp1aaa'], ['i-bp1aaa']],
    ['no InstanceIds: referencedResources', undefined, ['i-bp1ref']],
  ])('instance ids from %s', (_what, instanceIds, expected) => {
    const record = roleChangeRecord({ eventName: 'DetachInstanceRamRole', instanceIds: ['i-bp1ref'] });
    const requestParameters: Record<string, unknown> = { ...record.requestParameters };
    if (instanceIds === undefined) delete requestParameters['InstanceIds'];
    else requestParameters['InstanceIds'] = instanceIds;
    expect(decode({ ...record, requestParameters }).changes.map((c) => c.instanceId)).toEqual(expected);
  });

  it.each([
    ['a failed call', { errorCode: 'InvalidRamRole.NotAttached' }, 'FailedApiCall', /no role was changed/],
    [
      'no instance id',
      { referencedResources: {}, requestParameters: { RegionId: 'cn-hangzhou' } },
      'NoInstanceId',
      /names no instance id/,
    ],
  ])('%s is ignored', (_what, override, reason, detail) => {
    const record = {
      ...roleChangeRecord({ eventName: 'DetachInstanceRamRole', instanceIds: ['i-bp1aaa'] }),
      ...override,
    };
    const decoded = decode(record);
    expect(decoded.changes).toEqual([]);
    expect(decoded.ignored).toEqual([
      expect.objectContaining({ reason, detail: expect.stringMatching(detail) }),
    ]);
  });

  it('a change and a creation of one invocation are both kept (the engine decides)', () => {
    const batch = [
      envelope('actiontrail:ActionTrail:ConsoleOperation', AT_REC_RUN_INSTANCES_CONSOLE, { id: 'a' }),
      envelope(
        'actiontrail:ActionTrail:ConsoleOperation',
        roleChangeRecord({ eventName: 'DetachInstanceRamRole', instanceIds: ['i-bp12uqx3r5o21mj0trru'] }),
        { id: 'b' },
      ),
    ];
    const decoded = decodeInstanceEvents(batch, real);
    expect(decoded.instances.map((i) => i.instanceId)).toEqual(['i-bp12uqx3r5o21mj0trru']);
    expect(decoded.changes.map((c) => c.instanceId)).toEqual(['i-bp12uqx3r5o21mj0trru']);
  });
});
