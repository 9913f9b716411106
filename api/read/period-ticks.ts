// Unique-value covers of a list of days (§4.8) and the other day-derived fields of the period
// object: uniqueMap and the month/year document ids to read.
import type { CalendarDate } from './zoned-time.ts';
import { countlyWeek, dayKey, daysInMonth, monthKey, weekKey } from './zoned-time.ts';

/** `uniqueMap` of the period object: year → month → `w<N>` → day → {} (Countly's shape). */
export type UniqueMap = Record<string, Record<string, Record<string, Record<string, Record<string, never>>>>>;

function countBy(days: readonly CalendarDate[], key: (d: CalendarDate) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const day of days) counts.set(key(day), (counts.get(key(day)) ?? 0) + 1);
  return counts;
}

const unique = (ticks: readonly string[]): string[] => [...new Set(ticks)];

/**
 * Cover A: months the days cover completely, then `wN` buckets covered completely (7 days) that
 * share no day with such a month, then single days. Summing `u` over it over-counts users
 * seen on several ticks, never under-counts.
 */
export function uniqueCover(days: readonly CalendarDate[]): string[] {
  const months = countBy(days, monthKey);
  const weeks = countBy(days, weekKey);
  const fullMonth = (d: CalendarDate): boolean => months.get(monthKey(d)) === daysInMonth(d.y, d.m);
  const weeksInFullMonths = new Set(days.filter(fullMonth).map(weekKey));
  const tickOf = (d: CalendarDate): string => {
    if (fullMonth(d)) return monthKey(d);
    const week = weekKey(d);
    return weeks.get(week) === 7 && !weeksInFullMonths.has(week) ? week : dayKey(d);
  };
  return unique(days.map(tickOf));
}

/** Cover B: months of which the days cover at least half, `wN` buckets for the other days. */
export function uniqueCheckCover(days: readonly CalendarDate[]): string[] {
  const months = countBy(days, monthKey);
  const halfMonth = (d: CalendarDate): boolean => (months.get(monthKey(d)) ?? 0) >= daysInMonth(d.y, d.m) / 2;
  return unique(days.map((d) => (halfMonth(d) ? monthKey(d) : weekKey(d))));
}

function child<T>(parent: Record<string, T>, key: string, make: () => T): T {
  const existing = parent[key];
  if (existing !== undefined) return existing;
  const created = make();
  parent[key] = created;
  return created;
}

/**
 * Countly's uniqueMap: every year of the days; months only inside the first and last year;
 * weeks and days only inside the first and last month.
 */
export function buildUniqueMap(days: readonly CalendarDate[]): UniqueMap {
  const map: UniqueMap = {};
  const first = days[0];
  const last = days[days.length - 1];
  if (!first || !last) return map;
  for (const day of days) {
    const months = child(map, String(day.y), () => ({}));
    if (day.y !== first.y && day.y !== last.y) continue;
    const weeks = child(months, String(day.m), () => ({}));
    const edgeMonth = (day.y === first.y && day.m === first.m) || (day.y === last.y && day.m === last.m);
    if (!edgeMonth) continue;
    child(
      child(weeks, `w${countlyWeek(day)}`, () => ({})),
      String(day.d),
      () => ({}),
    );
  }
  return map;
}

/** Month (`YYYY:M`) and year (`YYYY:0`) document ids touched by the current or previous days. */
export function dbDateIds(
  current: readonly CalendarDate[],
  previous: readonly CalendarDate[],
): {
  reqMonthDbDateIds: string[];
  reqZeroDbDateIds: string[];
} {
  const zero = new Set<string>();
  const month = new Set<string>();
  // Countly interleaves current and previous day by day; keep its order.
  current.forEach((day, i) => {
    for (const d of [day, previous[i]]) {
      if (!d) continue;
      zero.add(`${d.y}:0`);
      month.add(`${d.y}:${d.m}`);
    }
  });
  return { reqMonthDbDateIds: [...month], reqZeroDbDateIds: [...zero] };
}
