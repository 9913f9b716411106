import { describe, expect, it } from 'vitest';
import { md5Base64FirstChar } from './hash.ts';
import { APP, deepFreeze, devicesByShard, request, reset } from './given.test-support.ts';
import { evolveSessions, foldSessions, initialSessions, type SessionsState } from './sessions.fold.ts';
import type { FoldEvent } from './fold.ts';

const fold = (events: FoldEvent[], state: SessionsState = initialSessions()): SessionsState => foldSessions(state, events);
const month = (s: SessionsState, period: string) => s.docs[`users/${APP}_${period}`];
const inc = (s: SessionsState, period: string) => month(s, period)?.inc ?? {};

/** Counters under a prefix, e.g. all `d.15.` paths, without the prefix. */
const under = (counters: Readonly<Record<string, number>>, prefix: string) =>
  Object.fromEntries(
    Object.entries(counters)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );

describe('sessions fold: a new user (§4.5 example)', () => {
  it('writes t/n/u/e/f.0 per day and hour, country counters per day, and year uniques', () => {
    const s = fold([request('2024-10-15T08:20:00Z', { begin_session: 1 })]);
    expect(inc(s, '2024:10')).toEqual({
      'd.15.e': 1,
      'd.15.8.e': 1,
      'd.15.t': 1,
      'd.15.8.t': 1,
      'd.15.n': 1,
      'd.15.8.n': 1,
      'd.15.u': 1,
      'd.15.8.u': 1,
      'd.15.Unknown.t': 1,
      'd.15.Unknown.n': 1,
      'd.15.Unknown.u': 1,
      'd.15.f.0': 1,
    });
    expect(inc(s, '2024:0')).toEqual({
      'd.u': 1,
      'd.10.u': 1,
      'd.w42.u': 1,
      'd.Unknown.u': 1,
      'd.10.Unknown.u': 1,
      'd.w42.Unknown.u': 1,
      'd.f.0': 1,
      'd.10.f.0': 1,
      'd.w42.f.0': 1,
    });
    const shard = md5Base64FirstChar('dev-1');
    expect(month(s, '2024:0')?.set).toEqual({ 'meta_v2.countries.Unknown': true, 'meta_v2.f-ranges.0': true, [`vis.${shard}`]: true });
    expect(month(s, '2024:10')?.fields).toEqual({ a: APP, m: '2024:10' });
    expect(s.devices[`${APP}:dev-1`]).toMatchObject({ fs: Date.parse('2024-10-15T08:20:00Z') / 1000, sc: 1, hos: true, cc: 'Unknown' });
  });

  it('uses the request country', () => {
    const s = fold([request('2024-10-15T08:20:00Z', { begin_session: 1, country_code: 'TR' })]);
    expect(under(inc(s, '2024:10'), 'd.15.TR.')).toEqual({ t: 1, n: 1, u: 1 });
    expect(month(s, '2024:0')?.set['meta_v2.countries.TR']).toBe(true);
  });
});

describe('sessions fold: session state machine (§2.6)', () => {
  it('extends a session when begin comes < 15 s after end: nothing counted', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1 }),
      request('2024-10-15T08:01:00Z', { end_session: 1, session_duration: 60 }),
      request('2024-10-15T08:01:10Z', { begin_session: 1 }),
    ]);
    expect(inc(s, '2024:10')['d.15.t']).toBe(1);
    expect(s.devices[`${APP}:dev-1`]).toMatchObject({ sc: 1, hos: true, lbst: Date.parse('2024-10-15T08:01:10Z') / 1000 });
  });

  it('starts a new session after the cooldown or with ignore_cooldown', () => {
    const base = [request('2024-10-15T08:00:00Z', { begin_session: 1 }), request('2024-10-15T08:01:00Z', { end_session: 1 })];
    expect(inc(fold([...base, request('2024-10-15T08:01:15Z', { begin_session: 1 })]), '2024:10')['d.15.t']).toBe(2);
    expect(inc(fold([...base, request('2024-10-15T08:01:05Z', { begin_session: 1, ignore_cooldown: 1 })]), '2024:10')['d.15.t']).toBe(2);
  });

  it('closes an unended session when a new one begins, bucketing its duration', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1 }),
      request('2024-10-15T08:00:45Z', { session_duration: 45 }),
      request('2024-10-15T10:00:00Z', { begin_session: 1 }),
    ]);
    expect(inc(s, '2024:10')).toMatchObject({ 'd.15.t': 2, 'd.15.ds.2': 1, 'd.15.d': 45 });
    expect(inc(s, '2024:0')).toMatchObject({ 'd.ds.2': 1, 'd.10.ds.2': 1, 'd.w42.ds.2': 1 });
    expect(month(s, '2024:0')?.set['meta_v2.d-ranges.2']).toBe(true);
    expect(s.devices[`${APP}:dev-1`]).toMatchObject({ sd: 0, tsd: 45, sc: 2 });
  });

  it('caps session_duration at 86400, turns negatives into 30 and ignores 0', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1 }),
      request('2024-10-15T09:00:00Z', { session_duration: 100_000 }),
      request('2024-10-15T09:01:00Z', { session_duration: '-5' }),
      request('2024-10-15T09:02:00Z', { session_duration: 0 }),
    ]);
    expect(under(inc(s, '2024:10'), 'd.15.9.')).toEqual({ e: 3, d: 86_430 });
    expect(s.devices[`${APP}:dev-1`]?.tsd).toBe(86_430);
  });

  it('counts begin + session_duration in one request as two e (quirk)', () => {
    const s = fold([request('2024-10-15T08:00:00Z', { begin_session: 1, session_duration: 10 })]);
    expect(inc(s, '2024:10')['d.15.e']).toBe(2);
  });

  it('buckets the duration at end_session', () => {
    const at = (dur: number) => {
      const s = fold([request('2024-10-15T08:00:00Z', { begin_session: 1 }), request('2024-10-15T08:30:00Z', { end_session: 1, session_duration: dur })]);
      return Object.keys(under(inc(s, '2024:10'), 'd.15.ds.'));
    };
    expect(at(5)).toEqual(['0']);
    expect(at(11)).toEqual(['1']);
    expect(at(600)).toEqual(['4']);
    expect(at(3600)).toEqual(['6']);
    expect(at(4000)).toEqual(['7']);
  });
});

describe('sessions fold: frequency buckets (§3.5)', () => {
  const freq = (gapHours: number) => {
    const first = Date.parse('2024-10-01T00:00:00Z');
    const s = fold([
      request(new Date(first).toISOString(), { begin_session: 1, ignore_cooldown: 1 }),
      request(new Date(first + gapHours * 3_600_000).toISOString(), { begin_session: 1, ignore_cooldown: 1 }),
    ]);
    return Object.keys(under(inc(s, '2024:0'), 'd.f.'));
  };
  it('maps hours since the last session to buckets 1..10', () => {
    expect(freq(1)).toEqual(['0', '1']);
    expect(freq(30)).toEqual(['0', '2']);
    expect(freq(200)).toEqual(['0', '9']);
    expect(freq(400)).toEqual(['0', '10']);
    expect(freq(800)).toEqual(['0', '10']);
  });
  it('gives no bucket to a session dated before the last one', () => {
    const s = fold([
      request('2024-10-15T10:00:00Z', { begin_session: 1 }),
      request('2024-10-15T12:00:00Z', { begin_session: 1, ignore_cooldown: 1, timestamp: Date.parse('2024-10-15T09:00:00Z') / 1000 }),
    ]);
    expect(inc(s, '2024:10')['d.15.t']).toBe(2);
    expect(Object.keys(under(inc(s, '2024:0'), 'd.f.'))).toEqual(['0']);
  });
});

describe('sessions fold: uniques of returning users (§3.4) in non-UTC zones', () => {
  const uniques = (tz: string, first: string, second: string, params: Record<string, unknown> = {}) => {
    const s = fold([
      request(first, { begin_session: 1, ignore_cooldown: 1 }, { tz }),
      request(second, { begin_session: 1, ignore_cooldown: 1, ...params }, { tz }),
    ]);
    return s;
  };

  it('New York: 23:30 then 00:30 local is a new day and hour, same month', () => {
    const s = uniques('America/New_York', '2024-10-16T03:30:00Z', '2024-10-16T04:30:00Z');
    expect(under(inc(s, '2024:10'), 'd.16.')).toMatchObject({ u: 1, '0.u': 1, 'Unknown.u': 1 });
    expect(inc(s, '2024:0')['d.10.u']).toBe(1); // only the first session
  });

  it('New York DST start day: 00:30 EST and 23:00 EDT are the same local day', () => {
    const s = uniques('America/New_York', '2024-03-10T05:30:00Z', '2024-03-11T03:00:00Z');
    expect(inc(s, '2024:3')['d.10.u']).toBe(1);
    expect(inc(s, '2024:3')['d.10.23.u']).toBe(1);
  });

  it('Kolkata: a session at 00:10 on 1 Jan after one at 23:50 is unique for year and month but not week', () => {
    const s = uniques('Asia/Kolkata', '2024-12-31T18:20:00Z', '2024-12-31T18:40:00Z');
    expect(inc(s, '2025:0')).toMatchObject({ 'd.u': 1, 'd.1.u': 1, 'd.Unknown.u': 1, 'd.1.Unknown.u': 1 });
    expect(inc(s, '2025:0')['d.w1.u']).toBeUndefined();
    expect(inc(s, '2025:1')).toMatchObject({ 'd.1.u': 1, 'd.1.0.u': 1, 'd.1.t': 1 });
    expect(inc(s, '2025:1')['d.1.n']).toBeUndefined();
  });

  it('Kolkata: same hour gives no unique at any level; next week gives a week unique', () => {
    const same = uniques('Asia/Kolkata', '2024-03-15T10:31:00Z', '2024-03-15T10:59:00Z');
    expect(Object.keys(inc(same, '2024:3')).filter((k) => k.endsWith('.u') && !k.startsWith('d.15.Unknown'))).toEqual(['d.15.u', 'd.15.16.u']);
    const nextWeek = uniques('Asia/Kolkata', '2024-03-01T10:00:00Z', '2024-03-09T10:00:00Z');
    expect(inc(nextWeek, '2024:0')).toMatchObject({ 'd.w9.u': 1, 'd.w10.u': 1, 'd.w10.Unknown.u': 1 });
  });

  it('counts the new country as unique everywhere and skips per-level country uniques', () => {
    const s = uniques('UTC', '2024-10-01T10:00:00Z', '2024-10-15T10:00:00Z', { country_code: 'TR' });
    expect(under(inc(s, '2024:10'), 'd.15.')).toMatchObject({ 'TR.u': 1, 'TR.t': 1, u: 1 });
    expect(inc(s, '2024:0')).toMatchObject({ 'd.TR.u': 1, 'd.10.TR.u': 1, 'd.w42.TR.u': 1 });
  });
});

describe('sessions fold: the m visibility rule, store then reveal (§3.3, §3.8)', () => {
  it('given a device that only sends end_session, when folded, then its e is stored hidden under its shard', () => {
    const shard = md5Base64FirstChar('1234567890A');
    const s = fold([request('2024-10-15T08:00:00Z', { end_session: 1 }, { device: '1234567890A' })]);
    expect(inc(s, '2024:10')).toEqual({ [`h.${shard}.15.e`]: 1, [`h.${shard}.15.8.e`]: 1 });
    expect(month(s, '2024:10')?.set).toEqual({});
  });

  it('given plain requests before and after a new session in the shard, then e before is hidden and e after is shown', () => {
    const { same, other } = devicesByShard();
    const shard = md5Base64FirstChar(same[0]);
    const s = fold([
      request('2024-10-15T08:00:00Z', {}, { device: same[1] }),
      request('2024-10-15T08:01:00Z', { begin_session: 1 }, { device: same[0] }),
      request('2024-10-15T08:02:00Z', {}, { device: same[1] }),
      request('2024-10-15T08:03:00Z', {}, { device: other }),
    ]);
    expect(inc(s, '2024:10')['d.15.e']).toBe(2);
    expect(inc(s, '2024:10')[`h.${shard}.15.e`]).toBe(1);
    expect(inc(s, '2024:10')[`h.${md5Base64FirstChar(other)}.15.e`]).toBe(1);
  });

  it('given session_duration=0 (or any ignored but truthy value) alone, then nothing is counted, not even e', () => {
    for (const value of ['0', 'abc']) {
      const s = fold([request('2024-10-15T08:00:00Z', { begin_session: 1 }), request('2024-10-15T09:00:00Z', { session_duration: value })]);
      expect(inc(s, '2024:10')['d.15.9.e']).toBeUndefined();
    }
  });

  it('given a duration and a closed session in a hidden shard, then e, d and ds wait in h, ds in the year document too', () => {
    const shard = md5Base64FirstChar('dev-1');
    const s = fold([request('2024-10-15T08:00:00Z', { end_session: 1, session_duration: 40 })]);
    expect(under(inc(s, '2024:10'), `h.${shard}.15.`)).toEqual({ e: 1, '8.e': 1, d: 40, '8.d': 40 });
    const known = fold([request('2023-12-31T20:00:00Z', { begin_session: 1 })]);
    const closed = fold([request('2024-01-02T08:00:00Z', { end_session: 1, session_duration: 40 })], { ...known, docs: {} });
    expect(inc(closed, '2024:1')).toMatchObject({ [`h.${shard}.2.ds.2`]: 1 });
    expect(under(inc(closed, '2024:0'), `h.${shard}.`)).toEqual({ 'ds.2': 1, '1.ds.2': 1, 'w1.ds.2': 1 });
    expect(month(closed, '2024:0')?.set).toEqual({});
  });
});

describe('sessions fold: merge, reset, purity', () => {
  it('folds the old device into the new one: its first session is a returning user', () => {
    const s = fold([
      request('2024-10-01T08:00:00Z', { begin_session: 1 }, { device: 'old' }),
      request('2024-10-15T08:00:00Z', { begin_session: 1, old_device_id: 'old' }, { device: 'new' }),
    ]);
    expect(inc(s, '2024:10')).toMatchObject({ 'd.1.n': 1, 'd.15.t': 1 });
    expect(inc(s, '2024:10')['d.15.n']).toBeUndefined();
    expect(s.devices[`${APP}:old`]).toBeNull();
    expect(s.devices[`${APP}:new`]).toMatchObject({ sc: 2, fs: Date.parse('2024-10-01T08:00:00Z') / 1000 });
  });

  it('drops pending docs and devices of the app on a full reset, only old periods on a partial one', () => {
    const begun = fold([request('2024-10-15T08:00:00Z', { begin_session: 1 })]);
    const wiped = fold([reset('reset', '2024-10-16T00:00:00Z')], begun);
    expect(wiped.docs).toEqual({});
    expect(wiped.devices).toEqual({});
    const partial = fold([request('2024-06-15T08:00:00Z', { begin_session: 1 }, { device: 'b' }), reset('1month', '2024-10-16T00:00:00Z')], begun);
    expect(Object.keys(partial.docs).sort()).toEqual([`users/${APP}_2024:0`, `users/${APP}_2024:10`]);
  });

  it('never mutates its input, ignores unknown events and tracks the last sequence', () => {
    // Explicit sequences: the helper's counter is shared by every file of the (non-isolated) unit run.
    const state = deepFreeze(fold([request('2024-10-15T08:00:00Z', { begin_session: 1 }, { seq: 98 })]));
    const next = evolveSessions(state, request('2024-10-15T09:00:00Z', { begin_session: 1 }, { seq: 99 }));
    expect(next.lastSeq).toBe(99);
    expect(inc(next, '2024:10')['d.15.t']).toBe(2);
    const unknown = { type: 'SomethingElse' } as unknown as FoldEvent;
    expect(evolveSessions(state, unknown)).toBe(state);
  });

  it('gives the same result folded as a batch or event by event', () => {
    const events = [
      request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _os: 'Android' } }),
      request('2024-10-15T08:10:00Z', { end_session: 1, session_duration: 600 }),
      request('2024-10-16T08:00:00Z', { begin_session: 1 }, { device: 'b' }),
    ];
    const stepwise = events.reduce(evolveSessions, initialSessions());
    expect(fold(events)).toEqual({ ...stepwise });
  });
});
