// `method=total_users` (§4.7): exact unique users of a period from app users whose last
// session (`ls`) lies in it. Only for periods that contain today (older `ls` values are
// overwritten by later sessions), and only while `api.totalUsers` is on. A user counts under
// its current value; for a metric, the old value of every change recorded in the period
// (`metric_changes`, §2.17) also gains the distinct users who changed from it, so a user who
// upgraded during the period counts under both versions, as in Countly.
import type { Document } from 'mongodb';
import { appUsersCollection, countAppUsers, findMetricChanges, groupAppUsers, metricChangesCollection, type AppRecord } from '../projections/index.ts';
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

/** A seconds field within the period: from its first ms to the first ms after it, in unix seconds. */
function secondsIn(field: 'ls' | 'ts', period: PeriodObject): Document {
  return { [field]: { $gte: Math.floor(period.start / 1000), $lt: Math.floor((period.end + 1) / 1000) } };
}

const lastSessionIn = (period: PeriodObject): Document => secondsIn('ls', period);

const isValue = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Distinct users per old value of `field` in metric-change records (`{uid, <field>: {o, n}}`):
 * `[{_id: old value, u}]`. Records without an old value changed nothing a user was counted under.
 */
export function changedUsersByOldValue(changes: readonly Readonly<Record<string, unknown>>[], field: string): UserCount[] {
  const users = new Map<string, Set<string>>();
  for (const change of changes) {
    const entry = change[field];
    const old = isRecord(entry) ? entry.o : undefined;
    if (!isValue(old)) continue;
    const set = users.get(String(old)) ?? new Set<string>();
    set.add(JSON.stringify(change.uid ?? null));
    users.set(String(old), set);
  }
  return [...users].map(([value, set]) => ({ _id: value, u: set.size }));
}

/** Rows of app users per value plus the changed users of each old value (added, or appended when new). */
export function withChangedUsers(rows: readonly UserCount[], changed: readonly UserCount[]): UserCount[] {
  const byValue = new Map(rows.map((r) => [r._id, r.u]));
  for (const c of changed) byValue.set(c._id, (byValue.get(c._id) ?? 0) + c.u);
  return [...byValue].map(([_id, u]) => ({ _id, u })).sort((a, b) => b.u - a.u);
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
  const [grouped, changes] = await Promise.all([
    groupAppUsers(ctx.deps.db, appUsersCollection(appId), field, filter),
    findMetricChanges(ctx.deps.db, metricChangesCollection(appId), field, secondsIn('ts', period)),
  ]);
  const rows = grouped.filter((r) => isValue(r._id)).map((r) => ({ _id: String(r._id), u: r.u }));
  return withChangedUsers(rows, changedUsersByOldValue(changes, field));
}
