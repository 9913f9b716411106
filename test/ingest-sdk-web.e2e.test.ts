// countly-sdk-web in headless Chromium: a page served from a tiny local server reports a session,
// a page view and a custom event to Tally (cross-origin, so CORS is exercised too), and the test
// finds them on the stream. The answer to the session start is lost once: the SDK re-sends it with
// a new `rr` (queue length), and it must still be stored once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, serveSdkSite, type SdkSite } from './support/chromium.ts';
import { startTestTally, type TestTally } from './support/harness.ts';
import { startLossyProxy, type LossyProxy } from './support/lossy-proxy.ts';
import { INGEST_ROLE, newApp, type TestApp } from './support/ingest-client.ts';
import { waitForRequests, type StoredRequest } from './support/stream.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let tally: TestTally;
let app: TestApp;
let site: SdkSite;
let proxy: LossyProxy;
let browser: BrowserContext | undefined;
const profile = mkdtempSync(join(tmpdir(), 'tally-chromium-'));
const sdkSource = readFileSync(createRequire(import.meta.url).resolve('countly-sdk-web/lib/countly.js'), 'utf8');

function page(appKey: string, tallyUrl: string): string {
  const conf = {
    app_key: appKey,
    url: tallyUrl,
    device_id: 'web-1',
    interval: 200,
    fail_timeout: 1,
    ignore_bots: false,
    app_version: '3.0',
    disable_sdk_behavior_settings_updates: true,
  };
  return `<!doctype html><html><head><title>Tally shop</title><script src="/countly.js"></script><script>
Countly.init(${JSON.stringify(conf)});
Countly.track_sessions();
Countly.track_pageview('/checkout');
Countly.add_event({ key: 'web_click', count: 1, segmentation: { button: 'buy', price: 9.5 } });
</script></head><body><h1>shop</h1></body></html>`;
}

beforeAll(async () => {
  tally = await startTestTally({ roles: INGEST_ROLE });
  app = await newApp(tally, { timezone: 'Europe/Paris', type: 'web' });
  proxy = await startLossyProxy(tally.url, (r) => r.body.includes('begin_session=1') && proxy.dropped.length === 0);
  site = await serveSdkSite(sdkSource, page(app.key, proxy.url));
});
afterAll(async () => {
  await browser?.close();
  await site.close();
  await proxy.close();
  await tally.destroy();
  rmSync(profile, { recursive: true, force: true });
});

const eventsOf = (rs: readonly StoredRequest[]): { key?: unknown; segmentation?: unknown }[] =>
  rs.flatMap((r) => (Array.isArray(r.params.events) ? r.params.events.filter((e): e is { key?: unknown } => typeof e === 'object' && e !== null) : []));

describe('countly-sdk-web in Chromium', () => {
  it('a page reports a session, a view and an event that land on the stream', async () => {
    // 1. Open the page in a fresh profile; the SDK starts reporting on load.
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const tab = await browser.newPage();
    await tab.goto(site.url);

    // 2. Wait for the session start and the custom event.
    const done = (rs: StoredRequest[]) => rs.some((r) => r.params.begin_session === '1') && eventsOf(rs).some((e) => e.key === 'web_click');
    const requests = await waitForRequests(tally.jsm, tally.config.streams, done, 30_000);

    // 3. Every request is the SDK's, for this app and device, from the browser's address.
    for (const r of requests) expect(r).toMatchObject({ appId: app._id, appTimezone: 'Europe/Paris', deviceId: 'web-1', ip: '127.0.0.1' });
    const begin = requests.find((r) => r.params.begin_session === '1');
    expect(begin?.params).toMatchObject({ sdk_name: 'javascript_native_web', metrics: expect.objectContaining({ _app_version: '3.0' }) as unknown });
    expect(eventsOf(requests)).toContainEqual(expect.objectContaining({ key: 'web_click', segmentation: { button: 'buy', price: 9.5 } }));
    expect(eventsOf(requests)).toContainEqual(
      expect.objectContaining({ key: '[CLY]_view', segmentation: expect.objectContaining({ name: '/checkout' }) as unknown }),
    );
    expect(new Set(requests.map((r) => r.id)).size).toBe(requests.length);
    // The lost answer was retried (with another rr) and answered as a duplicate: stored once.
    expect(proxy.dropped).toHaveLength(1);
    expect(requests.filter((r) => r.params.begin_session === '1')).toHaveLength(1);
    await expect.poll(() => tally.http.ingestMetrics!.outcomes.get('duplicate'), { timeout: 10_000 }).toBe(1);
    // What a well-behaved SDK sends is accepted whole: nothing dropped, nothing rewritten.
    expect(tally.logs.lines.filter((l) => l.msg === 'request partly dropped')).toEqual([]);
  });
});
