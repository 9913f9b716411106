// Reading a time object through a period object (§4.8): unique-user estimates and the
// per-tick rows of `/o/analytics/sessions` and `/o/analytics/events`.
import type { PeriodObject } from './period.ts';
import type { TimeTree } from './time-tree.ts';
import { readCounter } from './time-tree.ts';

export interface UniqueEstimate {
  value: number;
  /** False when read directly at `activePeriod` (simple and one-day periods). */
  isEstimate: boolean;
}

export interface EstimateOptions {
  /** Path below each tick to the counter, e.g. `['Android', 'u']`. Default `['u']`. */
  path?: readonly string[];
  /** Estimate the previous period instead of the current one. Default false. */
  previous?: boolean;
}

const sumAt = (tree: TimeTree, ticks: readonly string[], path: readonly string[]): number =>
  ticks.reduce((acc, tick) => acc + readCounter(tree, [...tick.split('.'), ...path]), 0);

/**
 * Unique count of a period: simple and one-day periods read it at `activePeriod` (or
 * `previousPeriod`); longer periods take min(A, B) over the two covers of the period object.
 */
export function estimateUnique(tree: TimeTree, period: PeriodObject, opts: EstimateOptions = {}): UniqueEstimate {
  const path = opts.path ?? ['u'];
  const direct = !period.isSpecialPeriod || period.daysInPeriod === 1;
  if (direct) {
    const at = opts.previous === true ? period.previousPeriod : period.activePeriod;
    return { value: at === 'NA' ? 0 : readCounter(tree, [...String(at).split('.'), ...path]), isEstimate: false };
  }
  const cover = opts.previous === true ? period.previousUniquePeriodArr : period.uniquePeriodArr;
  const check = opts.previous === true ? period.previousUniquePeriodCheckArr : period.uniquePeriodCheckArr;
  return { value: Math.min(sumAt(tree, cover, path), sumAt(tree, check, path)), isEstimate: true };
}

export interface UserCounts {
  u: number;
  n: number;
  t: number;
}

/**
 * Countly's corrections: users below new users are raised to it (or, with an exact user
 * count, new users lowered to it); users above sessions are lowered to sessions.
 */
export function correctUniques(counts: UserCounts, exact: boolean): UserCounts {
  let { u, n } = counts;
  if (u < n) {
    if (exact) n = u;
    else u = n;
  }
  return { u: Math.min(u, counts.t), n, t: counts.t };
}

/** One tick of a period: its `_id` label and the path of its object in the time object. */
export interface Tick {
  id: string;
  path: string[];
}

function simpleTicks(period: PeriodObject): Tick[] {
  const active = String(period.activePeriod);
  const parts = active.split('.');
  const min = period.periodMin === 'NA' ? 0 : period.periodMin;
  const max = period.periodMax === 'NA' ? 0 : period.periodMax;
  const ticks: Tick[] = [];
  for (let i = min; i <= max; i++) {
    // Hourly when the ticks start at 0 (`YYYY-M-D H:00`), else months of a year or days of a month.
    const id = min === 0 ? `${parts.join('-')} ${i}:00` : `${parts.join('-')}-${i}`;
    ticks.push({ id, path: [...parts, String(i)] });
  }
  return ticks;
}

function monthTicks(period: PeriodObject): Tick[] {
  const months = new Set(period.currentPeriodArr.map((day) => day.split('.').slice(0, 2).join('.')));
  return [...months].map((month) => ({ id: month.replace('.', '-'), path: month.split('.') }));
}

/**
 * The ticks of a period: hours, days or months of simple periods, each day of special
 * periods, or each month touched with `bucket=monthly`.
 */
export function periodTicks(period: PeriodObject, opts: { bucket?: 'daily' | 'monthly' } = {}): Tick[] {
  if (opts.bucket === 'monthly') return monthTicks(period);
  if (!period.isSpecialPeriod) return simpleTicks(period);
  return period.currentPeriodArr.map((day) => ({ id: day.replaceAll('.', '-'), path: day.split('.') }));
}

export interface SessionTick {
  _id: string;
  t: number;
  n: number;
  u: number;
  d: number;
  e: number;
}

/** Rows of `/o/analytics/sessions`: `[{_id: "2024-10-15", t, n, u, d, e}]`, missing counters 0. */
export function buildSessionTicks(tree: TimeTree, period: PeriodObject, opts: { bucket?: 'daily' | 'monthly' } = {}): SessionTick[] {
  return periodTicks(period, opts).map(({ id, path }) => {
    const at = (prop: string): number => readCounter(tree, [...path, prop]);
    return { _id: id, t: at('t'), n: at('n'), u: at('u'), d: at('d'), e: at('e') };
  });
}

export interface EventTick {
  _id: string;
  c: number;
  s: number;
  dur: number;
}

/** Rows of `/o/analytics/events?event=<key>`: `[{_id: <tick>, c, s, dur}]`, missing counters 0. */
export function buildEventTicks(tree: TimeTree, period: PeriodObject, opts: { bucket?: 'daily' | 'monthly' } = {}): EventTick[] {
  return periodTicks(period, opts).map(({ id, path }) => {
    const at = (prop: string): number => readCounter(tree, [...path, prop]);
    return { _id: id, c: at('c'), s: at('s'), dur: at('dur') };
  });
}

/**
 * Sum of the counter at `path` (e.g. `['t']`, `['Android', 'n']`) over a period: read at
 * `activePeriod` (or `previousPeriod`) for simple periods, day by day for special ones. For
 * non-unique counters (t, n, d, e, c, s, dur); unique counters go through estimateUnique.
 */
export function periodSum(tree: TimeTree, period: PeriodObject, path: readonly string[], opts: { previous?: boolean } = {}): number {
  if (!period.isSpecialPeriod) {
    const at = opts.previous === true ? period.previousPeriod : period.activePeriod;
    return at === 'NA' ? 0 : readCounter(tree, [...String(at).split('.'), ...path]);
  }
  return sumAt(tree, opts.previous === true ? period.previousPeriodArr : period.currentPeriodArr, path);
}

/** The counter at `path` for each tick of the period (a dashboard sparkline). */
export function periodSeries(tree: TimeTree, period: PeriodObject, path: readonly string[]): number[] {
  return periodTicks(period).map((tick) => readCounter(tree, [...tick.path, ...path]));
}
