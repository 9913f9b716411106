// The real countly-sdk-nodejs against Tally: sessions, durations, events with segmentation,
// user_details (with custom operators) and a device-id merge. One answer is lost on the way back,
// so the SDK retries that request; every request must be on the stream exactly once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Countly from 'countly-sdk-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTally, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, newApp, type TestApp } from './support/ingest-client.ts';
import { startLossyProxy, type LossyProxy } from './support/lossy-proxy.ts';
import { waitForRequests, type StoredRequest } from './support/stream.ts';

let tally: TestTally;
let app: TestApp;
let proxy: LossyProxy;
const storage = mkdtempSync(join(tmpdir(), 'countly-node-'));

beforeAll(async () => {
  tally = await startTestTally({ roles: INGEST_ROLE });
  app = await newApp(tally, { timezone: 'Europe/Berlin' });
  // The answer to the first `begin_session` request is lost: Tally stored it, the SDK retries it.
  proxy = await startLossyProxy(tally.url, (r) => r.url.includes('begin_session=1') && !proxy.dropped.some((d) => d.url.includes('begin_session=1')));
});
afterAll(async () => {
  Countly.halt(true);
  await proxy.close();
  await tally.destroy();
  rmSync(storage, { recursive: true, force: true });
});

function flatEvents(requests: readonly StoredRequest[]): unknown[] {
  return requests.flatMap((r): unknown[] => {
    const events: unknown = r.params.events;
    return Array.isArray(events) ? events.map((e: unknown) => e) : [];
  });
}
/** The SDK's persisted request queue (it stores `{"cly_queue": [...]}`). */
function queued(): unknown {
  const file: { cly_queue?: unknown } = JSON.parse(readFileSync(join(storage, '__cly_queue.json'), 'utf8'));
  return file.cly_queue;
}

describe('countly-sdk-nodejs', () => {
  it('every request it sends is stored once, with the fields processors need', async () => {
    // 1. Drive the SDK the way an app does.
    Countly.init({
      app_key: app.key,
      url: proxy.url,
      device_id: 'node-1',
      storage_path: `${storage}/`,
      interval: 50,
      fail_timeout: 1,
      app_version: '2.1',
      ip_address: '203.0.113.50',
      metrics: { _os: 'Linux', _device: 'server' },
    });
    Countly.begin_session(true);
    Countly.add_event({ key: 'purchase', count: 1, sum: 4.99, segmentation: { plan: 'pro', 'dotted.key': 'x' } });
    Countly.add_event({ key: 'search', count: 3, dur: 12 });
    Countly.user_details({ name: 'Ada', email: 'ada@example.com', custom: { tier: 'gold' } });
    Countly.userData.increment('logins');
    Countly.userData.push_unique('teams', 'core');
    Countly.userData.save();
    Countly.session_duration(30);
    Countly.end_session(45);
    // The SDK moves queued events into its request queue on its next beat: let them go out
    // under the first device id before changing it.
    await waitForRequests(tally.jsm, tally.config.streams, (rs) => flatEvents(rs).length === 2 && rs.some((r) => r.params.end_session === '1'), 30_000);
    Countly.change_id('node-2', true);

    // 2. The SDK sends one request at a time, so the merge request arriving means all are in.
    const all = await waitForRequests(tally.jsm, tally.config.streams, (rs) => rs.some((r) => r.params.old_device_id === 'node-1'), 30_000);
    expect(proxy.dropped).toHaveLength(1);
    await expect.poll(queued, { timeout: 5_000 }).toEqual([]);

    // 3. Exactly once: Tally acknowledged as many requests as the stream holds, and the one the
    // SDK retried was answered as a duplicate instead of being stored again.
    const outcomes = tally.http.ingestMetrics!.snapshot().outcomes;
    expect(outcomes.accepted).toBe(all.length);
    expect(outcomes.duplicate).toBe(1);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    expect(new Set(all.map((r) => String(r.params.timestamp))).size).toBe(all.length);

    // 4. What each envelope carries.
    for (const r of all) {
      expect(r).toMatchObject({ v: 1, appId: app._id, appKey: app.key, appTimezone: 'Europe/Berlin', ip: '203.0.113.50' });
      expect(r.params).toMatchObject({
        sdk_name: 'javascript_native_nodejs',
        sdk_version: expect.any(String) as unknown,
        timestamp: expect.any(String) as unknown,
      });
    }
    const begin = all.find((r) => r.params.begin_session === '1');
    expect(begin?.params.metrics).toMatchObject({ _os: 'Linux', _device: 'server', _app_version: '2.1' });
    expect(flatEvents(all)).toEqual([
      expect.objectContaining({ key: 'purchase', count: 1, sum: 4.99, segmentation: { plan: 'pro', dottedkey: 'x' } }),
      expect.objectContaining({ key: 'search', count: 3, dur: 12 }),
    ]);
    const details = all.map((r) => r.params.user_details).filter((d) => d !== undefined);
    expect(details).toEqual([
      { name: 'Ada', email: 'ada@example.com', custom: { tier: 'gold' } },
      { custom: { logins: { $inc: 1 }, teams: { $addToSet: ['core'] } } },
    ]);
    expect(all.filter((r) => r.params.session_duration !== undefined).map((r) => [r.params.session_duration, r.params.end_session])).toEqual([
      ['30', undefined],
      ['45', '1'],
    ]);
    expect(all.at(-1)).toMatchObject({ deviceId: 'node-2', params: { old_device_id: 'node-1' } });
    expect(all.slice(0, -1).every((r) => r.deviceId === 'node-1')).toBe(true);
  });
});
