// The Countly time object (§2.5) and calendar boundaries in an app's IANA timezone, computed with
// Intl only (no clock, no I/O). Formatters are cached per zone: creating one costs ~50 µs.

/** Countly's default zone for apps without a valid one (§2.5). */
export const DEFAULT_TIMEZONE = 'Europe/Istanbul';

const MS_PER_DAY = 86_400_000;

/** Calendar fields of one instant in one timezone. */
export interface TimeObject {
  /** Unix seconds (integer part). */
  readonly timestampS: number;
  /** Unix milliseconds, keeping the sub-second part of a float timestamp. */
  readonly timestampMs: number;
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  /** 1..31 */
  readonly day: number;
  /** 0..23 */
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 1..366 */
  readonly dayOfYear: number;
  /** ceil(dayOfYear / 7), 1..53; not ISO weeks. */
  readonly weekly: number;
  /** `YYYY` */
  readonly yearly: string;
  /** `YYYY.M` */
  readonly monthly: string;
  /** `YYYY.M.D` */
  readonly daily: string;
  /** `YYYY.M.D.H` */
  readonly hourly: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function makeFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  let created: Intl.DateTimeFormat;
  try {
    created = makeFormatter(timeZone);
  } catch (err) {
    // Decision (§2.5): an unknown zone name buckets like Countly's default zone. Only a
    // RangeError means "unknown zone"; anything else is a bug and propagates.
    if (!(err instanceof RangeError)) throw err;
    created = formatterFor(DEFAULT_TIMEZONE);
  }
  formatters.set(timeZone, created);
  return created;
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function wallClock(ms: number, timeZone: string): WallClock {
  const f: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') f[part.type] = Number(part.value);
  }
  return {
    year: f.year ?? 1970,
    month: f.month ?? 1,
    day: f.day ?? 1,
    hour: f.hour ?? 0,
    minute: f.minute ?? 0,
    second: f.second ?? 0,
  };
}

/** The wall clock read as if it were UTC, in ms (whole seconds). */
function wallAsUtcMs(w: WallClock): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

const dayOfYear = (w: WallClock): number => (Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / MS_PER_DAY + 1;

/** Countly time object of `timestampMs` in `timeZone` (§2.5). */
export function timeObject(timestampMs: number, timeZone: string): TimeObject {
  const w = wallClock(timestampMs, timeZone);
  const doy = dayOfYear(w);
  return {
    timestampS: Math.floor(timestampMs / 1000),
    timestampMs,
    ...w,
    dayOfYear: doy,
    weekly: Math.ceil(doy / 7),
    yearly: `${w.year}`,
    monthly: `${w.year}.${w.month}`,
    daily: `${w.year}.${w.month}.${w.day}`,
    hourly: `${w.year}.${w.month}.${w.day}.${w.hour}`,
  };
}

/** Offset of the zone at instant `ms`: wall clock minus UTC, in ms (whole seconds). */
function offsetMs(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallAsUtcMs(wallClock(whole, timeZone)) - whole;
}

/**
 * First instant (ms) whose wall clock is `target` (a wall time read as UTC ms). When the wall
 * time falls in a DST gap (e.g. a midnight that is skipped), the first instant after the gap.
 */
function instantOfWall(targetMs: number, nearMs: number, timeZone: string): number {
  const oA = offsetMs(targetMs - offsetMs(nearMs, timeZone), timeZone);
  const oB = offsetMs(targetMs - oA, timeZone);
  const candidates = [targetMs - Math.max(oA, oB), targetMs - Math.min(oA, oB)];
  const exact = candidates.filter((c) => wallAsUtcMs(wallClock(c, timeZone)) === targetMs);
  if (exact.length > 0) return Math.min(...exact);
  // Gap: the wall time does not exist; the transition instant is target minus the earlier offset.
  return targetMs - Math.min(oA, oB);
}

/** Start of the hour containing `timestampS` in `timeZone`, unix seconds. */
export function startOfHourS(timestampS: number, timeZone: string): number {
  const w = wallClock(timestampS * 1000, timeZone);
  return timestampS - w.minute * 60 - w.second;
}

/** Start of the local day containing `timestampS`, unix seconds (DST-aware). */
export function startOfDayS(timestampS: number, timeZone: string): number {
  const w = wallClock(timestampS * 1000, timeZone);
  return Math.floor(instantOfWall(Date.UTC(w.year, w.month - 1, w.day), timestampS * 1000, timeZone) / 1000);
}

/** Start of the local month containing `timestampS`, unix seconds. */
export function startOfMonthS(timestampS: number, timeZone: string): number {
  const w = wallClock(timestampS * 1000, timeZone);
  return Math.floor(instantOfWall(Date.UTC(w.year, w.month - 1, 1), timestampS * 1000, timeZone) / 1000);
}

/** Start of the local year containing `timestampS`, unix seconds. */
export function startOfYearS(timestampS: number, timeZone: string): number {
  const w = wallClock(timestampS * 1000, timeZone);
  return Math.floor(instantOfWall(Date.UTC(w.year, 0, 1), timestampS * 1000, timeZone) / 1000);
}

const MIN_SECONDS = 1_000_000_000; // smallest 10-digit value
const MIN_MILLIS = 1_000_000_000_000; // smallest 13-digit value

function numericValue(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/**
 * Request time in ms (§2.1): a 10-digit seconds or 13-digit ms value, integer or float (digits
 * counted after rounding); a future value clamps to the receive time; anything else (missing,
 * other length, non-numeric, negative) is the receive time.
 */
export function requestTimestampMs(raw: unknown, receivedAtMs: number): number {
  const n = numericValue(raw);
  if (n === null) return receivedAtMs;
  const rounded = Math.round(n);
  let ms: number;
  if (rounded >= MIN_SECONDS && rounded < MIN_SECONDS * 10) ms = Math.round(n * 1000);
  else if (rounded >= MIN_MILLIS && rounded < MIN_MILLIS * 10) ms = rounded;
  else return receivedAtMs;
  return Math.min(ms, receivedAtMs);
}
