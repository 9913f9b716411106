// `/o/analytics/*` (§4.8): `app_id` first, then the read validator, then the sub-path.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendOutput } from '../http/index.ts';
import { countries, dashboard, tops } from './analytics-dashboard.ts';
import { eventsAnalytics, metricRows, rangeRows, sessionRows } from './analytics-lists.ts';
import { requireAppRight } from './auth.ts';
import type { ApiContext } from './context.ts';
import { eventKeys } from './events-read.ts';
import { actionOf, apiFamily, parseParams, type Params } from './http.ts';
import { oParams } from './o.routes.ts';
import { CORE_FEATURE } from './rights.ts';

export const ANALYTICS_PATHS = ['dashboard', 'countries', 'sessions', 'metric', 'tops', 'loyalty', 'frequency', 'durations', 'events'] as const;

/** Parameters of `/o/analytics/*`. */
export const analyticsParams = oParams.omit({ method: true }).extend({
  bucket: z.enum(['daily', 'monthly']).optional(),
  metrics: z.union([z.string().max(5_000), z.array(z.string()).max(50)]).optional(),
});

async function handle(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  if (params.app_id === undefined || params.app_id === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "app_id"');
  const action = actionOf(request);
  if (!ANALYTICS_PATHS.some((p) => p === action)) {
    throw new CountlyReplyError(
      'TALLY_HTTP_INVALID_PATH',
      'Invalid path, must be one of /dashboard,  /countries, /sessions, /metric, /tops, /loyalty, /frequency, /durations, /events',
    );
  }
  const { app } = await requireAppRight(ctx, request, params, CORE_FEATURE);
  const p = parseParams(analyticsParams, params);
  const bucket = p.bucket ?? 'daily';
  switch (action) {
    case 'dashboard':
      return sendOutput(request, reply, params, await dashboard(ctx, app, p.period));
    case 'countries':
      return sendOutput(request, reply, params, await countries(ctx, app));
    case 'sessions':
      return sendOutput(request, reply, params, await sessionRows(ctx, app, p.period, bucket));
    case 'metric':
      return sendOutput(request, reply, params, await metricRows(ctx, app, p.period, p.metric));
    case 'tops':
      return sendOutput(request, reply, params, await tops(ctx, app, p.period, p.metric, p.metrics === undefined ? undefined : eventKeys(p.metrics)));
    case 'loyalty':
    case 'frequency':
    case 'durations':
      return sendOutput(request, reply, params, await rangeRows(ctx, app, p.period, action));
    default:
      return sendOutput(
        request,
        reply,
        params,
        await eventsAnalytics(ctx, app, p.period, { event: p.event, events: p.events, segmentation: p.segmentation, bucket }),
      );
  }
}

export function registerAnalyticsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/o/analytics', (request, reply, params) => handle(ctx, request, reply, params));
}
