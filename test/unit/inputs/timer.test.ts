import { InvalidInputError } from '../../../src/engine/errors';
import { RULES_LABEL } from '../../../src/engine/types';
import { decodeSweepPayload, decodeTimerEvent } from '../../../src/inputs/timer';
import { asFcEvent, timerEvent } from '../../helpers/events';

function invalid(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('decodeTimerEvent', () => {
  it('decodes the timer event and its JSON payload', () => {
    const payload = {
      regions: ['cn-hangzhou', 'cn-shanghai'],
      role: 'EcsInstanceRole',
      targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] },
      rateControl: { Mode: 'Batch', Batch: [1, '10%'], MaxErrors: '5%' },
      mode: 'FailurePause',
    };
    expect(decodeTimerEvent(asFcEvent(timerEvent(payload)))).toEqual({
      triggerTime: '2026-01-05T03:00:00Z',
      triggerName: 'sweep',
      request: { ...payload, targets: { ...payload.targets } },
    });
  });

  it('keeps only the given optional members', () => {
    expect(decodeSweepPayload('{"regions":["cn-hangzhou"],"role":"r"}')).toEqual({
      request: { regions: ['cn-hangzhou'], role: 'r' },
    });
  });

  it.each([
    ['a payload that is not JSON', timerEvent('awesome-fc'), 'payload', 'must be JSON'],
    ['a missing payload', { triggerTime: 't', triggerName: 'n' }, 'event.payload', 'is required'],
    [
      'a non-string payload',
      { triggerTime: 't', triggerName: 'n', payload: {} },
      'event.payload',
      'must be a JSON string',
    ],
    [
      'an unknown key',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', colour: 'red' }),
      'payload.colour',
      'is not a known key',
    ],
    ['no regions', timerEvent({ regions: [], role: 'r' }), 'payload.regions', 'at least one region'],
    ['a bad region', timerEvent({ regions: ['Hangzhou'], role: 'r' }), 'payload.regions[0]', 'region id'],
    ['a bad role', timerEvent({ regions: ['cn-hangzhou'], role: 'a/b' }), 'payload.role', 'RAM role name'],
    [
      'a bad mode',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', mode: 'Fast' }),
      'payload.mode',
      'Automatic',
    ],
    [
      'a bad batch entry',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', rateControl: { Mode: 'Batch', Batch: [1, 'abc'] } }),
      'payload.rateControl.Batch[1]',
      'positive integer or a percentage',
    ],
    [
      'a Batch rate control without Batch (refused as run refuses it)',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', rateControl: { Mode: 'Batch' } }),
      'payload.rateControl.Batch',
      'must be a non-empty list',
    ],
    [
      'a batch over 100%',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', rateControl: { Mode: 'Batch', Batch: ['100.5%'] } }),
      'payload.rateControl.Batch[0]',
      'at most 100%',
    ],
    [
      'an unknown targets type',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', targets: { Type: 'Everything' } }),
      'payload.targets.Type',
      'must be one of ResourceIds, Tags, ResourceGroup, All',
    ],
    [
      'an unknown key inside targets',
      timerEvent({ regions: ['cn-hangzhou'], role: 'r', targets: { Type: 'All', Region: 'x' } }),
      'payload.targets.Region',
      'is not a known key',
    ],
  ])('rejects %s', (_label, event, field, rule) => {
    const error = invalid(() => decodeTimerEvent(asFcEvent(event)));
    expect(error.field).toBe(field);
    expect(error.message).toContain(rule);
  });

  const RULES = {
    rules: [
      { name: 'web', match: { tags: { app: 'web' } }, role: 'WebAppRole' },
      { name: 'default', match: {}, role: 'EcsAppRole' },
    ],
    acceptedRoles: ['LegacyAppRole'],
  };

  it.each([
    ['an object', RULES],
    ['its JSON text', JSON.stringify(RULES)],
    [
      'its YAML text',
      'rules:\n  - {name: web, match: {tags: {app: web}}, role: WebAppRole}\n  - {name: default, match: {}, role: EcsAppRole}\nacceptedRoles: [LegacyAppRole]\n',
    ],
  ])('takes role rules as %s instead of role', (_label, rules) => {
    const { request } = decodeSweepPayload({ regions: ['cn-hangzhou'], rules });
    expect(request.role).toBe(RULES_LABEL);
    expect(request.rules?.rules.map((r) => [r.name, r.role])).toEqual([
      ['web', 'WebAppRole'],
      ['default', 'EcsAppRole'],
    ]);
    expect(request.rules?.acceptedRoles).toEqual(['LegacyAppRole']);
  });

  it.each([
    [
      'neither role nor rules',
      { regions: ['cn-hangzhou'] },
      'payload.role',
      'is required (or give role rules',
    ],
    [
      'both role and rules',
      { regions: ['cn-hangzhou'], role: 'r', rules: RULES },
      'payload.rules',
      'exclude each other',
    ],
    [
      'an unknown key in a rule',
      { regions: ['cn-hangzhou'], rules: { rules: [{ name: 'a', match: {}, role: 'R', colour: 1 }] } },
      'payload.rules.rules[0].colour',
      'rule "a"',
    ],
    [
      'an empty role',
      { regions: ['cn-hangzhou'], rules: { rules: [{ name: 'a', match: {}, role: '' }] } },
      'payload.rules.rules[0].role',
      'rule "a"',
    ],
    [
      'a rule after match {}',
      {
        regions: ['cn-hangzhou'],
        rules: {
          rules: [
            { name: 'all', match: {}, role: 'R' },
            { name: 'web', match: { tags: { app: 'web' } }, role: 'W' },
          ],
        },
      },
      'payload.rules.rules[1].match',
      'rule "web" can never match',
    ],
    [
      'rules text that is not YAML',
      { regions: ['cn-hangzhou'], rules: 'rules: [' },
      'payload.rules',
      'YAML or JSON',
    ],
  ])('rejects %s, naming the field', (_label, payload, field, rule) => {
    const error = invalid(() => decodeTimerEvent(asFcEvent(timerEvent(payload))));
    expect(error.field).toBe(field);
    expect(error.message).toContain(rule);
  });

  it('takes a rate control without Mode, as run does (Batch given: Mode Batch)', () => {
    const { request } = decodeSweepPayload({
      regions: ['cn-hangzhou'],
      role: 'r',
      rateControl: { Batch: [1] },
    });
    expect(request.rateControl).toEqual({ Batch: [1] });
  });

  it('shows the offending value in the message', () => {
    const error = invalid(() => decodeSweepPayload({ regions: ['cn-hangzhou'], role: 'r', mode: 'Fast' }));
    expect(error.message).toContain('"Fast"');
    expect(error.value).toBe('Fast');
  });
});
