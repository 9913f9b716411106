// A long history for read benchmarks: the reference workload's sessions, moved onto a fixed set
// of devices and spread over many days. The workload itself simulates a few busy hours (500
// sessions at once); reads cost what the bucket documents of a period cost, so what matters is
// that every month and day of the period has data, from the right number of devices.
//
// Each workload session is handed to the next device of its app (round robin, so every device
// gets the same number of sessions) and shifted back by a whole number of days, chosen at
// random within its share of the period, keeping its local hours. It is sent as an SDK with a long heartbeat would send it:
// begin_session with the metrics and its events, then end_session with the whole duration and
// every later event (split into requests of at most MAX_EVENTS events).
import { Rng, type CountlyEvent, type CountlyRequest, type Workload, type WorkloadApp } from './workload.ts';

const DAY_MS = 86_400_000;
const MAX_EVENTS = 100;

export interface HistoryOptions {
  /** Devices in all, split over the apps by traffic share. */
  readonly devices: number;
  readonly sessionsPerDevice: number;
  /** Sessions are moved back by 0 to days − 1 whole days. */
  readonly days: number;
  /**
   * Events are kept for these keys only (see popularKeys); the others are dropped. Event
   * documents are per key, segment, value shard and month, so this bounds how many the
   * history creates.
   */
  readonly eventKeys: ReadonlySet<string>;
  /** Segments kept per event (the first ones it carries); each segment adds documents. */
  readonly eventSegments: number;
  readonly seed: number;
}

/** What a history holds, for the figure notes and for choosing what to query. */
export interface HistoryStats {
  requests: number;
  events: number;
  sessions: number;
  /** Devices that got at least one session. */
  devices: number;
  /** Countly events per key, and how many carried each segment. */
  readonly keys: Map<string, { count: number; segments: Map<string, number> }>;
}

interface Open {
  readonly deviceId: string;
  readonly shiftMs: number;
  durationS: number;
  events: CountlyEvent[];
}

function localDow(atMs: number, tzOffsetMin: number): number {
  return new Date(atMs + tzOffsetMin * 60_000).getUTCDay();
}

function shifted(req: CountlyRequest, o: Open, extra: Partial<CountlyRequest>, events: readonly CountlyEvent[]): CountlyRequest {
  const at = req.timestamp - o.shiftMs;
  const moved = events.map((e) => ({ ...e, timestamp: e.timestamp - o.shiftMs, dow: localDow(e.timestamp - o.shiftMs, req.tz) }));
  const base = { app_key: req.app_key, tz: req.tz, hour: req.hour, sdk_name: req.sdk_name, sdk_version: req.sdk_version, av: req.av };
  return { ...base, device_id: o.deviceId, timestamp: at, dow: localDow(at, req.tz), ...extra, ...(moved.length > 0 ? { events: moved } : {}) };
}

function count(stats: HistoryStats, req: CountlyRequest): CountlyRequest {
  stats.requests++;
  stats.events += (req.events?.length ?? 0) + (req.begin_session === 1 ? 1 : 0);
  if (req.begin_session === 1) stats.sessions++;
  for (const e of req.events ?? []) {
    const k = stats.keys.get(e.key) ?? { count: 0, segments: new Map<string, number>() };
    k.count++;
    for (const s of Object.keys(e.segmentation)) k.segments.set(s, (k.segments.get(s) ?? 0) + 1);
    stats.keys.set(e.key, k);
  }
  return req;
}

/** The history's requests, in the workload's order (so sessions interleave as they would live). */
export function* historyRequests(workload: Workload, apps: readonly WorkloadApp[], opts: HistoryOptions, stats: HistoryStats): Generator<CountlyRequest> {
  const rng = new Rng(opts.seed);
  const share = apps.reduce((n, a) => n + a.profile.trafficShare, 0);
  const quota = new Map(apps.map((a, i) => [a.key, { app: i, devices: Math.max(1, Math.round((opts.devices * a.profile.trafficShare) / share)), next: 0 }]));
  const wanted = (q: { devices: number; next: number }) => q.next < q.devices * opts.sessionsPerDevice;
  const open = new Map<string, Open>();
  const kept = (events: readonly CountlyEvent[] = []): CountlyEvent[] =>
    events
      .filter((e) => opts.eventKeys.has(e.key))
      .map((e) => ({ ...e, segmentation: Object.fromEntries(Object.entries(e.segmentation).slice(0, opts.eventSegments)) }));
  while ([...quota.values()].some(wanted) || open.size > 0) {
    const req = workload.next();
    const key = `${req.app_key}/${req.device_id}`;
    const o = open.get(key);
    if (req.begin_session === 1) {
      // A new session of a workload device that is still open elsewhere ends the old one there.
      if (o !== undefined) yield count(stats, shifted(req, o, { end_session: 1, session_duration: o.durationS }, o.events));
      open.delete(key);
      const q = quota.get(req.app_key);
      if (q === undefined || !wanted(q)) continue;
      // Stratified: session k of n lands on a random day of the k-th n-th of the period, so every
      // stretch of it (the last 30 days too) gets its share even in a small history.
      const day = Math.floor(((q.next + rng.float()) * opts.days) / (q.devices * opts.sessionsPerDevice));
      const fresh: Open = { deviceId: `bench-history-${q.app}-${q.next % q.devices}`, shiftMs: day * DAY_MS, durationS: 0, events: [] };
      q.next++;
      open.set(key, fresh);
      yield count(stats, shifted(req, fresh, { begin_session: 1, ...(req.metrics !== undefined ? { metrics: req.metrics } : {}) }, kept(req.events)));
      continue;
    }
    if (o === undefined) continue;
    o.durationS += req.session_duration ?? 0;
    o.events.push(...kept(req.events));
    if (req.end_session === 1) {
      open.delete(key);
      for (let i = 0; i + MAX_EVENTS < o.events.length; i += MAX_EVENTS) yield count(stats, shifted(req, o, {}, o.events.slice(i, i + MAX_EVENTS)));
      const rest = o.events.slice(Math.floor(Math.max(0, o.events.length - 1) / MAX_EVENTS) * MAX_EVENTS);
      yield count(stats, shifted(req, o, { end_session: 1, session_duration: o.durationS }, rest));
    }
  }
  stats.devices = [...quota.values()].reduce((n, q) => n + Math.min(q.next, q.devices), 0);
}

/** The `k` most frequent event keys in the first `requests` requests of a workload. */
export function popularKeys(workload: Workload, requests: number, k: number): Set<string> {
  const counts = new Map<string, number>();
  for (let i = 0; i < requests; i++) for (const e of workload.next().events ?? []) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  return new Set(
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key]) => key),
  );
}

export const emptyHistoryStats = (): HistoryStats => ({ requests: 0, events: 0, sessions: 0, devices: 0, keys: new Map() });
