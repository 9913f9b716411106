// The `period` parameter (§4.4) and the period object of `method=get_period_obj`.
//
// Choices where Countly's behaviour is unclear, buggy or not observable:
// - Calendar work is in the app zone (Intl), except `[from, to]` and `{since}`, whose bounds
//   and day labels are UTC days (Countly computes them in the server zone, which is UTC).
//   For from = to (same instant) Countly still names `activePeriod` in the app zone; kept.
// - Previous period: simple periods shift each day one unit back (hour/yesterday: a day,
//   day/prevMonth: a month, month: a year; day clamped, so 31 Mar → 29 Feb). Special periods
//   use the same number of days immediately before. Countly's Nweeks/Nmonths/Nyears subtract
//   a float as milliseconds (previous ≈ current); not copied. Nhours/Nminutes shift each day's
//   instant back by N hours/minutes, as Countly does.
// - Nweeks starts on Sunday (moment's default locale). N is capped at 100000 and N-unit periods
//   never start before 1 Jan 1970 in the app zone.
// - Nhours/Nminutes are "coarse": currentPeriodArr lists the days they touch, daysInPeriod is
//   that count (Countly's rounded duration gives 0 for 3hours).
// - `[from, to]` elements: integers or all-digit strings (10 digits ×1000, >13 cut to 13,
//   other lengths ms); finite floats are truncated; `DD-MM-YYYY[ HH:mm:ss]` with a real
//   calendar date. Countly multiplies any 10-character element, breaking `DD-MM-YYYY`; not
//   copied. An element that is none of these makes the whole period the default.
// - exclude_current_day (true or "true") caps special periods at the end of yesterday (a period
//   left empty becomes yesterday); simple periods ignore it.
// - Special periods of exactly one day set activePeriod/previousPeriod to that day and the day
//   before (as newer Countly does), so readers can take uniques directly.
// - uniquePeriodArr/uniquePeriodCheckArr (and previous) are [] for simple and one-day periods.
// - dateString never gains Countly frontend's ", YYYY" suffix.
// - bucket=monthly widens special periods to whole months (first day of the first month to
//   the last day of the last month); simple periods are unchanged.
import { PeriodTooLongError } from '../errors.ts';
import { boundsOf, widenToMonths } from './period-bounds.ts';
import type { Bounds, Clock } from './period-bounds.ts';
import { readPeriodRequest } from './period-input.ts';
import type { UniqueMap } from './period-ticks.ts';
import { buildUniqueMap, dbDateIds, uniqueCheckCover, uniqueCover } from './period-ticks.ts';
import type { CalendarDate } from './zoned-time.ts';
import { addDays, addMonths, dayKey, daysBetween, instantOf, resolveTimeZone, wallTimeAt } from './zoned-time.ts';

export type { UniqueMap } from './period-ticks.ts';

/** The period object, field for field as `method=get_period_obj` returns it. */
export interface PeriodObject {
  /** First ms of the period. */
  start: number;
  /** Last ms of the period (…:59.999). */
  end: number;
  currentPeriodArr: string[];
  previousPeriodArr: string[];
  /** moment format string for labels: `HH:mm`, `D MMM, HH:mm`, `D MMM` or `MMM`. */
  dateString: string;
  isSpecialPeriod: boolean;
  daysInPeriod: number;
  periodContainsToday: boolean;
  uniquePeriodArr: string[];
  uniquePeriodCheckArr: string[];
  previousUniquePeriodArr: string[];
  previousUniquePeriodCheckArr: string[];
  /** `YYYY.M.D`, `YYYY.M` or the year number for simple periods; `NA` otherwise. */
  activePeriod: string | number;
  previousPeriod: string | number;
  periodMax: number | 'NA';
  periodMin: number | 'NA';
  reqMonthDbDateIds: string[];
  reqZeroDbDateIds: string[];
  uniqueMap: UniqueMap;
  uniquePrevMap: UniqueMap;
}

export interface PeriodOptions {
  /** Period used when the parameter is missing or unusable. Default `30days`. */
  defaultPeriod?: string;
  /** `monthly` widens special periods to whole months (analytics sessions/events). Default `daily`. */
  bucket?: 'daily' | 'monthly';
  /** Longest period accepted, days; a longer one throws `PeriodTooLongError` before any day is listed. Default: no bound. */
  maxDays?: number;
}

const DAY_MS = 86_400_000;

function currentDays(bounds: Bounds): CalendarDate[] {
  return daysBetween(wallTimeAt(bounds.startMs, bounds.labelZone), wallTimeAt(bounds.endMs, bounds.labelZone));
}

function previousDays(bounds: Bounds, days: readonly CalendarDate[]): CalendarDate[] {
  const { cycle } = bounds;
  switch (cycle.unit) {
    case 'length':
      return days.map((d) => addDays(d, -days.length));
    case 'day':
      return days.map((d) => addDays(d, -1));
    case 'month':
      return days.map((d) => addMonths(d, -1));
    case 'year':
      return days.map((d) => addMonths(d, -12));
    case 'ms': {
      const start = wallTimeAt(bounds.startMs, bounds.labelZone);
      const shifted = (d: CalendarDate): number => instantOf({ ...start, ...d }, bounds.labelZone) - cycle.ms;
      return days.map((d) => wallTimeAt(shifted(d), bounds.labelZone));
    }
  }
}

type ActiveFields = Pick<PeriodObject, 'activePeriod' | 'previousPeriod' | 'periodMax' | 'periodMin'>;

function activeFields(bounds: Bounds, days: readonly CalendarDate[], previous: readonly CalendarDate[]): ActiveFields {
  if (bounds.simple) return bounds.simple;
  const day = days.length === 1 ? days[0] : undefined;
  const before = days.length === 1 ? previous[0] : undefined;
  return {
    activePeriod: day ? dayKey(day) : 'NA',
    previousPeriod: before ? dayKey(before) : 'NA',
    periodMax: 'NA',
    periodMin: 'NA',
  };
}

type UniqueFields = Pick<PeriodObject, 'uniquePeriodArr' | 'uniquePeriodCheckArr' | 'previousUniquePeriodArr' | 'previousUniquePeriodCheckArr'>;

function uniqueFields(bounds: Bounds, days: CalendarDate[], previous: CalendarDate[]): UniqueFields {
  const estimate = !bounds.simple && days.length > 1;
  return {
    uniquePeriodArr: estimate ? uniqueCover(days) : [],
    uniquePeriodCheckArr: estimate ? uniqueCheckCover(days) : [],
    previousUniquePeriodArr: estimate ? uniqueCover(previous) : [],
    previousUniquePeriodCheckArr: estimate ? uniqueCheckCover(previous) : [],
  };
}

/** The period object of resolved bounds at instant `nowMs`. */
export function periodObjectOf(bounds: Bounds, nowMs: number): PeriodObject {
  const days = currentDays(bounds);
  const previous = previousDays(bounds, days);
  return {
    start: bounds.startMs,
    end: bounds.endMs,
    currentPeriodArr: days.map(dayKey),
    previousPeriodArr: previous.map(dayKey),
    dateString: bounds.dateString,
    isSpecialPeriod: bounds.simple === undefined,
    daysInPeriod: days.length,
    periodContainsToday: bounds.startMs <= nowMs && nowMs <= bounds.endMs,
    ...uniqueFields(bounds, days, previous),
    ...activeFields(bounds, days, previous),
    ...dbDateIds(days, previous),
    uniqueMap: buildUniqueMap(days),
    uniquePrevMap: buildUniqueMap(previous),
  };
}

/**
 * Parse a raw `period` (string, JSON string, array or object; §4.4) at instant `nowMs`
 * (epoch ms) in the app's IANA `timezone` (unknown names compute in UTC) and return the
 * period object. Unusable periods become the default; only a period longer than
 * `opts.maxDays` throws (`PeriodTooLongError`, a 400).
 */
export function parsePeriod(period: unknown, nowMs: number, timezone: string, opts: PeriodOptions = {}): PeriodObject {
  const zone = resolveTimeZone(timezone);
  const clock: Clock = { nowMs, zone, now: wallTimeAt(nowMs, zone) };
  const request = readPeriodRequest(period, nowMs, opts.defaultPeriod ?? '30days');
  const bounds = boundsOf(request, clock);
  // Checked on the bounds, before the day lists are built: their size is what a long period costs.
  const spanDays = Math.round((bounds.endMs - bounds.startMs + 1) / DAY_MS);
  if (opts.maxDays !== undefined && spanDays > opts.maxDays) throw new PeriodTooLongError(opts.maxDays);
  return periodObjectOf(opts.bucket === 'monthly' ? widenToMonths(bounds) : bounds, nowMs);
}
