// Deterministic Countly-shaped traffic for processing tests, with its expected aggregates
// computed here, independently of the fold code: plain counting over what was generated.
import { partitionOf, type SdkRequestReceived } from '../../projections/index.ts';
import { eventSubject, type StreamsConfig } from '../../streams.config.ts';
import { mulberry32 } from '../../bench/workload/rng.ts';

export interface TrafficOptions {
  readonly apps: readonly { readonly id: string; readonly key: string; readonly timezone: string }[];
  readonly devicesPerApp: number;
  readonly requests: number;
  readonly eventsPerRequest: number;
  /** First request time, unix seconds; requests spread over `days` days. */
  readonly startS: number;
  readonly days: number;
  readonly seed: number;
}

/** Expected totals: `<appId>|<key>` → count; `<appId>|<key>|<YYYY.M.D>` → count; `<appId>|<key>|plan|<value>` → count. */
export interface Expected {
  readonly eventCounts: Map<string, number>;
  readonly eventSums: Map<string, number>;
  /** Sessions started (= new users, each device begins once) per app. */
  readonly sessions: Map<string, number>;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
/** `YYYY.M.D` of a unix time in a timezone, via Intl (not the fold's time code). */
export function localDay(unixS: number, timezone: string): string {
  let f = dayFormats.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: 'numeric', day: 'numeric' });
    dayFormats.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(unixS * 1000)).map((p) => [p.type, p.value]));
  return `${parts.year}.${Number(parts.month)}.${Number(parts.day)}`;
}

const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

export function generateTraffic(streams: StreamsConfig, o: TrafficOptions): { items: { subject: string; event: SdkRequestReceived }[]; expected: Expected } {
  const rand = mulberry32(o.seed);
  const expected: Expected = { eventCounts: new Map(), eventSums: new Map(), sessions: new Map() };
  const begun = new Set<string>();
  const items = Array.from({ length: o.requests }, (_, i) => {
    const app = o.apps[i % o.apps.length]!;
    const device = `dev-${Math.floor(rand() * o.devicesPerApp)}`;
    const ts = o.startS + Math.floor((i / o.requests) * o.days * 86_400);
    const events = Array.from({ length: o.eventsPerRequest }, () => {
      const key = `k${Math.floor(rand() * 10)}`;
      const count = 1 + Math.floor(rand() * 3);
      const sum = Math.floor(rand() * 100);
      const plan = `p${Math.floor(rand() * 7)}`;
      add(expected.eventCounts, `${app.id}|${key}`, count);
      add(expected.eventCounts, `${app.id}|${key}|${localDay(ts, app.timezone)}`, count);
      add(expected.eventCounts, `${app.id}|${key}|plan|${plan}`, count);
      add(expected.eventSums, `${app.id}|${key}`, sum);
      return { key, count, sum, segmentation: { plan } };
    });
    const params: Record<string, unknown> = { timestamp: String(ts), events: JSON.stringify(events) };
    const deviceKey = `${app.id}:${device}`;
    if (!begun.has(deviceKey)) {
      begun.add(deviceKey);
      params.begin_session = '1';
      add(expected.sessions, app.id, 1);
    }
    const event: SdkRequestReceived = {
      v: 1,
      type: 'SdkRequestReceived',
      id: `traffic-${o.seed}-${i}`,
      requestId: `r${i}`,
      appId: app.id,
      appKey: app.key,
      appTimezone: app.timezone,
      deviceId: device,
      receivedAtMs: (ts + 5) * 1000,
      ip: null,
      params,
    };
    return { subject: eventSubject(streams, app.id, partitionOf(device, streams.partitions)), event };
  });
  return { items, expected };
}
