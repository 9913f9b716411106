// End to end, SDK to projection documents: the real countly-sdk-nodejs sends backdated traffic for
// several devices through its bulk API and live traffic through its main API (sessions begun,
// extended and ended, events with segmentation, sum and dur, user details with custom-property
// operators, metrics, device-id changes with merge; see support/projections-scenario.ts). Tally
// ingests it, the in-process processors fold it, and the test reads the projection documents
// straight from MongoDB.
//
// Expectations come from two independent sources: a reference model of Countly's per-request
// rules (support/countly-model.ts, written from the spec, fed with the stored requests) that must
// match every stored counter, flag and app-user field; and values derived by hand from the spec
// for the rules that matter most, which keep the model itself honest.
//
// Devices are named so that each falls into its own users shard (§3.8): what one device's `e`,
// `d` and `ds` count never depends on another device's timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Countly from 'countly-sdk-nodejs';
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAndApp } from './support/api-client.ts';
import { md5Shard } from './support/countly-calendar.ts';
import { CountlyModel } from './support/countly-model.ts';
import { startTestTally, type TestTally } from './support/harness.ts';
import { listCheckpoints } from '../projections/index.ts';
import { asObject, readStoredAggregates, readStoredUsers, registryObject, type StoredAggregates, type StoredUsers } from './support/projection-docs.ts';
import { local, SCENARIO_DEVICES, SCENARIO_TIMEZONE, sendBackdatedTraffic, sendLiveTraffic } from './support/projections-scenario.ts';
import { readRequests, type StoredRequest } from './support/stream.ts';

let tally: TestTally;
let app = { _id: '', key: '', timezone: '' };
let requests: StoredRequest[] = [];
let model: CountlyModel;
let stored: StoredAggregates;
let users: StoredUsers;
const storage = mkdtempSync(join(tmpdir(), 'countly-projections-'));

beforeAll(async () => {
  // Given: an app in a non-UTC zone, and every device in its own users shard.
  tally = await startTestTally();
  ({ app } = await adminAndApp(tally.url, { timezone: SCENARIO_TIMEZONE }));
  expect(app.timezone).toBe(SCENARIO_TIMEZONE);
  expect(new Set(SCENARIO_DEVICES.map(md5Shard)).size).toBe(SCENARIO_DEVICES.length);
  // When: the SDK traffic is stored and processed (each phase waits for the core checkpoints).
  await sendBackdatedTraffic(tally, app.key);
  await sendLiveTraffic(tally, app.key, `${storage}/`);
  // Then (read once): the model replays exactly what was stored, in stream order.
  requests = await readRequests(tally.jsm, tally.config.streams);
  model = new CountlyModel(app.key, SCENARIO_TIMEZONE);
  for (const r of requests) model.apply(r);
  stored = await readStoredAggregates(tally.db, app._id, model.registry.keys());
  users = await readStoredUsers(tally.db, app._id);
}, 180_000);
afterAll(async () => {
  Countly.halt(true);
  await tally.destroy();
  rmSync(storage, { recursive: true, force: true });
});

/** App-user fields compared with the model: without the store's own fields, uids (checked apart), `lsid` and `data`. */
function comparable(doc: Document | undefined): Record<string, unknown> {
  const rest = Object.fromEntries(Object.entries(doc ?? {}).filter(([k]) => !['_s', '_g', 'uid', 'merged_uid', 'merge_history', 'lsid', 'data'].includes(k)));
  // Counters nothing wrote yet may be absent; zero is the same fact.
  return { ...rest, sd: doc?.sd ?? 0, tsd: doc?.tsd ?? 0, sc: doc?.sc ?? 0 };
}
const byDid = (m: ReadonlyMap<string, Document>): Record<string, unknown> =>
  Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([did, d]) => [did, comparable(d)]));
const strip = (d: Document): Document => Object.fromEntries(Object.entries(d).filter(([k]) => !['_id', '_s', '_g'].includes(k)));

describe('projection documents after real SDK traffic', () => {
  it('processed every request the scenario sent, none dead-lettered', async () => {
    expect(new Set(requests.map((r) => r.deviceId))).toEqual(new Set(SCENARIO_DEVICES));
    expect(requests.filter((r) => r.params.old_device_id !== undefined).map((r) => [r.params.old_device_id, r.deviceId])).toEqual([
      ['eve-old', 'eve-new'],
      ['live-1', 'live-2'],
    ]);
    const cps = await listCheckpoints(tally.db, 'core:v1:');
    expect(cps.reduce((s, c) => s + c.appliedEvents, 0)).toBe(requests.length);
    expect(cps.reduce((s, c) => s + c.deadLetters, 0)).toBe(0);
  });

  it('users, metric and event documents hold exactly the counters the model expects', () => {
    expect(asObject(stored.counters)).toEqual(asObject(model.aggregates.counters));
  });

  it('meta sets and the event registry are the ones the model expects', () => {
    expect([...stored.flags].sort()).toEqual([...model.aggregates.flags].sort());
    expect(registryObject(stored.registry)).toEqual(registryObject(model.registry));
  });

  it('each app user is the document the model expects; merged-away ids are gone', () => {
    expect(byDid(users.users)).toEqual(byDid(model.users));
    // `lsid` names the request that began the user's last session.
    const begins = new Set(requests.filter((r) => r.params.begin_session !== undefined).map((r) => r.id));
    const withSessions = [...users.users].filter(([did]) => Number(model.users.get(did)?.sc ?? 0) > 0);
    expect(withSessions.filter(([, doc]) => !begins.has(String(doc.lsid))).map(([did]) => did)).toEqual([]);
    expect(withSessions.length).toBeGreaterThan(0);
  });

  it('every user that ever existed has its own uid, merged-away ones included; merges are recorded under both uids', () => {
    // Tally hands out interleaved per-group uids (not Countly's dense sequence): distinct base-62 numbers.
    const docs = [...users.users.values()];
    const uids = [...docs.map((d) => String(d.uid)), ...docs.flatMap((d) => (d.merged_uid === undefined ? [] : [String(d.merged_uid)]))];
    expect(new Set(uids).size).toBe(model.stubs);
    expect(uids.filter((uid) => !/^[1-9a-zA-Z][0-9a-zA-Z]*$/.test(uid))).toEqual([]);
    const expected = model.merges.map((m) => {
      const survivor = users.users.get(m.survivorDid);
      return { _id: `${app._id}_${String(survivor?.uid)}_${String(survivor?.merged_uid)}`, merged_to: survivor?.uid, ts: m.ts, lu: m.lu, t: 0 };
    });
    expect(users.merges.map((d) => ({ ...strip(d), _id: d._id })).sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1))).toEqual(
      expected.sort((a, b) => (a._id < b._id ? -1 : 1)),
    );
  });

  it('metric changes of returning users are recorded with old and new values', () => {
    const didOf = new Map([...users.users].map(([did, d]) => [d.uid, did]));
    const modelDidOf = new Map([...model.users].map(([did, d]) => [d.uid, did]));
    const actual = users.metricChanges.map((d) => ({ ...strip(d), uid: didOf.get(d.uid) }));
    const expected = model.metricChanges.map((c) => ({ ...c.doc, uid: modelDidOf.get(c.doc.uid) }));
    const order = (a: Document, b: Document) => Number(a.ts) - Number(b.ts);
    expect(actual.sort(order)).toEqual(expected.sort(order));
  });
});

describe('rules checked by hand (spec §2.6–3.7, §6.4), which the model must also reproduce', () => {
  const counter = (key: string): number | undefined => stored.counters.get(key);

  it('sessions: local hours and days, cooldown extension, duration ranges, visibility', () => {
    expect({
      // andy begins 23:58:30 Oct 30 local (14:28 UTC): the local day and hour, not UTC's.
      newAt2358: counter('users|2024:10|d.30.23.n'),
      durationBeforeMidnight: counter('users|2024:10|d.30.23.d'),
      // Heartbeats at 00:00:30 (60) and 00:01:30 (10) and the end's 15 s fall on Oct 31, hour 0.
      durationAfterMidnight: counter('users|2024:10|d.31.0.d'),
      // bea's begin 10 s after its end extends the session: one session in hour 20.
      sessionsAt20: counter('users|2024:10|d.31.20.t'),
      // Closed on Oct 31: andy 145 s, bea 120 s (after the extension), eve-old 70 s → 61–180; bea's first 60 s → 31–60.
      ds3: counter('users|2024:10|d.31.ds.3'),
      ds2: counter('users|2024:10|d.31.ds.2'),
      // dora's end_session without a session: its shard never had one, so its `e` is not shown.
      doraRequests: counter('users|2024:10|d.31.8.e'),
    }).toEqual({ newAt2358: 1, durationBeforeMidnight: 60, durationAfterMidnight: 85, sessionsAt20: 1, ds3: 3, ds2: 1, doraRequests: undefined });
  });

  it('returning users: frequency, unique levels, country change, a new year', () => {
    expect({
      // andy back on Nov 1 09:00, 33 h after his first begin: frequency 24–48 h, a month unique, no week unique.
      andyFrequency: counter('users|2024:11|d.1.f.2'),
      // Oct 30 – Nov 3 are all in week ceil(304..308 / 7) = 44: six first sessions, the two returns add nothing.
      week44: counter('users|2024:0|d.w44.u'),
      // November uniques: andy's return, eve-new's and cleo's first sessions, eve-old as a brand-new user.
      november: counter('users|2024:0|d.11.u'),
      // cleo back from France on Jan 2, 2025: FR counted unique at every level once, no week unique
      // (last seen in another year), a year unique, frequency ≥ 360 h, the open 25 s session closed (11–30).
      cleoFranceDay: counter('users|2025:1|d.2.FR.u'),
      cleoFranceWeek: counter('users|2025:0|d.w1.FR.u'),
      cleoWeek: counter('users|2025:0|d.w1.u'),
      cleoYear: counter('users|2025:0|d.u'),
      cleoFrequency: counter('users|2025:1|d.2.f.10'),
      cleoClosed: counter('users|2025:1|d.2.ds.1'),
    }).toEqual({
      andyFrequency: 1,
      week44: 6,
      november: 4,
      cleoFranceDay: 1,
      cleoFranceWeek: 1,
      cleoWeek: undefined,
      cleoYear: 1,
      cleoFrequency: 1,
      cleoClosed: 1,
    });
  });

  it('metrics: normalised values, new vs changed vs unchanged values of a returning user', () => {
    expect({
      osVersion: counter('device_details|2024:10|d.30.a14:1.n'),
      appVersion: counter('device_details|2024:10|d.30.2:0.n'),
      carrier: counter('carriers|2024:10|d.30.Vodafone In.t'),
      language: counter('langs|2024:10|d.30.en.n'),
      iosType: counter('device_details|2024:10|d.31.mobile.n'),
      iosMaker: counter('devices|2024:10|d.31.Apple.n'),
      // andy's new app version on his return: unique, but not new.
      changedUnique: counter('device_details|2024:11|d.1.2:1.u'),
      changedNew: counter('device_details|2024:11|d.1.2:1.n'),
      // Unchanged OS version: day and month uniques, no week unique (same week 44).
      sameDay: counter('device_details|2024:11|d.1.a14:1.u'),
      sameMonth: counter('device_details|2024:0|d.11.a14:1.u'),
      sameWeek: counter('device_details|2024:0|d.w44.a14:1.u'),
      // bea's extended session carried a rotated resolution: stored on the user, not aggregated.
      extendedResolution: stored.flags.has('device_details|2024:0|meta_v2.resolutions.2556x1179'),
      beaResolution: users.users.get('bea')?.r,
    }).toEqual({
      osVersion: 1,
      appVersion: 1,
      carrier: 1,
      language: 1,
      iosType: 1,
      iosMaker: 1,
      changedUnique: 1,
      changedNew: undefined,
      sameDay: 1,
      sameMonth: 1,
      sameWeek: 1,
      extendedResolution: false,
      beaResolution: '2556x1179',
    });
  });

  it('events: count, sum and dur per hour and per segment value, cleaned keys and values', () => {
    expect({
      totalsAt23: ['c', 's', 'dur'].map((p) => counter(`events_data|purchase|no-segment|2024:10|d.30.23.${p}`)),
      proOct30: ['c', 's', 'dur'].map((p) => counter(`events_data|purchase|plan|2024:10|d.30.pro.${p}`)),
      proOct31: ['c', 's', 'dur'].map((p) => counter(`events_data|purchase|plan|2024:10|d.31.pro.${p}`)),
      dottedKeyAndValue: counter('events_data|purchase|storeid|2024:10|d.31.in:7.c'),
      dayLikeValue: counter('events_data|level_up|level|2024:11|d.1.[CLY]7.c'),
      internalKeys: [...stored.registry.keys()].filter((k) => k.startsWith('[CLY]_')),
    }).toEqual({ totalsAt23: [2, 12.5, 30], proOct30: [2, 12.5, 30], proOct31: [1, 7.25, undefined], dottedKeyAndValue: 1, dayLikeValue: 1, internalKeys: [] });
  });

  it('app users: custom-property operators, merges, a reborn id, an end without session', () => {
    const u = (did: string): Document => users.users.get(did) ?? {};
    expect(u('andy')).toMatchObject({
      name: 'Asha',
      byear: 1990,
      custom: { score: 4, points: 30, tags: ['b'], hist: ['x', 'x'], once: 'first' },
      av: '2:1',
      sc: 2,
    });
    expect(u('andy').custom).not.toHaveProperty('tier');
    // eve-new (seen later) keeps its data; eve-old's fills the gaps; counters add up; first seen is eve-old's.
    expect(u('eve-new')).toMatchObject({
      custom: { tier: 'bronze', color: 'red', level: 3 },
      name: 'Eve',
      d: 'Galaxy S24',
      sc: 3,
      tsd: 70 + 30 + 40,
      fs: local(10, 31, 12, 0),
      merged_did: 'eve-old',
      merges: 1,
    });
    expect(u('eve-old')).toMatchObject({ sc: 1, fs: local(11, 3, 10, 0), d: 'Galaxy S21' });
    expect(u('eve-old')).not.toHaveProperty('merged_did');
    expect(u('live-2')).toMatchObject({
      name: 'Lin',
      custom: { tier: 'gold', logins: 1, teams: ['core'] },
      merged_did: 'live-1',
      merges: 1,
      t: 0,
      hasInfo: true,
    });
    expect(u('cleo')).toMatchObject({ cc: 'FR', cty: 'Paris', hos: true, sc: 2 });
    expect(u('dora')).toMatchObject({ lest: local(10, 31, 8, 0) });
    expect(u('dora')).not.toHaveProperty('fs');
    expect(users.users.has('live-1')).toBe(false);
  });
});
