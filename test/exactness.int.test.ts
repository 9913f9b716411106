// Issue 14: numbers and labels a Countly client reads, for traffic sent by the real
// countly-sdk-nodejs (its bulk API for backdated and multi-device traffic, its main API for a
// live session) and by plain `/i` requests. Every expected value is derived here from the
// spec's rules (§2.4, §3.3, §3.8, §4.7, §4.8) and the requests sent, never from Tally's code.
// Two partition groups and eight partitions, so a users shard can be revealed by a device of
// another group. App timezone Atlantic/Reykjavik (UTC+0 all year): local days are UTC days.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Countly from 'countly-sdk-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../projections/index.ts';
import { adminApiKey, createApp, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { apiGet, at } from './support/api-client.ts';
import { md5Shard } from './support/countly-calendar.ts';
import { send } from './support/ingest-client.ts';
import { processedThroughHead } from './support/processed.ts';
import { rewindGroup } from './support/rewind.ts';
import { sendBulk } from './support/projections-scenario.ts';
import { readRequests, waitForRequests, type StoredRequest } from './support/stream.ts';
import { consumerName, eventsStreamName } from '../streams.config.ts';

const ZONE = 'Atlantic/Reykjavik';
const config = testConfig({ streams: { partitions: 8, partitionGroups: 2 } });
const groupOf = (device: string): number => partitionOf(device, config.streams.partitions) % config.streams.partitionGroups;
const POLL = { timeout: 30_000, interval: 200 };
const storage = mkdtempSync(join(tmpdir(), 'countly-exact-'));

let tally: TestTally;
let adminKey = '';

/** The first `<prefix>-<i>` that satisfies `ok`. */
function pick(prefix: string, ok: (id: string) => boolean): string {
  for (let i = 0; ; i++) if (ok(`${prefix}-${i}`)) return `${prefix}-${i}`;
}

// Devices by users shard (base64(md5(device id))[0], §3.1): P alone in its shard; Q1 and Q2
// share a shard but sit in different partition groups; X alone in a third shard.
const P = pick('p', () => true);
const Q1 = pick('q', (id) => md5Shard(id) !== md5Shard(P));
const Q2 = pick('r', (id) => md5Shard(id) === md5Shard(Q1) && groupOf(id) !== groupOf(Q1));
const X = pick('x', (id) => ![md5Shard(P), md5Shard(Q1)].includes(md5Shard(id)));

/** October 2024, day and wall time in the app zone (UTC+0), as unix seconds. */
const oct = (day: number, hour: number, minute: number): number => Date.UTC(2024, 9, day, hour, minute) / 1000;
const OCTOBER = [Date.UTC(2024, 9, 1), Date.UTC(2024, 9, 31)] as const;

/** The October traffic, in order. */
const OCTOBER_REQUESTS: Record<string, unknown>[] = [
  { device_id: P, timestamp: oct(10, 10, 0) }, // plain: e, hidden until P's shard has a session
  { device_id: P, timestamp: oct(10, 10, 5), begin_session: 1 }, // new user: reveals the e above
  { device_id: P, timestamp: oct(10, 10, 10), session_duration: '0' }, // truthy but ignored: nothing, not even e
  { device_id: P, timestamp: oct(10, 10, 20), end_session: 1, session_duration: 30 }, // e, d += 30, closes: ds bucket 1
  { device_id: Q1, timestamp: oct(11, 9, 0), events: [{ key: 'tap', count: 1 }] }, // plain, hidden
  { device_id: Q2, timestamp: oct(11, 12, 0), begin_session: 1 }, // same shard, other group: reveals Q1's e
  { device_id: X, timestamp: oct(12, 8, 0), end_session: 1 }, // a shard without a session: never shown
];

/** JavaScript truthiness, which Countly applies to the raw parameters (`"0"` is truthy, `0` is not). */
const truthy = (v: unknown): boolean => !(v === undefined || v === null || v === false || v === 0 || v === '' || Number.isNaN(v));

/**
 * §3.3 per request (every begin here starts a new session): begin → e; a duration that parses to
 * non-zero → e (and d); a request with neither begin nor a truthy duration → e.
 */
function eOf(params: Readonly<Record<string, unknown>>): number {
  const begin = truthy(params.begin_session);
  const durationGiven = truthy(params.session_duration);
  const raw = params.session_duration;
  const duration = typeof raw === 'string' || typeof raw === 'number' ? Number.parseInt(String(raw), 10) : Number.NaN;
  return (begin ? 1 : 0) + (durationGiven && duration ? 1 : 0) + (!begin && !durationGiven ? 1 : 0);
}

/** Every stored request of a test instance, in stream order. */
const readRequestsOf = (t: TestTally): Promise<StoredRequest[]> => readRequests(t.jsm, t.config.streams);

const o = (appId: string, params: Record<string, unknown>) => apiGet(tally.url, '/o', { api_key: adminKey, app_id: appId, ...params });
const analytics = (appId: string, path: string, params: Record<string, unknown> = {}) =>
  apiGet(tally.url, `/o/analytics/${path}`, { api_key: adminKey, app_id: appId, ...params });

const apps: Record<'bulk' | 'single' | 'live' | 'recent', { _id: string; key: string }> = {
  bulk: { _id: '', key: '' },
  single: { _id: '', key: '' },
  live: { _id: '', key: '' },
  recent: { _id: '', key: '' },
};

beforeAll(async () => {
  tally = await startTestTally({ config });
  adminKey = await adminApiKey(tally.url);
  for (const name of Object.keys(apps) as (keyof typeof apps)[]) apps[name] = await createApp(tally.url, adminKey, { name, timezone: ZONE, country: 'TR' });
  // The October traffic twice: through the SDK's bulk API, and request by request through `/i`.
  await sendBulk(tally, apps.bulk.key, (s) => OCTOBER_REQUESTS.reduce((script, params) => script.request(params), s));
  for (const params of OCTOBER_REQUESTS) expect((await send(tally.url, { query: { app_key: apps.single.key, ...params } })).status).toBe(200);
  await processedThroughHead(tally);
});
afterAll(async () => {
  Countly.halt(true);
  await tally.destroy();
  rmSync(storage, { recursive: true, force: true });
});

describe('1. e and the visibility rule: store, then reveal (§3.3, §3.8)', () => {
  it('the devices sit where the scenario needs them', () => {
    expect([md5Shard(Q1) === md5Shard(Q2), groupOf(Q1) !== groupOf(Q2), md5Shard(X) !== md5Shard(P)]).toEqual([true, true, true]);
  });

  it('/o?method=sessions shows e stored before a shard first had a session, and nothing of a shard that never had one', async () => {
    const period = JSON.stringify(OCTOBER);
    await expect.poll(async () => at((await o(apps.bulk._id, { method: 'sessions', period })).body, '2024', '10', 'e'), POLL).toBe(5);
    const { body } = await o(apps.bulk._id, { method: 'sessions', period });
    // Day 10 (P): plain 1 + begin 1 + duration 0 + end with 30 s 1 = 3 requests served, all in hour 10.
    expect(at(body, '2024', '10', '10')).toMatchObject({ e: 3, t: 1, n: 1, u: 1, d: 30, ds: { 1: 1 }, 10: { e: 3, t: 1, n: 1, u: 1, d: 30 } });
    // Day 11: Q1's plain request (hour 9) shows because Q2, another group's device of its shard, began a session.
    expect(at(body, '2024', '10', '11', '9')).toEqual({ e: 1 });
    expect(at(body, '2024', '10', '11')).toMatchObject({ e: 2, t: 1, n: 1, u: 1, 12: { e: 1, t: 1, n: 1, u: 1 } });
    // Day 12: X's end_session sits in a shard without a session this month.
    expect(at(body, '2024', '10', '12')).toBeUndefined();
    expect(at(body, '2024', '10')).toMatchObject({ e: 5, t: 2, n: 2, d: 30 });
    expect(OCTOBER_REQUESTS.filter((r) => r.device_id !== X).reduce((acc, r) => acc + eOf(r), 0)).toBe(5);
  });

  it('a request inside /i/bulk counts exactly like the same request sent alone', async () => {
    const period = JSON.stringify(OCTOBER);
    await expect.poll(async () => at((await o(apps.single._id, { method: 'sessions', period })).body, '2024', '10', 'e'), POLL).toBe(5);
    const bulk = (await o(apps.bulk._id, { method: 'sessions', period })).body;
    expect((await o(apps.single._id, { method: 'sessions', period })).body).toEqual(bulk);
  });

  it('the dashboard over October: avg_requests = e / u = 5 / 2, under the key "from,to", an estimate (§4.8)', async () => {
    const { body } = await analytics(apps.bulk._id, 'dashboard', { period: JSON.stringify(OCTOBER) });
    expect(Object.keys(body ?? {})).toEqual([`${OCTOBER[0]},${OCTOBER[1]}`]);
    const dash = at(body, `${OCTOBER[0]},${OCTOBER[1]}`, 'dashboard');
    expect(at(dash, 'avg_requests', 'total')).toBe('2.5');
    expect(at(dash, 'total_users')).toEqual({ total: 2, change: 'NA', trend: 'u', is_estimate: true });
  });
});

describe('1, 3, 4. a live session through the main SDK API', () => {
  it('a plain request before begin_session counts in e; today is exact, 30days and 7days are estimates', async () => {
    // 1. Not across midnight: "today" must stay the day the requests were sent.
    const msToMidnight = 86_400_000 - (Date.now() % 86_400_000);
    if (msToMidnight < 120_000) await new Promise((r) => setTimeout(r, msToMidnight + 1_000));
    // 2. An event first (a plain request), then a session of 40 s.
    Countly.init({ app_key: apps.live.key, url: tally.url, device_id: 'solo', storage_path: `${storage}/`, interval: 50, fail_timeout: 1 });
    Countly.add_event({ key: 'opened', count: 1 });
    const ofSolo = (rs: StoredRequest[]) => rs.filter((r) => r.appId === apps.live._id);
    await waitForRequests(tally.jsm, tally.config.streams, (rs) => ofSolo(rs).length > 0, 30_000);
    Countly.begin_session(true);
    Countly.end_session(40);
    const all = await waitForRequests(tally.jsm, tally.config.streams, (rs) => ofSolo(rs).some((r) => r.params.end_session === '1'), 30_000);
    const solo = ofSolo(all);
    expect(solo[0]?.params.begin_session).toBeUndefined();
    // 3. Expected from the stored requests (§3.3); the device's shard has a session today, so all of it shows.
    const e = solo.reduce((acc, r) => acc + eOf(r.params), 0);
    expect(e).toBeGreaterThanOrEqual(3);
    const dashboardOf = async (key: string) => at((await analytics(apps.live._id, 'dashboard')).body, key, 'dashboard');
    await expect.poll(async () => at(await dashboardOf('today'), 'avg_requests', 'total'), POLL).toBe(e.toFixed(1));
    expect(at(await dashboardOf('today'), 'total_users')).toEqual({ total: 1, change: 'NA', trend: 'u', is_estimate: false });
    for (const key of ['30days', '7days']) {
      expect(at(await dashboardOf(key), 'total_users')).toEqual({ total: 1, change: 'NA', trend: 'u', is_estimate: true });
      expect(at(await dashboardOf(key), 'avg_requests', 'total')).toBe(e.toFixed(1));
    }
    // 4. A non-default named period is keyed by its name.
    expect(Object.keys((await analytics(apps.live._id, 'dashboard', { period: '7days' })).body ?? {})).toEqual(['7days']);
  });
});

describe('5, 6. countries and total_users over recent traffic (bulk API)', () => {
  beforeAll(async () => {
    const now = Math.floor(Date.now() / 1000);
    // U: app 1.0 from Turkey, then 2.0 a while later (a metric change on a session start, §2.17);
    // V: app 1.0 from Czechia.
    await sendBulk(tally, apps.recent.key, (s) => {
      s.user('u', { country_code: 'TR' });
      s.user('v', { country_code: 'CZ' });
      return s
        .session('u', { metrics: { _app_version: '1.0', _os: 'Android' }, seconds: 60, atS: now - 7_200 })
        .session('v', { metrics: { _app_version: '1.0', _os: 'Android' }, seconds: 60, atS: now - 3_600 })
        .session('u', { metrics: { _app_version: '2.0', _os: 'Android' }, seconds: 0, atS: now - 600 });
    });
  });

  it("/o/analytics/countries names countries from Countly's table (Turkey, Czech Republic)", async () => {
    const rows = (await analytics(apps.recent._id, 'countries')).body;
    const last30 = at(rows, '30days');
    const sorted = Array.isArray(last30) ? [...last30].sort((a, b) => String(at(a, 'code')).localeCompare(String(at(b, 'code')))) : last30;
    expect(sorted).toEqual([
      { country: 'Czech Republic', code: 'cz', t: 1, u: 1, n: 1 },
      { country: 'Turkey', code: 'tr', t: 2, u: 1, n: 1 },
    ]);
  });

  it('total_users for app_versions: the old value of a change in the period gains the user who changed (§4.7)', async () => {
    // Current values: U on 2:0, V on 1:0; U changed from 1:0 in the period, so 1:0 counts U too.
    const { body } = await o(apps.recent._id, { method: 'total_users', metric: 'app_versions', period: '30days' });
    const rows = Array.isArray(body) ? [...body].sort((a, b) => String(at(a, '_id')).localeCompare(String(at(b, '_id')))) : body;
    expect(rows).toEqual([
      { _id: '1:0', u: 2 },
      { _id: '2:0', u: 1 },
    ]);
    expect((await o(apps.recent._id, { method: 'total_users', metric: 'os', period: '30days' })).body).toEqual([{ _id: 'Android', u: 2 }]);
    expect((await o(apps.recent._id, { method: 'total_users', period: '30days' })).body).toEqual([{ _id: 'users', u: 2 }]);
  });
});

describe('2. uids with one partition group: 1, 2, 3, ... in first-seen order, base 62, restarted by a reset (§2.4)', () => {
  const oneGroup = testConfig({ streams: { partitionGroups: 1 } });
  let single: TestTally;
  let app = { _id: '', key: '' };
  const uidsOf = async (): Promise<Record<string, string>> => {
    const docs = await single.db.collection(`app_users${app._id}_v1`).find({}).toArray();
    return Object.fromEntries(docs.map((d) => [String(d.did), String(d.uid)]));
  };
  /** Countly's base 62 (§2.4): 0-9, a-z, A-Z. */
  const base62 = (n: number): string => {
    const digits = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let out = '';
    for (let v = n; v > 0; v = Math.floor(v / 62)) out = digits.charAt(v % 62) + out;
    return out;
  };
  /** Expected uids: each device numbered by when the stream first saw it after `afterSeq`, from `first`. */
  const firstSeen = (requests: readonly StoredRequest[], afterSeq: number, first: number): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const r of requests)
      if (r.appId === app._id && r.seq > afterSeq && out[r.deviceId] === undefined) out[r.deviceId] = base62(first + Object.keys(out).length);
    return out;
  };

  beforeAll(async () => {
    single = await startTestTally({ config: oneGroup });
    const key = await adminApiKey(single.url);
    app = await createApp(single.url, key, { name: 'uids', timezone: ZONE });
    adminKeyOne = key;
  });
  afterAll(async () => {
    await single.destroy();
  });
  let adminKeyOne = '';

  it('numbers devices densely in first-seen order, restarts at 1 after a reset, and redelivery changes nothing', async () => {
    // 1. Twelve devices through the bulk API, then one more alone: uids 1 … 9, a, b, c, d.
    const at0 = Math.floor(Date.now() / 1000) - 3_600;
    await sendBulk(single, app.key, (s) =>
      Array.from({ length: 12 }, (_, i) => i).reduce((script, i) => script.request({ device_id: `n-${i + 1}`, begin_session: 1, timestamp: at0 + i }), s),
    );
    expect((await send(single.url, { query: { app_key: app.key, device_id: 'alone', timestamp: at0 + 20 } })).status).toBe(200);
    await processedThroughHead(single);
    const before = await readRequestsOf(single);
    const expected = firstSeen(before, 0, 1);
    expect(Object.values(expected).slice(8, 13)).toEqual(['9', 'a', 'b', 'c', 'd']);
    expect(await uidsOf()).toEqual(expected);

    // 2. A reset returns the sequence to 0: the next device seen gets "1".
    const reset = await apiGet(single.url, '/i/apps/reset', { api_key: adminKeyOne, args: JSON.stringify({ app_id: app._id, period: 'reset' }) });
    expect(reset.status).toBe(200);
    await processedThroughHead(single);
    const resetAt = (await readRequestsOf(single)).reduce((max, r) => Math.max(max, r.seq), 0);
    await sendBulk(single, app.key, (s) =>
      s.request({ device_id: 'after-1', begin_session: 1, timestamp: at0 + 30 }).request({ device_id: 'n-1', timestamp: at0 + 31 }),
    );
    expect(await uidsOf()).toEqual({ 'after-1': '1', 'n-1': '2' });

    // 3. Every message delivered again from sequence 1: the uids stay what they were.
    await rewindGroup(single.jsm, eventsStreamName(oneGroup.streams), consumerName(oneGroup.streams, 'core_v1', 0), 1);
    expect((await send(single.url, { query: { app_key: app.key, device_id: 'late', timestamp: at0 + 40 } })).status).toBe(200);
    await processedThroughHead(single);
    expect(await uidsOf()).toEqual({ ...firstSeen(await readRequestsOf(single), resetAt, 1), late: '3' });
  });
});
