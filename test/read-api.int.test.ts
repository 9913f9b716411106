// End to end: known traffic sent by the real countly-sdk-nodejs (requests backdated to October
// 2024 through its bulk API, and a live session today), processed by the in-process processors, read back through `/o` and
// `/o/analytics`. Every expected value below is derived by hand from the spec (§3.3–3.7,
// §4.5–4.8), not from Tally's folds. App timezone Asia/Tokyo (UTC+9, no DST): local days and
// hours differ from UTC ones, so a reader or writer working in UTC would fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Countly from 'countly-sdk-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAndApp, apiGet } from './support/api-client.ts';
import { startTestTally, type TestTally } from './support/harness.ts';
import { sendBulk } from './support/projections-scenario.ts';
import { waitForRequests, type StoredRequest } from './support/stream.ts';

let tally: TestTally;
let adminKey = '';
let app = { _id: '', key: '', timezone: '' };
const storage = mkdtempSync(join(tmpdir(), 'countly-read-'));

/** A JST wall time as unix seconds. */
const jst = (day: number, hour: number, minute: number, second = 0): number => Date.UTC(2024, 9, day, hour - 9, minute, second) / 1000;
/** October 2024 as a `[from, to]` period (UTC days, spec §4.4). */
const OCTOBER = JSON.stringify([Date.UTC(2024, 9, 1), Date.UTC(2024, 9, 31)]);
const B_METRICS = {
  _os: 'Android',
  _os_version: '14',
  _device: 'Pixel',
  _device_type: 'mobile',
  _app_version: '1.0',
  _carrier: 'vodafone',
  _resolution: '1080x2400',
};
const C_METRICS = {
  _os: 'iOS',
  _os_version: '17.1',
  _device: 'iPhone',
  _device_type: 'mobile',
  _app_version: '1.1',
  _carrier: 'vodafone',
  _resolution: '1170x2532',
};

/** The backdated traffic: device B new on the 15th and back on the 17th (46.5 h later), device C new on the 17th. */
const BACKDATED: Record<string, unknown>[] = [
  {
    device_id: 'B',
    timestamp: jst(15, 10, 0),
    begin_session: 1,
    metrics: B_METRICS,
    events: [{ key: 'purchase', count: 2, sum: 10, segmentation: { plan: 'pro' } }],
  },
  { device_id: 'B', timestamp: jst(15, 10, 1), end_session: 1, session_duration: 60 },
  {
    device_id: 'B',
    timestamp: jst(17, 8, 30),
    begin_session: 1,
    metrics: B_METRICS,
    events: [
      { key: 'purchase', count: 1, sum: 5, dur: 3, segmentation: { plan: 'basic' } },
      { key: 'login', count: 1 },
    ],
  },
  { device_id: 'B', timestamp: jst(17, 8, 32), end_session: 1, session_duration: 120 },
  {
    device_id: 'C',
    timestamp: jst(17, 21, 0),
    begin_session: 1,
    metrics: C_METRICS,
    events: [{ key: 'purchase', count: 3, sum: 15, segmentation: { plan: 'pro' } }],
  },
  { device_id: 'C', timestamp: jst(17, 21, 0, 30), end_session: 1, session_duration: 30 },
];

const o = (params: Record<string, unknown>) => apiGet(tally.url, '/o', { api_key: adminKey, app_id: app._id, ...params });
const analytics = (path: string, params: Record<string, unknown> = {}) =>
  apiGet(tally.url, `/o/analytics/${path}`, { api_key: adminKey, app_id: app._id, ...params });
const sorted = (meta: unknown): Record<string, string[]> =>
  Object.fromEntries(Object.entries(meta ?? {}).map(([k, v]) => [k, [...(Array.isArray(v) ? v : [])].map(String).sort()]));

const POLL = { timeout: 30_000, interval: 200 };
/** The body without `meta` (compared separately, sorted: list order is not part of the contract). */
const withoutMeta = (body: unknown): unknown =>
  typeof body === 'object' && body !== null ? Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'meta')) : body;

const at = (body: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null && key in node ? Object.getOwnPropertyDescriptor(node, key)?.value : undefined),
    body,
  );

beforeAll(async () => {
  tally = await startTestTally();
  ({ adminKey, app } = await adminAndApp(tally.url, { timezone: 'Asia/Tokyo', country: 'JP' }));
  // The backdated days go through the real SDK (its bulk API, the way it sends explicit timestamps).
  await sendBulk(tally, app.key, (s) => BACKDATED.reduce((script, params) => script.request(params), s));
});
afterAll(async () => {
  Countly.halt(true);
  await tally.destroy();
  rmSync(storage, { recursive: true, force: true });
});

describe('users family (spec §3.3–3.5, §4.5)', () => {
  it('method=sessions: every day of October with hours, roll-ups, year-document uniques and meta', async () => {
    // Day 15: B new (begin: e,t,n,u,Unknown.*,f.0; end: e,d=60,ds.2). Day 17: B back after 46.5 h
    // (e,t,u day+hour, Unknown.t/u, f.2; end e,d=120,ds.3) and C new (…, f.0; end e,d=30,ds.1).
    const day15 = { e: 2, t: 1, n: 1, u: 1, d: 60, Unknown: { t: 1, n: 1, u: 1 }, f: { 0: 1 }, ds: { 2: 1 }, 10: { e: 2, t: 1, n: 1, u: 1, d: 60 } };
    const day17 = {
      e: 4,
      t: 2,
      n: 1,
      u: 2,
      d: 150,
      Unknown: { t: 2, n: 1, u: 2 },
      f: { 0: 1, 2: 1 },
      ds: { 1: 1, 3: 1 },
      8: { e: 2, t: 1, u: 1, d: 120 },
      21: { e: 2, t: 1, n: 1, u: 1, d: 30 },
    };
    // Year document: 2 unique users in the year, in October and in week ceil(289/7) = ceil(291/7) = 42
    // (B's return is in the same week and month, so no new week/month/year unique).
    const uniques = { u: 2, Unknown: { u: 2 }, f: { 0: 2, 2: 1 }, ds: { 1: 1, 2: 1, 3: 1 } };
    const rolled = { e: 6, t: 3, n: 2, d: 210, Unknown: { t: 3, n: 2, u: 2 } };
    await expect
      .poll(async () => withoutMeta((await o({ method: 'sessions', period: OCTOBER })).body), POLL)
      .toEqual({ 2024: { ...uniques, ...rolled, w42: uniques, 10: { ...uniques, ...rolled, 15: day15, 17: day17 } } });
    const { body } = await o({ method: 'sessions', period: OCTOBER });
    expect(sorted(at(body, 'meta'))).toEqual({ countries: ['Unknown'], 'f-ranges': ['0', '2'], 'd-ranges': ['1', '2', '3'] });
    expect((await o({ method: 'users', period: OCTOBER })).body).toEqual(body);
  });

  it('method=device_details: metric values per day, unique per level, with meta sets', async () => {
    const bValues = ['Android', 'a14', '1:0', '1080x2400'];
    const cValues = ['iOS', 'i17:1', '1:1', '1170x2532'];
    const each = (values: string[], v: object) => Object.fromEntries(values.map((k) => [k, v]));
    // B new on the 15th; back on the 17th with the same values (day unique only); C new on the 17th.
    const day15 = { ...each(bValues, { t: 1, n: 1, u: 1 }), mobile: { t: 1, n: 1, u: 1 } };
    const day17 = { ...each(bValues, { t: 1, u: 1 }), ...each(cValues, { t: 1, n: 1, u: 1 }), mobile: { t: 2, n: 1, u: 2 } };
    const year = { ...each(bValues, { u: 1 }), ...each(cValues, { u: 1 }), mobile: { u: 2 } };
    const rolled = { ...each(bValues, { t: 2, n: 1, u: 1 }), ...each(cValues, { t: 1, n: 1, u: 1 }), mobile: { t: 3, n: 2, u: 2 } };
    await expect
      .poll(async () => withoutMeta((await o({ method: 'device_details', period: OCTOBER })).body), POLL)
      .toEqual({ 2024: { ...rolled, w42: year, 10: { ...rolled, 15: day15, 17: day17 } } });
    const { body } = await o({ method: 'device_details', period: OCTOBER });
    expect(sorted(at(body, 'meta'))).toEqual({
      os: ['Android', 'iOS'],
      os_versions: ['a14', 'i17:1'],
      app_versions: ['1:0', '1:1'],
      resolutions: ['1080x2400', '1170x2532'],
      device_type: ['mobile'],
    });
  });
});

describe('what a period reads (§4.5)', () => {
  it('the default 30 days never sees October 2024; fullRange=true reads every document', async () => {
    expect(at((await o({ method: 'sessions' })).body, '2024')).toBeUndefined();
    expect(at((await o({ method: 'sessions', fullRange: 'true' })).body, '2024', '10', 't')).toBe(3);
    // October and the 31 days before it (31 Aug – 30 Sep), interleaved day by day as Countly lists them.
    expect(at((await o({ method: 'get_period_obj', period: OCTOBER })).body, 'reqMonthDbDateIds')).toEqual(['2024:10', '2024:8', '2024:9']);
  });
});

describe('events (spec §3.7, §4.6)', () => {
  const purchaseDays = { 15: { c: 2, s: 10, 10: { c: 2, s: 10 } }, 17: { c: 4, s: 20, dur: 3, 8: { c: 1, s: 5, dur: 3 }, 21: { c: 3, s: 15 } } };

  it('event=<key>: counts, sums and durations per day and hour, rolled up, with segment meta', async () => {
    await expect
      .poll(async () => withoutMeta((await o({ method: 'events', event: 'purchase', period: OCTOBER })).body), POLL)
      .toEqual({ 2024: { c: 6, s: 30, dur: 3, 10: { c: 6, s: 30, dur: 3, ...purchaseDays } } });
    const { body } = await o({ method: 'events', event: 'purchase', period: OCTOBER });
    expect(sorted(at(body, 'meta'))).toEqual({ segments: ['plan'], plan: ['basic', 'pro'] });
  });

  it('segmentation=<key>: data keyed by segment value, no hours', async () => {
    const totals = { pro: { c: 5, s: 25 }, basic: { c: 1, s: 5, dur: 3 } };
    const expected = { 2024: { ...totals, 10: { ...totals, 15: { pro: { c: 2, s: 10 } }, 17: { basic: { c: 1, s: 5, dur: 3 }, pro: { c: 3, s: 15 } } } } };
    await expect
      .poll(async () => withoutMeta((await o({ method: 'events', event: 'purchase', segmentation: 'plan', period: OCTOBER })).body), POLL)
      .toEqual(expected);
    const { body } = await o({ method: 'events', event: 'purchase', segmentation: 'plan', period: OCTOBER });
    expect(sorted(at(body, 'meta'))).toEqual({ segments: ['plan'], plan: ['basic', 'pro'] });
  });

  it('events=[...] sums the keys leaf by leaf; unknown keys read as {}', async () => {
    const day17 = { ...purchaseDays[17], c: 5, 8: { c: 2, s: 5, dur: 3 } };
    const expected = { 2024: { c: 7, s: 30, dur: 3, 10: { c: 7, s: 30, dur: 3, 15: purchaseDays[15], 17: day17 } } };
    await expect.poll(async () => withoutMeta((await o({ method: 'events', events: ['purchase', 'login'], period: OCTOBER })).body), POLL).toEqual(expected);
    expect((await o({ method: 'events', event: 'nope', period: OCTOBER })).body).toEqual({});
  });

  it('get_events: the registry in first-seen order with segments and limits', async () => {
    const { body } = await o({ method: 'get_events' });
    expect(body).toEqual({
      _id: app._id,
      list: ['purchase', 'login'],
      segments: { purchase: ['plan'] },
      limits: { event_limit: 500, event_segmentation_limit: 100, event_segmentation_value_limit: 1000 },
    });
  });
});

describe('analytics over the backdated month (spec §4.8)', () => {
  it('/o/analytics/sessions: one row per day of the period', async () => {
    const rows = Array.from({ length: 31 }, (_, i) => ({ _id: `2024-10-${i + 1}`, t: 0, n: 0, u: 0, d: 0, e: 0 }));
    rows[14] = { _id: '2024-10-15', t: 1, n: 1, u: 1, d: 60, e: 2 };
    rows[16] = { _id: '2024-10-17', t: 2, n: 1, u: 2, d: 150, e: 4 };
    await expect.poll(async () => (await analytics('sessions', { period: OCTOBER })).body, POLL).toEqual(rows);
  });

  it('/o/analytics/dashboard with a period: totals, estimate, labels and top bars', async () => {
    // The whole month is covered, so both unique covers read the month bucket: u = 2 (estimate).
    const na = { change: 'NA', trend: 'u' };
    await expect
      .poll(async () => (await analytics('dashboard', { period: OCTOBER })).body, POLL)
      .toEqual({
        // §4.8: a range sent as a JSON array is keyed by its two timestamps joined by a comma.
        [`${Date.UTC(2024, 9, 1)},${Date.UTC(2024, 9, 31)}`]: {
          dashboard: {
            total_sessions: { total: 3, ...na },
            total_users: { total: 2, ...na, is_estimate: true },
            new_users: { total: 2, ...na },
            total_time: { total: `${(210 / 60).toFixed(1)} min`, ...na },
            avg_time: { total: `${(210 / 60 / 3).toFixed(1)} min`, ...na },
            avg_requests: { total: (6 / 2).toFixed(1), ...na },
          },
          top: {
            platforms: [
              { name: 'Android', value: 2, percent: 66.7 },
              { name: 'iOS', value: 1, percent: 33.3 },
            ],
            resolutions: [
              { name: '1080x2400', value: 2, percent: 66.7 },
              { name: '1170x2532', value: 1, percent: 33.3 },
            ],
            carriers: [{ name: 'Vodafone', value: 3, percent: 100 }],
            users: [
              { name: '2024-10-17', value: 2, percent: 66.7 },
              { name: '2024-10-15', value: 1, percent: 33.3 },
              { name: '2024-10-1', value: 0, percent: 0 },
            ],
          },
          period: '1 Oct - 31 Oct',
        },
      });
  });
});

describe('today through the real countly-sdk-nodejs', () => {
  it('/o/analytics/dashboard and /o/analytics/sessions count the SDK session exactly', async () => {
    // 1. Not across midnight in the app zone: the expected "today" must stay today.
    const msToMidnight = 86_400_000 - ((Date.now() + 9 * 3_600_000) % 86_400_000);
    if (msToMidnight < 120_000) await new Promise((r) => setTimeout(r, msToMidnight + 1_000));
    // 2. One session: begin, an event, a 30 s heartbeat, an end after 45 s more.
    Countly.init({
      app_key: app.key,
      url: tally.url,
      device_id: 'sdk-1',
      storage_path: `${storage}/`,
      interval: 50,
      fail_timeout: 1,
      app_version: '3.0',
      metrics: { _os: 'Linux', _os_version: '6.1', _device: 'server', _carrier: 'test net', _resolution: '800x600' },
    });
    Countly.begin_session(true);
    Countly.add_event({ key: 'purchase', count: 1, sum: 2.5, segmentation: { plan: 'pro' } });
    Countly.session_duration(30);
    Countly.end_session(45);
    const all = await waitForRequests(tally.jsm, tally.config.streams, (rs) => rs.some((r) => r.deviceId === 'sdk-1' && r.params.end_session === '1'), 30_000);
    // 3. Expected from the stored requests (§3.3): begin → e; session_duration → e, d; other → e.
    const sdk = all.filter((r: StoredRequest) => r.deviceId === 'sdk-1');
    const seconds = (r: StoredRequest) => Number(r.params.session_duration ?? 0);
    const e = sdk.reduce(
      (acc, r) => acc + (r.params.begin_session === '1' ? 1 : 0) + (seconds(r) > 0 ? 1 : 0) + (r.params.begin_session !== '1' && seconds(r) <= 0 ? 1 : 0),
      0,
    );
    const d = sdk.reduce((acc, r) => acc + seconds(r), 0);
    expect(d).toBe(75);
    const na = { change: 'NA', trend: 'u' };
    const expected = {
      total_sessions: { total: 1, ...na },
      total_users: { total: 1, ...na, is_estimate: false },
      new_users: { total: 1, ...na },
      total_time: { total: `${(d / 60).toFixed(1)} min`, ...na },
      avg_time: { total: `${(d / 60).toFixed(1)} min`, ...na },
      avg_requests: { total: e.toFixed(1), ...na },
    };
    await expect.poll(async () => at((await analytics('dashboard')).body, 'today', 'dashboard'), POLL).toEqual(expected);
    await expect
      .poll(async () => at((await analytics('dashboard')).body, 'today', 'top', 'carriers'), POLL)
      .toEqual([{ name: 'Test Net', value: 1, percent: 100 }]);
    // The backdated traffic is two years old: 30days, 7days and today see only the SDK session.
    const { body } = await analytics('dashboard');
    for (const key of ['30days', '7days', 'today']) {
      // §4.8: the multi-day periods' unique count is of the estimated kind, even when exact.
      const isEstimate = key !== 'today';
      expect(at(body, key, 'dashboard')).toEqual({ ...expected, total_users: { ...expected.total_users, is_estimate: isEstimate } });
      expect(at(body, key, 'top', 'platforms')).toEqual([{ name: 'Linux', value: 1, percent: 100 }]);
      expect(at(body, key, 'top', 'carriers')).toEqual([{ name: 'Test Net', value: 1, percent: 100 }]);
    }
    const rows = (await analytics('sessions', { period: '7days' })).body;
    expect(Array.isArray(rows) ? rows.slice(0, 6).every((r) => at(r, 't') === 0) : false).toBe(true);
    expect(Array.isArray(rows) ? rows.at(-1) : undefined).toMatchObject({ t: 1, n: 1, u: 1, d, e });
  });
});
