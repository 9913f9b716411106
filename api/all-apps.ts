// `method=all_apps` (global admin): a session summary and charts per app, optionally for the
// apps matching a client `filter` (checked by the query guard before it reaches MongoDB).
import { findAppsMatching, type AppRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { guardFilter } from './query-guard.ts';
import { parsePeriod } from './read/index.ts';
import { appCharts, dashboardItems, sessionTotals } from './session-data.ts';
import { familyTimeObject } from './time-docs.ts';
import { exactUserCount } from './total-users.ts';

/** What `all_apps` reads of the `/o` parameters (o.routes.ts parses them). */
export interface AllAppsParams {
  readonly period?: unknown;
  readonly filter?: unknown;
}

async function appSummary(ctx: ApiContext, app: AppRecord, p: AllAppsParams): Promise<Record<string, unknown>> {
  const appId = app._id.toHexString();
  const period = parsePeriod(p.period, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const tree = await familyTimeObject(ctx, 'users', 'users', appId, period, app.timezone);
  const exactUsers = await exactUserCount(ctx, appId, period);
  const items = dashboardItems(sessionTotals(tree, period, { exactUsers }), sessionTotals(tree, period, { previous: true }));
  return {
    _id: appId,
    name: app.name,
    test: '1',
    sessions: items.total_sessions,
    users: items.total_users,
    newusers: items.new_users,
    duration: items.total_time,
    avgduration: items.avg_time,
    charts: appCharts(tree, period),
  };
}

/** Summaries of every app (or of those matching `filter`). */
export async function allApps(ctx: ApiContext, p: AllAppsParams): Promise<Record<string, unknown>[]> {
  const filter = p.filter === undefined || p.filter === '' ? {} : guardFilter(p.filter, 'filter');
  const apps = await findAppsMatching(ctx.deps.db, filter);
  return Promise.all(apps.map((app) => appSummary(ctx, app, p)));
}
