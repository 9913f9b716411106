// `method=top_events` (spec §4.6). Countly precomputes it with a daily job and answers `false`
// until the job has run; Tally computes it when asked, from the same event and users
// projections the other reads use, so it is never stale and never `false` for a known period
// (docs/countly-differences.md). Unknown periods answer `false`, as a missing document would.
import { eventHash, type AppRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { eventRegistry } from './events-read.ts';
import { parsePeriod, percentChange, periodSum, type PeriodObject } from './read/index.ts';
import { eventTimeObject, familyTimeObject } from './time-docs.ts';

/** The periods Countly's job computes. */
export const TOP_EVENTS_PERIODS = ['30days', '7days', 'hour', 'month', '60days', 'today'] as const;
const FILTERS = { count: 'c', sum: 's', duration: 'dur' } as const;
type Filter = keyof typeof FILTERS;
/** Events per answer when `limit` is absent or not a positive number. */
const DEFAULT_LIMIT = 10;

interface Totals {
  readonly name: string;
  readonly count: number;
  readonly sum: number;
  readonly duration: number;
  readonly prev: { readonly count: number; readonly sum: number; readonly duration: number };
}

const isPeriod = (v: unknown): v is (typeof TOP_EVENTS_PERIODS)[number] => typeof v === 'string' && (TOP_EVENTS_PERIODS as readonly string[]).includes(v);
const isFilter = (v: unknown): v is Filter => typeof v === 'string' && Object.hasOwn(FILTERS, v);

async function eventTotals(ctx: ApiContext, appId: string, key: string, period: PeriodObject): Promise<Totals> {
  const tree = await eventTimeObject(ctx, appId, eventHash(key, appId), period);
  const at = (prop: string, previous: boolean) => periodSum(tree, period, [prop], { previous });
  return {
    name: key,
    count: at('c', false),
    sum: at('s', false),
    duration: at('dur', false),
    prev: { count: at('c', true), sum: at('s', true), duration: at('dur', true) },
  };
}

const total = (rows: readonly Totals[], pick: (t: Totals) => number): number => rows.reduce((s, r) => s + pick(r), 0);

export interface TopEventsQuery {
  readonly period?: unknown;
  readonly limit?: unknown;
  readonly filter?: unknown;
}

/** The top events of a period, most counted first; `false` for a period the job would not have. */
export async function topEvents(ctx: ApiContext, app: AppRecord, q: TopEventsQuery): Promise<Record<string, unknown> | false> {
  const name = q.period ?? '30days';
  if (!isPeriod(name)) return false;
  const appId = app._id.toHexString();
  const period = parsePeriod(name, ctx.now(), app.timezone);
  const registry = await eventRegistry(ctx, appId);
  const keys = (registry?.list ?? []).filter((k) => !k.startsWith('[CLY]'));
  const rows = await Promise.all(keys.map((k) => eventTotals(ctx, appId, k, period)));
  const users = await familyTimeObject(ctx, 'users', 'users', appId, period, app.timezone);
  const limitN = Number(q.limit);
  const limit = Number.isInteger(limitN) && limitN > 0 ? limitN : DEFAULT_LIMIT;
  const filter = isFilter(q.filter) ? q.filter : undefined;
  const ranked = [...rows].sort((a, b) => (filter === undefined ? b.count - a.count : b[filter] - a[filter]) || a.name.localeCompare(b.name)).slice(0, limit);
  const data = ranked.map((r) => {
    if (filter === undefined) return { name: r.name, count: r.count, sum: r.sum, duration: r.duration };
    const change = percentChange(r.prev[filter], r[filter]);
    return { name: r.name, [filter]: r[filter], trend: change.trend, change: change.percent };
  });
  return {
    _id: `${appId}_${name}`,
    app_id: appId,
    ts: ctx.now(),
    period: name,
    data,
    totalCount: total(rows, (r) => r.count),
    prevTotalCount: total(rows, (r) => r.prev.count),
    totalSum: total(rows, (r) => r.sum),
    prevTotalSum: total(rows, (r) => r.prev.sum),
    totalDuration: total(rows, (r) => r.duration),
    prevTotalDuration: total(rows, (r) => r.prev.duration),
    prevSessionCount: periodSum(users, period, ['t'], { previous: true }),
    totalSessionCount: periodSum(users, period, ['t']),
    prevUsersCount: periodSum(users, period, ['u'], { previous: true }),
    totalUsersCount: periodSum(users, period, ['u']),
  };
}
