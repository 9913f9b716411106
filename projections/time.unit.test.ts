import { describe, expect, it } from 'vitest';
import { requestTimestampMs, startOfDayS, startOfHourS, startOfMonthS, startOfYearS, timeObject } from './time.ts';

const s = (iso: string): number => Date.parse(iso) / 1000;

describe('time object (§2.5)', () => {
  it('gives unpadded calendar strings, day of year and week in the app timezone', () => {
    // 2024-10-15T12:30:00Z is 08:30 in New York (EDT, UTC-4)
    const t = timeObject(Date.parse('2024-10-15T12:30:00.250Z'), 'America/New_York');
    expect(t).toMatchObject({
      timestampS: s('2024-10-15T12:30:00Z'),
      timestampMs: Date.parse('2024-10-15T12:30:00.250Z'),
      yearly: '2024',
      monthly: '2024.10',
      daily: '2024.10.15',
      hourly: '2024.10.15.8',
      month: 10,
      day: 15,
      hour: 8,
      dayOfYear: 289,
      weekly: 42,
    });
  });

  it('puts an instant in the local date of the zone (Kolkata is +05:30)', () => {
    const t = timeObject(Date.parse('2024-12-31T19:00:00Z'), 'Asia/Kolkata');
    expect(t.daily).toBe('2025.1.1');
    expect(t.hour).toBe(0);
    expect(t.weekly).toBe(1);
  });

  it('counts week 53 on the last day of a leap year (ceil(366/7))', () => {
    expect(timeObject(Date.parse('2024-12-31T12:00:00Z'), 'UTC').weekly).toBe(53);
  });

  it('falls back to Europe/Istanbul for an unknown zone', () => {
    const t = timeObject(Date.parse('2024-01-01T00:30:00Z'), 'Not/AZone');
    expect(t.hourly).toBe('2024.1.1.3');
  });
});

describe('calendar boundaries', () => {
  it('start of hour, day, month and year in Kolkata', () => {
    const now = s('2024-03-15T10:47:13Z'); // 16:17:13 IST
    expect(startOfHourS(now, 'Asia/Kolkata')).toBe(s('2024-03-15T10:30:00Z'));
    expect(startOfDayS(now, 'Asia/Kolkata')).toBe(s('2024-03-14T18:30:00Z'));
    expect(startOfMonthS(now, 'Asia/Kolkata')).toBe(s('2024-02-29T18:30:00Z'));
    expect(startOfYearS(now, 'Asia/Kolkata')).toBe(s('2023-12-31T18:30:00Z'));
  });

  it('start of day across the New York DST transitions (23 h and 25 h days)', () => {
    // 2024-03-10: clocks jump 02:00 EST → 03:00 EDT. Midnight was still EST (UTC-5).
    expect(startOfDayS(s('2024-03-10T20:00:00Z'), 'America/New_York')).toBe(s('2024-03-10T05:00:00Z'));
    // 2024-11-03: clocks fall back 02:00 EDT → 01:00 EST. Midnight was EDT (UTC-4).
    expect(startOfDayS(s('2024-11-03T23:00:00Z'), 'America/New_York')).toBe(s('2024-11-03T04:00:00Z'));
    // Month start in March is in EST, taken from an instant in EDT.
    expect(startOfMonthS(s('2024-03-20T12:00:00Z'), 'America/New_York')).toBe(s('2024-03-01T05:00:00Z'));
  });

  it('start of a day whose midnight does not exist is the first instant after the gap', () => {
    // Sao Paulo 2018-11-04: 00:00 → 01:00 (DST start at midnight); day starts 01:00 -02 = 03:00Z.
    expect(startOfDayS(s('2018-11-04T15:00:00Z'), 'America/Sao_Paulo')).toBe(s('2018-11-04T03:00:00Z'));
  });
});

describe('request timestamp (§2.1)', () => {
  const received = Date.parse('2024-10-15T12:00:00Z');
  it('accepts 10-digit seconds, keeping the fraction, and 13-digit ms', () => {
    expect(requestTimestampMs(1_700_000_000, received)).toBe(1_700_000_000_000);
    expect(requestTimestampMs('1700000000.25', received)).toBe(1_700_000_000_250);
    expect(requestTimestampMs('1700000000123', received)).toBe(1_700_000_000_123);
  });
  it('clamps future values to the receive time', () => {
    expect(requestTimestampMs(received / 1000 + 3600, received)).toBe(received);
  });
  it('uses the receive time for anything else', () => {
    for (const bad of [undefined, null, '', 'abc', 12345, '17000000001234567', -1_700_000_000, {}, Number.NaN]) {
      expect(requestTimestampMs(bad, received)).toBe(received);
    }
  });
});
