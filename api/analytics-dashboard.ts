// `/o/analytics/dashboard`, `/countries` and `/tops` (§4.8).
import type { AppRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { countryName } from './countries.ts';
import { metricSource } from './metric-map.ts';
import {
  correctUniques,
  estimateUnique,
  isValueList,
  parsePeriod,
  periodLabel,
  periodSum,
  periodTicks,
  readCounter,
  topThree,
  type PeriodObject,
  type TimeObject,
  type TopItem,
} from './read/index.ts';
import { dashboardItems, sessionTotals } from './session-data.ts';
import { familyTimeObject } from './time-docs.ts';
import { exactUserCount, totalUsers } from './total-users.ts';

/** The three periods of the default dashboard and countries answers, with their output keys. */
const DEFAULT_PERIODS = [
  { period: '30days', out: '30days' },
  { period: '7days', out: '7days' },
  { period: 'hour', out: 'today' },
] as const;

/**
 * Output key of a requested period as Countly renders it (§4.8): the period value used as an
 * object key, so a range `[from,to]` (sent as an array or as JSON text) becomes `from,to`
 * without brackets; other text stays as given.
 */
export function periodKey(raw: unknown): string {
  const value = typeof raw === 'string' && raw.includes(',') ? jsonOrText(raw) : raw;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v))).join(',');
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '30days');
}

/** §4.4: a period text holding a comma is JSON-parsed first; text that does not parse stays text. */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Decision: unparsable text is a plain period name (the period parser then falls back to 30days).
    if (err instanceof SyntaxError) return text;
    throw err;
  }
}

/** The periods to answer: the three defaults unless a period other than `30days` is given. */
export function dashboardPeriods(raw: unknown): { period: unknown; out: string }[] {
  if (raw === undefined || raw === '' || raw === '30days') return DEFAULT_PERIODS.map((p) => ({ ...p }));
  return [{ period: raw, out: periodKey(raw) }];
}

/** Values of a meta set of a time object. */
export const metaValues = (tree: TimeObject, set: string): string[] => {
  const meta = tree.meta;
  const list = meta !== undefined && !Array.isArray(meta) && typeof meta === 'object' ? meta[set] : undefined;
  return isValueList(list) ? list : [];
};

/** Top three values of a meta set by sessions (`t`) in the period. */
export function bars(tree: TimeObject, set: string, period: PeriodObject): TopItem[] {
  return topThree(metaValues(tree, set).map((name) => ({ name, value: periodSum(tree, period, [name, 't']) })));
}

/** Top three ticks of the period by sessions (`top.users`). */
const userBars = (tree: TimeObject, period: PeriodObject): TopItem[] =>
  topThree(periodTicks(period).map((tick) => ({ name: tick.id, value: readCounter(tree, [...tick.path, 't']) })));

interface Trees {
  readonly users: TimeObject;
  readonly details: TimeObject;
  readonly carriers: TimeObject;
}

async function readTrees(ctx: ApiContext, app: AppRecord, outer: PeriodObject): Promise<Trees> {
  const appId = app._id.toHexString();
  const [users, details, carriers] = await Promise.all([
    familyTimeObject(ctx, 'users', 'users', appId, outer, app.timezone),
    familyTimeObject(ctx, 'device_details', 'metric', appId, outer, app.timezone),
    familyTimeObject(ctx, 'carriers', 'metric', appId, outer, app.timezone),
  ]);
  return { users, details, carriers };
}

async function dashboardFor(ctx: ApiContext, app: AppRecord, trees: Trees, raw: unknown): Promise<Record<string, unknown>> {
  const period = parsePeriod(raw, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const exactUsers = await exactUserCount(ctx, app._id.toHexString(), period);
  return {
    dashboard: dashboardItems(sessionTotals(trees.users, period, { exactUsers }), sessionTotals(trees.users, period, { previous: true })),
    top: {
      platforms: bars(trees.details, 'os', period),
      resolutions: bars(trees.details, 'resolutions', period),
      carriers: bars(trees.carriers, 'carriers', period),
      users: userBars(trees.users, period),
    },
    period: periodLabel(period, ctx.now(), app.timezone),
  };
}

/** `/o/analytics/dashboard`: `{30days, 7days, today}` or `{<period>}`. */
export async function dashboard(ctx: ApiContext, app: AppRecord, rawPeriod: unknown): Promise<Record<string, unknown>> {
  const periods = dashboardPeriods(rawPeriod);
  const outer = parsePeriod(periods.length === 1 ? periods[0]?.period : '30days', ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const trees = await readTrees(ctx, app, outer);
  const out: Record<string, unknown> = {};
  for (const p of periods) out[p.out] = await dashboardFor(ctx, app, trees, p.period);
  return out;
}

async function countriesFor(ctx: ApiContext, app: AppRecord, users: TimeObject, raw: string): Promise<Record<string, unknown>[]> {
  const period = parsePeriod(raw, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const exact = new Map((await totalUsers(ctx, app, period, 'countries')).map((r) => [r._id, r.u]));
  const exactApplies = ctx.deps.config.api.totalUsers && period.periodContainsToday;
  const rows = metaValues(users, 'countries').map((code) => {
    const counts = { t: periodSum(users, period, [code, 't']), n: periodSum(users, period, [code, 'n']) };
    const u = exactApplies ? (exact.get(code) ?? 0) : estimateUnique(users, period, { path: [code, 'u'] }).value;
    const c = correctUniques({ ...counts, u }, exactApplies);
    // Countly's `code` is the stored code lower-cased, also when its name is `Unknown`.
    return { country: countryName(code), code: code.toLowerCase(), t: c.t, u: c.u, n: c.n };
  });
  return rows.sort((a, b) => b.n - a.n).slice(0, 10);
}

/** `/o/analytics/countries`: up to ten countries per default period, by new users. */
export async function countries(ctx: ApiContext, app: AppRecord): Promise<Record<string, unknown>> {
  const outer = parsePeriod('30days', ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const users = await familyTimeObject(ctx, 'users', 'users', app._id.toHexString(), outer, app.timezone);
  const out: Record<string, unknown> = {};
  for (const p of DEFAULT_PERIODS) out[p.out] = await countriesFor(ctx, app, users, p.period);
  return out;
}

/** Bars of one analytics metric; `[]` when nothing stores it. */
async function metricBars(ctx: ApiContext, app: AppRecord, name: string, period: PeriodObject): Promise<TopItem[]> {
  const source = metricSource(name);
  if (source === undefined) return [];
  const tree = await familyTimeObject(ctx, source.collection, source.family, app._id.toHexString(), period, app.timezone);
  return bars(tree, source.set, period);
}

/** `/o/analytics/tops`: platform, resolution, carrier and country bars, or those of `metric(s)`. */
export async function tops(ctx: ApiContext, app: AppRecord, rawPeriod: unknown, metric?: string, metrics?: string[]): Promise<unknown> {
  const period = parsePeriod(rawPeriod, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  if (metric !== undefined && metric !== '') return metricBars(ctx, app, metric, period);
  if (metrics !== undefined) {
    const entries = await Promise.all(metrics.map(async (m) => [m, await metricBars(ctx, app, m, period)] as const));
    return Object.fromEntries(entries.filter(([m]) => metricSource(m) !== undefined));
  }
  const [platforms, resolutions, carriers, countryBars] = await Promise.all([
    metricBars(ctx, app, 'os', period),
    metricBars(ctx, app, 'resolutions', period),
    metricBars(ctx, app, 'carriers', period),
    metricBars(ctx, app, 'countries', period),
  ]);
  return { platforms, resolutions, carriers, countries: countryBars };
}
