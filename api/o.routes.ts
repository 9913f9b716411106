// `/o?method=...` (§4.3): `app_id` first, then the method, both before any credential check;
// then the validator, then the method. Every answer uses the output writer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendOutput } from '../http/index.ts';
import { allApps } from './all-apps.ts';
import { requireAppRight, requireGlobalAdmin, type AppAccess } from './auth.ts';
import type { ApiContext } from './context.ts';
import { getEventGroup, getEventGroups } from './event-groups.ts';
import { getEvents, readEvents } from './events-read.ts';
import { apiRoute, parseParams, type Params } from './http.ts';
import { TIME_OBJECT_METHODS } from './metric-map.ts';
import { parsePeriod, type PeriodObject } from './read/index.ts';
import { CORE_FEATURE } from './rights.ts';
import { familyTimeObject } from './time-docs.ts';
import { topEvents } from './top-events.ts';
import { totalUsers } from './total-users.ts';

const text = (max: number) => z.string().max(max);

/** Parameters of `/o` methods (credentials and JSONP are read elsewhere). */
export const oParams = z.looseObject({
  app_id: z.string().length(24),
  method: text(50),
  period: z.union([text(500), z.array(z.unknown()).max(2), z.record(z.string(), z.unknown())]).optional(),
  action: text(20).optional(),
  metric: text(50).optional(),
  event: text(500).optional(),
  events: z.union([text(50_000), z.array(z.unknown()).max(1000)]).optional(),
  segmentation: text(200).optional(),
  overview: z.union([z.boolean(), text(10)]).optional(),
  filter: z.unknown().optional(),
  limit: z.union([text(10), z.number()]).optional(),
  fullRange: z.union([z.boolean(), text(10)]).optional(),
});
export type OParams = z.infer<typeof oParams>;

type Method = (ctx: ApiContext, request: FastifyRequest, params: Params) => Promise<unknown>;

/** The period of a request, in the app's timezone. */
export const periodOf = (ctx: ApiContext, access: AppAccess, p: OParams): PeriodObject =>
  parsePeriod(p.period, ctx.now(), access.app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });

async function readAccess(ctx: ApiContext, request: FastifyRequest, params: Params): Promise<{ access: AppAccess; p: OParams }> {
  const access = await requireAppRight(ctx, request, params, CORE_FEATURE);
  return { access, p: parseParams(oParams, params) };
}

function timeObjectMethod(name: string): Method {
  const source = TIME_OBJECT_METHODS[name];
  return async (ctx, request, params) => {
    const { access, p } = await readAccess(ctx, request, params);
    if (source === undefined || source === null) return {};
    const appId = access.app._id.toHexString();
    return familyTimeObject(ctx, source.collection, source.family, appId, periodOf(ctx, access, p), access.app.timezone, {
      refresh: p.action === 'refresh',
      fullRange: p.fullRange === true || p.fullRange === 'true',
    });
  };
}

const METHODS: Readonly<Record<string, Method>> = {
  ...Object.fromEntries(Object.keys(TIME_OBJECT_METHODS).map((name) => [name, timeObjectMethod(name)])),
  total_users: async (ctx, request, params) => {
    const { access, p } = await readAccess(ctx, request, params);
    return totalUsers(ctx, access.app, periodOf(ctx, access, p), p.metric ?? 'users');
  },
  get_period_obj: async (ctx, request, params) => {
    const { access, p } = await readAccess(ctx, request, params);
    return periodOf(ctx, access, p);
  },
  events: async (ctx, request, params) => {
    const { access, p } = await readAccess(ctx, request, params);
    return readEvents(ctx, access.app._id.toHexString(), periodOf(ctx, access, p), p);
  },
  get_events: async (ctx, request, params) => getEvents(ctx, (await readAccess(ctx, request, params)).access.app._id.toHexString()),
  top_events: async (ctx, request, params) => {
    const { access, p } = await readAccess(ctx, request, params);
    return topEvents(ctx, access.app, { period: p.period, limit: p.limit, filter: p.filter });
  },
  get_event_groups: async (ctx, request, params) => getEventGroups(ctx, (await readAccess(ctx, request, params)).access.app._id.toHexString()),
  get_event_group: async (ctx, request, params) => getEventGroup(ctx, (await readAccess(ctx, request, params)).access.app._id.toHexString(), params._id),
  all_apps: async (ctx, request, params) => {
    await requireGlobalAdmin(ctx, request, params);
    return allApps(ctx, parseParams(oParams, params));
  },
};

/** The `/o` methods this server answers. */
export const O_METHODS: readonly string[] = Object.keys(METHODS);

async function handleO(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  if (params.app_id === undefined || params.app_id === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "app_id"');
  const method = typeof params.method === 'string' ? METHODS[params.method] : undefined;
  if (method === undefined || !Object.hasOwn(METHODS, String(params.method))) throw new CountlyReplyError('TALLY_HTTP_UNKNOWN_METHOD');
  return sendOutput(request, reply, params, await method(ctx, request, params));
}

export function registerReadRoute(app: FastifyInstance, ctx: ApiContext): void {
  apiRoute(app, '/o', (request, reply, params) => handleO(ctx, request, reply, params));
}
