import { describe, expect, it } from 'vitest';
import { groupBy } from './group-by.ts';

describe('groupBy', () => {
  it('groups by key in input order', () => {
    const out = groupBy(['a1', 'b1', 'a2', 'c1', 'b2'], (s) => s.slice(0, 1));
    expect([...out]).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1', 'b2']],
      ['c', ['c1']],
    ]);
  });

  it('keeps every item of a large single group', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    expect(groupBy(items, () => 'one').get('one')).toEqual(items);
  });
});
