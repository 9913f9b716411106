import { describe, expect, it } from 'vitest';
import {
  buildEventTicks,
  buildSessionTicks,
  correctUniques,
  dashboardItem,
  durationLabel,
  estimateUnique,
  percentChange,
  periodLabel,
  periodSeries,
  periodSum,
  ratioLabel,
  shortNumber,
  topThree,
} from './analytics.ts';
import { parsePeriod } from './period.ts';
import type { TimeTree } from './time-tree.ts';

// Fixed clock: Tuesday 15 Oct 2024 21:03Z = 17:03 in New York (EDT).
const NOW = Date.UTC(2024, 9, 15, 21, 3, 0);
const NY = 'America/New_York';

describe('change and trend strings', () => {
  it('NA when previous is 0, ∞ when current is 0', () => {
    expect(percentChange(0, 5)).toEqual({ percent: 'NA', trend: 'u' });
    expect(percentChange(0, 0)).toEqual({ percent: 'NA', trend: 'u' });
    expect(percentChange(5, 0)).toEqual({ percent: '∞', trend: 'd' });
  });

  it('one decimal, trailing .0 dropped, K and M from 10000 and 1e6', () => {
    expect(percentChange(100, 120)).toEqual({ percent: '20%', trend: 'u' });
    expect(percentChange(200, 193)).toEqual({ percent: '-3.5%', trend: 'd' });
    expect(percentChange(10, 10)).toEqual({ percent: '0%', trend: 'u' });
    expect(percentChange(100, 1300).percent).toBe('1200%');
    expect(percentChange(10, 1244)).toEqual({ percent: '12.3K%', trend: 'u' });
    expect(percentChange(1, 120_001).percent).toBe('12M%');
  });

  it('shortNumber', () => {
    expect(shortNumber(10_000)).toBe('10K');
    expect(shortNumber(-25_400)).toBe('-25.4K');
    expect(shortNumber('999.0')).toBe('999');
    expect(shortNumber(2_500_000)).toBe('2.5M');
  });

  it('dashboard items and ratios', () => {
    expect(dashboardItem(12, 12, 10)).toEqual({ total: 12, change: '20%', trend: 'u' });
    expect(ratioLabel(5, 2)).toBe('2.5');
    expect(ratioLabel(5, 0)).toBe('0.0');
  });
});

describe('durationLabel', () => {
  it('minutes, hours, days, years', () => {
    expect(durationLabel(0.5)).toBe('0.5 min');
    expect(durationLabel(0)).toBe('0.0 min');
    expect(durationLabel(90)).toBe('1.5 hours');
    expect(durationLabel(1440)).toBe('1.0 days');
    expect(durationLabel(142_560)).toBe('0.3 years');
    expect(durationLabel(1_051_200)).toBe('2.0 years');
  });
});

describe('topThree', () => {
  it('keeps the three largest with percents of their total summing to 100', () => {
    const top = topThree([
      { name: 'iOS', value: 1 },
      { name: 'Android', value: 1 },
      { name: 'Web', value: 1 },
      { name: 'Other', value: 0 },
    ]);
    expect(top).toEqual([
      { name: 'iOS', value: 1, percent: 33.4 },
      { name: 'Android', value: 1, percent: 33.3 },
      { name: 'Web', value: 1, percent: 33.3 },
    ]);
  });

  it('sorts by value; a shortfall goes to the first item, an excess to the last', () => {
    const short = topThree([
      { name: 'a', value: 5 },
      { name: 'b', value: 9 },
      { name: 'c', value: 17 },
      { name: 'd', value: 1 },
    ]);
    expect(short.map((t) => [t.name, t.percent])).toEqual([
      ['c', 54.9],
      ['b', 29],
      ['a', 16.1],
    ]);
    const excess = topThree([
      { name: 'a', value: 2 },
      { name: 'b', value: 3 },
      { name: 'c', value: 2 },
    ]);
    expect(excess.map((t) => [t.name, t.percent])).toEqual([
      ['b', 42.9],
      ['a', 28.6],
      ['c', 28.5],
    ]);
  });

  it('handles fewer items and zero totals', () => {
    expect(topThree([{ name: 'x', value: 4 }])).toEqual([{ name: 'x', value: 4, percent: 100 }]);
    expect(topThree([{ name: 'x', value: 0 }])).toEqual([{ name: 'x', value: 0, percent: 0 }]);
    expect(topThree([])).toEqual([]);
  });
});

describe('periodLabel', () => {
  it('special periods show first and last day', () => {
    expect(periodLabel(parsePeriod('30days', NOW, NY), NOW, NY)).toBe('16 Sep - 15 Oct');
    expect(periodLabel(parsePeriod('30days', Date.UTC(2024, 8, 17, 21), NY), NOW, NY)).toBe('19 Aug - 17 Sep');
  });

  it('hour runs to the current wall-clock time', () => {
    expect(periodLabel(parsePeriod('hour', NOW, NY), NOW, NY)).toBe('00:00 - 17:03');
  });

  it('yesterday, day, month, prevMonth', () => {
    expect(periodLabel(parsePeriod('yesterday', NOW, NY), NOW, NY)).toBe('14 Oct, 00:00 - 14 Oct, 23:59');
    expect(periodLabel(parsePeriod('day', NOW, NY), NOW, NY)).toBe('1 Oct - 31 Oct');
    expect(periodLabel(parsePeriod('month', NOW, NY), NOW, NY)).toBe('Jan - Dec');
    expect(periodLabel(parsePeriod('prevMonth', NOW, NY), NOW, NY)).toBe('1 Sep - 30 Sep');
  });
});

// Users time object: u by day (month docs), by week and month (year doc).
const users: TimeTree = {
  2024: {
    u: 40,
    9: { u: 20, t: 60, n: 5, 30: { u: 3, t: 4 } },
    10: { u: 25, t: 70, n: 6, e: 90, d: 600, 1: { u: 4 }, 2: { u: 4 }, 7: { u: 5 }, 15: { t: 7, n: 1, u: 6, e: 9, d: 120, 8: { t: 2, n: 1, u: 2, e: 3 } } },
    w40: { u: 9 },
    w41: { u: 12 },
    w42: { u: 8 },
  },
};

describe('estimateUnique', () => {
  it('simple periods read u at activePeriod / previousPeriod', () => {
    const day = parsePeriod('day', NOW, NY);
    expect(estimateUnique(users, day)).toEqual({ value: 25, isEstimate: false });
    expect(estimateUnique(users, day, { previous: true })).toEqual({ value: 20, isEstimate: false });
    expect(estimateUnique(users, parsePeriod('hour', NOW, NY))).toEqual({ value: 6, isEstimate: false });
  });

  it('special periods take min(A, B) over the covers', () => {
    const p = parsePeriod('2weeks', NOW, NY); // 6–15 Oct: A = 6 Oct + w41 + 14 + 15 Oct, B = w40 + w41 + w42
    expect(p.uniquePeriodArr).toEqual(['2024.10.6', '2024.w41', '2024.10.14', '2024.10.15']);
    expect(estimateUnique(users, p)).toEqual({ value: 18, isEstimate: true });
    const metric: TimeTree = { 2024: { w40: { Android: { u: 1 } }, w41: { Android: { u: 2 } }, w42: { Android: { u: 3 } } } };
    expect(estimateUnique(metric, p, { path: ['Android', 'u'] })).toEqual({ value: 2, isEstimate: true });
  });

  it('corrections: u ≥ n (or n lowered when exact), u ≤ t', () => {
    expect(correctUniques({ u: 2, n: 5, t: 9 }, false)).toEqual({ u: 5, n: 5, t: 9 });
    expect(correctUniques({ u: 2, n: 5, t: 9 }, true)).toEqual({ u: 2, n: 2, t: 9 });
    expect(correctUniques({ u: 12, n: 5, t: 9 }, false)).toEqual({ u: 9, n: 5, t: 9 });
  });
});

describe('buildSessionTicks', () => {
  it('one row per day of a special period', () => {
    const rows = buildSessionTicks(users, parsePeriod('7days', NOW, NY));
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual({ _id: '2024-10-9', t: 0, n: 0, u: 0, d: 0, e: 0 });
    expect(rows[6]).toEqual({ _id: '2024-10-15', t: 7, n: 1, u: 6, d: 120, e: 9 });
  });

  it('hourly rows for today, day rows for the month, month rows for the year', () => {
    const hourly = buildSessionTicks(users, parsePeriod('hour', NOW, NY));
    expect(hourly).toHaveLength(24);
    expect(hourly[8]).toEqual({ _id: '2024-10-15 8:00', t: 2, n: 1, u: 2, d: 0, e: 3 });
    const days = buildSessionTicks(users, parsePeriod('day', NOW, NY));
    expect(days.map((r) => r._id)).toEqual(Array.from({ length: 31 }, (_, i) => `2024-10-${i + 1}`));
    const months = buildSessionTicks(users, parsePeriod('month', NOW, NY));
    expect(months).toHaveLength(12);
    expect(months[9]).toEqual({ _id: '2024-10', t: 70, n: 6, u: 25, d: 600, e: 90 });
  });

  it('bucket=monthly gives one row per month touched', () => {
    const period = parsePeriod('30days', NOW, NY, { bucket: 'monthly' });
    expect(buildSessionTicks(users, period, { bucket: 'monthly' })).toEqual([
      { _id: '2024-9', t: 60, n: 5, u: 20, d: 0, e: 0 },
      { _id: '2024-10', t: 70, n: 6, u: 25, d: 600, e: 90 },
    ]);
  });

  it('event rows carry c, s, dur', () => {
    const events: TimeTree = { 2024: { 10: { 15: { c: 3, s: 1.5 } } } };
    expect(buildEventTicks(events, parsePeriod('1days', NOW, NY))).toEqual([{ _id: '2024-10-15', c: 3, s: 1.5, dur: 0 }]);
  });
});

describe('periodSum and periodSeries', () => {
  it('simple periods read at activePeriod, previous at previousPeriod', () => {
    const day = parsePeriod('day', NOW, NY);
    expect(periodSum(users, day, ['t'])).toBe(70);
    expect(periodSum(users, day, ['t'], { previous: true })).toBe(60);
    expect(periodSum(users, parsePeriod('hour', NOW, NY), ['e'])).toBe(9);
  });

  it('special periods sum day by day, previous over the days before', () => {
    const week = parsePeriod('7days', NOW, NY);
    expect(periodSum(users, week, ['t'])).toBe(7);
    expect(periodSum(users, parsePeriod('30days', NOW, NY), ['t'], { previous: true })).toBe(0);
    expect(periodSum(users, parsePeriod('30days', NOW, NY), ['t'])).toBe(11);
    expect(periodSeries(users, week, ['t'])).toEqual([0, 0, 0, 0, 0, 0, 7]);
  });
});
