// The session state machine of §2.6 and the unique/bucket decisions of §3.4–3.5, shared by the
// sessions, metrics and app-users folds so they always agree on "new session? new user? which
// unique levels?". Decisions read the device state *before* the request, as Countly does.
import { mergeAppUserDocs } from './app-user-merge.ts';
import type { Json, JsonObject } from './json.ts';
import type { MetricField, MetricValues } from './metric-families.ts';
import type { RecordDraft } from './draft.ts';
import { deviceKeyOf, type NormalizedRequest } from './request.ts';
import { startOfDayS, startOfHourS, startOfMonthS, startOfYearS, timeObject } from './time.ts';

/** `session_cooldown` (§2.16): a begin this soon after an end extends the session, seconds. */
export const SESSION_COOLDOWN_S = 15;

/**
 * What the session folds remember per device: the session subset of the app-user document
 * (§6.5), same field names. Times are unix seconds.
 */
export interface DeviceState {
  /** First session begin. */
  readonly fs: number | null;
  /** Last session begin. */
  readonly ls: number | null;
  /** Last begin_session (also extensions). */
  readonly lbst: number | null;
  /** Last end_session. */
  readonly lest: number | null;
  /** Has an ongoing session. */
  readonly hos: boolean;
  /** Duration of the current session so far, seconds. */
  readonly sd: number;
  /** Lifetime total duration, seconds. */
  readonly tsd: number;
  /** Session count. */
  readonly sc: number;
  /** Stored country. */
  readonly cc: string | null;
  /** Stored city (as the location gave it, unescaped). */
  readonly cty: string | null;
  /** Stored metric values by app-user field. */
  readonly metrics: MetricValues;
}

export const EMPTY_DEVICE: DeviceState = { fs: null, ls: null, lbst: null, lest: null, hos: false, sd: 0, tsd: 0, sc: 0, cc: null, cty: null, metrics: {} };

export interface UniqueLevels {
  readonly hour: boolean;
  readonly day: boolean;
  readonly week: boolean;
  readonly month: boolean;
  readonly year: boolean;
}

const ALL_UNIQUE: UniqueLevels = { hour: true, day: true, week: true, month: true, year: true };

export type SessionStart =
  | { readonly kind: 'none' }
  | { readonly kind: 'extended' }
  | {
      readonly kind: 'new';
      readonly newUser: boolean;
      readonly uniques: UniqueLevels;
      /** Frequency bucket `f` (§3.5); null for a begin dated before the last one. */
      readonly frequency: string | null;
      /** Stored country differs from the request's (§3.4 last rule). */
      readonly countryChanged: boolean;
      /** Device state before this request (metric value comparisons). */
      readonly before: DeviceState;
    };

/** Everything one request does to a device, as facts for the folds. */
export interface DeviceStep {
  readonly device: DeviceState;
  readonly session: SessionStart;
  /** `session_duration` to count (`e += 1`, `d += v`); null when none or ignored. */
  readonly durationS: number | null;
  /** Duration (sd) of a session closed by this request, for the `ds` bucket; null if none. */
  readonly closedSessionS: number | null;
  /** Neither begin_session nor a (truthy) session_duration: the request still counts in `e` (§3.3). */
  readonly plainRequest: boolean;
}

const FREQUENCY_EDGES_H = [24, 48, 72, 96, 120, 144, 168, 192, 360, 744];

/** Frequency bucket from seconds since the last session begin (§3.5). */
export function frequencyBucket(sinceLastS: number): string | null {
  if (sinceLastS < 0) return null;
  const hours = sinceLastS / 3600;
  const i = FREQUENCY_EDGES_H.findIndex((edge) => hours < edge);
  return i === -1 ? String(FREQUENCY_EDGES_H.length) : String(i + 1);
}

const DURATION_RANGES: readonly (readonly [number, number])[] = [
  [0, 10],
  [11, 30],
  [31, 60],
  [61, 180],
  [181, 600],
  [601, 1800],
  [1801, 3600],
];

/** Duration range bucket `ds` of a closed session (§3.5); null for a non-integer gap value. */
export function durationBucket(seconds: number): string | null {
  if (seconds >= 3601) return String(DURATION_RANGES.length);
  const i = DURATION_RANGES.findIndex(([lo, hi]) => seconds >= lo && seconds <= hi);
  return i === -1 ? null : String(i);
}

/** Unique levels of a returning user last seen at `lsS` for a session at `nowS` (§3.4). */
export function uniqueLevels(lsS: number, nowS: number, timeZone: string): UniqueLevels {
  const last = timeObject(lsS * 1000, timeZone);
  const now = timeObject(nowS * 1000, timeZone);
  return {
    hour: lsS < startOfHourS(nowS, timeZone),
    day: lsS < startOfDayS(nowS, timeZone),
    // Quirk kept: a user last seen in an earlier year gets no week unique.
    week: last.year === now.year && last.weekly < now.weekly,
    month: lsS < startOfMonthS(nowS, timeZone),
    // Intended rule (§3.4), not Countly's ms-scaled day-of-year bug.
    year: lsS < startOfYearS(nowS, timeZone),
  };
}

function newSession(before: DeviceState, req: NormalizedRequest): SessionStart {
  const nowS = req.time.timestampS;
  if (before.fs === null) {
    return { kind: 'new', newUser: true, uniques: ALL_UNIQUE, frequency: '0', countryChanged: false, before };
  }
  const ls = before.ls ?? before.fs;
  return {
    kind: 'new',
    newUser: false,
    uniques: uniqueLevels(ls, nowS, req.timezone),
    frequency: frequencyBucket(nowS - ls),
    countryChanged: before.cc !== req.country,
    before,
  };
}

/**
 * One request applied to one device (§2.6). End-session duration buckets are recorded at the
 * end_session itself instead of Countly's "15 ms later, unless a session began meanwhile".
 */
export function stepDevice(prev: DeviceState | null, req: NormalizedRequest): DeviceStep {
  const before = prev ?? EMPTY_DEVICE;
  const nowS = req.time.timestampS;
  const v = req.sessionDurationS ?? 0;
  const base: DeviceState = {
    ...before,
    sd: before.sd + v,
    tsd: before.tsd + v,
    cc: req.location.cc ?? before.cc,
    cty: req.location.cty ?? before.cty,
    metrics: req.metrics ? { ...before.metrics, ...req.metrics } : before.metrics,
  };
  const plainRequest = !req.beginSession && !req.sessionDurationGiven;
  const step = { durationS: req.sessionDurationS, plainRequest };
  if (req.beginSession) {
    const begun = { ...base, hos: true, lbst: nowS };
    if (!req.ignoreCooldown && before.lest !== null && nowS - before.lest < SESSION_COOLDOWN_S) {
      return { ...step, device: begun, session: { kind: 'extended' }, closedSessionS: null };
    }
    const closedSessionS = before.hos ? base.sd : null;
    const device: DeviceState = {
      ...begun,
      sd: before.hos ? 0 : base.sd,
      fs: before.fs ?? nowS,
      ls: before.ls === null || before.ls < nowS ? nowS : before.ls,
      sc: before.sc + 1,
    };
    return { ...step, device, session: newSession(before, req), closedSessionS };
  }
  if (req.endSession) {
    // A device that never had a session only records `lest` (§2.6 end_session 3).
    const closes = before.fs !== null;
    const device = { ...base, lest: nowS, hos: false, sd: closes ? 0 : base.sd };
    return { ...step, device, session: { kind: 'none' }, closedSessionS: closes ? base.sd : null };
  }
  return { ...step, device: base, session: { kind: 'none' }, closedSessionS: null };
}

const numberOrNull = (v: Json | undefined): number | null => (typeof v === 'number' ? v : null);
const numberOrZero = (v: Json | undefined): number => (typeof v === 'number' ? v : 0);

const METRIC_FIELDS: readonly MetricField[] = ['c', 'd', 'mnf', 'av', 'p', 'dt', 'pv', 'r', 'hh', 'la', 'dnst', 'brw', 'brwv', 'src'];

/** Device state from a stored app-user document (plain JSON); null for "no such user". */
export function deviceStateFromAppUser(doc: JsonObject | null): DeviceState | null {
  if (doc === null) return null;
  const metrics: Partial<Record<MetricField, string>> = {};
  for (const field of METRIC_FIELDS) {
    const value = doc[field];
    if (typeof value === 'string') metrics[field] = value;
  }
  return {
    fs: numberOrNull(doc.fs),
    ls: numberOrNull(doc.ls),
    lbst: numberOrNull(doc.lbst),
    lest: numberOrNull(doc.lest),
    hos: doc.hos === true,
    sd: numberOrZero(doc.sd),
    tsd: numberOrZero(doc.tsd),
    sc: numberOrZero(doc.sc),
    cc: typeof doc.cc === 'string' ? doc.cc : null,
    cty: typeof doc.cty === 'string' ? doc.cty : null,
    metrics,
  };
}

/** The app-user fields a device state stands for (inverse of deviceStateFromAppUser). */
export function deviceStateToAppUserFields(device: DeviceState): JsonObject {
  const out: Record<string, Json> = { sd: device.sd, tsd: device.tsd, sc: device.sc, ...device.metrics };
  for (const key of ['fs', 'ls', 'lbst', 'lest', 'cc', 'cty'] as const) {
    const value = device[key];
    if (value !== null) out[key] = value;
  }
  if (device.hos) out.hos = true;
  return out;
}

/** Merge of device states on old_device_id, by the same rules as the app-user documents. */
export function mergeDeviceStates(current: DeviceState, old: DeviceState): DeviceState {
  const merged = mergeAppUserDocs(deviceStateToAppUserFields(current), deviceStateToAppUserFields(old), 0);
  return deviceStateFromAppUser(merged) ?? EMPTY_DEVICE;
}

/**
 * The current device's state once an `old_device_id` merge (§6.4) is applied: the old device's
 * state is folded in and set to null (a later request from it is a brand-new device).
 */
export function resolveDevice(devices: RecordDraft<DeviceState | null>, req: NormalizedRequest): DeviceState | null {
  const current = devices.get(req.deviceKey) ?? null;
  if (req.oldDeviceId === null) return current;
  const oldKey = deviceKeyOf(req.appId, req.oldDeviceId);
  const old = devices.get(oldKey) ?? null;
  if (old === null) return current;
  devices.set(oldKey, null);
  return mergeDeviceStates(current ?? EMPTY_DEVICE, old);
}
