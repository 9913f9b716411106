// `GET /metrics`: Prometheus's text format for global admins only, with counters that move by
// exactly what the test sent: ingest outcomes, HTTP answers by route, envelopes published,
// events processed and the write statements they took.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApiKey, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { newApp, send, type TestApp } from './support/ingest-client.ts';
import { processedThroughHead } from './support/processed.ts';

let tally: TestTally;
let app: TestApp;
let key: string;

beforeAll(async () => {
  tally = await startTestTally({ config: testConfig({ streams: { partitions: 4, partitionGroups: 2 } }) });
  app = await newApp(tally, { timezone: 'UTC' });
  key = await adminApiKey(tally.url);
});
afterAll(async () => {
  await tally.destroy();
});

/** Every sample of the exposition as `name{labels}` → value (labels as rendered, in their order). */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${tally.url}/metrics?api_key=${key}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

const delta = (before: Map<string, number>, after: Map<string, number>, sample: string) => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);

describe('/metrics', () => {
  it('refuses a caller without a global admin key', async () => {
    for (const url of [`${tally.url}/metrics`, `${tally.url}/metrics?api_key=${'0'.repeat(32)}`]) {
      const res = await fetch(url);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain('tally_');
    }
  });

  it('moves its counters by exactly the traffic sent', async () => {
    const before = await scrape();
    // 1. Traffic: 7 single requests with two events each, one bulk of 5 items, 2 refusals (unknown app key).
    for (let i = 0; i < 7; i++) {
      const events = [
        { key: 'a', count: 1 },
        { key: 'b', count: 2 },
      ];
      expect((await send(tally.url, { query: { app_key: app.key, device_id: `d${i}`, timestamp: String(1_730_000_000_000 + i), events } })).status).toBe(200);
    }
    const bulk = Array.from({ length: 5 }, (_, i) => ({ app_key: app.key, device_id: `b${i}`, timestamp: 1_730_000_100_000 + i, begin_session: 1 }));
    expect((await send(tally.url, { path: '/i/bulk', form: { requests: JSON.stringify(bulk) } })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await send(tally.url, { query: { app_key: 'f'.repeat(40), device_id: 'x' } })).status).toBe(400);
    await processedThroughHead(tally);
    const after = await scrape();

    // 2. Ingest and HTTP counters moved by what was sent.
    expect(delta(before, after, 'tally_ingest_outcomes_total{outcome="accepted"}')).toBe(7);
    expect(delta(before, after, 'tally_ingest_outcomes_total{outcome="accepted_bulk_item"}')).toBe(5);
    expect(delta(before, after, 'tally_ingest_outcomes_total{outcome="rejected_unknown_app"}')).toBe(2);
    expect(delta(before, after, 'tally_http_requests_total{route="/i",status="200"}')).toBe(7);
    expect(delta(before, after, 'tally_http_requests_total{route="/i",status="400"}')).toBe(2);
    expect(delta(before, after, 'tally_http_requests_total{route="/i/bulk",status="200"}')).toBe(1);
    expect(delta(before, after, 'tally_published_envelopes_total')).toBe(12);
    expect(delta(before, after, 'tally_publish_duration_seconds_count{result="ok"}')).toBe(8);

    // 3. The processors applied one envelope per accepted request, in at least one batch, with writes.
    expect(delta(before, after, 'tally_processed_events_total{pipeline="core",version="1"}')).toBe(12);
    expect(delta(before, after, 'tally_dead_letters_total{pipeline="core",version="1"}')).toBe(0);
    expect(delta(before, after, 'tally_batch_events_sum{pipeline="core",version="1"}')).toBe(12);
    expect(delta(before, after, 'tally_write_statements_total{pipeline="core",version="1"}')).toBeGreaterThan(0);
    expect([...after.keys()].some((k) => k.startsWith('tally_consumer_lag{consumer='))).toBe(true);
    expect(after.get('tally_stream_head_seq')).toBeGreaterThanOrEqual(12);
  });
});
