/**
 * writeJsonText (src/cli/jsonText.ts): the exact text of JSON.stringify, the long list written in pieces.
 */
import { JSON_MEMBERS_PER_WRITE, writeJsonText } from '../../../src/cli/jsonText';

function written<T extends object>(value: T, key: keyof T & string, indent?: number): string[] {
  const chunks: string[] = [];
  writeJsonText((chunk) => chunks.push(chunk), value, key, indent);
  return chunks;
}

/** A document like a reviewed plan: nested members, escapes, undefined members, the list in the middle. */
function documentOf(n: number) {
  return {
    format: 'ecs-role-attach/plan',
    parameters: { regionId: 'cn-hangzhou', rules: [{ name: 'web', match: { tags: { app: 'web' } } }] },
    instances: Array.from({ length: n }, (_, i) => ({
      instanceId: `i-${i}`,
      tags: i % 2 ? { app: 'web', note: 'line\nbreak "quoted" \\ \u0000' } : {},
      role: i % 3 ? undefined : 'EcsAppRole',
      list: i % 5 ? [] : [1, { a: [] }, undefined],
    })),
    digest: 'sha256:00',
  };
}

describe('writeJsonText', () => {
  it.each([0, 1, 999, 1000, 1001, 2500])('%i members: exactly JSON.stringify, with indent 0 and 2', (n) => {
    const document = documentOf(n);
    for (const indent of [0, 2]) {
      const chunks = written(document, 'instances', indent);
      expect(chunks.join('')).toBe(JSON.stringify(document, null, indent));
      // Opening, one write per 1,000 members, closing (an empty list is written as part of the whole).
      expect(chunks).toHaveLength(n === 0 ? 1 : 2 + Math.ceil(n / JSON_MEMBERS_PER_WRITE));
    }
  });

  it('writes the whole text at once when the key holds no list', () => {
    const value = { instances: 'none', other: [1, 2] };
    expect(written(value, 'instances', 2)).toEqual([JSON.stringify(value, null, 2)]);
  });

  it('leaves a member that only looks like the marker alone', () => {
    const value = { note: '\u0000instances\u0000', instances: [{ a: 1 }] };
    expect(written(value, 'instances').join('')).toBe(JSON.stringify(value));
  });
});
