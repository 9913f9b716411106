import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  countlyWeek,
  dayOfYear,
  endOfDayMs,
  instantOf,
  offsetMsAt,
  resolveTimeZone,
  startOfDayMs,
  wallTimeAt,
  weekdayOf,
} from './zoned-time.ts';

const NY = 'America/New_York';
const iso = (ms: number): string => new Date(ms).toISOString();
const wall = (y: number, m: number, d: number, hour: number, minute = 0) => ({ y, m, d, hour, minute, second: 0, millisecond: 0 });

describe('zone conversions', () => {
  it('reads the wall clock and offset of a zone', () => {
    expect(wallTimeAt(Date.UTC(2024, 9, 15, 12, 3, 4, 5), 'Asia/Kolkata')).toEqual({ ...wall(2024, 10, 15, 17, 33), second: 4, millisecond: 5 });
    expect(offsetMsAt(Date.UTC(2024, 0, 15), NY)).toBe(-5 * 3_600_000);
    expect(offsetMsAt(Date.UTC(2024, 6, 15), NY)).toBe(-4 * 3_600_000);
  });

  it('a skipped wall time moves forward, a repeated one takes the earlier instant', () => {
    expect(iso(instantOf(wall(2024, 3, 10, 2, 30), NY))).toBe('2024-03-10T07:30:00.000Z');
    expect(iso(instantOf(wall(2024, 11, 3, 1, 30), NY))).toBe('2024-11-03T05:30:00.000Z');
  });

  it('day bounds on DST days', () => {
    expect(endOfDayMs({ y: 2024, m: 3, d: 10 }, NY) + 1 - startOfDayMs({ y: 2024, m: 3, d: 10 }, NY)).toBe(23 * 3_600_000);
    expect(endOfDayMs({ y: 2024, m: 11, d: 3 }, NY) + 1 - startOfDayMs({ y: 2024, m: 11, d: 3 }, NY)).toBe(25 * 3_600_000);
  });

  it('unknown zones resolve to UTC', () => {
    expect(resolveTimeZone('Nowhere/Special')).toBe('UTC');
    expect(resolveTimeZone('')).toBe('UTC');
    expect(resolveTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
  });
});

describe('calendar arithmetic', () => {
  it('adds days and clamped months across year ends', () => {
    expect(addDays({ y: 2024, m: 12, d: 31 }, 1)).toEqual({ y: 2025, m: 1, d: 1 });
    expect(addMonths({ y: 2024, m: 3, d: 31 }, -1)).toEqual({ y: 2024, m: 2, d: 29 });
    expect(addMonths({ y: 2024, m: 1, d: 15 }, -1)).toEqual({ y: 2023, m: 12, d: 15 });
    expect(addMonths({ y: 2024, m: 2, d: 29 }, -12)).toEqual({ y: 2023, m: 2, d: 28 });
  });

  it("Countly's week is ceil(day_of_year / 7)", () => {
    expect(dayOfYear({ y: 2024, m: 10, d: 15 })).toBe(289);
    expect(countlyWeek({ y: 2024, m: 10, d: 15 })).toBe(42);
    expect(countlyWeek({ y: 2024, m: 1, d: 7 })).toBe(1);
    expect(countlyWeek({ y: 2024, m: 12, d: 31 })).toBe(53);
    expect(weekdayOf({ y: 2024, m: 10, d: 13 })).toBe(0);
  });
});
