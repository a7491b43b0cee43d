import { InvalidInputError } from '../../../src/engine/errors';
import { DEFAULT_EXCLUDE_TAG, mergeExclusions } from '../../../src/engine/exclusions';
import { parseTagFilter } from '../../../src/inputs/atoms';
import { parseExclusions } from '../../../src/inputs/targets';

describe('mergeExclusions', () => {
  it('always excludes the default tag, even with no source', () => {
    expect(mergeExclusions()).toEqual({ tags: [{ key: DEFAULT_EXCLUDE_TAG }], instanceIds: [] });
    expect(mergeExclusions(undefined, {})).toEqual({ tags: [{ key: DEFAULT_EXCLUDE_TAG }], instanceIds: [] });
  });

  it('adds every source’s tags and ids after the default tag, in order, without duplicates', () => {
    const execution = {
      tags: [{ key: 'keep-role' }, { key: DEFAULT_EXCLUDE_TAG }],
      instanceIds: ['i-a', 'i-b'],
    };
    const deployment = { tags: [{ key: 'team', value: 'ops' }, { key: 'keep-role' }] };
    expect(mergeExclusions(execution, deployment, { instanceIds: ['i-b', 'i-c'] })).toEqual({
      tags: [{ key: DEFAULT_EXCLUDE_TAG }, { key: 'keep-role' }, { key: 'team', value: 'ops' }],
      instanceIds: ['i-a', 'i-b', 'i-c'],
    });
  });

  it('keeps "key" (any value) and "key=" (empty value) apart', () => {
    expect(mergeExclusions({ tags: [{ key: 'k' }, { key: 'k', value: '' }] }).tags).toEqual([
      { key: DEFAULT_EXCLUDE_TAG },
      { key: 'k' },
      { key: 'k', value: '' },
    ]);
  });

  it('is idempotent', () => {
    const once = mergeExclusions({ tags: [{ key: 'team', value: 'ops' }], instanceIds: ['i-a'] });
    expect(mergeExclusions(once)).toEqual(once);
    expect(mergeExclusions(once, once)).toEqual(once);
  });

  it('does not alias its inputs', () => {
    const tag = { key: 'team', value: 'ops' };
    const merged = mergeExclusions({ tags: [tag] });
    tag.value = 'changed';
    expect(merged.tags[1]).toEqual({ key: 'team', value: 'ops' });
  });
});

describe('parseExclusions', () => {
  it('parses tags and comma-separated ids, with the default tag first', () => {
    expect(parseExclusions(['team=ops', 'keep-role'], ['i-a, i-b', 'i-a'])).toEqual({
      tags: [{ key: DEFAULT_EXCLUDE_TAG }, { key: 'team', value: 'ops' }, { key: 'keep-role' }],
      instanceIds: ['i-a', 'i-b'],
    });
  });

  it('names the field of a bad tag or id', () => {
    expect(() => parseExclusions(['=v'], [])).toThrow(InvalidInputError);
    expect(() =>
      parseExclusions(['=v'], [], { tags: 'params.excludeTags', ids: 'params.excludeInstanceIds' }),
    ).toThrow(/params\.excludeTags/);
    expect(() => parseExclusions([], ['vm-1'])).toThrow(/--exclude-ids must be an instance id/);
  });
});

describe('parseTagFilter', () => {
  it('reads key or key=value, trimming the key', () => {
    expect(parseTagFilter(' team =ops', 'f')).toEqual({ key: 'team', value: 'ops' });
    expect(parseTagFilter('keep-role', 'f')).toEqual({ key: 'keep-role' });
    expect(parseTagFilter('a=b=c', 'f')).toEqual({ key: 'a', value: 'b=c' });
  });

  it('rejects an empty or over-long key', () => {
    expect(() => parseTagFilter('', 'EXCLUDE_TAG')).toThrow(/EXCLUDE_TAG must be key or key=value/);
    expect(() => parseTagFilter('k'.repeat(129), 'EXCLUDE_TAG')).toThrow(/1-128 characters/);
  });
});
