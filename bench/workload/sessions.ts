// Countly-shaped traffic from simulated device sessions. Each session sends begin_session with
// metrics, a heartbeat every 60 s (session_duration + the events recorded since the last one),
// and end_session with the remainder, like the mobile and web SDKs. Many sessions run at once
// and their requests interleave in time order; a share of sessions replays late from an
// offline queue (backdated, out of order), and events carry their own earlier timestamps.
import { sdkOf, type WorkloadApp } from './apps.ts';
import { buildEventCatalog, deviceMetrics, type DeviceMetrics, type EventSpec } from './catalog.ts';
import { deriveSeed, Rng, Weighted, Zipf } from './rng.ts';

/** One event object as SDKs send it inside `events` (spec §2.9). */
export interface CountlyEvent {
  readonly key: string;
  readonly count: number;
  readonly sum?: number;
  readonly dur?: number;
  readonly segmentation: Readonly<Record<string, string>>;
  readonly timestamp: number;
  readonly hour: number;
  readonly dow: number;
}

/** One `/i` request's parameters (wire names, spec §2.1); JSON-valued ones as objects. */
export interface CountlyRequest {
  readonly app_key: string;
  readonly device_id: string;
  /** Request time, ms (13 digits, as the mobile SDKs send it). */
  readonly timestamp: number;
  readonly hour: number;
  readonly dow: number;
  readonly tz: number;
  readonly sdk_name: string;
  readonly sdk_version: string;
  readonly av: string;
  readonly begin_session?: 1;
  readonly end_session?: 1;
  readonly session_duration?: number;
  readonly metrics?: DeviceMetrics;
  readonly events?: readonly CountlyEvent[];
}

export interface WorkloadOptions {
  readonly seed: number;
  readonly apps: readonly WorkloadApp[];
  /** "Now" of the simulation, ms; traffic starts `historyMs` before it. */
  readonly anchorMs: number;
  /** Sessions open at the same time. Default 500. */
  readonly concurrentSessions?: number;
  /** Distinct devices per app (activity is Zipf-skewed over them). Default 20 000. */
  readonly devicesPerApp?: number;
  /** Share of sessions replayed late from an offline queue. Default 0.04. */
  readonly offlineShare?: number;
  /** How far before the anchor the simulated clock starts, ms. Default 36 h. */
  readonly historyMs?: number;
}

const HEARTBEAT_MS = 60_000;
const MAX_EVENTS_PER_REQUEST = 100;
const HOUR_MS = 3_600_000;

interface Session {
  readonly app: WorkloadApp;
  readonly deviceId: string;
  readonly metrics: DeviceMetrics;
  readonly endMs: number;
  /** Events per second while the app is in the foreground. */
  readonly eventsPerS: number;
  /** Offline replay: every timestamp of this session lies this far in the past. */
  readonly lateByMs: number;
  nextAtMs: number;
  lastReportMs: number;
  began: boolean;
}

/** A deterministic, endless stream of Countly requests. */
export class Workload {
  private readonly rng: Rng;
  private readonly catalog: ReturnType<typeof buildEventCatalog>;
  private readonly appMix: Weighted<WorkloadApp>;
  private readonly deviceActivity: Zipf;
  private readonly heap: Session[] = [];
  private clockMs: number;

  constructor(private readonly opts: WorkloadOptions) {
    if (opts.apps.length === 0) throw new RangeError('the workload needs at least one app');
    this.rng = new Rng(deriveSeed(opts.seed, 1));
    this.catalog = buildEventCatalog(deriveSeed(opts.seed, 2));
    this.appMix = new Weighted(opts.apps.map((a) => [a, a.profile.trafficShare] as const));
    this.deviceActivity = new Zipf(opts.devicesPerApp ?? 20_000, 0.8);
    this.clockMs = opts.anchorMs - (opts.historyMs ?? 36 * HOUR_MS);
    const sessions = opts.concurrentSessions ?? 500;
    for (let i = 0; i < sessions; i++) this.push(this.newSession(this.clockMs + this.rng.float() * HEARTBEAT_MS));
  }

  /** The next request in simulated time order (offline replays arrive with old timestamps). */
  next(): CountlyRequest {
    const s = this.heap[0];
    if (s === undefined) throw new RangeError('no sessions');
    this.clockMs = s.nextAtMs;
    if (!s.began) return this.advance(s, { begin_session: 1, metrics: s.metrics });
    if (s.nextAtMs < s.endMs) return this.advance(s, { session_duration: Math.round((s.nextAtMs - s.lastReportMs) / 1000) });
    const req = this.request(s, { end_session: 1, session_duration: Math.round((s.nextAtMs - s.lastReportMs) / 1000) });
    this.heap[0] = this.newSession(this.clockMs + this.rng.exponential(5_000));
    this.siftDown(0);
    return req;
  }

  /** `n` consecutive requests, e.g. the items of one /i/bulk call. */
  nextBatch(n: number): CountlyRequest[] {
    return Array.from({ length: n }, () => this.next());
  }

  private advance(s: Session, extra: Partial<CountlyRequest>): CountlyRequest {
    const req = this.request(s, extra);
    s.began = true;
    s.lastReportMs = s.nextAtMs;
    s.nextAtMs = Math.min(s.nextAtMs + HEARTBEAT_MS, s.endMs);
    this.siftDown(0);
    return req;
  }

  private request(s: Session, extra: Partial<CountlyRequest>): CountlyRequest {
    const p = s.app.profile;
    const atMs = s.nextAtMs - s.lateByMs;
    const [sdkName, sdkVersion] = sdkOf(p.platform, s.metrics._os);
    const events = this.events(s, (s.began ? s.lastReportMs : s.nextAtMs) - s.lateByMs, atMs);
    return {
      app_key: s.app.key,
      device_id: s.deviceId,
      timestamp: Math.round(atMs),
      ...this.localTime(atMs, p.tzOffsetMin),
      tz: p.tzOffsetMin,
      sdk_name: sdkName,
      sdk_version: sdkVersion,
      av: s.metrics._app_version,
      ...extra,
      ...(events.length > 0 ? { events } : {}),
    };
  }

  private localTime(atMs: number, tzOffsetMin: number): { hour: number; dow: number } {
    const local = new Date(atMs + tzOffsetMin * 60_000);
    return { hour: local.getUTCHours(), dow: local.getUTCDay() };
  }

  private events(s: Session, fromMs: number, toMs: number): CountlyEvent[] {
    const spanS = Math.max(0, (toMs - fromMs) / 1000);
    const n = Math.min(MAX_EVENTS_PER_REQUEST, this.rng.poisson(Math.max(0.3, s.eventsPerS * spanS)));
    const out: CountlyEvent[] = [];
    for (let i = 0; i < n; i++) {
      const spec = this.catalog.events[this.catalog.popularity.sample(this.rng)];
      if (spec !== undefined) out.push(this.event(spec, fromMs + this.rng.float() * (toMs - fromMs), s.app.profile.tzOffsetMin));
    }
    return out;
  }

  private event(spec: EventSpec, atMs: number, tzOffsetMin: number): CountlyEvent {
    const segmentation: Record<string, string> = {};
    for (const seg of spec.segments) {
      if (this.rng.chance(0.9)) segmentation[seg.name] = seg.values[seg.zipf.sample(this.rng)] ?? '';
    }
    return {
      key: spec.key,
      count: this.rng.chance(0.9) ? 1 : this.rng.int(2, 5),
      ...(spec.hasSum ? { sum: Math.round(this.rng.logNormal(12, 0.9) * 100) / 100 } : {}),
      ...(spec.hasDur ? { dur: Math.round(this.rng.logNormal(20, 1)) } : {}),
      segmentation,
      timestamp: Math.round(atMs),
      ...this.localTime(atMs, tzOffsetMin),
    };
  }

  private newSession(startMs: number): Session {
    const app = this.appMix.sample(this.rng);
    const deviceIndex = this.deviceActivity.sample(this.rng);
    const appIndex = this.opts.apps.indexOf(app);
    // Device facts come from their own seed, so a device looks the same in every session.
    const deviceRng = new Rng(deriveSeed(this.opts.seed, appIndex, deviceIndex));
    const deviceId = deviceUuid(deviceRng);
    const offline = this.rng.chance(this.opts.offlineShare ?? 0.04);
    const lengthMs = Math.min(2 * HOUR_MS, this.rng.logNormal(180_000, 1.0));
    return {
      app,
      deviceId,
      metrics: deviceMetrics(deviceRng, app.profile.platform, app.profile.country),
      endMs: startMs + Math.max(1_000, lengthMs),
      eventsPerS: this.rng.logNormal(0.03, 0.7),
      lateByMs: offline ? this.rng.int(1, 48) * HOUR_MS : 0,
      nextAtMs: startMs,
      lastReportMs: startMs,
      began: false,
    };
  }

  private push(s: Session): void {
    this.heap.push(s);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!this.swapIfLess(i, parent)) break;
      i = parent;
    }
  }

  private siftDown(start: number): void {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < this.heap.length && this.before(l, least)) least = l;
      if (r < this.heap.length && this.before(r, least)) least = r;
      if (least === i) return;
      this.swapIfLess(least, i);
      i = least;
    }
  }

  private before(a: number, b: number): boolean {
    return (this.heap[a]?.nextAtMs ?? Infinity) < (this.heap[b]?.nextAtMs ?? Infinity);
  }

  /** Swaps heap slots a and b when a sorts before b; returns whether it did. */
  private swapIfLess(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined || !(x.nextAtMs < y.nextAtMs)) return false;
    this.heap[a] = y;
    this.heap[b] = x;
    return true;
  }
}

/** A v4-shaped UUID, as the SDKs generate for device ids. */
function deviceUuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
