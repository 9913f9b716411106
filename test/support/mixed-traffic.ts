// A mixed, deterministic workload for rebuild tests: sessions begun, extended and ended, events
// with segmentation, sum and dur, metrics, user details with custom-property operators, device
// merges, and some requests in the older v0 envelope. Messages are ready to publish.
import { partitionOf, type SdkRequestReceived, type SdkRequestReceivedV0 } from '../../projections/index.ts';
import { eventSubject, type StreamsConfig } from '../../streams.config.ts';
import { mulberry32 } from '../../bench/workload/rng.ts';

export interface MixedApp {
  readonly _id: string;
  readonly key: string;
  readonly timezone: string;
}

export interface MixedMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgID: string;
}

const OS = ['Android', 'iOS', 'Windows'];
const CARRIERS = ['Vodafone', 'T-Mobile', 'Orange'];

interface Params {
  [name: string]: string;
}

function message(streams: StreamsConfig, app: MixedApp, deviceId: string, id: string, params: Params, receivedAtS: number, v0: boolean): MixedMessage {
  const subject = eventSubject(streams, app._id, partitionOf(deviceId, streams.partitions));
  const base = { type: 'SdkRequestReceived' as const, id, requestId: id, appId: app._id, appKey: app.key, appTimezone: app.timezone, deviceId, ip: null };
  const event: SdkRequestReceived | SdkRequestReceivedV0 = v0
    ? { ...base, v: 0, receivedAt: receivedAtS, query: params }
    : { ...base, v: 1, receivedAtMs: receivedAtS * 1_000, params: parseJsonParams(params) };
  return { subject, data: new TextEncoder().encode(JSON.stringify(event)), msgID: id };
}

function parseJsonParams(params: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = ['events', 'metrics', 'user_details'].includes(k) ? JSON.parse(v) : v;
  return out;
}

export interface MixedOptions {
  readonly apps: readonly MixedApp[];
  readonly devicesPerApp: number;
  readonly requests: number;
  readonly seed: number;
  readonly startS: number;
  readonly days: number;
  /** Every n-th request is written as a v0 envelope. 0: none. */
  readonly v0Every: number;
}

/** `requests` requests over `days` days; devices begin, extend and end sessions and send events. */
export function mixedTraffic(streams: StreamsConfig, o: MixedOptions): MixedMessage[] {
  const rand = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const begun = new Set<string>();
  const out: MixedMessage[] = [];
  for (let i = 0; i < o.requests; i++) {
    const app = o.apps[i % o.apps.length] as MixedApp;
    const device = `dev-${Math.floor(rand() * o.devicesPerApp)}`;
    const ts = o.startS + Math.floor((i / o.requests) * o.days * 86_400);
    const params: Params = { timestamp: String(ts), hour: String(Math.floor((ts % 86_400) / 3_600)), dow: String(Math.floor(ts / 86_400 + 4) % 7) };
    const key = `${app._id}:${device}`;
    if (!begun.has(key) || rand() < 0.1) {
      begun.add(key);
      params.begin_session = '1';
      params.metrics = JSON.stringify({
        _os: pick(OS),
        _os_version: `${1 + Math.floor(rand() * 14)}.${Math.floor(rand() * 3)}`,
        _device: `model-${Math.floor(rand() * 20)}`,
        _carrier: pick(CARRIERS),
        _app_version: `1.${Math.floor(rand() * 4)}`,
        _resolution: '1080x1920',
        _locale: 'en_US',
      });
    } else if (rand() < 0.3) {
      params.session_duration = String(10 + Math.floor(rand() * 120));
      if (rand() < 0.4) params.end_session = '1';
    }
    const events = Array.from({ length: Math.floor(rand() * 4) }, () => ({
      key: `ev${Math.floor(rand() * 4)}`,
      count: 1 + Math.floor(rand() * 3),
      sum: Math.round(rand() * 1000) / 10,
      dur: Math.floor(rand() * 60),
      segmentation: { plan: `p${Math.floor(rand() * 4)}`, level: Math.floor(rand() * 6) },
    }));
    if (events.length > 0) params.events = JSON.stringify(events);
    if (rand() < 0.08)
      params.user_details = JSON.stringify({
        name: `User ${device}`,
        custom: { tier: pick(['gold', 'silver']), visits: { $inc: 1 }, tags: { $addToSet: pick(['a', 'b', 'c']) } },
      });
    out.push(message(streams, app, device, `mixed-${o.seed}-${i}`, params, ts + 3, o.v0Every > 0 && i % o.v0Every === 0));
  }
  return out;
}

/**
 * Device-id changes with merge: device `dev-k` continues as a new id in the same partition
 * group (a merge across groups is ordered only within each group; see docs/operations.md).
 */
export function mergeTraffic(streams: StreamsConfig, apps: readonly MixedApp[], count: number, atS: number, seed: number): MixedMessage[] {
  const out: MixedMessage[] = [];
  const groupOf = (d: string) => partitionOf(d, streams.partitions) % streams.partitionGroups;
  for (const app of apps) {
    for (let k = 0; k < count; k++) {
      const old = `dev-${k}`;
      let n = 0;
      while (groupOf(`merged-${k}-${n}`) !== groupOf(old)) n++;
      const params: Params = { timestamp: String(atS + k), old_device_id: old, begin_session: '1', events: JSON.stringify([{ key: 'merged', count: 1 }]) };
      out.push(message(streams, app, `merged-${k}-${n}`, `merge-${seed}-${app._id}-${k}`, params, atS + k, false));
    }
  }
  return out;
}
