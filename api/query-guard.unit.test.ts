import { describe, expect, it } from 'vitest';
import { HOSTILE_FILTERS, HOSTILE_PROJECTIONS, HOSTILE_SORTS } from '../test/support/hostile-queries.ts';
import { QueryRefusedError } from './errors.ts';
import { ObjectId } from 'mongodb';
import { guardFilter, guardFilterValue, guardProjection, guardSort, safeRegexSource } from './query-guard.ts';

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof QueryRefusedError) return err.message;
    throw err;
  }
  throw new Error('not refused');
};

describe('guardFilter', () => {
  it('accepts the allow-listed operators and returns the same filter', () => {
    const filter = {
      uid: { $in: ['1', '2'] },
      sc: { $gte: 2, $lt: 10 },
      did: { $regex: '^dev-[0-9]+$', $options: 'i' },
      cc: { $ne: 'TR' },
      'custom.tier': 'gold',
      la: { $exists: true },
      $or: [{ p: 'Android' }, { p: { $eq: 'iOS' } }],
      $and: [{ fs: { $gt: 0 } }, { av: { $nin: ['1:0'] } }],
      tags: ['a', 'b'],
      lac: null,
    };
    expect(guardFilter(JSON.stringify(filter), 'query')).toEqual(filter);
    expect(guardFilter(filter, 'query')).toEqual(filter);
  });

  it('names the refused operator', () => {
    expect(refusal(() => guardFilter({ $where: 'x' }, 'query'))).toBe('Operator "$where" is not allowed in "query"');
    expect(refusal(() => guardFilter({ a: { $expr: 1 } }, 'query'))).toBe('Operator "$expr" is not allowed in "query"');
    expect(refusal(() => guardFilter({ $function: {} }, 'filter'))).toBe('Operator "$function" is not allowed in "filter"');
    expect(refusal(() => guardFilter({ $or: [{ a: { $foo: 1 } }] }, 'query'))).toBe('Operator "$foo" is not allowed in "query"');
  });

  it('refuses every hostile filter of the corpus', () => {
    expect(HOSTILE_FILTERS.length).toBeGreaterThanOrEqual(50);
    for (const hostile of HOSTILE_FILTERS) {
      expect(() => guardFilter(hostile, 'query'), JSON.stringify(hostile)).toThrow(QueryRefusedError);
      if (typeof hostile === 'object' && hostile !== null) expect(() => guardFilter(JSON.stringify(hostile), 'query')).toThrow(QueryRefusedError);
    }
  });

  it('refuses text that is not JSON with the parse reason', () => {
    expect(refusal(() => guardFilter('{uid:1', 'query'))).toMatch(/^Could not parse parameter "query": /);
  });
});

describe('guardSort and guardProjection', () => {
  it('accept plain paths', () => {
    expect(guardSort('{"ls":-1,"uid":1}', 'sort')).toEqual({ ls: -1, uid: 1 });
    expect(guardProjection({ uid: 1, did: true, _id: 0 }, 'projection')).toEqual({ uid: 1, did: 1, _id: 0 });
  });

  it('refuse the hostile corpus', () => {
    for (const hostile of HOSTILE_SORTS) expect(() => guardSort(hostile, 'sort'), JSON.stringify(hostile)).toThrow(QueryRefusedError);
    for (const hostile of HOSTILE_PROJECTIONS) expect(() => guardProjection(hostile, 'projection'), JSON.stringify(hostile)).toThrow(QueryRefusedError);
  });
});

describe('safeRegexSource', () => {
  it('keeps simple patterns and refuses catastrophic ones', () => {
    expect(safeRegexSource('^/o/analytics/', 'endpoint')).toBe('^/o/analytics/');
    expect(safeRegexSource('^(foo|bar)-\\d+$', 'endpoint')).toBe('^(foo|bar)-\\d+$');
    expect(() => safeRegexSource('(a+)+$', 'endpoint')).toThrow(QueryRefusedError);
    expect(() => safeRegexSource('(a|b', 'endpoint')).toThrow(QueryRefusedError);
  });
});

describe('guardFilterValue with revival (exports, spec §8)', () => {
  const revive = { revive: true };
  it('"__REGEXP /re/flags" becomes a checked $regex; a 24-hex _id an ObjectId', () => {
    const out = guardFilterValue(
      { name: '__REGEXP /^é.*x/im', _id: '65a0000000000000000000a1', $or: [{ _id: { $in: ['65a0000000000000000000a2', 'short'] } }] },
      'query',
      revive,
    );
    expect(out.name).toEqual({ $regex: '^é.*x', $options: 'im' });
    expect(out._id).toBeInstanceOf(ObjectId);
    expect(String(out._id)).toBe('65a0000000000000000000a1');
    const branch = (out.$or as { _id: { $in: unknown[] } }[])[0]!._id.$in;
    expect(branch[0]).toBeInstanceOf(ObjectId);
    expect(branch[1]).toBe('short');
  });
  it('without revival the strings stay strings; bad or dangerous patterns are refused', () => {
    expect(guardFilterValue({ name: '__REGEXP /a/', _id: '65a0000000000000000000a1' }, 'query', { revive: false })).toEqual({
      name: '__REGEXP /a/',
      _id: '65a0000000000000000000a1',
    });
    expect(refusal(() => guardFilterValue({ name: '__REGEXP /(a+)+$/' }, 'query', revive))).toBe('A pattern with nested quantifiers is not allowed in "query"');
    expect(refusal(() => guardFilterValue({ name: '__REGEXP /a/g' }, 'query', revive))).toBe(
      'Regular expression flags other than i, m, s, x is not allowed in "query"',
    );
    expect(refusal(() => guardFilterValue({ name: '__REGEXP a' }, 'query', revive))).toBe(
      'A __REGEXP value that is not /pattern/flags is not allowed in "query"',
    );
    expect(refusal(() => guardFilterValue({ $where: '1' }, 'query', revive))).toBe('Operator "$where" is not allowed in "query"');
  });
});
