import { describe, expect, it } from 'vitest';
import type { TimeDoc } from './time-object.ts';
import { buildTimeObject, sumTimeObjects } from './time-object.ts';

const APP = '6710f0c0a1b2c3d4e5f60718';

// §3.3 writes for a new user's first session on 15 Oct 2024 at 08:xx (app zone), no country.
const usersYearDoc: TimeDoc = {
  _id: `${APP}_2024:0_A`,
  m: '2024:0',
  a: APP,
  d: {
    u: 1,
    f: { 0: 1 },
    Unknown: { u: 1 },
    10: { u: 1, f: { 0: 1 }, Unknown: { u: 1 } },
    w42: { u: 1, f: { 0: 1 }, Unknown: { u: 1 } },
  },
  meta_v2: { countries: { Unknown: true }, 'f-ranges': { 0: true } },
};
const usersMonthDoc: TimeDoc = {
  _id: `${APP}_2024:10_A`,
  m: '2024:10',
  a: APP,
  d: { 15: { t: 1, n: 1, u: 1, e: 1, f: { 0: 1 }, Unknown: { t: 1, n: 1, u: 1 }, 8: { t: 1, n: 1, u: 1, e: 1 } } },
};

describe('buildTimeObject: users family (§4.5)', () => {
  it('matches the worked example exactly', () => {
    const expected: unknown = JSON.parse(`{"2024":{"u":1,"t":1,"n":1,"e":1,"f":{"0":1},"Unknown":{"u":1,"t":1,"n":1},
      "w42":{"u":1,"f":{"0":1},"Unknown":{"u":1}},
      "10":{"u":1,"t":1,"n":1,"e":1,"f":{"0":1},"Unknown":{"u":1,"t":1,"n":1},
        "15":{"t":1,"n":1,"u":1,"e":1,"f":{"0":1},"Unknown":{"t":1,"n":1,"u":1},
          "8":{"t":1,"n":1,"u":1,"e":1}}}},
     "meta":{"countries":["Unknown"],"f-ranges":["0"]}}`);
    expect(buildTimeObject([usersYearDoc], [usersMonthDoc], 'users')).toStrictEqual(expected);
  });

  it('empty input and documents without m give {}', () => {
    expect(buildTimeObject([], [], 'users')).toStrictEqual({});
    const noM: TimeDoc = { _id: 'x', d: { 15: { e: 3 } } };
    expect(JSON.stringify(buildTimeObject([{ ...noM }], [noM], 'users'))).toBe('{}');
  });

  it('year documents contribute only unique-type counters', () => {
    const yearDoc: TimeDoc = { m: '2024:0', d: { u: 2, t: 9, e: 4, 10: { u: 2, n: 7, TR: { u: 1, t: 5 } }, ds: { 1: 2 } } };
    expect(buildTimeObject([yearDoc], [], 'users')).toStrictEqual({ 2024: { u: 2, ds: { 1: 2 }, 10: { u: 2, TR: { u: 1 } } }, meta: {} });
  });

  it('sums shards and months, rolls days up, skips hours and uniques', () => {
    const shard = (c: string, day: number, t: number): TimeDoc => ({ _id: c, m: '2024:10', d: { [day]: { t, u: 1, d: 30, ds: { 2: 1 }, 9: { t } } } });
    const september: TimeDoc = { m: '2024:9', d: { 30: { t: 4, e: 4 } } };
    const out = buildTimeObject([], [shard('A', 15, 2), shard('B', 15, 3), shard('C', 16, 1), september], 'users');
    expect(out).toStrictEqual({
      2024: {
        t: 10,
        d: 90,
        e: 4,
        9: { t: 4, e: 4, 30: { t: 4, e: 4 } },
        10: { t: 6, d: 90, 15: { t: 5, u: 2, d: 60, ds: { 2: 2 }, 9: { t: 5 } }, 16: { t: 1, u: 1, d: 30, ds: { 2: 1 }, 9: { t: 1 } } },
      },
    });
  });

  it('rollUp: false (action=refresh) merges without roll-ups', () => {
    expect(buildTimeObject([], [usersMonthDoc], 'users', { rollUp: false })).toStrictEqual({ 2024: { 10: usersMonthDoc.d } });
  });

  it('does not modify its inputs', () => {
    const before = JSON.stringify([usersYearDoc, usersMonthDoc]);
    buildTimeObject([usersYearDoc, usersYearDoc], [usersMonthDoc, usersMonthDoc], 'users');
    expect(JSON.stringify([usersYearDoc, usersMonthDoc])).toBe(before);
  });
});

describe('buildTimeObject: metric family', () => {
  it('value keys roll up t and n; u comes from the year document; meta unioned across shards', () => {
    const year = (os: string): TimeDoc => ({ m: '2024:0', d: { [os]: { u: 1 }, 10: { [os]: { u: 1 } } }, meta_v2: { os: { [os]: true } } });
    const month: TimeDoc = { m: '2024:10', d: { 15: { Android: { t: 2, n: 1, u: 1 }, 5: { t: 1 } } } };
    expect(buildTimeObject([year('Android'), year('iOS')], [month], 'metric')).toStrictEqual({
      2024: {
        Android: { u: 1, t: 2, n: 1 },
        iOS: { u: 1 },
        5: { t: 1 },
        10: { Android: { u: 1, t: 2, n: 1 }, iOS: { u: 1 }, 5: { t: 1 }, 15: { Android: { t: 2, n: 1, u: 1 }, 5: { t: 1 } } },
      },
      meta: { os: ['Android', 'iOS'] },
    });
  });

  it('meta: union keeps Countly order; limits truncate or drop sets', () => {
    const doc = (values: string[]): TimeDoc => ({ m: '2024:0', meta_v2: { v: Object.fromEntries(values.map((x) => [x, true])) } });
    const out = buildTimeObject([doc(['b', 'a']), doc(['c', '2', 'a'])], [], 'metric');
    expect(out.meta).toStrictEqual({ v: ['2', 'a', 'b', 'c'] });
    expect(buildTimeObject([doc(['b', 'a', 'c'])], [], 'metric', { metaValueLimit: 2 }).meta).toStrictEqual({ v: ['b', 'a'] });
    expect(buildTimeObject([doc(['b', 'a', 'c'])], [], 'metric', { metaSetLimit: 2 }).meta).toStrictEqual({});
  });
});

describe('buildTimeObject: events (§4.6)', () => {
  const metaDoc: TimeDoc = { m: '2024:0', meta_v2: { segments: { country: true }, country: { Turkey: true, 'ç&#9647gA': true } } };

  it('no-segment documents: c, s, dur per day and hour, rolled up, with segment meta', () => {
    const month: TimeDoc = { m: '2024:10', d: { 15: { c: 3, s: 4.5, dur: 10, 8: { c: 3, s: 4.5, dur: 10 } } } };
    expect(buildTimeObject([metaDoc], [month], 'event')).toStrictEqual({
      2024: { c: 3, s: 4.5, dur: 10, 10: { c: 3, s: 4.5, dur: 10, 15: { c: 3, s: 4.5, dur: 10, 8: { c: 3, s: 4.5, dur: 10 } } } },
      meta: { segments: ['country'], country: ['Turkey', 'ç&#9647gA'] },
    });
  });

  it('segmented documents: month data keyed by segment value, no hours', () => {
    const month: TimeDoc = { m: '2024:10', d: { 15: { Turkey: { c: 3 }, 7: { c: 1 } } } };
    const out = buildTimeObject([metaDoc], [month], 'event', { segmented: true });
    expect(out['2024']).toStrictEqual({
      Turkey: { c: 3 },
      7: { c: 1 },
      10: { Turkey: { c: 3 }, 7: { c: 1 }, 15: { Turkey: { c: 3 }, 7: { c: 1 } } },
    });
  });

  it('sumTimeObjects adds leaf by leaf and unions meta', () => {
    const a = buildTimeObject([metaDoc], [{ m: '2024:10', d: { 15: { c: 1, 8: { c: 1 } } } }], 'event');
    const b = buildTimeObject(
      [{ m: '2024:0', meta_v2: { segments: { plan: true }, plan: { pro: true } } }],
      [{ m: '2024:10', d: { 15: { c: 2, s: 5, 9: { c: 2, s: 5 } } } }],
      'event',
    );
    expect(sumTimeObjects([a, b])).toStrictEqual({
      2024: { c: 3, s: 5, 10: { c: 3, s: 5, 15: { c: 3, s: 5, 8: { c: 1 }, 9: { c: 2, s: 5 } } } },
      meta: { segments: ['country', 'plan'], country: ['Turkey', 'ç&#9647gA'], plan: ['pro'] },
    });
    expect(sumTimeObjects([])).toStrictEqual({});
  });
});
