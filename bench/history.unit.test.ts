// The read scenario's history: fixed devices, sessions spread over the days, bounded events.
import { describe, expect, it } from 'vitest';
import { emptyHistoryStats, historyRequests, popularKeys, type HistoryOptions } from './history.ts';
import { seededApps } from './tally.ts';
import { Workload, type CountlyRequest } from './workload.ts';

const apps = seededApps(3);
const anchorMs = Date.UTC(2025, 5, 1);
const workload = () => new Workload({ seed: 8, apps, anchorMs });
const DAY_MS = 86_400_000;

function history(overrides: Partial<HistoryOptions> = {}): { requests: CountlyRequest[]; stats: ReturnType<typeof emptyHistoryStats>; keys: Set<string> } {
  const keys = popularKeys(workload(), 2_000, 2);
  const stats = emptyHistoryStats();
  const opts: HistoryOptions = { devices: 100, sessionsPerDevice: 2, days: 400, eventKeys: keys, eventSegments: 1, seed: 4, ...overrides };
  return { requests: [...historyRequests(workload(), apps, opts, stats)], stats, keys };
}

describe('history', () => {
  it('gives every device the same number of sessions, each begun once and ended once', () => {
    const { requests, stats } = history();
    const begins = new Map<string, number>();
    for (const r of requests.filter((x) => x.begin_session === 1)) begins.set(r.device_id, (begins.get(r.device_id) ?? 0) + 1);
    expect(begins.size).toBe(100);
    expect(new Set(begins.values())).toEqual(new Set([2]));
    expect(requests.filter((r) => r.end_session === 1)).toHaveLength(200);
    expect(stats).toMatchObject({ devices: 100, sessions: 200, requests: requests.length });
  });

  it('spreads sessions over the days, in whole days, keeping local hours and fixing the weekday', () => {
    const { requests } = history();
    const times = requests.map((r) => r.timestamp);
    expect((Math.max(...times) - Math.min(...times)) / DAY_MS).toBeGreaterThan(380);
    expect(Math.max(...times)).toBeLessThan(anchorMs);
    for (const r of requests) expect(new Date(r.timestamp + r.tz * 60_000).getUTCDay()).toBe(r.dow);
  });

  it('keeps events of the chosen keys only, with at most the chosen segments, 100 per request', () => {
    const { requests, stats, keys } = history({ devices: 50, sessionsPerDevice: 1 });
    const events = requests.flatMap((r) => r.events ?? []);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(keys.has(e.key)).toBe(true);
      expect(Object.keys(e.segmentation).length).toBeLessThanOrEqual(1);
    }
    for (const r of requests) expect(r.events?.length ?? 0).toBeLessThanOrEqual(100);
    expect(stats.events).toBe(events.length + stats.sessions);
  });

  it('is deterministic for its seeds', () => {
    expect(history().requests).toEqual(history().requests);
  });
});
