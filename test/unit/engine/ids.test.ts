import fc from 'fast-check';
import { EXECUTION_ID_PATTERN, newExecutionId } from '../../../src/engine/ids';
import { seededRandom } from '../../helpers/seededRandom';

describe('newExecutionId', () => {
  it('formats the UTC time and a 6-hex random suffix', () => {
    expect(newExecutionId(Date.UTC(2026, 10, 22, 23, 15, 1, 999), () => 0.31)).toBe(
      'exec-20261122T231501Z-4f5c28',
    );
    expect(newExecutionId(0, () => 0)).toBe('exec-19700101T000000Z-000000');
    expect(newExecutionId(0, () => 0.9999999999)).toBe('exec-19700101T000000Z-ffffff');
  });

  it('sorts lexicographically in time order (second precision)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (a, b, ra, rb) => {
          const idA = newExecutionId(a, () => ra);
          const idB = newExecutionId(b, () => rb);
          expect(idA).toMatch(EXECUTION_ID_PATTERN);
          if (Math.floor(a / 1000) < Math.floor(b / 1000)) expect(idA < idB).toBe(true);
        },
      ),
    );
  });

  it('gives distinct ids within one second for distinct random draws', () => {
    const random = seededRandom(42);
    const ids = new Set(Array.from({ length: 1_000 }, () => newExecutionId(1_700_000_000_000, random)));
    expect(ids.size).toBe(1_000);
  });
});
