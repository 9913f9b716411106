// Limits and defence at the ingest edge: body size, events per request, message size, per-app
// rate limit, and the cached app registry (no database round trip per request; invalidated by
// the API's app-changed announcement, and by TTL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateApp } from '../projections/index.ts';
import { appChangedSubject, loadConfig } from '../streams.config.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, newApp, send } from './support/ingest-client.ts';
import { lastSeq, readRequests } from './support/stream.ts';

const BODY_LIMIT = 2 * 1_048_576;
let tally: TestTally;

beforeAll(async () => {
  tally = await startTestTally({
    config: testConfig({ ingest: { bodyLimitBytes: BODY_LIMIT, maxEventsPerRequest: 20, rateLimitPerAppPerS: 5 } }),
    roles: INGEST_ROLE,
  });
});
afterAll(async () => {
  await tally.destroy();
});

async function stored(act: () => Promise<unknown>) {
  const before = await lastSeq(tally.jsm, tally.config.streams);
  await act();
  return readRequests(tally.jsm, tally.config.streams, before);
}

/** Announces an app change as the API does, and waits until our own subscription has seen it. */
async function announce(appId: string): Promise<void> {
  tally.nc.publish(appChangedSubject(tally.config.streams), appId);
  await tally.nc.flush();
}

describe('size limits', () => {
  it('a body over config.ingest.bodyLimitBytes is a 413 and stores nothing', async () => {
    const app = await newApp(tally);
    const got = await stored(async () => {
      const r = await send(tally.url, { form: { app_key: app.key, device_id: 'd', pad: 'x'.repeat(BODY_LIMIT) } });
      expect([r.status, r.body]).toEqual([413, { result: `Request body is larger than ${BODY_LIMIT} bytes` }]);
    });
    expect(got).toEqual([]);
  });

  it('more events than config.ingest.maxEventsPerRequest is a 413 with the numbers', async () => {
    const app = await newApp(tally);
    const got = await stored(async () => {
      const events = Array.from({ length: 21 }, (_, i) => ({ key: `e${i}` }));
      const r = await send(tally.url, { form: { app_key: app.key, device_id: 'd', events } });
      expect([r.status, r.body]).toEqual([413, { result: 'Too many events: 21 in one request, the limit is 20' }]);
      expect((await send(tally.url, { form: { app_key: app.key, device_id: 'd', events: events.slice(0, 20) } })).status).toBe(200);
    });
    expect(got).toHaveLength(1);
  });

  it('a request whose envelope exceeds the NATS max payload is a 413, not a 503', async () => {
    const app = await newApp(tally);
    const got = await stored(async () => {
      // Under the 2 MiB body limit, over NATS' 1 MiB max_payload once wrapped in an envelope.
      const events = [{ key: 'big', segmentation: { blob: 'x'.repeat(1_200_000) } }];
      const r = await send(tally.url, { json: { app_key: app.key, device_id: 'd', events } });
      expect([r.status, r.body]).toEqual([413, { result: 'Request is too large to store' }]);
    });
    expect(got).toEqual([]);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After beyond config.ingest.rateLimitPerAppPerS for one app only', async () => {
    const [busy, quiet] = [await newApp(tally), await newApp(tally)];
    let accepted = 0;
    const got = await stored(async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => send(tally.url, { query: { app_key: busy.key, device_id: 'd', timestamp: String(i) } })),
      );
      // The bucket holds one second (5 requests) and refills while the burst is in flight.
      accepted = answers.filter((a) => a.status === 200).length;
      expect(accepted).toBeGreaterThanOrEqual(5);
      expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
      const limited = answers.find((a) => a.status === 429)!;
      expect(limited.body).toEqual({ result: 'Too many requests' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await send(tally.url, { query: { app_key: quiet.key, device_id: 'd' } })).status).toBe(200);
    });
    expect(got).toHaveLength(accepted + 1);
  });
});

describe('app registry cache', () => {
  it('resolves an app key from the database once, then from memory', async () => {
    const app = await newApp(tally);
    const cache = tally.http.ingestMetrics!.appCache;
    await send(tally.url, { query: { app_key: app.key, device_id: 'warm' } });
    const misses = cache.misses;
    for (let i = 0; i < 4; i++) expect((await send(tally.url, { query: { app_key: app.key, device_id: `c${i}` } })).status).toBe(200);
    expect(cache.misses).toBe(misses);
  });

  it('sees a new app and a paused app at once through the app-changed announcement', async () => {
    const key = `k${Date.now()}`;
    // An unknown key is cached as unknown; the announcement of the new app drops that entry.
    expect((await send(tally.url, { query: { app_key: key, device_id: 'd' } })).body).toEqual({ result: 'App does not exist' });
    const app = await newApp(tally, { key });
    expect((await send(tally.url, { query: { app_key: key, device_id: 'd', timestamp: '1' } })).status).toBe(200);
    await updateApp(tally.db, app._id, { paused: true });
    await announce(app._id);
    expect((await send(tally.url, { query: { app_key: key, device_id: 'd' } })).body).toEqual({ result: 'App is currently not accepting data' });
    await updateApp(tally.db, app._id, { paused: false, locked: true });
    await announce(app._id);
    expect((await send(tally.url, { query: { app_key: key, device_id: 'd', timestamp: '2' } })).status).toBe(200);
    const locked = await send(tally.url, { query: { app_key: key, device_id: 'd', populator: 'true' } });
    expect([locked.status, locked.body]).toEqual([403, { result: 'App is locked' }]);
  });

  it('without an announcement, a change shows after config.ingest.appCacheTtlMs', async () => {
    const second = await startTestTally({
      config: loadConfig({ ...tally.config, ingest: { ...tally.config.ingest, appCacheTtlMs: 400 } }),
      roles: INGEST_ROLE,
    });
    try {
      const app = await newApp(tally);
      // Let the app-created announcement reach `second` too before it caches the app.
      await second.nc.flush();
      expect((await send(second.url, { query: { app_key: app.key, device_id: 'd', timestamp: '1' } })).status).toBe(200);
      await updateApp(tally.db, app._id, { paused: true });
      // Served from memory: the database change is not seen yet.
      expect((await send(second.url, { query: { app_key: app.key, device_id: 'd', timestamp: '2' } })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect((await send(second.url, { query: { app_key: app.key, device_id: 'd' } })).body).toEqual({ result: 'App is currently not accepting data' });
    } finally {
      await second.close();
    }
  });
});
