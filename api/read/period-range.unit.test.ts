import { describe, expect, it } from 'vitest';
import { parsePeriod } from './period.ts';

// Fixed clock: Tuesday 15 Oct 2024 12:03Z = 08:03 in New York (EDT), 17:33 in Kolkata.
const NOW = Date.UTC(2024, 9, 15, 12, 3, 0);
const NY = 'America/New_York';
const IN = 'Asia/Kolkata';
const iso = (ms: number): string => new Date(ms).toISOString();
const OCT15 = 1728950400; // 2024-10-15T00:00:00Z in seconds
const OCT16 = 1729036800;

describe('parsePeriod: [from, to] arrays', () => {
  it('seconds: UTC days from the start of from to the end of to', () => {
    const p = parsePeriod([OCT15, OCT16], NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-15T00:00:00.000Z', '2024-10-16T23:59:59.999Z']);
    expect(p).toMatchObject({
      currentPeriodArr: ['2024.10.15', '2024.10.16'],
      previousPeriodArr: ['2024.10.13', '2024.10.14'],
      isSpecialPeriod: true,
      daysInPeriod: 2,
      dateString: 'D MMM',
      periodContainsToday: true,
    });
  });

  it('an array over the New York DST change still covers whole UTC days, 7 of them', () => {
    const p = parsePeriod([Date.UTC(2024, 10, 1), Date.UTC(2024, 10, 7)], NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-11-01T00:00:00.000Z', '2024-11-07T23:59:59.999Z']);
    expect(p.currentPeriodArr).toEqual(['2024.11.1', '2024.11.2', '2024.11.3', '2024.11.4', '2024.11.5', '2024.11.6', '2024.11.7']);
    expect(p.previousPeriodArr[0]).toBe('2024.10.25');
    expect(p.reqMonthDbDateIds).toEqual(['2024:11', '2024:10']);
    expect(p.periodContainsToday).toBe(false);
  });

  it('milliseconds, JSON strings and digit strings give the same period', () => {
    const seconds = parsePeriod([OCT15, OCT16], NOW, NY);
    expect(parsePeriod([OCT15 * 1000, OCT16 * 1000], NOW, NY)).toEqual(seconds);
    expect(parsePeriod(`[${OCT15},${OCT16}]`, NOW, NY)).toEqual(seconds);
    expect(parsePeriod(`[${OCT15 * 1000}, ${OCT16 * 1000}]`, NOW, IN)).toEqual(parsePeriod([OCT15, OCT16], NOW, IN));
    expect(parsePeriod([String(OCT15), String(OCT16 * 1000)], NOW, NY)).toEqual(seconds);
  });

  it('more than 13 digits are cut to 13 (µs timestamps)', () => {
    expect(parsePeriod([OCT15 * 1_000_000, OCT16 * 1_000_000], NOW, NY)).toEqual(parsePeriod([OCT15, OCT16], NOW, NY));
  });

  it('DD-MM-YYYY and DD-MM-YYYY HH:mm:ss strings are UTC dates', () => {
    const p = parsePeriod('["01-10-2024","05-10-2024"]', NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-01T00:00:00.000Z', '2024-10-05T23:59:59.999Z']);
    expect(p.previousPeriodArr).toEqual(['2024.9.26', '2024.9.27', '2024.9.28', '2024.9.29', '2024.9.30']);
    expect(parsePeriod(['01-10-2024 10:00:00', '05-10-2024 23:00:00'], NOW, NY)).toEqual(p);
    expect(p.periodContainsToday).toBe(false);
  });

  it('from = to (same instant) is one day in hourly mode, named in the app zone', () => {
    const instant = Date.UTC(2024, 9, 15, 20, 0); // 16 Oct 01:30 in Kolkata
    const p = parsePeriod([instant, instant], NOW, IN);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-15T00:00:00.000Z', '2024-10-15T23:59:59.999Z']);
    expect(p).toMatchObject({
      isSpecialPeriod: false,
      currentPeriodArr: ['2024.10.15'],
      activePeriod: '2024.10.16',
      previousPeriod: '2024.10.15',
      periodMax: 23,
      periodMin: 0,
      dateString: 'D MMM, HH:mm',
      uniquePeriodArr: [],
    });
  });

  it('a one-day range that is not one instant is special but names its day', () => {
    const p = parsePeriod([OCT15 * 1000, OCT15 * 1000 + 3_600_000], NOW, NY);
    expect(p).toMatchObject({ isSpecialPeriod: true, daysInPeriod: 1, activePeriod: '2024.10.15', previousPeriod: '2024.10.14', uniquePeriodArr: [] });
  });

  it('from > to falls back to 30days in the app zone', () => {
    expect(parsePeriod([OCT16, OCT15], NOW, NY)).toEqual(parsePeriod('30days', NOW, NY));
  });

  it('unusable elements make the whole period the default', () => {
    const thirty = parsePeriod('30days', NOW, NY);
    for (const bad of [['abc', OCT16], [OCT15], ['31-02-2024', '01-03-2024'], [-5, OCT16], [OCT15, null]]) {
      expect(parsePeriod(bad, NOW, NY)).toEqual(thirty);
    }
  });
});

describe('parsePeriod: objects', () => {
  it('{since} runs from the UTC day of since to the end of today (UTC)', () => {
    const p = parsePeriod({ since: 1728000000 }, NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-04T00:00:00.000Z', '2024-10-15T23:59:59.999Z']);
    expect(p.daysInPeriod).toBe(12);
    expect(parsePeriod('{"since":1728000000,"x":1}', NOW, NY)).toEqual(p);
  });

  it('{period, exclude_current_day} ends at the end of yesterday', () => {
    const p = parsePeriod({ period: '7days', exclude_current_day: true }, NOW, NY);
    expect(p.currentPeriodArr).toEqual(['2024.10.9', '2024.10.10', '2024.10.11', '2024.10.12', '2024.10.13', '2024.10.14']);
    expect(iso(p.end)).toBe('2024-10-15T03:59:59.999Z');
    expect(p.previousPeriodArr[0]).toBe('2024.10.3');
    expect(p.periodContainsToday).toBe(false);
    expect(parsePeriod('{"period":"7days","exclude_current_day":true}', NOW, NY)).toEqual(p);
  });

  it('exclude_current_day leaves a one-day period as yesterday, and simple periods alone', () => {
    const p = parsePeriod({ period: '1days', exclude_current_day: true }, NOW, NY);
    expect(p).toMatchObject({ currentPeriodArr: ['2024.10.14'], activePeriod: '2024.10.14', isSpecialPeriod: true });
    expect(parsePeriod({ period: 'hour', exclude_current_day: true }, NOW, NY)).toEqual(parsePeriod('hour', NOW, NY));
  });

  it('{period} without exclusion is the period itself', () => {
    expect(parsePeriod({ period: [OCT15, OCT16] }, NOW, NY)).toEqual(parsePeriod([OCT15, OCT16], NOW, NY));
    expect(parsePeriod({ period: 'month' }, NOW, NY)).toEqual(parsePeriod('month', NOW, NY));
  });
});

describe('parsePeriod: uniqueMap', () => {
  it('weeks and days only in the first and last month', () => {
    const p = parsePeriod('3months', NOW, NY);
    expect(p.uniqueMap).toEqual({
      2024: {
        8: {
          w31: { 1: {}, 2: {}, 3: {}, 4: {} },
          w32: { 5: {}, 6: {}, 7: {}, 8: {}, 9: {}, 10: {}, 11: {} },
          w33: expect.any(Object),
          w34: expect.any(Object),
          w35: expect.any(Object),
        },
        9: {},
        10: { w40: { 1: {}, 2: {}, 3: {}, 4: {}, 5: {}, 6: {} }, w41: expect.any(Object), w42: { 14: {}, 15: {} } },
      },
    });
    expect(Object.keys(p.uniquePrevMap)).toEqual(['2024']);
  });

  it('months only inside the first and last year', () => {
    const p = parsePeriod('2years', NOW, NY);
    expect(Object.keys(p.uniqueMap)).toEqual(['2023', '2024']);
    expect(p.uniqueMap['2023']?.['2']).toEqual({});
  });
});
