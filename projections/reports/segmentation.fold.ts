// Event segmentation over raw events: count, sum, duration and unique devices of one event key
// (or sessions) per hour, day, week or month in the app's timezone, filtered by segment values
// and by the user's properties as they were at the time of the event, broken down by one
// segment or property. A pure fold over decoded events; the state is plain JSON (it is the
// job's checkpoint), and folding it further with later events gives what one run would.
import { dict, own } from '../dict.ts';
import { RecordDraft } from '../draft.ts';
import type { CleanEvent } from '../event-clean.ts';
import type { FoldEvent } from '../fold.ts';
import { reportRequestOf, type ReportRequest } from '../request.ts';
import { timeObject, type TimeObject } from '../time.ts';
import { dayIndex, weekIndexOfDay, weekLabel } from './report-time.ts';
import { SESSION_KEY, type SegmentationBucket, type SegmentationSpec, type ValueFilter } from './report-spec.ts';

export interface Cell {
  c: number;
  s: number;
  dur: number;
  u: number;
}

export interface SegmentationState {
  /** bucket key → breakdown value → counters. */
  readonly cells: Readonly<Record<string, Readonly<Record<string, Cell>>>>;
  /** `<bucket>\u0000<breakdown value>` → devices seen (for `u`). */
  readonly devices: Readonly<Record<string, Readonly<Record<string, 1>>>>;
  /** Tracked user properties per device id, as of the last folded request. */
  readonly props: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly lastSeq: number | null;
}

export interface SegmentationResult {
  readonly event: string;
  readonly bucket: SegmentationBucket;
  readonly breakdown: string | null;
  /** bucket key → breakdown value (`all` without a breakdown) → `{c, s, dur, u}`. */
  readonly series: Readonly<Record<string, Readonly<Record<string, Cell>>>>;
}

export interface SegmentationJob {
  readonly spec: SegmentationSpec;
  readonly startMs: number;
  readonly endMs: number;
}

/** Breakdown value when the event or device has none. */
export const NONE = '(none)';
const ALL = 'all';

export const initialSegmentation = (): SegmentationState => ({ cells: {}, devices: {}, props: {}, lastSeq: null });

export function bucketKey(t: TimeObject, bucket: SegmentationBucket): string {
  if (bucket === 'hourly') return t.hourly;
  if (bucket === 'daily') return t.daily;
  if (bucket === 'monthly') return t.monthly;
  return weekLabel(weekIndexOfDay(dayIndex(t)));
}

/** Property names a job reads: the filter's and the breakdown's. */
function trackedProps(spec: SegmentationSpec): string[] {
  const names = Object.keys(spec.properties ?? {});
  if (spec.breakdown_by === 'property' && spec.breakdown !== undefined) names.push(spec.breakdown);
  return names;
}

/** Profile fields by name, custom properties as `custom.<key>`; only values that are set (strings or numbers). */
function updatedProps(before: Readonly<Record<string, string>> | undefined, req: ReportRequest, names: readonly string[]): Record<string, string> | undefined {
  const details = req.userDetails;
  if (details === null) return undefined;
  const next = dict<string>();
  Object.assign(next, before);
  for (const n of names) {
    const custom = n.startsWith('custom.') ? n.slice('custom.'.length) : undefined;
    if (custom === undefined) {
      const v = own(details.profile, n);
      if (v === null) delete next[n];
      else if (v !== undefined) next[n] = String(v);
      continue;
    }
    for (const change of own(details.custom, custom) ?? []) {
      if (change.op === 'unset') delete next[n];
      else if (change.op === 'set' && (typeof change.value === 'string' || typeof change.value === 'number')) next[n] = String(change.value);
    }
  }
  return next;
}

const passes = (filter: ValueFilter | undefined, valueOf: (name: string) => string | undefined): boolean =>
  filter === undefined ||
  Object.entries(filter).every(([k, allowed]) => {
    const v = valueOf(k);
    return v !== undefined && allowed.includes(v);
  });

interface Drafts {
  readonly cells: RecordDraft<Readonly<Record<string, Cell>>>;
  readonly devices: RecordDraft<Readonly<Record<string, 1>>>;
  readonly props: RecordDraft<Readonly<Record<string, string>>>;
  /** Inner records already copied in this call (written in place afterwards). */
  readonly owned: Set<object>;
}

/** Adds to one cell; `deviceId` (undefined: add no device) counts towards `u` once per cell. */
function count(d: Drafts, job: SegmentationJob, deviceId: string | undefined, t: TimeObject, bv: string, add: Omit<Cell, 'u'>): void {
  const key = bucketKey(t, job.spec.bucket);
  let row = d.cells.get(key);
  if (row === undefined || !d.owned.has(row)) {
    const copy = dict<Cell>();
    for (const [k, v] of Object.entries(row ?? {})) copy[k] = { ...v };
    row = copy;
    d.owned.add(row);
    d.cells.set(key, row);
  }
  const cell = (row as Record<string, Cell>)[bv] ?? { c: 0, s: 0, dur: 0, u: 0 };
  (row as Record<string, Cell>)[bv] = {
    c: cell.c + add.c,
    s: round5(cell.s + add.s),
    dur: round5(cell.dur + add.dur),
    u: cell.u + (addDevice(d, key, bv, deviceId) ? 1 : 0),
  };
}

/** Records a device in a cell's set; true when it is new there. */
function addDevice(d: Drafts, key: string, bv: string, deviceId: string | undefined): boolean {
  if (deviceId === undefined) return false;
  const devKey = `${key}\u0000${bv}`;
  let seen = d.devices.get(devKey);
  if (seen === undefined || !d.owned.has(seen)) {
    seen = Object.assign(dict<1>(), seen);
    d.owned.add(seen);
    d.devices.set(devKey, seen);
  }
  if (own(seen, deviceId) !== undefined) return false;
  (seen as Record<string, 1>)[deviceId] = 1;
  return true;
}

const round5 = (n: number): number => Math.round(n * 100_000) / 100_000;
const inPeriod = (job: SegmentationJob, ms: number): boolean => ms >= job.startMs && ms <= job.endMs;

function breakdownValue(job: SegmentationJob, segOf: (k: string) => string | undefined, propOf: (k: string) => string | undefined): string {
  const { breakdown_by: by, breakdown } = job.spec;
  if (by === undefined || breakdown === undefined) return ALL;
  return (by === 'segment' ? segOf(breakdown) : propOf(breakdown)) ?? NONE;
}

function applyEvent(d: Drafts, job: SegmentationJob, req: ReportRequest, e: CleanEvent, props: Readonly<Record<string, string>> | undefined): void {
  if (e.key !== job.spec.event || !inPeriod(job, e.timeMs)) return;
  const segOf = (k: string) => e.segments.find((s) => s.key === k)?.value;
  const propOf = (k: string) => own(props, k);
  if (!passes(job.spec.segments, segOf) || !passes(job.spec.properties, propOf)) return;
  const t = e.timeMs === req.time.timestampMs ? req.time : timeObject(e.timeMs, req.timezone);
  count(d, job, req.deviceId, t, breakdownValue(job, segOf, propOf), { c: e.count, s: e.sum ?? 0, dur: e.dur ?? 0 });
}

/** Sessions: a `begin_session` counts one, `session_duration` adds to `dur`; `u` counts devices that began one. */
function applySession(d: Drafts, job: SegmentationJob, req: ReportRequest, props: Readonly<Record<string, string>> | undefined): void {
  if (!inPeriod(job, req.time.timestampMs)) return;
  const propOf = (k: string) => own(props, k);
  if (job.spec.segments !== undefined || !passes(job.spec.properties, propOf)) return;
  const dur = req.sessionDurationS !== null && req.sessionDurationS > 0 ? req.sessionDurationS : 0;
  if (!req.beginSession && dur === 0) return;
  count(
    d,
    job,
    req.beginSession ? req.deviceId : undefined,
    req.time,
    breakdownValue(job, () => undefined, propOf),
    { c: req.beginSession ? 1 : 0, s: 0, dur },
  );
}

export function foldSegmentation(state: SegmentationState, events: readonly FoldEvent[], job: SegmentationJob): SegmentationState {
  const d: Drafts = { cells: new RecordDraft(state.cells), devices: new RecordDraft(state.devices), props: new RecordDraft(state.props), owned: new Set() };
  const names = trackedProps(job.spec);
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.seq !== undefined) lastSeq = Math.max(lastSeq ?? 0, event.seq);
    if (event.type !== 'SdkRequestReceived') continue;
    const req = reportRequestOf(event);
    // User details of a request apply before its events (the SDK sends them in requests of their own).
    let props = d.props.get(req.deviceId);
    if (names.length > 0) {
      const next = updatedProps(props, req, names);
      if (next !== undefined) {
        d.props.set(req.deviceId, next);
        props = next;
      }
    }
    if (job.spec.event === SESSION_KEY) applySession(d, job, req, props);
    else for (const e of req.events) applyEvent(d, job, req, e, props);
  }
  return { cells: d.cells.result(), devices: d.devices.result(), props: d.props.result(), lastSeq };
}

export const segmentationResult = (state: SegmentationState, job: SegmentationJob): SegmentationResult => ({
  event: job.spec.event,
  bucket: job.spec.bucket,
  breakdown: job.spec.breakdown_by === undefined || job.spec.breakdown === undefined ? null : `${job.spec.breakdown_by}:${job.spec.breakdown}`,
  series: state.cells,
});
