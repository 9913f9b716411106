import { describe, expect, it } from 'vitest';
import { parsePeriod } from './period.ts';
import { PeriodTooLongError } from '../errors.ts';

// Fixed clock: Tuesday 15 Oct 2024 12:03Z = 08:03 in New York (EDT), 17:33 in Kolkata.
const NOW = Date.UTC(2024, 9, 15, 12, 3, 0);
const NY = 'America/New_York';
const IN = 'Asia/Kolkata';
const iso = (ms: number): string => new Date(ms).toISOString();

describe('parsePeriod: named simple periods', () => {
  it('hour is today in the app zone, hourly', () => {
    const p = parsePeriod('hour', NOW, IN);
    expect(iso(p.start)).toBe('2024-10-14T18:30:00.000Z');
    expect(iso(p.end)).toBe('2024-10-15T18:29:59.999Z');
    expect(p).toMatchObject({
      currentPeriodArr: ['2024.10.15'],
      previousPeriodArr: ['2024.10.14'],
      activePeriod: '2024.10.15',
      previousPeriod: '2024.10.14',
      periodMax: 23,
      periodMin: 0,
      dateString: 'HH:mm',
      isSpecialPeriod: false,
      daysInPeriod: 1,
      periodContainsToday: true,
      uniquePeriodArr: [],
      uniquePeriodCheckArr: [],
      reqMonthDbDateIds: ['2024:10'],
      reqZeroDbDateIds: ['2024:0'],
    });
  });

  it('today follows the app zone, not UTC', () => {
    const lateUtc = Date.UTC(2024, 9, 15, 20, 0); // 16 Oct 01:30 in Kolkata
    expect(parsePeriod('hour', lateUtc, IN).activePeriod).toBe('2024.10.16');
    expect(parsePeriod('hour', lateUtc, NY).activePeriod).toBe('2024.10.15');
  });

  it('yesterday', () => {
    const p = parsePeriod('yesterday', NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-14T04:00:00.000Z', '2024-10-15T03:59:59.999Z']);
    expect(p).toMatchObject({ activePeriod: '2024.10.14', previousPeriod: '2024.10.13', dateString: 'D MMM, HH:mm', periodContainsToday: false });
  });

  it('day is the month so far, with day ticks for the whole month', () => {
    const p = parsePeriod('day', NOW, NY);
    expect(iso(p.start)).toBe('2024-10-01T04:00:00.000Z');
    expect(p.currentPeriodArr).toHaveLength(15);
    expect(p.previousPeriodArr[0]).toBe('2024.9.1');
    expect(p.previousPeriodArr.at(-1)).toBe('2024.9.15');
    expect(p).toMatchObject({ activePeriod: '2024.10', previousPeriod: '2024.9', periodMax: 31, periodMin: 1, dateString: 'D MMM' });
    expect(p.reqMonthDbDateIds).toEqual(['2024:10', '2024:9']);
  });

  it('month is the year so far, previous is the same days a year before', () => {
    const p = parsePeriod('month', NOW, NY);
    expect(iso(p.start)).toBe('2024-01-01T05:00:00.000Z');
    expect(p.daysInPeriod).toBe(289);
    expect(p.previousPeriodArr[0]).toBe('2023.1.1');
    expect(p).toMatchObject({ activePeriod: 2024, previousPeriod: 2023, periodMax: 12, periodMin: 1, dateString: 'MMM' });
    expect(p.reqZeroDbDateIds).toEqual(['2024:0', '2023:0']);
    expect(p.reqMonthDbDateIds).toHaveLength(20);
  });

  it('prevMonth is the whole previous month, across a year boundary', () => {
    const p = parsePeriod('prevMonth', NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-09-01T04:00:00.000Z', '2024-10-01T03:59:59.999Z']);
    expect(p).toMatchObject({ activePeriod: '2024.9', previousPeriod: '2024.8', periodMax: 30, periodContainsToday: false });
    const jan = parsePeriod('prevMonth', Date.UTC(2024, 0, 10, 12), NY);
    expect(jan).toMatchObject({ activePeriod: '2023.12', previousPeriod: '2023.11', periodMax: 31, daysInPeriod: 31 });
    expect(jan.reqZeroDbDateIds).toEqual(['2023:0']);
  });
});

describe('parsePeriod: DST days in America/New_York', () => {
  it('spring-forward day has 23 hours', () => {
    const p = parsePeriod('hour', Date.UTC(2024, 2, 10, 17), NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-03-10T05:00:00.000Z', '2024-03-11T03:59:59.999Z']);
  });

  it('fall-back day has 25 hours', () => {
    const p = parsePeriod('hour', Date.UTC(2024, 10, 3, 17), NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-11-03T04:00:00.000Z', '2024-11-04T04:59:59.999Z']);
  });

  it('7days across the transition still has 7 calendar days', () => {
    const p = parsePeriod('7days', Date.UTC(2024, 2, 12, 17), NY);
    expect(iso(p.start)).toBe('2024-03-06T05:00:00.000Z');
    expect(iso(p.end)).toBe('2024-03-13T03:59:59.999Z');
    expect(p.currentPeriodArr).toEqual(['2024.3.6', '2024.3.7', '2024.3.8', '2024.3.9', '2024.3.10', '2024.3.11', '2024.3.12']);
    expect(p.daysInPeriod).toBe(7);
  });

  it('a zone whose midnight is skipped starts the day at 01:00', () => {
    const p = parsePeriod('hour', Date.UTC(2024, 8, 8, 15), 'America/Santiago');
    expect(iso(p.start)).toBe('2024-09-08T04:00:00.000Z');
  });
});

describe('parsePeriod: special periods', () => {
  it('7days with the previous 7 days', () => {
    const p = parsePeriod('7days', NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-09T04:00:00.000Z', '2024-10-16T03:59:59.999Z']);
    expect(p.currentPeriodArr[0]).toBe('2024.10.9');
    expect(p.previousPeriodArr).toEqual(['2024.10.2', '2024.10.3', '2024.10.4', '2024.10.5', '2024.10.6', '2024.10.7', '2024.10.8']);
    expect(p).toMatchObject({ isSpecialPeriod: true, daysInPeriod: 7, activePeriod: 'NA', periodMax: 'NA', dateString: 'D MMM' });
    expect(p.uniquePeriodArr).toEqual(p.currentPeriodArr);
    expect(p.uniquePeriodCheckArr).toEqual(['2024.w41', '2024.w42']);
    expect(p.previousUniquePeriodCheckArr).toEqual(['2024.w40', '2024.w41']);
  });

  it('30days has a previous period of 30 days right before it', () => {
    const p = parsePeriod('30days', NOW, IN);
    expect(p.currentPeriodArr[0]).toBe('2024.9.16');
    expect(p.previousPeriodArr[0]).toBe('2024.8.17');
    expect(p.previousPeriodArr.at(-1)).toBe('2024.9.15');
    expect(p.reqMonthDbDateIds).toEqual(['2024:9', '2024:8', '2024:10']);
  });

  it('Nweeks starts on the Sunday N−1 weeks ago', () => {
    const p = parsePeriod('2weeks', NOW, NY);
    expect(p.currentPeriodArr[0]).toBe('2024.10.6');
    expect(p.daysInPeriod).toBe(10);
    expect(p.previousPeriodArr[0]).toBe('2024.9.26');
    expect(p.uniquePeriodArr).toEqual(['2024.10.6', '2024.w41', '2024.10.14', '2024.10.15']);
  });

  it('Nmonths covers whole months with month ticks', () => {
    const p = parsePeriod('3months', NOW, NY);
    expect(p.currentPeriodArr[0]).toBe('2024.8.1');
    expect(p.daysInPeriod).toBe(76);
    expect(p.uniquePeriodArr).toEqual([
      '2024.8',
      '2024.9',
      '2024.10.1',
      '2024.10.2',
      '2024.10.3',
      '2024.10.4',
      '2024.10.5',
      '2024.10.6',
      '2024.w41',
      '2024.10.14',
      '2024.10.15',
    ]);
    expect(p.uniquePeriodCheckArr).toEqual(['2024.8', '2024.9', '2024.w40', '2024.w41', '2024.w42']);
  });

  it('Nyears starts on 1 January N−1 years ago', () => {
    const p = parsePeriod('2years', NOW, NY);
    expect(p.currentPeriodArr[0]).toBe('2023.1.1');
    expect(p.reqZeroDbDateIds).toEqual(['2023:0', '2021:0', '2022:0', '2024:0']);
  });

  it('Nhours spans whole hours and lists the days it touches', () => {
    const p = parsePeriod('24hours', NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-14T13:00:00.000Z', '2024-10-15T12:59:59.999Z']);
    expect(p.currentPeriodArr).toEqual(['2024.10.14', '2024.10.15']);
    expect(p.previousPeriodArr).toEqual(['2024.10.13', '2024.10.14']);
    expect(p).toMatchObject({ isSpecialPeriod: true, daysInPeriod: 2, dateString: 'D MMM, HH:mm' });
  });

  it('Nhours in a half-hour zone floors to the local hour', () => {
    const p = parsePeriod('3hours', NOW, IN);
    expect(iso(p.start)).toBe('2024-10-15T09:30:00.000Z');
    expect(p).toMatchObject({ daysInPeriod: 1, activePeriod: '2024.10.15' });
  });

  it('Nminutes runs to the end of today', () => {
    const p = parsePeriod('90minutes', NOW, NY);
    expect([iso(p.start), iso(p.end)]).toEqual(['2024-10-15T10:34:00.000Z', '2024-10-16T03:59:59.999Z']);
    expect(p.dateString).toBe('HH:mm');
  });

  it('patterns are unanchored and tried minutes, hours, days, weeks, months, years', () => {
    const seven = parsePeriod('7days', NOW, NY);
    expect(parsePeriod('xx7daysyy', NOW, NY)).toEqual(seven);
    expect(parsePeriod('2weeks5minutes', NOW, NY).dateString).toBe('HH:mm');
    expect(parsePeriod('3days2hours', NOW, NY).dateString).toBe('D MMM, HH:mm');
  });

  it('anything else is 30days, or the given default', () => {
    const thirty = parsePeriod('30days', NOW, NY);
    for (const bad of ['garbage', '0days', '', undefined, null, 42, { foo: 1 }, '[1,2', 'a,b']) {
      expect(parsePeriod(bad, NOW, NY)).toEqual(thirty);
    }
    expect(parsePeriod(undefined, NOW, NY, { defaultPeriod: '7days' })).toEqual(parsePeriod('7days', NOW, NY));
  });

  it('an unknown zone computes in UTC', () => {
    expect(parsePeriod('hour', NOW, 'Mars/Olympus')).toEqual(parsePeriod('hour', NOW, 'UTC'));
  });

  it('bucket=monthly widens to whole months', () => {
    const p = parsePeriod('7days', NOW, NY, { bucket: 'monthly' });
    expect(p.currentPeriodArr[0]).toBe('2024.10.1');
    expect(p.currentPeriodArr.at(-1)).toBe('2024.10.31');
    expect(p.uniquePeriodArr).toEqual(['2024.10']);
  });
});

describe('parsePeriod: maxDays', () => {
  it('refuses a longer period before listing its days, accepts one of exactly maxDays', () => {
    expect(() => parsePeriod('[0,9999999999999]', NOW, NY, { maxDays: 3660 })).toThrow(PeriodTooLongError);
    expect(() => parsePeriod('3661days', NOW, NY, { maxDays: 3660 })).toThrow('Period is longer than the maximum of 3660 days');
    expect(parsePeriod('3660days', NOW, NY, { maxDays: 3660 }).daysInPeriod).toBe(3660);
  });
});
