// The traffic of test/reports.int.test.ts and the report values it must give, computed here from
// what the test sends (Intl calendar, brute-force funnel search), sharing no code with the folds.
import { calendar } from './countly-calendar.ts';
import type { BulkScript } from './sdk-bulk-script.ts';

/** UTC+05:30 without DST: local days start at 18:30 UTC the day before. */
export const TZ = 'Asia/Kolkata';
const OFFSET_MIN = 330;
/** Unix ms of a Kolkata wall-clock time in 2026. */
export const localMs = (mo: number, d: number, h: number, mi = 0): number => Date.UTC(2026, mo - 1, d, h, mi) - OFFSET_MIN * 60_000;

export interface SentEvent {
  readonly device: string;
  readonly key: string;
  readonly count: number;
  readonly sum: number;
  readonly dur: number;
  readonly plan: string;
  readonly ms: number;
  /** The device's `custom.tier` when the event was sent (the last details phase before it). */
  readonly tier: string;
}

/** What the test sent: events, and the instants each device was seen by a session request. */
export class Traffic {
  readonly events: SentEvent[] = [];
  readonly sessions: { device: string; ms: number }[] = [];
  readonly tiers = new Map<string, string>();
  readonly devices: string[];

  constructor(devices: number) {
    this.devices = Array.from({ length: devices }, (_, i) => `dev-${i}`);
  }

  details(s: BulkScript, tierOf: (i: number) => string | undefined): void {
    this.devices.forEach((d, i) => {
      const tier = tierOf(i);
      if (tier === undefined) return;
      this.tiers.set(d, tier);
      s.details(d, { name: `User ${i}`, custom: { tier } });
    });
  }

  /** A session of 30 s (begin + one heartbeat 60 s later), both requests timestamped. */
  session(s: BulkScript, device: string, ms: number): void {
    s.session(device, { metrics: { _os: 'Linux' }, seconds: 30, atS: ms / 1000 });
    this.sessions.push({ device, ms }, { device, ms: ms + 60_000 });
  }

  /** Events of one device, in time order (the SDK sends them as one request). */
  deviceEvents(s: BulkScript, device: string, list: readonly Omit<SentEvent, 'device' | 'tier'>[]): void {
    s.events(
      device,
      list.map((e) => ({ key: e.key, count: e.count, sum: e.sum, dur: e.dur, segmentation: { plan: e.plan }, timestamp: e.ms })),
    );
    for (const e of list) this.events.push({ ...e, device, tier: this.tiers.get(device) ?? '' });
  }
}

/** A period `[from, to]` answers UTC days (spec §4.4 quirk): the first and last ms. */
export const periodBounds = (fromMs: number, toMs: number): { startMs: number; endMs: number } => ({
  startMs: Math.floor(fromMs / 86_400_000) * 86_400_000,
  endMs: Math.floor(toMs / 86_400_000) * 86_400_000 + 86_400_000 - 1,
});

const dayKey = (ms: number): string => {
  const c = calendar(ms, TZ);
  return `${c.year}.${c.month}.${c.day}`;
};
const monthKey = (ms: number): string => {
  const c = calendar(ms, TZ);
  return `${c.year}.${c.month}`;
};

export interface CellModel {
  c: number;
  s: number;
  dur: number;
  u: number;
}

/** Segmentation of `key` per bucket and breakdown value, from the sent events. */
export function expectedSegmentation(
  t: Traffic,
  opts: { key: string; bucket: 'daily' | 'monthly'; bounds: { startMs: number; endMs: number }; tiers?: string[]; breakdown: 'plan' | 'tier' | null },
): Record<string, Record<string, CellModel>> {
  const out: Record<string, Record<string, CellModel>> = {};
  const seen = new Map<string, Set<string>>();
  for (const e of t.events) {
    if (e.key !== opts.key || e.ms < opts.bounds.startMs || e.ms > opts.bounds.endMs) continue;
    if (opts.tiers !== undefined && !opts.tiers.includes(e.tier)) continue;
    const bucket = opts.bucket === 'daily' ? dayKey(e.ms) : monthKey(e.ms);
    const bv = opts.breakdown === null ? 'all' : opts.breakdown === 'plan' ? e.plan : e.tier;
    const row = (out[bucket] ??= {});
    const cell = (row[bv] ??= { c: 0, s: 0, dur: 0, u: 0 });
    cell.c += e.count;
    cell.s += e.sum;
    cell.dur += e.dur;
    const devices = seen.get(`${bucket}|${bv}`) ?? new Set<string>();
    devices.add(e.device);
    seen.set(`${bucket}|${bv}`, devices);
    cell.u = devices.size;
  }
  return out;
}

export interface FunnelStepModel {
  readonly event: string;
  readonly plan?: string;
}

/** Whether events (time-ordered) contain steps 1..k in order with the k-th within `windowMs` of the first: brute force. */
function reaches(events: readonly SentEvent[], steps: readonly FunnelStepModel[], k: number, windowMs: number): boolean {
  const match = (e: SentEvent, s: FunnelStepModel) => e.key === s.event && (s.plan === undefined || e.plan === s.plan);
  const search = (from: number, step: number, startMs: number): boolean => {
    if (step === k) return true;
    for (let i = from; i < events.length; i++) {
      const e = events[i]!;
      const s = steps[step]!;
      if (!match(e, s)) continue;
      const start = step === 0 ? e.ms : startMs;
      if (e.ms - start > windowMs) continue;
      if (search(i + 1, step + 1, start)) return true;
    }
    return false;
  };
  return search(0, 0, 0);
}

export function expectedFunnel(t: Traffic, steps: readonly FunnelStepModel[], windowS: number, bounds: { startMs: number; endMs: number }): number[] {
  return steps
    .map((_, i) =>
      t.devices.filter((d) => {
        const mine = t.events.filter((e) => e.device === d && e.ms >= bounds.startMs && e.ms <= bounds.endMs).sort((a, b) => a.ms - b.ms);
        return reaches(mine, steps, i + 1, windowS * 1000);
      }),
    )
    .map((ds) => ds.length);
}

/** Daily retention: cohorts by first local day seen (sessions and events in the period), returns on each of `periods` following days. */
export function expectedRetention(
  t: Traffic,
  periods: number,
  bounds: { startMs: number; endMs: number },
): { cohort: string; size: number; returned: number[] }[] {
  const days = new Map<string, Set<number>>();
  const dayNumber = (ms: number) => {
    const c = calendar(ms, TZ);
    return Date.UTC(c.year, c.month - 1, c.day) / 86_400_000;
  };
  const add = (device: string, ms: number) => {
    if (ms < bounds.startMs || ms > bounds.endMs) return;
    const set = days.get(device) ?? new Set<number>();
    set.add(dayNumber(ms));
    days.set(device, set);
  };
  for (const s of t.sessions) add(s.device, s.ms);
  for (const e of t.events) add(e.device, e.ms);
  const cohorts = new Map<number, { size: number; returned: number[] }>();
  for (const set of days.values()) {
    const first = Math.min(...set);
    const row = cohorts.get(first) ?? { size: 0, returned: Array.from({ length: periods }, () => 0) };
    row.size++;
    for (const d of set) if (d - first >= 1 && d - first <= periods) row.returned[d - first - 1]!++;
    cohorts.set(first, row);
  }
  return [...cohorts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([first, row]) => {
      const d = new Date(first * 86_400_000);
      return { cohort: `${d.getUTCFullYear()}.${d.getUTCMonth() + 1}.${d.getUTCDate()}`, ...row };
    });
}
