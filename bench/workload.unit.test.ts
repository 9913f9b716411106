// The workload is deterministic for a seed and has the Countly shape issue 7 asks for.
import { describe, expect, it } from 'vitest';
import { seededApps } from './tally.ts';
import { buildEventCatalog, EVENT_KEY_COUNT, SEGMENTS_PER_EVENT, toBulkBody, toEnvelope, toQuery, Workload, Zipf, Rng } from './workload.ts';

const apps = seededApps(3);
const workload = (seed: number) => new Workload({ seed, apps, anchorMs: Date.UTC(2025, 5, 1) });

describe('workload', () => {
  it('yields the same requests for the same seed, different ones for another', () => {
    expect(workload(1).nextBatch(300)).toEqual(workload(1).nextBatch(300));
    expect(workload(2).nextBatch(5)).not.toEqual(workload(1).nextBatch(5));
  });

  it('has 100 event keys with 10 segments of fewer than 100 values each', () => {
    const { events } = buildEventCatalog(9);
    expect(new Set(events.map((e) => e.key)).size).toBe(EVENT_KEY_COUNT);
    for (const e of events) {
      expect(e.segments).toHaveLength(SEGMENTS_PER_EVENT);
      for (const s of e.segments) expect(s.values.length).toBeLessThan(100);
    }
  });

  it('sends sessions (begin with metrics, heartbeats, end) over every app, some backdated', () => {
    const reqs = workload(5).nextBatch(20_000);
    const begins = reqs.filter((r) => r.begin_session === 1);
    expect(begins.length).toBeGreaterThan(1_000);
    expect(begins.every((r) => r.metrics !== undefined)).toBe(true);
    expect(reqs.filter((r) => r.end_session === 1 && (r.session_duration ?? -1) >= 0).length).toBeGreaterThan(1_000);
    expect(new Set(reqs.map((r) => r.app_key))).toEqual(new Set(apps.map((a) => a.key)));
    const outOfOrder = reqs.filter((r, i) => i > 0 && r.timestamp < (reqs[i - 1]?.timestamp ?? 0) - 3_600_000);
    expect(outOfOrder.length).toBeGreaterThan(0);
  });

  it('skews event popularity like Zipf: the top key is far more frequent than the median', () => {
    const counts = new Map<string, number>();
    for (const r of workload(6).nextBatch(20_000)) for (const e of r.events ?? []) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(sorted[0]).toBeGreaterThan(10 * (sorted[50] ?? 1));
  });

  it('encodes requests for GET, bulk POST and the stream envelope', () => {
    const [req] = workload(1).nextBatch(1);
    const app = apps.find((a) => a.key === req?.app_key);
    if (req === undefined || app === undefined) throw new Error('no request');
    expect(Object.fromEntries(new URLSearchParams(toQuery(req)))).toMatchObject({
      app_key: app.key,
      device_id: req.device_id,
      timestamp: String(req.timestamp),
    });
    expect(JSON.parse(new URLSearchParams(toBulkBody([req])).get('requests') ?? '')).toEqual([req]);
    expect(toEnvelope(req, app, { id: 'x-1', requestId: 'x-1', receivedAtMs: 1 })).toMatchObject({
      type: 'SdkRequestReceived',
      appId: app.id,
      params: { begin_session: '1' },
    });
  });

  it('Zipf sampling stays in range and favours low ranks', () => {
    const z = new Zipf(10, 1.2);
    const rng = new Rng(1);
    const draws = Array.from({ length: 5_000 }, () => z.sample(rng));
    expect(Math.min(...draws)).toBe(0);
    expect(Math.max(...draws)).toBeLessThan(10);
    expect(draws.filter((d) => d === 0).length).toBeGreaterThan(draws.filter((d) => d === 9).length * 5);
  });
});
