// Calendar keys of report buckets in the app's timezone (from the event's time object).
import type { TimeObject } from '../time.ts';

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of the calendar date of `t` (in the zone `t` was computed in). */
export const dayIndex = (t: Pick<TimeObject, 'year' | 'month' | 'day'>): number => Date.UTC(t.year, t.month - 1, t.day) / MS_PER_DAY;

/** Weeks since the Monday before 1970-01-01 (a Thursday): weeks start on Monday. */
export const weekIndexOfDay = (day: number): number => Math.floor((day + 3) / 7);

/** `Y.M.D` of a day index. */
export function dayLabel(day: number): string {
  const d = new Date(day * MS_PER_DAY);
  return `${d.getUTCFullYear()}.${d.getUTCMonth() + 1}.${d.getUTCDate()}`;
}

/** `Y.M.D` of the Monday that starts a week index. */
export const weekLabel = (week: number): string => dayLabel(week * 7 - 3);
