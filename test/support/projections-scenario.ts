// The traffic of test/projections-sdk.e2e.test.ts, sent with the real countly-sdk-nodejs: backdated
// sessions, events and profiles for six device ids through the SDK's bulk API, then live traffic
// through its main API ending in a device-id change with merge. Each phase is stored and processed
// before the next, as an app's requests would be: a merge reads the old device's user, which
// another consumer group may own.
import Countly from 'countly-sdk-nodejs';
import { wallClockS } from './countly-calendar.ts';
import type { TestTally } from './harness.ts';
import { processedThroughHead } from './processed.ts';
import { BulkScript } from './sdk-bulk-script.ts';
import { readRequests, waitForRequests, type StoredRequest } from './stream.ts';

/** UTC+09:30 without DST: local hours and days differ from UTC ones by a non-whole hour. */
export const SCENARIO_TIMEZONE = 'Australia/Darwin';
/** Unix seconds of a Darwin wall-clock time (2024 unless given). */
export const local = (mo: number, d: number, h: number, mi: number, s = 0, y = 2024): number => wallClockS(570, y, mo, d, h, mi, s);
export const SCENARIO_DEVICES = ['andy', 'bea', 'cleo', 'dora', 'eve-old', 'eve-new', 'live-1', 'live-2'] as const;

const ANDY = {
  _os: 'Android',
  _os_version: '14.1',
  _device: 'Pixel 8',
  _app_version: '2',
  _carrier: 'vodafone in',
  _resolution: '1080x2400',
  _locale: 'en_IN',
};
const BEA = { _os: 'iOS', _os_version: '17.4.1', _device: 'iPhone15,2', _app_version: '1.5.0', _carrier: 'airtel', _resolution: '1179x2556' };
const CLEO = { _os: 'Windows', _os_version: '10', _device: 'Desktop', _app_version: '3.1', _resolution: '1920x1080' };
const EVE_OLD = { _os: 'Android', _os_version: '13', _device: 'Galaxy S21', _app_version: '2', _resolution: '1080x2400' };
const EVE_NEW = { _os: 'Android', _os_version: '14', _device: 'Galaxy S24', _app_version: '2.2', _resolution: '1080x2340' };
const LIVE = { _os: 'Linux', _os_version: '6.8.0', _device: 'server', _carrier: 'test net', _resolution: '800x600' };

const andy = (s: BulkScript): BulkScript =>
  s
    // New at 23:58:30 on Oct 30; heartbeats across midnight; back 33 h later with a new app version.
    .session('andy', { metrics: ANDY, seconds: 130, atS: local(10, 30, 23, 58, 30) })
    .request({ device_id: 'andy', end_session: 1, session_duration: 15, timestamp: local(10, 31, 0, 1, 45) })
    .session('andy', { metrics: { ...ANDY, _app_version: '2.1' }, seconds: 200, atS: local(11, 1, 9, 0) })
    .request({ device_id: 'andy', end_session: 1, timestamp: local(11, 1, 9, 5) })
    .events('andy', [
      { key: 'purchase', count: 2, sum: 12.5, dur: 30, segmentation: { plan: 'pro', method: 'card' }, timestamp: local(10, 30, 23, 59) * 1000 },
      { key: 'purchase', count: 1, sum: 5, segmentation: { plan: 'basic', 'store.id': 'in.7' }, timestamp: local(10, 31, 10, 15) * 1000 },
      { key: 'level_up', segmentation: { level: 7 }, timestamp: local(11, 1, 9, 2) * 1000 },
      { key: '[CLY]_view', segmentation: { name: 'home' }, timestamp: local(11, 1, 9, 3) * 1000 },
    ])
    .details('andy', { name: 'Asha', email: 'asha@example.com', byear: 1990, custom: { tier: 'gold', score: 10 } })
    .custom('andy', (u) => u.custom_increment_by('points', 10).custom_push_unique('tags', 'a').custom_push('hist', 'x'))
    .custom('andy', (u) => u.custom_multiply('points', 3).custom_max('score', 8).custom_push_unique('tags', 'b').custom_push('hist', 'x'))
    .custom('andy', (u) => u.custom_min('score', 4).custom_pull('tags', 'a').custom_unset('tier').custom_set_once('once', 'first'))
    .custom('andy', (u) => u.custom_set_once('once', 'second'));

const beaCleoDora = (s: BulkScript): BulkScript =>
  s
    // bea: a session ended, a begin 10 s later (cooldown: the session goes on, its metrics are not counted), a second end.
    .session('bea', { metrics: BEA, seconds: 45, atS: local(10, 31, 20, 0) })
    .request({ device_id: 'bea', end_session: 1, session_duration: 15, timestamp: local(10, 31, 20, 1, 20) })
    .request({ device_id: 'bea', begin_session: 1, metrics: { ...BEA, _resolution: '2556x1179' }, timestamp: local(10, 31, 20, 1, 30) })
    .request({ device_id: 'bea', session_duration: 100, timestamp: local(10, 31, 20, 3, 10) })
    .request({ device_id: 'bea', end_session: 1, session_duration: 20, timestamp: local(10, 31, 20, 5) })
    .events('bea', [
      { key: 'search', count: 3, timestamp: local(10, 31, 20, 0, 30) * 1000 },
      { key: 'purchase', count: 1, sum: 7.25, segmentation: { plan: 'pro', method: 'upi' }, timestamp: local(10, 31, 20, 2) * 1000 },
    ])
    // cleo: new in Germany on Nov 1 and never ends; back from France on Jan 2, 2025.
    .session('cleo', { metrics: CLEO, seconds: 25, atS: local(11, 1, 22, 0) })
    .request({ device_id: 'cleo', begin_session: 1, country_code: 'FR', city: 'Paris', metrics: CLEO, timestamp: local(1, 2, 10, 0, 0, 2025) })
    // dora: an end_session without any session.
    .request({ device_id: 'dora', end_session: 1, timestamp: local(10, 31, 8, 0) });

const eves = (s: BulkScript): BulkScript =>
  s
    .session('eve-old', { metrics: EVE_OLD, seconds: 70, atS: local(10, 31, 12, 0) })
    .request({ device_id: 'eve-old', end_session: 1, timestamp: local(10, 31, 12, 2, 30) })
    .details('eve-old', { name: 'Eve', custom: { tier: 'silver', level: 3 } })
    .session('eve-new', { metrics: EVE_NEW, seconds: 30, atS: local(11, 1, 8, 0) })
    .request({ device_id: 'eve-new', end_session: 1, timestamp: local(11, 1, 8, 1, 30) })
    .details('eve-new', { custom: { tier: 'bronze', color: 'red' } });

/** Sends what `fill` queues through the SDK's bulk API, then waits until all of it is stored and processed. */
export async function sendBulk(tally: TestTally, appKey: string, fill: (s: BulkScript) => BulkScript): Promise<void> {
  const before = (await readRequests(tally.jsm, tally.config.streams)).length;
  const script = fill(new BulkScript(appKey, tally.url));
  script.start();
  try {
    await waitForRequests(tally.jsm, tally.config.streams, (rs) => rs.length === before + script.requests, 30_000);
  } finally {
    script.stop();
  }
  await processedThroughHead(tally);
}

/** The backdated phases: everyone's first traffic; eve-old merged into eve-new; eve-old again (a brand-new user). */
export async function sendBackdatedTraffic(tally: TestTally, appKey: string): Promise<void> {
  await sendBulk(tally, appKey, (s) => eves(beaCleoDora(andy(s))));
  await sendBulk(tally, appKey, (s) =>
    s
      .request({ device_id: 'eve-new', old_device_id: 'eve-old', timestamp: local(11, 2, 9, 0) })
      .session('eve-new', { metrics: EVE_NEW, seconds: 0, atS: local(11, 2, 18, 0) })
      .request({ device_id: 'eve-new', end_session: 1, session_duration: 40, timestamp: local(11, 2, 18, 0, 40) }),
  );
  await sendBulk(tally, appKey, (s) => s.session('eve-old', { metrics: EVE_OLD, seconds: 0, atS: local(11, 3, 10, 0) }));
}

const ofDevice = (rs: readonly StoredRequest[], did: string): StoredRequest[] => rs.filter((r) => r.deviceId === did);

/** Live traffic now, through the main API: a session of live-1, then `change_id('live-2', merge)` and a session of live-2. */
export async function sendLiveTraffic(tally: TestTally, appKey: string, storagePath: string): Promise<void> {
  Countly.init({
    app_key: appKey,
    url: tally.url,
    device_id: 'live-1',
    storage_path: storagePath,
    interval: 50,
    fail_timeout: 1,
    app_version: '3',
    metrics: LIVE,
  });
  Countly.begin_session(true);
  Countly.add_event({ key: 'purchase', count: 1, sum: 2.5, segmentation: { plan: 'pro' } });
  Countly.user_details({ name: 'Lin', custom: { tier: 'gold' } });
  Countly.userData.increment('logins');
  Countly.userData.push_unique('teams', 'core');
  Countly.userData.save();
  Countly.session_duration(30);
  Countly.end_session(45);
  // The SDK moves queued events into its request queue on its next beat: wait for both.
  await waitForRequests(
    tally.jsm,
    tally.config.streams,
    (rs) => ofDevice(rs, 'live-1').some((r) => r.params.end_session === '1') && ofDevice(rs, 'live-1').some((r) => Array.isArray(r.params.events)),
    30_000,
  );
  await processedThroughHead(tally);
  Countly.change_id('live-2', true);
  Countly.begin_session(true);
  Countly.end_session(20);
  await waitForRequests(tally.jsm, tally.config.streams, (rs) => ofDevice(rs, 'live-2').some((r) => r.params.end_session === '1'), 30_000);
  await processedThroughHead(tally);
}
