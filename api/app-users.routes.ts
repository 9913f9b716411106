// `/o/app_users/loyalty` (§6.6), `/o/app_users/consents` (§6.1) and `/o/app_users/list` (the user
// search of the dashboard's user profiles): the read routes that take a client filter.
// `query`/`filter`, `sort` and `projection` go through the query guard first, so a refused object
// never reaches MongoDB. `/i/app_users/*` (the changes) are in app-user-changes.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Document } from 'mongodb';
import { z } from 'zod';
import { CountlyReplyError, sendOutput } from '../http/index.ts';
import { appUserId, appUsersCollection, countAppUsers, estimateAppUsers, findAppUsers, type AppRecord } from '../projections/index.ts';
import { createAppUser, deleteAppUsers, exportNotAvailable, updateAppUsers } from './app-user-changes.ts';
import { requireAppRight } from './auth.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, apiRoute, parseParams, type Params } from './http.ts';
import { guardFilter, guardProjection, guardSort } from './query-guard.ts';
import { CORE_FEATURE } from './rights.ts';

/** Session-count buckets of §6.6: [label, lowest sc, highest sc]. */
const LOYALTY_BUCKETS: readonly (readonly [string, number, number])[] = [
  ['1', 1, 1],
  ['2', 2, 2],
  ['3-5', 3, 5],
  ['6-9', 6, 9],
  ['10-19', 10, 19],
  ['20-49', 20, 49],
  ['50-99', 50, 99],
  ['100-499', 100, 499],
  ['500+', 500, Number.MAX_SAFE_INTEGER],
];
const DAY_S = 86_400;
const DEFAULT_PAGE = 100;

const count = z.union([z.string().regex(/^\d{1,7}$/), z.number().int().nonnegative()]).optional();
export const appUsersParams = z.looseObject({
  app_id: z.string().length(24),
  query: z.unknown().optional(),
  filter: z.unknown().optional(),
  sort: z.unknown().optional(),
  projection: z.unknown().optional(),
  project: z.unknown().optional(),
  limit: count,
  iDisplayLength: count,
  skip: count,
  iDisplayStart: count,
  sSearch: z.string().max(200).optional(),
  sEcho: z.union([z.string().max(20), z.number()]).optional(),
});
type AppUsersParams = z.infer<typeof appUsersParams>;

const present = (v: unknown): boolean => v !== undefined && v !== '';
const userFilter = (p: AppUsersParams): Document => {
  const raw = present(p.query) ? p.query : p.filter;
  return present(raw) ? guardFilter(raw, present(p.query) ? 'query' : 'filter') : {};
};

async function loyalty(ctx: ApiContext, appId: string, p: AppUsersParams): Promise<Record<string, unknown>> {
  const base = userFilter(p);
  const nowS = Math.floor(ctx.now() / 1000);
  const windows: [string, Document][] = [
    ['all', {}],
    ['7days', { ls: { $gte: nowS - 7 * DAY_S } }],
    ['30days', { ls: { $gte: nowS - 30 * DAY_S } }],
  ];
  const out: Record<string, unknown> = {};
  for (const [name, window] of windows) {
    const rows = await Promise.all(
      LOYALTY_BUCKETS.map(async ([label, low, high], index) => {
        const n = await countAppUsers(ctx.deps.db, appUsersCollection(appId), { $and: [base, window, { sc: { $gte: low, $lte: high } }] });
        return { _id: label, count: n, index };
      }),
    );
    out[name] = rows.filter((r) => r.count > 0);
  }
  return out;
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A filter naming one `did` also names its `_id` (sha1 of app key + did, §2.4): the one
 * condition FerretDB answers from an index (docs/ferretdb.md); MongoDB uses `_id` too.
 */
function byIdWhenDid(app: AppRecord, filter: Document): Document {
  return typeof filter.did === 'string' && filter._id === undefined ? { ...filter, _id: appUserId(app.key, filter.did) } : filter;
}

/**
 * One page of users in the DataTables shape. `iTotalRecords` is the collection's estimated
 * count (collection metadata, no scan); `iTotalDisplayRecords` counts the filter's matches.
 */
async function userPage(ctx: ApiContext, app: AppRecord, p: AppUsersParams): Promise<Record<string, unknown>> {
  const filter = byIdWhenDid(app, userFilter(p));
  const rawProjection = present(p.projection) ? p.projection : p.project;
  const projection = present(rawProjection) ? guardProjection(rawProjection, present(p.projection) ? 'projection' : 'project') : undefined;
  const sort = present(p.sort) ? guardSort(p.sort, 'sort') : undefined;
  const search = p.sSearch === undefined || p.sSearch === '' ? filter : { $and: [filter, { did: { $regex: escapeRegex(p.sSearch) } }] };
  const limit = Math.min(Number(p.limit ?? p.iDisplayLength ?? DEFAULT_PAGE) || DEFAULT_PAGE, ctx.deps.config.api.maxPageSize);
  const skip = Number(p.skip ?? p.iDisplayStart ?? 0);
  const name = appUsersCollection(app._id.toHexString());
  const [total, shown, page] = await Promise.all([
    estimateAppUsers(ctx.deps.db, name),
    countAppUsers(ctx.deps.db, name, search),
    findAppUsers(ctx.deps.db, name, search, { projection, sort, skip, limit }),
  ]);
  return { sEcho: p.sEcho ?? '0', iTotalRecords: total, iTotalDisplayRecords: shown, aaData: page };
}

const INVALID_PATH = 'Invalid path, must be one of /all or /me';
const READS = new Set(['loyalty', 'consents', 'list']);

async function handle(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const action = actionOf(request);
  if (action === 'download') exportNotAvailable();
  if (!READS.has(action)) throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', INVALID_PATH);
  if (params.app_id === undefined || params.app_id === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "app_id"');
  const { app } = await requireAppRight(ctx, request, params, CORE_FEATURE);
  const p = parseParams(appUsersParams, params);
  return sendOutput(request, reply, params, action === 'loyalty' ? await loyalty(ctx, app._id.toHexString(), p) : await userPage(ctx, app, p));
}

const CHANGES = { create: createAppUser, update: updateAppUsers, delete: deleteAppUsers } as const;

async function handleChange(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const action = actionOf(request);
  if (action === 'export' || action === 'deleteExport') exportNotAvailable();
  if (action !== 'create' && action !== 'update' && action !== 'delete') throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', INVALID_PATH);
  if (params.app_id === undefined || params.app_id === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "app_id"');
  return CHANGES[action](ctx, request, reply, params);
}

export function registerAppUserRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/o/app_users', (request, reply, params) => handle(ctx, request, reply, params));
  apiRoute(app, '/o/app_users/download/:file', () => exportNotAvailable());
  apiFamily(app, '/i/app_users', (request, reply, params) => handleChange(ctx, request, reply, params));
  apiRoute(app, '/i/app_users/deleteExport/:id', () => exportNotAvailable());
}
