// `/i/events/edit_map` (spec §4.6 registry fields `order`, `map`, `overview`): the order of the
// event list, display names and descriptions, visibility, and the events overview. Stored per
// app in a small management document and merged into `method=get_events`; aggregation is not
// affected, so nothing goes to the stream.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendMessage } from '../http/index.ts';
import { EVENT_LIMIT, findEventSettings, setEventSettings, type EventSettingsRecord } from '../projections/index.ts';
import { requireAppRight } from './auth.ts';
import type { ApiContext } from './context.ts';
import { jsonArg } from './event-groups.ts';
import { actionOf, apiFamily, type Params } from './http.ts';

/** Rights feature of event management (Countly's `events`). */
export const EVENTS_FEATURE = 'events';
/** Most overview entries (Countly's dashboard limit). */
const MAX_OVERVIEW = 12;

const eventKey = z.string().min(1).max(128).regex(/^[^$]/, 'must not start with $');
/** What the dashboard may set per event; other properties are refused. */
const mapEntry = z.strictObject({
  name: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  count: z.string().max(200).optional(),
  sum: z.string().max(200).optional(),
  dur: z.string().max(200).optional(),
  is_visible: z.boolean().optional(),
  omit_list_from_count: z.boolean().optional(),
});
const eventMap = z.record(eventKey, mapEntry).refine((m) => Object.keys(m).length <= EVENT_LIMIT, `at most ${EVENT_LIMIT} events`);
const eventOrder = z.array(eventKey).max(EVENT_LIMIT);
const overviewEntry = z.strictObject({
  eventKey,
  eventProperty: z.enum(['count', 'sum', 'dur']),
  eventName: z.string().max(200).optional(),
  propertyName: z.string().max(200).optional(),
  is_event_group: z.boolean().optional(),
  order: z.number().int().optional(),
});
const eventOverview = z.array(overviewEntry).max(MAX_OVERVIEW);

const given = (params: Params, name: string): boolean => params[name] !== undefined && params[name] !== '';

/** The stored map with `changes` merged in, per event key (a key's properties are merged too). */
function mergedMap(current: EventSettingsRecord['map'], changes: z.infer<typeof eventMap>): NonNullable<EventSettingsRecord['map']> {
  const byKey = new Map((current ?? []).map((e) => [e.key, e]));
  for (const [key, props] of Object.entries(changes)) byKey.set(key, { ...byKey.get(key), ...props, key });
  return [...byKey.values()];
}

async function editMap(ctx: ApiContext, appId: string, params: Params): Promise<void> {
  const set: Record<string, unknown> = {};
  if (given(params, 'event_order')) set.order = jsonArg(params, 'event_order', eventOrder);
  if (given(params, 'event_overview')) set.overview = jsonArg(params, 'event_overview', eventOverview);
  if (given(params, 'event_map')) {
    const changes = jsonArg(params, 'event_map', eventMap);
    set.map = mergedMap((await findEventSettings(ctx.deps.db, appId))?.map, changes);
  }
  if (Object.keys(set).length === 0) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Error: event_map, event_order or event_overview not found');
  await setEventSettings(ctx.deps.db, appId, set);
}

async function eventsWrite(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  if (actionOf(request) !== 'edit_map') throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /edit_map');
  const { app } = await requireAppRight(ctx, request, params, EVENTS_FEATURE, 'u');
  await editMap(ctx, app._id.toHexString(), params);
  request.log.info({ appId: app._id.toHexString() }, 'event map edited');
  return sendMessage(request, reply, 200, 'Success');
}

export function registerEventMapRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/i/events', (request, reply, params) => eventsWrite(ctx, request, reply, params));
}

/** The registry fields edit_map keeps (`order`, `map` as Countly's object, `overview`), for `get_events`. */
export async function eventSettingsOutput(ctx: ApiContext, appId: string): Promise<Record<string, unknown>> {
  const s = await findEventSettings(ctx.deps.db, appId);
  if (s === undefined) return {};
  const map = s.map === undefined ? undefined : Object.fromEntries(s.map.map(({ key, ...props }) => [key, props]));
  return {
    ...(s.order === undefined ? {} : { order: s.order }),
    ...(map === undefined ? {} : { map }),
    ...(s.overview === undefined ? {} : { overview: s.overview }),
  };
}
