// `method=total_users` (§4.7): exact unique users of a period from app users whose last
// session (`ls`) lies in it. Only for periods that contain today (older `ls` values are
// overwritten by later sessions), and only while `api.totalUsers` is on.
import type { Document } from 'mongodb';
import { appUsersCollection, countAppUsers, groupAppUsers, type AppRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import type { PeriodObject } from './read/index.ts';

/** App-user field of each `metric` (core and the plugins on by default). */
export const TOTAL_USERS_FIELDS: Readonly<Record<string, string>> = {
  devices: 'd',
  device_type: 'dt',
  app_versions: 'av',
  os: 'p',
  platforms: 'p',
  os_versions: 'pv',
  platform_versions: 'pv',
  resolutions: 'r',
  countries: 'cc',
  cities: 'cty',
  carriers: 'c',
  langs: 'la',
  density: 'dnst',
  browser: 'brw',
  sources: 'src',
};

export interface UserCount {
  readonly _id: string;
  readonly u: number;
}

/** The `ls` window of a period: from its first ms to the first ms after it, in unix seconds. */
function lastSessionIn(period: PeriodObject): Document {
  return { ls: { $gte: Math.floor(period.start / 1000), $lt: Math.floor((period.end + 1) / 1000) } };
}

/** Whether exact counts apply to this period. */
export const exactCountsApply = (ctx: ApiContext, period: PeriodObject): boolean => ctx.deps.config.api.totalUsers && period.periodContainsToday;

/** Exact unique users of the period (`metric=users`), or undefined when exact counts do not apply. */
export async function exactUserCount(ctx: ApiContext, appId: string, period: PeriodObject): Promise<number | undefined> {
  if (!exactCountsApply(ctx, period)) return undefined;
  return countAppUsers(ctx.deps.db, appUsersCollection(appId), lastSessionIn(period));
}

/** `[{_id, u}]` of `method=total_users` for a metric (default `users`); `[]` when it does not apply. */
export async function totalUsers(ctx: ApiContext, app: AppRecord, period: PeriodObject, metric: string): Promise<UserCount[]> {
  const appId = app._id.toHexString();
  if (!exactCountsApply(ctx, period)) return [];
  if (metric === 'users') {
    const n = (await exactUserCount(ctx, appId, period)) ?? 0;
    return n === 0 ? [] : [{ _id: 'users', u: n }];
  }
  const field = TOTAL_USERS_FIELDS[metric];
  if (field === undefined) return [];
  const filter = metric === 'cities' ? { ...lastSessionIn(period), cc: app.country } : lastSessionIn(period);
  const rows = await groupAppUsers(ctx.deps.db, appUsersCollection(appId), field, filter);
  return rows.filter((r) => typeof r._id === 'string' || typeof r._id === 'number').map((r) => ({ _id: String(r._id), u: r.u }));
}
