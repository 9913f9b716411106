// Calendar arithmetic and IANA time-zone conversion without a date library.
// Calendar dates are zone-free {y, m, d} values; arithmetic on them goes through Date.UTC so
// a DST day is still one calendar day. Only the conversions between an instant and a wall
// clock read the zone, through one cached Intl.DateTimeFormat per zone.

/** A calendar date with no zone: `m` is 1–12, `d` is 1–31. */
export interface CalendarDate {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

/** A wall-clock reading in some zone. */
export interface WallTime extends CalendarDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached) return cached;
  const created = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  formatters.set(timeZone, created);
  return created;
}

/**
 * The zone to compute in: `timeZone` when the runtime knows it, else `UTC` (what
 * moment-timezone falls back to for an unknown name). Only a RangeError means "unknown zone".
 */
export function resolveTimeZone(timeZone: string): string {
  if (timeZone === '') return 'UTC';
  try {
    formatterFor(timeZone);
    return timeZone;
  } catch (err) {
    if (err instanceof RangeError) return 'UTC';
    throw err;
  }
}

/** The wall clock in `timeZone` at instant `epochMs`. */
export function wallTimeAt(epochMs: number, timeZone: string): WallTime {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(epochMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    y: fields.year ?? 1970,
    m: fields.month ?? 1,
    d: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
    millisecond: ((epochMs % 1000) + 1000) % 1000,
  };
}

/** UTC offset of `timeZone` at instant `epochMs`, in ms (positive east of Greenwich). */
export function offsetMsAt(epochMs: number, timeZone: string): number {
  const w = wallTimeAt(epochMs, timeZone);
  const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.hour, w.minute, w.second, w.millisecond);
  return asUtc - epochMs;
}

/**
 * The instant at which the wall clock of `timeZone` shows `wall`. A time that occurs twice
 * (autumn overlap) gives the earlier instant; a time skipped by a spring gap gives the instant
 * just as far after the gap (03:30 for a skipped 02:30), like moment-timezone.
 */
export function instantOf(wall: WallTime, timeZone: string): number {
  const local = Date.UTC(wall.y, wall.m - 1, wall.d, wall.hour, wall.minute, wall.second, wall.millisecond);
  const before = local - offsetMsAt(local - MS_PER_DAY, timeZone);
  const after = local - offsetMsAt(local + MS_PER_DAY, timeZone);
  const exact = [before, after].filter((t) => t + offsetMsAt(t, timeZone) === local);
  return exact.length > 0 ? Math.min(...exact) : before;
}

/** First instant of calendar day `date` in `timeZone`. */
export function startOfDayMs(date: CalendarDate, timeZone: string): number {
  return instantOf({ ...date, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
}

/** Last millisecond of calendar day `date` in `timeZone` (23 or 25 hours after the start on DST days). */
export function endOfDayMs(date: CalendarDate, timeZone: string): number {
  return startOfDayMs(addDays(date, 1), timeZone) - 1;
}

/** Days since 1970-01-01 of a calendar date (negative before it). */
export function dayNumber(date: CalendarDate): number {
  return Math.round(Date.UTC(date.y, date.m - 1, date.d) / MS_PER_DAY);
}

function fromUtcMs(ms: number): CalendarDate {
  const t = new Date(ms);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** The date `days` calendar days after `date` (before when negative). */
export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromUtcMs(Date.UTC(date.y, date.m - 1, date.d + days));
}

/** The date `months` months after `date`, day clamped to the target month (31 Mar − 1 month = 29 Feb). */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const first = fromUtcMs(Date.UTC(date.y, date.m - 1 + months, 1));
  return { ...first, d: Math.min(date.d, daysInMonth(first.y, first.m)) };
}

/** Number of days of month `m` (1–12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Day of the year, 1 for 1 January. */
export function dayOfYear(date: CalendarDate): number {
  return dayNumber(date) - dayNumber({ y: date.y, m: 1, d: 1 }) + 1;
}

/** Day of the week, 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: CalendarDate): number {
  return new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay();
}

/** Countly's week number: ceil(day_of_year / 7), 1..53; not an ISO week. */
export function countlyWeek(date: CalendarDate): number {
  return Math.ceil(dayOfYear(date) / 7);
}

/** Every calendar day from `first` to `last`, both included; empty when `last` is before `first`. */
export function daysBetween(first: CalendarDate, last: CalendarDate): CalendarDate[] {
  const out: CalendarDate[] = [];
  const count = dayNumber(last) - dayNumber(first) + 1;
  for (let i = 0; i < count; i++) out.push(addDays(first, i));
  return out;
}

/** `YYYY.M.D`, no zero padding (the key of a day inside a time object). */
export const dayKey = (date: CalendarDate): string => `${date.y}.${date.m}.${date.d}`;
/** `YYYY.M` */
export const monthKey = (date: CalendarDate): string => `${date.y}.${date.m}`;
/** `YYYY.wN` with Countly's week number. */
export const weekKey = (date: CalendarDate): string => `${date.y}.w${countlyWeek(date)}`;
