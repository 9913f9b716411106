// §4.8 rules of the dashboard answer that a Countly client reads: the output key of a requested
// period and the `is_estimate` flag of `total_users`.
import { describe, expect, it } from 'vitest';
import { dashboardPeriods, periodKey } from './analytics-dashboard.ts';
import { parsePeriod } from './read/index.ts';
import { sessionTotals } from './session-data.ts';

const NOW = Date.UTC(2024, 9, 15, 21, 3);

describe('dashboard period keys (§4.8)', () => {
  it('given no period or 30days, then the three default periods answer', () => {
    expect(dashboardPeriods(undefined).map((p) => p.out)).toEqual(['30days', '7days', 'today']);
    expect(dashboardPeriods('30days').map((p) => p.out)).toEqual(['30days', '7days', 'today']);
  });

  it('given a range as JSON text or as an array, then the key is the two timestamps joined by a comma', () => {
    expect(dashboardPeriods('[1727740800000,1730332800000]')).toEqual([{ period: '[1727740800000,1730332800000]', out: '1727740800000,1730332800000' }]);
    expect(periodKey([1727740800000, 1730332800000])).toBe('1727740800000,1730332800000');
    expect(periodKey(['01-10-2024', '31-10-2024'])).toBe('01-10-2024,31-10-2024');
  });

  it('given a named period, then the key is the name as sent', () => {
    expect(periodKey('7days')).toBe('7days');
    expect(periodKey('month')).toBe('month');
    expect(periodKey('not,json')).toBe('not,json');
  });
});

describe('total_users.is_estimate (§4.8)', () => {
  const empty = {};
  const cases: [string, unknown, boolean][] = [
    ['30days', '30days', true],
    ['7days', '7days', true],
    ['a multi-day range', [Date.UTC(2024, 9, 1), Date.UTC(2024, 9, 10)], true],
    ['today', 'hour', false],
    ['one day', [Date.UTC(2024, 9, 3), Date.UTC(2024, 9, 3)], false],
  ];
  for (const [name, raw, estimate] of cases) {
    it(`given ${name}, with or without an exact count and whatever the count, then is_estimate is ${String(estimate)}`, () => {
      const period = parsePeriod(raw, NOW, 'UTC');
      expect(sessionTotals(empty, period).isEstimate).toBe(estimate);
      expect(sessionTotals(empty, period, { exactUsers: 0 }).isEstimate).toBe(estimate);
      expect(sessionTotals(empty, period, { exactUsers: 3 }).isEstimate).toBe(estimate);
    });
  }
});
