import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../../src/engine/errors';
import type { PlannedInstance } from '../../../src/engine/reviewedPlan';
import { parseExecutionInput, toParamsFile } from '../../../src/inputs/parameters';
import { canonicalJson, parsePlanDocument, planDigest, planDocument } from '../../../src/inputs/plan';

const TARGETS = { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] };
const LINES: PlannedInstance[] = [
  { instanceId: 'i-bp1a', status: 'Running', tags: { env: 'prod' }, role: '', outcome: 'Attached' },
  { instanceId: 'i-bp1b', outcome: 'Skipped', reason: 'Gone', message: 'not found in cn-hangzhou' },
];

function invalid(body: () => unknown): InvalidInputError {
  try {
    body();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('toParamsFile', () => {
  it.each([
    ['one role, defaults', { regionId: 'cn-hangzhou', RamRoleName: 'EcsAppRole', targets: TARGETS }],
    [
      'every extra',
      {
        regionId: 'cn-hangzhou',
        RamRoleName: 'EcsAppRole',
        targets: { Type: 'All', RegionId: 'cn-shanghai', Parameters: { Status: 'Running' } },
        rateControl: {
          Mode: 'Batch',
          Batch: [1, '10%'],
          MaxErrors: '5%',
          BatchPauseOption: 'FirstBatchPause',
        },
        mode: 'FailurePause',
        onConflict: 'replace',
        excludeTags: ['team=payments', 'frozen'],
        excludeInstanceIds: ['i-bp1x', 'i-bp1y'],
        maxTargets: '20%',
      },
    ],
    [
      'role rules',
      {
        regionId: 'cn-hangzhou',
        targets: TARGETS,
        rules: {
          rules: [
            { name: 'web', match: { tags: { app: 'web' } }, role: 'WebRole', onConflict: 'replace' },
            { name: 'rest', match: {}, role: 'EcsAppRole', policy: '{"Version":"1","Statement":[]}' },
          ],
          acceptedRoles: ['LegacyRole'],
        },
      },
    ],
  ])('gives back the same parameters when parsed again (%s)', (_name, input) => {
    const parameters = parseExecutionInput(input);
    const file = toParamsFile(parameters);
    expect(parseExecutionInput(JSON.parse(JSON.stringify(file)))).toEqual(parameters);
    expect(file).not.toHaveProperty('excludeTags', expect.arrayContaining(['ecs-role-attach:exclude']));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, integer-like ones too, and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: undefined, x: null }], '10': 'x', '9': 'y' })).toBe(
      '{"10":"x","9":"y","a":[{"x":null,"z":1}],"b":1}',
    );
  });

  it('planDigest hashes the same text as canonicalJson, piece by piece (2,500 lines, non-ASCII tags)', () => {
    const content = {
      format: 'x',
      instances: Array.from({ length: 2500 }, (_, i) => ({
        instanceId: `i-${i}`,
        tags: { 团队: `支付-${i}`, emoji: '\u{1F600}', [`${i}`]: 'n' },
        ...(i % 2 ? { role: '' } : { role: undefined }),
      })),
    };
    const whole = createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
    expect(planDigest(content)).toBe(`sha256:${whole}`);
  });

  it('does not depend on the order keys were written in', () => {
    expect(planDigest({ a: 1, b: { c: 2, d: 3 } })).toBe(planDigest({ b: { d: 3, c: 2 }, a: 1 }));
    expect(planDigest({ a: 1 })).not.toBe(planDigest({ a: 2 }));
  });
});

describe('parsePlanDocument', () => {
  const parameters = parseExecutionInput({
    regionId: 'cn-hangzhou',
    RamRoleName: 'EcsAppRole',
    targets: TARGETS,
  });
  const document = () => structuredClone(planDocument(parameters, LINES, '2026-12-02T03:30:00.000Z'));

  it('reads back what planDocument wrote', () => {
    const plan = parsePlanDocument(JSON.parse(JSON.stringify(document())), '--plan');
    expect(plan).toEqual({
      parameters,
      instances: LINES,
      digest: document().digest,
      createdAt: '2026-12-02T03:30:00.000Z',
    });
  });

  it.each([
    [
      'an unknown key',
      (d: Record<string, unknown>) => Object.assign(d, { extra: 1 }),
      '--plan extra',
      'is not a known key',
    ],
    [
      'an unknown instance key',
      (d: Record<string, unknown>) => Object.assign((d['instances'] as object[])[0]!, { note: 'x' }),
      '--plan instances[0].note',
      'is not a known key',
    ],
    [
      'an unknown outcome',
      (d: Record<string, unknown>) => Object.assign((d['instances'] as object[])[1]!, { outcome: 'Gone' }),
      '--plan instances[1].outcome',
      'must be one of Attached, AlreadyAttached, Replaced, Skipped, Failed',
    ],
    [
      'another format version',
      (d: Record<string, unknown>) => Object.assign(d, { version: 2 }),
      '--plan version',
      "must be 1 (this release's plan format)",
    ],
    [
      'a changed line',
      (d: Record<string, unknown>) => Object.assign((d['instances'] as object[])[0]!, { role: 'X' }),
      '--plan digest',
      "does not match the plan's content",
    ],
  ])('refuses %s, naming the field', (_name, change, field, rule) => {
    const raw = document() as unknown as Record<string, unknown>;
    change(raw);
    const error = invalid(() => parsePlanDocument(raw, '--plan'));
    expect(error.field).toBe(field);
    expect(error.rule).toContain(rule);
  });

  it('refuses a plan listing an instance twice, even with a digest that matches', () => {
    const twice = planDocument(parameters, [LINES[0]!, LINES[0]!], '2026-12-02T03:30:00.000Z');
    const error = invalid(() => parsePlanDocument(twice, '--plan'));
    expect(error.field).toBe('--plan instances[1].instanceId');
    expect(error.rule).toBe('must be unique in the plan');
  });

  it('validates its parameters as a params file, naming the field under the plan', () => {
    const bad = planDocument(parameters, LINES, '2026-12-02T03:30:00.000Z');
    const { digest: _digest, ...content } = { ...bad, parameters: { ...bad.parameters, mode: 'Sometimes' } };
    const error = invalid(() => parsePlanDocument({ ...content, digest: planDigest(content) }, '--plan'));
    expect(error.field).toBe('--plan parameters.mode');
    expect(error.rule).toBe('must be one of Automatic, FailurePause');
  });
});
