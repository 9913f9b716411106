// Pure helpers of `/o/analytics/*` (§4.8): change strings, labels, top-3 bars.
//
// Choices: numbers are shortened as Countly's server getShortNumber does (K from ±10000, M
// from ±1e6, first ".0" removed), so 1200% prints "1200%" and 12345% prints "12.3K%".
// Countly's timeString treats any value whose decimal text is 13 characters long as ms;
// not copied (durations are always minutes here). The `hour` label ends at the current
// wall-clock time ("00:00 - 17:03").
import type { PeriodObject } from './period.ts';
import { resolveTimeZone, wallTimeAt } from './zoned-time.ts';

export interface PercentChange {
  /** `NA` (previous 0), `∞` (current 0), else a percent like `20%`, `-3.5%`, `12.3K%`. */
  percent: string;
  trend: 'u' | 'd';
}

const THOUSAND_FROM = 10_000;
const MILLION_FROM = 1_000_000;

/** Countly's getShortNumber: `12.3K`, `2M`; smaller numbers as text without a trailing `.0`. */
export function shortNumber(value: number | string): string {
  const n = Number(value);
  if (Math.abs(n) >= MILLION_FROM) return `${(n / MILLION_FROM).toFixed(1).replace('.0', '')}M`;
  if (Math.abs(n) >= THOUSAND_FROM) return `${(n / 1000).toFixed(1).replace('.0', '')}K`;
  return String(value).replace('.0', '');
}

/** Change from `previous` to `current` as Countly's getPercentChange. */
export function percentChange(previous: number, current: number): PercentChange {
  if (previous === 0) return { percent: 'NA', trend: 'u' };
  if (current === 0) return { percent: '∞', trend: 'd' };
  const change = (((current - previous) / previous) * 100).toFixed(1);
  return { percent: `${shortNumber(change)}%`, trend: Number(change) < 0 ? 'd' : 'u' };
}

/** One dashboard item `{total, change, trend}`. */
export function dashboardItem<T extends number | string>(total: T, current: number, previous: number): { total: T; change: string; trend: 'u' | 'd' } {
  const { percent, trend } = percentChange(previous, current);
  return { total, change: percent, trend };
}

/** Duration in minutes as `0.5 min`, `1.5 hours` (≥60), `1.0 days` (≥1440), `0.3 years` (≥142560). */
export function durationLabel(minutes: number): string {
  if (minutes >= 142_560) return `${(minutes / 525_600).toFixed(1)} years`;
  if (minutes >= 1440) return `${(minutes / 1440).toFixed(1)} days`;
  if (minutes >= 60) return `${(minutes / 60).toFixed(1)} hours`;
  return `${minutes.toFixed(1)} min`;
}

/** `numerator / denominator` with one decimal (`avg_requests`); `0.0` when the denominator is 0. */
export const ratioLabel = (numerator: number, denominator: number): string => (denominator === 0 ? 0 : numerator / denominator).toFixed(1);

export interface BarItem {
  name: string;
  value: number;
}
export interface TopItem extends BarItem {
  /** Percent of the shown items' total, one decimal; the shown percents sum to 100. */
  percent: number;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * The `maxItems` (default 3) largest items by value, with percents of their own total. The
 * rounding remainder goes to the first item when short of 100, the last when over.
 */
export function topThree(items: readonly BarItem[], maxItems = 3): TopItem[] {
  const shown = [...items].sort((a, b) => b.value - a.value).slice(0, maxItems);
  const sum = shown.reduce((acc, item) => acc + item.value, 0);
  const top = shown.map((item) => ({ ...item, percent: sum === 0 ? 0 : round1((item.value / sum) * 100) }));
  const total = top.reduce((acc, item) => acc + item.percent, 0);
  const fix = total < 100 ? top[0] : top[top.length - 1];
  if (fix && sum > 0) fix.percent = round1(fix.percent + 100 - total);
  return top;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

interface LabelTime {
  y: number;
  m: number;
  d: number;
  hour: number;
  minute: number;
}

/** A moment format string (`D MMM`, `HH:mm`, `MMM`, `D MMM, HH:mm`, `YYYY`) applied to `t`. */
export function formatLabel(format: string, t: LabelTime): string {
  const tokens: Record<string, string> = {
    YYYY: String(t.y),
    MMM: MONTHS[t.m - 1] ?? '',
    HH: pad2(t.hour),
    mm: pad2(t.minute),
    D: String(t.d),
  };
  return format.replace(/YYYY|MMM|HH|mm|D/g, (token) => tokens[token] ?? token);
}

function parseKey(key: string | number, hour = 0, minute = 0): LabelTime {
  const [y = 1970, m = 1, d = 1] = String(key).split('.').map(Number);
  return { y, m, d, hour, minute };
}

/** Human label of a period (`19 Aug - 17 Sep`, `00:00 - 17:03`, `Jan - Dec`), as the dashboard shows it. */
export function periodLabel(period: PeriodObject, nowMs: number, timezone: string): string {
  const { dateString: format, activePeriod: active } = period;
  const span = (a: LabelTime, b: LabelTime): string => `${formatLabel(format, a)} - ${formatLabel(format, b)}`;
  if (period.isSpecialPeriod) {
    return span(parseKey(period.currentPeriodArr[0] ?? ''), parseKey(period.currentPeriodArr.at(-1) ?? ''));
  }
  const min = period.periodMin === 'NA' ? 1 : period.periodMin;
  const max = period.periodMax === 'NA' ? 1 : period.periodMax;
  if (format === 'HH:mm') {
    const now = wallTimeAt(nowMs, resolveTimeZone(timezone));
    return span(parseKey(active, min), parseKey(active, now.hour, now.minute));
  }
  if (format === 'D MMM, HH:mm') return span(parseKey(active), parseKey(active, 23, 59));
  // `MMM` (month: active is the year) and `D MMM` (day, prevMonth: active is YYYY.M).
  return span(parseKey(`${active}.${min}`), parseKey(`${active}.${max}`));
}

export * from './analytics-data.ts';
