// Session totals of a period and the dashboard items built from them (§4.8), shared by
// `/o/analytics/dashboard` and `method=all_apps`.
import {
  correctUniques,
  dashboardItem,
  durationLabel,
  estimateUnique,
  periodSum,
  periodTicks,
  ratioLabel,
  readCounter,
  type PeriodObject,
  type TimeTree,
} from './read/index.ts';

export interface SessionTotals {
  readonly t: number;
  readonly n: number;
  readonly u: number;
  /** Seconds. */
  readonly d: number;
  readonly e: number;
  /**
   * The period's unique count is of the estimated kind (§4.8): a multi-day "special" period
   * (30days, 7days, a multi-day range), also when the exact count (§4.7) replaced the estimate
   * and whatever the count; false for periods read directly (today, hour, day, month, one day).
   */
  readonly isEstimate: boolean;
}

/** Totals of the period (or its previous period); `exactUsers` replaces the unique estimate. */
export function sessionTotals(tree: TimeTree, period: PeriodObject, opts: { previous?: boolean; exactUsers?: number } = {}): SessionTotals {
  const sum = (prop: string): number => periodSum(tree, period, [prop], { previous: opts.previous });
  const estimate = estimateUnique(tree, period, { previous: opts.previous });
  const exact = opts.exactUsers !== undefined;
  const corrected = correctUniques({ u: opts.exactUsers ?? estimate.value, n: sum('n'), t: sum('t') }, exact);
  return { ...corrected, d: sum('d'), e: sum('e'), isEstimate: estimate.isEstimate };
}

const perSession = (s: SessionTotals): number => (s.t === 0 ? 0 : s.d / 60 / s.t);
const perUser = (s: SessionTotals): number => (s.u === 0 ? 0 : s.e / s.u);

/** The `dashboard` object: totals with change and trend against the previous period. */
export function dashboardItems(cur: SessionTotals, prev: SessionTotals): Record<string, unknown> {
  return {
    total_sessions: dashboardItem(cur.t, cur.t, prev.t),
    total_users: { ...dashboardItem(cur.u, cur.u, prev.u), is_estimate: cur.isEstimate },
    new_users: dashboardItem(cur.n, cur.n, prev.n),
    total_time: dashboardItem(durationLabel(cur.d / 60), cur.d, prev.d),
    avg_time: dashboardItem(durationLabel(perSession(cur)), perSession(cur), perSession(prev)),
    avg_requests: dashboardItem(ratioLabel(cur.e, cur.u), perUser(cur), perUser(prev)),
  };
}

type TickValue = (at: (prop: string) => number) => number | string;

/** `[[index, value], ...]` per tick of the period, as Countly's chart data points. */
export function chartPoints(tree: TimeTree, period: PeriodObject, value: TickValue): [number, number | string][] {
  return periodTicks(period).map((tick, i) => [i, value((prop) => readCounter(tree, [...tick.path, prop]))]);
}

/** The `charts` of `method=all_apps`. */
export function appCharts(tree: TimeTree, period: PeriodObject): Record<string, [number, number | string][]> {
  return {
    'total-users': chartPoints(tree, period, (at) => at('u')),
    'new-users': chartPoints(tree, period, (at) => at('n')),
    'total-sessions': chartPoints(tree, period, (at) => at('t')),
    'time-spent': chartPoints(tree, period, (at) => (at('t') === 0 ? 0 : (at('d') / at('t') / 60).toFixed(1))),
    'total-time-spent': chartPoints(tree, period, (at) => (at('d') / 60).toFixed(1)),
    'avg-events-served': chartPoints(tree, period, (at) => (at('u') === 0 ? 0 : (at('e') / at('u')).toFixed(1))),
  };
}
