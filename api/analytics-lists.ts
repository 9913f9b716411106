// `/o/analytics/sessions`, `/metric`, `/loyalty`, `/frequency`, `/durations` and `/events` (§4.8).
import { CountlyReplyError } from '../http/index.ts';
import type { AppRecord } from '../projections/index.ts';
import { metaValues } from './analytics-dashboard.ts';
import type { ApiContext } from './context.ts';
import { eventKeys, eventKeyTimeObject } from './events-read.ts';
import { metricSource } from './metric-map.ts';
import {
  buildEventTicks,
  buildSessionTicks,
  correctUniques,
  estimateUnique,
  parsePeriod,
  periodSum,
  type PeriodObject,
  type TimeObject,
} from './read/index.ts';
import { familyTimeObject } from './time-docs.ts';
import { exactCountsApply, TOTAL_USERS_FIELDS, totalUsers } from './total-users.ts';

export type Bucket = 'daily' | 'monthly';

const usersTree = (ctx: ApiContext, app: AppRecord, period: PeriodObject): Promise<TimeObject> =>
  familyTimeObject(ctx, 'users', 'users', app._id.toHexString(), period, app.timezone);

/** `/o/analytics/sessions`: one row per tick. */
export async function sessionRows(ctx: ApiContext, app: AppRecord, rawPeriod: unknown, bucket: Bucket): Promise<unknown[]> {
  const period = parsePeriod(rawPeriod, ctx.now(), app.timezone, { bucket, maxDays: ctx.deps.config.api.maxPeriodDays });
  return buildSessionTicks(await usersTree(ctx, app, period), period, { bucket });
}

/** `/o/analytics/metric?metric=`: `[{_id: value, t, n, u}]`, most users first. */
export async function metricRows(ctx: ApiContext, app: AppRecord, rawPeriod: unknown, metric: string | undefined): Promise<unknown[]> {
  if (metric === undefined || metric === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Must provide metric');
  const source = metricSource(metric);
  if (source === undefined) return [];
  const period = parsePeriod(rawPeriod, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const tree = await familyTimeObject(ctx, source.collection, source.family, app._id.toHexString(), period, app.timezone);
  // Exact counts only for metrics stored on app users; the others keep the estimate.
  const exact = exactCountsApply(ctx, period) && TOTAL_USERS_FIELDS[metric] !== undefined;
  const exactUsers = new Map((exact ? await totalUsers(ctx, app, period, metric) : []).map((r) => [r._id, r.u]));
  const rows = metaValues(tree, source.set).map((value) => {
    const counts = { t: periodSum(tree, period, [value, 't']), n: periodSum(tree, period, [value, 'n']) };
    const u = exact ? (exactUsers.get(value) ?? 0) : estimateUnique(tree, period, { path: [value, 'u'] }).value;
    return { _id: value, ...correctUniques({ ...counts, u }, exact) };
  });
  return rows.sort((a, b) => b.u - a.u || b.t - a.t).map((r) => ({ _id: r._id, t: r.t, n: r.n, u: r.u }));
}

/** Range families of the users time object: loyalty `l`, frequency `f`, durations `ds`. */
export const RANGES = {
  loyalty: { prop: 'l', set: 'l-ranges' },
  frequency: { prop: 'f', set: 'f-ranges' },
  durations: { prop: 'ds', set: 'd-ranges' },
} as const;
export type RangeKind = keyof typeof RANGES;

/** `[{<prop>: bucket, t, percent}]` by users in each bucket over the period, most first. */
export async function rangeRows(ctx: ApiContext, app: AppRecord, rawPeriod: unknown, kind: RangeKind): Promise<unknown[]> {
  const { prop, set } = RANGES[kind];
  const period = parsePeriod(rawPeriod, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const tree = await usersTree(ctx, app, period);
  const counts = metaValues(tree, set).map((bucket) => ({ bucket, t: estimateUnique(tree, period, { path: [prop, bucket] }).value }));
  const total = counts.reduce((acc, c) => acc + c.t, 0);
  return counts.sort((a, b) => b.t - a.t).map((c) => ({ [prop]: c.bucket, t: c.t, percent: (total === 0 ? 0 : (c.t / total) * 100).toFixed(1) }));
}

async function eventRows(
  ctx: ApiContext,
  app: AppRecord,
  key: string,
  period: PeriodObject,
  segmentation: string | undefined,
  bucket: Bucket,
): Promise<unknown[]> {
  const appId = app._id.toHexString();
  const segment = segmentation === undefined || segmentation === '' || segmentation === 'no-segment' ? undefined : segmentation;
  const tree = await eventKeyTimeObject(ctx, appId, key, period, segment);
  if (segment === undefined) return buildEventTicks(tree, period, { bucket });
  return metaValues(tree, segment).map((value) => ({
    _id: value,
    c: periodSum(tree, period, [value, 'c']),
    s: periodSum(tree, period, [value, 's']),
    dur: periodSum(tree, period, [value, 'dur']),
  }));
}

export interface EventsRequest {
  readonly event?: string;
  readonly events?: unknown;
  readonly segmentation?: string;
  readonly bucket: Bucket;
}

/** `/o/analytics/events`: rows of one event, or `{key: rows}` of several. */
export async function eventsAnalytics(ctx: ApiContext, app: AppRecord, rawPeriod: unknown, q: EventsRequest): Promise<unknown> {
  const period = parsePeriod(rawPeriod, ctx.now(), app.timezone, { bucket: q.bucket, maxDays: ctx.deps.config.api.maxPeriodDays });
  if (q.event !== undefined && q.event !== '') return eventRows(ctx, app, q.event, period, q.segmentation, q.bucket);
  if (q.events === undefined || q.events === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Must provide event or events');
  const keys = eventKeys(q.events);
  if (keys === undefined) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Must provide valid array with event keys as events param.');
  const entries = await Promise.all(keys.map(async (key) => [key, await eventRows(ctx, app, key, period, q.segmentation, q.bucket)] as const));
  return Object.fromEntries(entries);
}
