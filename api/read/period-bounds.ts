// Turns a normalised period request into bounds: the instants it spans, the zone its day
// labels are in, how its previous period is found, and the fields of simple periods.
import type { PeriodRequest } from './period-input.ts';
import type { CalendarDate, WallTime } from './zoned-time.ts';
import {
  MS_PER_HOUR,
  MS_PER_MINUTE,
  addDays,
  addMonths,
  dayKey,
  dayNumber,
  daysInMonth,
  endOfDayMs,
  instantOf,
  monthKey,
  startOfDayMs,
  wallTimeAt,
  weekdayOf,
} from './zoned-time.ts';

/** How the previous period is derived from the current one. */
export type Cycle =
  | { readonly unit: 'length' } // the same number of days, immediately before
  | { readonly unit: 'day' | 'month' | 'year' } // each day shifted one calendar unit back
  | { readonly unit: 'ms'; readonly ms: number }; // each day's instant shifted back (Nhours, Nminutes)

/** Fields that only simple (non-special) periods carry. */
export interface SimpleFields {
  readonly activePeriod: string | number;
  readonly previousPeriod: string | number;
  readonly periodMax: number;
  readonly periodMin: number;
}

export interface Bounds {
  readonly labelZone: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly cycle: Cycle;
  readonly dateString: string;
  readonly simple: SimpleFields | undefined;
}

/** Where N-unit periods stop reaching back: the first day of 1970 in the app zone. */
const EARLIEST: CalendarDate = { y: 1970, m: 1, d: 1 };
const MAX_COUNT = 100_000;
const UNIT_PATTERNS = ['minutes', 'hours', 'days', 'weeks', 'months', 'years'] as const;
type Unit = (typeof UNIT_PATTERNS)[number];

const notBefore = (date: CalendarDate): CalendarDate => (dayNumber(date) < 0 ? EARLIEST : date);

/** Context shared by the builders: the clock and the app zone. */
export interface Clock {
  readonly nowMs: number;
  readonly zone: string;
  readonly now: WallTime;
}

function dayRange(clock: Clock, first: CalendarDate, last: CalendarDate): Pick<Bounds, 'startMs' | 'endMs'> {
  return { startMs: startOfDayMs(notBefore(first), clock.zone), endMs: endOfDayMs(last, clock.zone) };
}

function special(clock: Clock, first: CalendarDate): Bounds {
  const range = dayRange(clock, first, clock.now);
  return { ...range, labelZone: clock.zone, cycle: { unit: 'length' }, dateString: 'D MMM', simple: undefined };
}

function simpleDay(clock: Clock, day: CalendarDate, dateString: string): Bounds {
  const simple = { activePeriod: dayKey(day), previousPeriod: dayKey(addDays(day, -1)), periodMax: 23, periodMin: 0 };
  return { ...dayRange(clock, day, day), labelZone: clock.zone, cycle: { unit: 'day' }, dateString, simple };
}

function simpleMonth(clock: Clock, first: CalendarDate, last: CalendarDate): Bounds {
  const previous = addMonths(first, -1);
  const simple = { activePeriod: monthKey(first), previousPeriod: monthKey(previous), periodMax: daysInMonth(first.y, first.m), periodMin: 1 };
  return { ...dayRange(clock, first, last), labelZone: clock.zone, cycle: { unit: 'month' }, dateString: 'D MMM', simple };
}

function simpleYear(clock: Clock): Bounds {
  const { y } = clock.now;
  const simple = { activePeriod: y, previousPeriod: y - 1, periodMax: 12, periodMin: 1 };
  return { ...dayRange(clock, { y, m: 1, d: 1 }, clock.now), labelZone: clock.zone, cycle: { unit: 'year' }, dateString: 'MMM', simple };
}

function namedSimple(name: string, clock: Clock): Bounds | undefined {
  const today: CalendarDate = clock.now;
  const firstOfMonth = { ...today, d: 1 };
  switch (name) {
    case 'hour':
      return simpleDay(clock, today, 'HH:mm');
    case 'yesterday':
      return simpleDay(clock, addDays(today, -1), 'D MMM, HH:mm');
    case 'day':
      return simpleMonth(clock, firstOfMonth, today);
    case 'month':
      return simpleYear(clock);
    case 'prevMonth': {
      const first = addMonths(firstOfMonth, -1);
      return simpleMonth(clock, first, { ...first, d: daysInMonth(first.y, first.m) });
    }
    default:
      return undefined;
  }
}

/** Last N minutes or hours: from the start of the minute/hour N−1 units ago. */
function recent(clock: Clock, unit: 'minutes' | 'hours', count: number): Bounds {
  const { now, zone } = clock;
  const unitMs = unit === 'minutes' ? MS_PER_MINUTE : MS_PER_HOUR;
  const floored = instantOf({ ...now, minute: unit === 'minutes' ? now.minute : 0, second: 0, millisecond: 0 }, zone);
  const startMs = Math.max(floored - (count - 1) * unitMs, startOfDayMs(EARLIEST, zone));
  const endMs = unit === 'minutes' ? endOfDayMs(now, zone) : floored + MS_PER_HOUR - 1;
  const dateString = unit === 'minutes' ? 'HH:mm' : 'D MMM, HH:mm';
  return { startMs, endMs, labelZone: zone, cycle: { unit: 'ms', ms: count * unitMs }, dateString, simple: undefined };
}

function counted(clock: Clock, unit: Unit, count: number): Bounds {
  const today: CalendarDate = clock.now;
  switch (unit) {
    case 'minutes':
    case 'hours':
      return recent(clock, unit, count);
    case 'days':
      return special(clock, addDays(today, -(count - 1)));
    case 'weeks':
      // moment's default (en) locale starts weeks on Sunday.
      return special(clock, addDays(today, -weekdayOf(today) - 7 * (count - 1)));
    case 'months':
      return special(clock, addMonths({ ...today, d: 1 }, -(count - 1)));
    case 'years':
      return special(clock, { y: today.y - (count - 1), m: 1, d: 1 });
  }
}

/** `Ndays` etc.: unanchored, N without leading zero, tried in the order of UNIT_PATTERNS. */
function namedCounted(name: string, clock: Clock): Bounds | undefined {
  for (const unit of UNIT_PATTERNS) {
    const match = new RegExp(`([1-9][0-9]*)${unit}`).exec(name);
    if (match?.[1] !== undefined) return counted(clock, unit, Math.min(Number(match[1]), MAX_COUNT));
  }
  return undefined;
}

/** Bounds of a named period; unknown names are `30days`. */
export function namedBounds(name: string, clock: Clock): Bounds {
  return namedSimple(name, clock) ?? namedCounted(name, clock) ?? counted(clock, 'days', 30);
}

/** `[from, to]`: UTC days (server-zone quirk); from = to is one hourly day; from > to is 30days. */
export function rangeBounds(fromMs: number, toMs: number, clock: Clock): Bounds {
  if (fromMs > toMs) return counted(clock, 'days', 30);
  const from = wallTimeAt(fromMs, 'UTC');
  const to = wallTimeAt(toMs, 'UTC');
  const days = { startMs: startOfDayMs(from, 'UTC'), endMs: endOfDayMs(to, 'UTC'), labelZone: 'UTC' };
  if (fromMs !== toMs) return { ...days, cycle: { unit: 'length' }, dateString: 'D MMM', simple: undefined };
  // Countly names the active day in the app zone although the bounds are UTC days.
  const local = wallTimeAt(fromMs, clock.zone);
  const simple = { activePeriod: dayKey(local), previousPeriod: dayKey(addDays(local, -1)), periodMax: 23, periodMin: 0 };
  return { ...days, cycle: { unit: 'day' }, dateString: 'D MMM, HH:mm', simple };
}

/**
 * exclude_current_day: special periods end at the end of yesterday; one that would become
 * empty is yesterday alone. Simple periods have fixed calendar meaning and ignore it.
 */
export function excludeToday(bounds: Bounds, clock: Clock): Bounds {
  if (bounds.simple) return bounds;
  const yesterday = addDays(clock.now, -1);
  const endMs = Math.min(bounds.endMs, endOfDayMs(yesterday, clock.zone));
  if (bounds.startMs <= endMs) return { ...bounds, endMs };
  const range = dayRange(clock, yesterday, yesterday);
  return { ...range, labelZone: clock.zone, cycle: { unit: 'length' }, dateString: 'D MMM', simple: undefined };
}

/** bucket=monthly: a special period widened to whole months. */
export function widenToMonths(bounds: Bounds): Bounds {
  if (bounds.simple) return bounds;
  const first = wallTimeAt(bounds.startMs, bounds.labelZone);
  const last = wallTimeAt(bounds.endMs, bounds.labelZone);
  const startMs = startOfDayMs({ ...first, d: 1 }, bounds.labelZone);
  const endMs = endOfDayMs({ ...last, d: daysInMonth(last.y, last.m) }, bounds.labelZone);
  return { ...bounds, startMs, endMs, cycle: { unit: 'length' } };
}

/** Bounds of any normalised request. */
export function boundsOf(request: PeriodRequest, clock: Clock): Bounds {
  const bounds = request.kind === 'named' ? namedBounds(request.name, clock) : rangeBounds(request.fromMs, request.toMs, clock);
  return request.excludeCurrentDay ? excludeToday(bounds, clock) : bounds;
}
