// countly-sdk-nodejs' bulk API against /i/bulk. The answer to the first bulk is lost, so the SDK
// retries the whole bulk: every item must still be on the stream exactly once, as its own event.
import Countly from 'countly-sdk-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTally, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, newApp, type TestApp } from './support/ingest-client.ts';
import { startLossyProxy, type LossyProxy } from './support/lossy-proxy.ts';
import { waitForRequests } from './support/stream.ts';

let tally: TestTally;
let app: TestApp;
let proxy: LossyProxy;
let bulk: InstanceType<typeof Countly.Bulk> | undefined;

beforeAll(async () => {
  tally = await startTestTally({ roles: INGEST_ROLE });
  app = await newApp(tally, { timezone: 'America/Sao_Paulo' });
  proxy = await startLossyProxy(tally.url, (r) => r.url.startsWith('/i/bulk') && proxy.dropped.length === 0);
});
afterAll(async () => {
  bulk?.stop();
  await proxy.close();
  await tally.destroy();
});

describe('countly-sdk-nodejs bulk API', () => {
  it('stores each bulk item once, retried bulk included', async () => {
    // 1. Queue 14 items for 5 devices: raw requests, events, and a bulk user with a session.
    bulk = new Countly.Bulk({ app_key: app.key, url: proxy.url, interval: 100, bulk_size: 5, fail_timeout: 1 });
    for (let i = 0; i < 10; i++)
      bulk.add_request({ device_id: `bulk-${i % 3}`, begin_session: i === 0 ? 1 : undefined, session_duration: 10 + i, timestamp: 1_730_000_000_000 + i });
    bulk.add_event('bulk-ev', { key: 'job_done', count: 2, segmentation: { queue: 'emails' }, timestamp: 1_730_000_000_500 });
    bulk.add_user({ device_id: 'bulk-user' }).begin_session({ _os: 'Linux' }, 90, 1_730_000_001);

    // 2. Start sending; the first bulk's answer is dropped and the SDK sends it again.
    bulk.start();
    const items = await waitForRequests(
      tally.jsm,
      tally.config.streams,
      (rs) => rs.length >= 14 && tally.http.ingestMetrics!.outcomes.get('duplicate') !== undefined,
      30_000,
    );
    expect(proxy.dropped).toHaveLength(1);

    // 3. Each item is its own event, once.
    expect(items).toHaveLength(14);
    expect(new Set(items.map((r) => r.id)).size).toBe(14);
    expect(tally.http.ingestMetrics!.outcomes.get('accepted_bulk_item')).toBe(14);
    expect(tally.http.ingestMetrics!.outcomes.get('duplicate')).toBe(5);
    expect(items.every((r) => r.bulk !== undefined && r.bulk.index < r.bulk.count && r.appId === app._id && r.appTimezone === 'America/Sao_Paulo')).toBe(true);
    expect(items.filter((r) => r.deviceId.startsWith('bulk-') && /^bulk-\d$/.test(r.deviceId)).map((r) => r.params.session_duration)).toEqual(
      Array.from({ length: 10 }, (_, i) => 10 + i),
    );
    const ev = items.find((r) => r.deviceId === 'bulk-ev');
    expect(ev?.params.events).toEqual([expect.objectContaining({ key: 'job_done', count: 2, segmentation: { queue: 'emails' } })]);
    const user = items.filter((r) => r.deviceId === 'bulk-user');
    expect(user.map((r) => [r.params.begin_session, r.params.session_duration])).toEqual([
      [1, undefined],
      [undefined, 60],
      [undefined, 30],
    ]);
    expect(user[0]?.params.metrics).toEqual({ _os: 'Linux' });
  });
});
