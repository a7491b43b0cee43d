import { z } from 'zod';
import { InvalidInputError } from '../../../src/engine/errors';
import { fieldName, parseWith, renameFields } from '../../../src/inputs/zod';

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

const schema = z.strictObject({
  name: z.string(),
  size: z.number().int().min(1).optional(),
  kind: z.enum(['a', 'b']).optional(),
  list: z
    .array(z.strictObject({ key: z.string() }))
    .min(1)
    .optional(),
  pick: z
    .discriminatedUnion(
      'Type',
      [
        z.strictObject({ Type: z.literal('One'), one: z.number().optional() }),
        z.strictObject({ Type: z.literal('Two') }),
      ],
      { error: 'must be One or Two' },
    )
    .optional(),
});

describe('parseWith: zod issues in the project words', () => {
  it.each([
    [{}, 'payload.name', 'payload.name is required, got nothing'],
    [{ name: 1 }, 'payload.name', 'must be a string, got 1'],
    [{ name: 'n', size: 0 }, 'payload.size', 'must be at least 1, got 0'],
    [{ name: 'n', kind: 'c' }, 'payload.kind', 'must be one of a, b, got "c"'],
    [{ name: 'n', list: [] }, 'payload.list', 'must list at least 1'],
    [
      { name: 'n', list: [{ key: 'k', x: 1 }] },
      'payload.list[0].x',
      'is not a known key (allowed: key), got 1',
    ],
    [{ name: 'n', pick: { Type: 'Three' } }, 'payload.pick.Type', 'must be One or Two, got "Three"'],
    [
      { name: 'n', pick: { Type: 'One', two: 2 } },
      'payload.pick.two',
      'is not a known key (allowed: Type, one)',
    ],
    // A typo is named before the issues it may explain.
    [
      { size: 'big', colour: 'red' },
      'payload.colour',
      'is not a known key (allowed: name, size, kind, list, pick)',
    ],
    [{ name: 'n', '': 0 }, 'payload.""', 'is not a known key'],
  ])('%j -> %s', (input, field, message) => {
    const error = refusal(() => parseWith(schema, input, 'payload'));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
    expect(error.message).not.toMatch(/Invalid input|expected|received/);
  });

  it.each([
    ['payload', ['regions', 0], 'payload.regions[0]'],
    ['--targets', ['Tags', 0, 'Key'], '--targets Tags[0].Key'],
    ['', ['targets', 'Type'], 'targets.Type'],
    ['--qps', ['GetRole'], '--qps GetRole'],
  ])('fieldName(%j, %j) is %s', (prefix, path, expected) => {
    expect(fieldName(prefix, path)).toBe(expected);
  });

  it('renameFields names the flag a field came from', () => {
    const flags = { rateControl: '--rate-control', fix: '--fix' };
    const thrower = (field: string) => () =>
      renameFields(flags, () => {
        throw new InvalidInputError(field, 'must be x', 1);
      });
    expect(refusal(thrower('rateControl.Batch[1]')).field).toBe('--rate-control Batch[1]');
    expect(refusal(thrower('fix[0]')).field).toBe('--fix[0]');
    expect(refusal(thrower('role')).field).toBe('role');
  });
});
