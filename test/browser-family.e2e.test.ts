// The browser family from a real web session (spec §2.7, browser plugin): countly-sdk-web in
// headless Chromium starts a session on a web app; the processors fold it and `method=browser`
// shows the browser and version that the page's own user agent names.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAndApp, apiGet, at } from './support/api-client.ts';
import { CHROMIUM, serveSdkSite, type SdkSite } from './support/chromium.ts';
import { startTestTally, type TestTally } from './support/harness.ts';
import { processedThroughHead } from './support/processed.ts';
import { waitForRequests } from './support/stream.ts';

let tally: TestTally;
let adminKey = '';
let app = { _id: '', key: '', timezone: '' };
let site: SdkSite;
let browser: BrowserContext | undefined;
const profile = mkdtempSync(join(tmpdir(), 'tally-chromium-'));
const sdkSource = readFileSync(createRequire(import.meta.url).resolve('countly-sdk-web/lib/countly.js'), 'utf8');

const page = (appKey: string, tallyUrl: string): string => `<!doctype html><html><head><script src="/countly.js"></script><script>
Countly.init(${JSON.stringify({ app_key: appKey, url: tallyUrl, device_id: 'web-browser-1', interval: 200, ignore_bots: false, disable_sdk_behavior_settings_updates: true })});
Countly.track_sessions();
</script></head><body>browser</body></html>`;

beforeAll(async () => {
  tally = await startTestTally();
  ({ adminKey, app } = await adminAndApp(tally.url, { type: 'web' }));
  site = await serveSdkSite(sdkSource, page(app.key, tally.url));
});
afterAll(async () => {
  await browser?.close();
  await site.close();
  await tally.destroy();
  rmSync(profile, { recursive: true, force: true });
});

describe('browser family from a web SDK session', () => {
  it('method=browser shows the browser and version of the page', async () => {
    // 1. A fresh profile opens the page; the SDK starts a session.
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await tab.goto(site.url);
    const requests = await waitForRequests(tally.jsm, tally.config.streams, (rs) => rs.some((r) => r.params.begin_session === '1'), 30_000);
    await processedThroughHead(tally);

    // 2. The expected browser: what the SDK reported (from client hints), else what the page's
    //    user agent names (Chromium says `Chrome/<version>`, headless `HeadlessChrome/<version>`).
    const sent = requests.find((r) => r.params.begin_session === '1')?.params.metrics;
    const sdk = typeof sent === 'object' && sent !== null ? Object.fromEntries(Object.entries(sent)) : {};
    const ua = String(await tab.evaluate<string>('navigator.userAgent'));
    const name = typeof sdk._browser === 'string' ? sdk._browser : 'Chrome';
    const version = typeof sdk._browser_version === 'string' ? sdk._browser_version : /(?:Headless)?Chrome\/([\d.]+)/.exec(ua)?.[1];
    expect(version).toBeDefined();

    // 3. The browser family counts one new user of that browser and version.
    const res = await apiGet(tally.url, '/o', { api_key: adminKey, app_id: app._id, method: 'browser' });
    expect(res.status).toBe(200);
    const year = String(new Date().getFullYear());
    const versionValue = `[${name.toLowerCase()}]_${String(version).replace(/\./g, ':')}`;
    expect(at(res.body, 'meta', 'browser')).toEqual([name]);
    expect(at(res.body, 'meta', 'browser_version')).toEqual([versionValue]);
    expect(at(res.body, year, name)).toMatchObject({ t: 1, n: 1, u: 1 });
    expect(at(res.body, year, versionValue)).toMatchObject({ t: 1, n: 1, u: 1 });
    expect(['Chrome', 'Chromium', 'Google Chrome']).toContain(name);
    expect(errors).toEqual([]);
  });
});
