import { describe, expect, it } from 'vitest';
import { documentDiff, appUsersWriteOps } from './app-user-writes.ts';
import {
  APP_USER_MERGES,
  appUsersCollection,
  foldAppUsers,
  initialAppUsers,
  metricChangesCollection,
  uidOf,
  type AppUsersInputs,
  type AppUsersState,
} from './app-users.fold.ts';
import type { FoldEvent } from './fold.ts';
import { APP, APP_KEY, deepFreeze, request, reset } from './given.test-support.ts';
import { appUserId } from './hash.ts';

const fold = (events: FoldEvent[], inputs: AppUsersInputs = { uids: { [APP]: { next: 1, end: 100 } } }): AppUsersState =>
  foldAppUsers(initialAppUsers(inputs), events);
const user = (s: AppUsersState, device = 'dev-1') => s.users[`${APP}:${device}`];
const sec = (iso: string) => Date.parse(iso) / 1000;

describe('app users: identity (§2.4)', () => {
  it('renders uids in base 62', () => {
    expect([1, 10, 36, 61, 62, 3844].map(uidOf)).toEqual(['1', 'a', 'A', 'Z', '10', '100']);
  });

  it('creates a user with _id, the next uid and did; records a shortfall when no uid is reserved', () => {
    const s = fold([request('2024-10-15T08:00:00Z', {}), request('2024-10-15T08:00:00Z', {}, { device: 'dev-2' })]);
    expect(user(s)).toMatchObject({ _id: appUserId(APP_KEY, 'dev-1'), uid: '1', did: 'dev-1' });
    expect(user(s, 'dev-2')?.uid).toBe('2');
    expect(s.uids[APP]).toEqual({ next: 3, end: 100 });
    const short = fold([request('2024-10-15T08:00:00Z', {})], {});
    expect(short.uidShortfall).toEqual([`${APP}:dev-1`]);
    expect(user(short)?.uid).toBeUndefined();
  });
});

describe('app users: fields written by ingestion (§2.17, §2.6–2.8)', () => {
  it('writes session, location, metric and bookkeeping fields from the stream', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', {
        begin_session: 1,
        country_code: 'DE',
        city: 'Berlin',
        location: '52.5,13.4',
        metrics: { _os: 'Android', _os_version: '14', _locale: 'de_DE' },
        sdk_name: 'java-native-android',
        sdk_version: '24.4.0',
        t: 0,
        tz: '60',
        events: [{ key: 'a' }, { key: 'b' }, { key: '[CLY]_view' }],
      }),
    ]);
    const now = sec('2024-10-15T08:00:00Z');
    expect(user(s)).toMatchObject({
      fs: now,
      ls: now,
      lbst: now,
      hos: true,
      sc: 1,
      cc: 'DE',
      cty: 'Berlin',
      rgn: 'Unknown',
      loc: { gps: true, geo: { type: 'Point', coordinates: [13.4, 52.5] }, date: now * 1000 },
      p: 'Android',
      pv: 'a14',
      la: 'de',
      lo: 'de_DE',
      sdk: { name: 'java-native-android', version: '24.4.0' },
      t: 0,
      hasInfo: true,
      tz: '60',
      data: { events: 2 },
      fac: now,
      first_sync: now,
      lac: now,
      last_sync: now,
      lu: now * 1000,
      req_count: 1,
    });
    expect(user(s)?.lsid).toMatch(/^req-/);
  });

  it('ends the session: lest set, hos removed, duration summed, per-session data reset', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1, events: [{ key: 'a' }] }),
      request('2024-10-15T08:05:00Z', { end_session: 1, session_duration: 300 }),
    ]);
    expect(user(s)).toMatchObject({ lest: sec('2024-10-15T08:05:00Z'), sd: 0, tsd: 300, data: {}, req_count: 2 });
    expect(user(s)).not.toHaveProperty('hos');
  });

  it('keeps fac/first_sync once, stops req_count at 100 and honours no_meta', () => {
    const loaded = { _id: 'x', uid: '5', did: 'dev-1', fac: 1, first_sync: 2, lac: 9_999_999_999, req_count: 100 };
    const s = fold([request('2024-10-15T08:00:00Z', {})], { users: { [`${APP}:dev-1`]: loaded } });
    expect(user(s)).toMatchObject({ fac: 1, first_sync: 2, lac: 9_999_999_999, req_count: 100 });
    const quiet = fold([request('2024-10-15T08:00:00Z', { no_meta: 1 })]);
    expect(user(quiet)).not.toHaveProperty('lac');
  });

  it('opting out of location on a session start sets Unknown and removes loc', () => {
    const loaded = { _id: 'x', uid: '5', did: 'dev-1', loc: { gps: true }, cc: 'DE' };
    const s = fold([request('2024-10-15T08:00:00Z', { begin_session: 1, location: '' })], { users: { [`${APP}:dev-1`]: loaded } });
    expect(user(s)).toMatchObject({ cc: 'Unknown', cty: 'Unknown', rgn: 'Unknown' });
    expect(user(s)).not.toHaveProperty('loc');
  });

  it('records metric changes of a returning user on a new session', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _app_version: '1.0' } }),
      request('2024-10-16T08:00:00Z', { begin_session: 1, metrics: { _app_version: '1.1' }, country_code: 'TR' }),
    ]);
    const change = Object.values(s.records).find((r) => r.collection === metricChangesCollection(APP));
    expect(change?.doc).toMatchObject({ uid: '1', ts: sec('2024-10-16T08:00:00Z'), av: { o: '1:0', n: '1:1' }, cc: { o: 'Unknown', n: 'TR' } });
  });
});

describe('app users: user_details (§2.10)', () => {
  it('sets profile fields, unsets on "", and applies custom operators', () => {
    const loaded = {
      _id: 'x',
      uid: '5',
      did: 'dev-1',
      email: 'old@x',
      custom: { n: 2, m: 3, hi: 5, lo: 5, once: 'a', list: ['a'], tags: ['a'], gone: 1 },
    };
    const details = {
      name: 'Ann',
      email: '',
      custom: {
        n: { $inc: 3 },
        m: { $mul: 2 },
        hi: { $max: 9 },
        lo: { $min: 1 },
        once: { $setOnce: 'b' },
        fresh: { $setOnce: 'c' },
        list: { $push: 'b' },
        tags: { $addToSet: ['a', 'c'] },
        gone: '',
        plain: 'v',
        pulled: { $pull: 'x' },
      },
    };
    const s = fold([request('2024-10-15T08:00:00Z', { user_details: JSON.stringify(details) })], { users: { [`${APP}:dev-1`]: loaded } });
    expect(user(s)).toMatchObject({ name: 'Ann' });
    expect(user(s)).not.toHaveProperty('email');
    expect(user(s)?.custom).toEqual({ n: 5, m: 6, hi: 9, lo: 1, once: 'a', fresh: 'c', list: ['a', 'b'], tags: ['a', 'c'], plain: 'v' });
  });
});

describe('app users: merge on old_device_id (§6.4)', () => {
  it('keeps the new identity with the older device data, deletes the old user and records the merge', () => {
    const stored = { _id: appUserId(APP_KEY, '1'), uid: '1', did: '1', fs: 100, ls: 100, sc: 1, d: 'Samsung S7', p: 'Android', pv: 'a4:1' };
    const s = fold([request('2024-10-02T08:00:00Z', { old_device_id: '1' }, { device: '2' })], {
      users: { [`${APP}:1`]: stored, [`${APP}:2`]: null },
      uids: { [APP]: { next: 2, end: 3 } },
    });
    expect(user(s, '1')).toBeNull();
    expect(user(s, '2')).toMatchObject({
      _id: appUserId(APP_KEY, '2'),
      did: '2',
      uid: '2',
      d: 'Samsung S7',
      p: 'Android',
      pv: 'a4:1',
      sc: 1,
      merged_uid: '1',
      merged_did: '1',
      merges: 1,
    });
    expect(s.records[`${APP_USER_MERGES}/${APP}_2_1`]?.doc).toMatchObject({ merged_to: '2', t: 0 });
    const ops = appUsersWriteOps(s);
    expect(ops).toContainEqual({ kind: 'delete', collection: appUsersCollection(APP), id: appUserId(APP_KEY, '1') });
  });

  it('never writes a user created and merged away in the same batch', () => {
    const s = fold([
      request('2024-10-01T08:00:00Z', { begin_session: 1 }, { device: '1' }),
      request('2024-10-02T08:00:00Z', { old_device_id: '1' }, { device: '2' }),
    ]);
    expect(
      appUsersWriteOps(s).flatMap((o) => ((o.kind === 'upsert' || o.kind === 'delete') && o.collection === appUsersCollection(APP) ? [o.id] : [])),
    ).toEqual([appUserId(APP_KEY, '2')]);
  });

  it('lets the more recently seen user win the data, summing counters', () => {
    const s = fold([
      request('2024-10-01T08:00:00Z', { begin_session: 1, metrics: { _device: 'Samsung S7' } }, { device: '2' }),
      request('2024-10-05T08:00:00Z', { begin_session: 1, metrics: { _device: 'iPad' } }, { device: '3' }),
      request('2024-10-06T08:00:00Z', { old_device_id: '3' }, { device: '2' }),
    ]);
    expect(user(s, '2')).toMatchObject({ did: '2', uid: '1', d: 'iPad', sc: 2, fs: sec('2024-10-01T08:00:00Z'), ls: sec('2024-10-05T08:00:00Z') });
  });
});

describe('app users: write operations, reset, purity', () => {
  it('diffs documents one level deep into objects', () => {
    expect(documentDiff({ _id: 'x', a: 1, b: { x: 1, y: 2 }, gone: true }, { _id: 'x', a: 1, b: { x: 1, z: 3 }, c: [1] })).toEqual({
      set: { 'b.z': 3, c: [1] },
      unset: ['b.y', 'gone'],
    });
  });

  it('emits only changed fields for loaded users', () => {
    const loaded = { _id: 'id1', uid: '5', did: 'dev-1', lac: 1, req_count: 3, custom: { a: 1 } };
    const s = fold([request('2024-10-15T08:00:00Z', { user_details: { custom: { b: 2 } }, no_meta: 1 })], { users: { [`${APP}:dev-1`]: loaded } });
    expect(appUsersWriteOps(s)).toEqual([{ kind: 'upsert', collection: appUsersCollection(APP), id: 'id1', set: { 'custom.b': 2 } }]);
  });

  it('forgets the app users on a full reset; new users then need a fresh uid range', () => {
    const loaded = { _id: 'id1', uid: '5', did: 'dev-1' };
    const s = fold([reset('reset', '2024-10-15T08:00:00Z'), request('2024-10-15T08:01:00Z', {})], {
      users: { [`${APP}:dev-1`]: loaded },
      uids: { [APP]: { next: 6, end: 9 } },
    });
    expect(s.base[`${APP}:dev-1`]).toBeNull();
    expect(s.uidShortfall).toEqual([`${APP}:dev-1`]);
  });

  it('keeps a merge record folded in the same batch as a later full reset, as it keeps stored ones', () => {
    const old = { _id: appUserId(APP_KEY, '1'), uid: '1', did: '1' };
    const s = fold([request('2024-10-02T08:00:00Z', { old_device_id: '1' }, { device: '2' }), reset('reset', '2024-10-03T08:00:00Z')], {
      users: { [`${APP}:1`]: old, [`${APP}:2`]: null },
      uids: { [APP]: { next: 2, end: 3 } },
    });
    expect(Object.keys(s.records).filter((k) => k.startsWith(`${APP_USER_MERGES}/`))).toEqual([`${APP_USER_MERGES}/${APP}_2_1`]);
  });

  it('does not mutate its input', () => {
    const state = deepFreeze(fold([request('2024-10-15T08:00:00Z', { begin_session: 1 })]));
    const next = foldAppUsers(state, [request('2024-10-15T09:00:00Z', { end_session: 1, user_details: { name: 'A' } })]);
    expect(user(next)).toMatchObject({ name: 'A', lest: sec('2024-10-15T09:00:00Z') });
  });
});
