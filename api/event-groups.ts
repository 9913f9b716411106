// Event groups (spec §4.3, §4.6): `/i/event_groups/create|update|delete`, and the reads
// `method=get_event_groups|get_event_group`. A group sums its source events when read as a
// `[CLY]_group_` key (events-read.ts). Management documents only: nothing goes to the stream,
// since groups change no aggregate.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendMessage } from '../http/index.ts';
import {
  deleteEventGroups,
  findEventGroup,
  insertEventGroup,
  listEventGroups,
  orderEventGroups,
  setEventGroups,
  type EventGroupRecord,
} from '../projections/index.ts';
import { requireAppRight } from './auth.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, type Params } from './http.ts';
import { findUnsafeKey, jsonParam } from './keys.ts';
import { CORE_FEATURE } from './rights.ts';

export const GROUP_PREFIX = '[CLY]_group_';
/** Most source events of one group (Countly's event_limit). */
const MAX_SOURCE_EVENTS = 500;

const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const eventKey = z.string().min(1).max(128);
const groupId = z.string().regex(/^\[CLY\]_group_[0-9a-f]{32}$/, 'must be an event group id');
const displayMap = z.record(z.string().max(50), z.string().max(200)).refine((m) => Object.keys(m).length <= 10, 'at most 10 entries');

const groupFields = {
  name: z.string().min(1).max(200),
  source_events: z.array(eventKey).min(1).max(MAX_SOURCE_EVENTS),
  description: z.string().max(2000).optional(),
  display_map: displayMap,
  status: flag,
};
/** `/i/event_groups/create` args (Countly requires all but `description`). */
export const eventGroupCreateArgs = z.object({ app_id: z.string().optional(), ...groupFields });
/** `/i/event_groups/update` args: the group's id and the fields to change. */
export const eventGroupUpdateArgs = z.object({
  _id: groupId,
  app_id: z.string().optional(),
  name: groupFields.name.optional(),
  source_events: groupFields.source_events.optional(),
  description: groupFields.description,
  display_map: displayMap.optional(),
  status: flag.optional(),
});
const idList = z.array(groupId).min(1).max(MAX_SOURCE_EVENTS);

/** A JSON parameter parsed and checked: `$`-prefixed or dotted keys never reach a document. */
export function jsonArg<S extends z.ZodType>(params: Params, name: string, schema: S): z.infer<S> {
  const raw = params[name];
  if (raw === undefined || raw === '') throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: ${name} not found`);
  const parsed = jsonParam(raw);
  if (!parsed.ok) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: ${name} is not JSON`);
  const unsafe = findUnsafeKey(parsed.value);
  if (unsafe !== undefined) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: key "${unsafe}" is not allowed in ${name}`);
  const checked = schema.safeParse(parsed.value);
  if (!checked.success) {
    const fields = [...new Set(checked.error.issues.map((i) => i.path.join('.') || name))];
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: Invalid ${fields.join(', ')}`, { cause: checked.error });
  }
  return checked.data;
}

async function createGroup(ctx: ApiContext, appId: string, params: Params): Promise<void> {
  const a = jsonArg(params, 'args', eventGroupCreateArgs);
  // Countly's id: md5 of the source events, the app and the time.
  const digest = createHash('md5')
    .update(`${JSON.stringify(a.source_events)}${appId}${ctx.now()}`)
    .digest('hex');
  const group: EventGroupRecord = {
    _id: `${GROUP_PREFIX}${digest}`,
    app_id: appId,
    name: a.name,
    source_events: a.source_events,
    ...(a.description === undefined ? {} : { description: a.description }),
    display_map: a.display_map,
    status: a.status,
  };
  await insertEventGroup(ctx.deps.db, group);
}

/** `args` (fields of one group), else `event_order` (ids in order), else `update_status` + `status`. */
async function updateGroups(ctx: ApiContext, appId: string, params: Params): Promise<void> {
  const db = ctx.deps.db;
  if (params.args !== undefined && params.args !== '') {
    const { _id, app_id: _ignored, ...fields } = jsonArg(params, 'args', eventGroupUpdateArgs);
    const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    if ((await setEventGroups(db, appId, [_id], set)) === 0) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Error: event group not found');
    return;
  }
  if (params.event_order !== undefined && params.event_order !== '') return orderEventGroups(db, appId, jsonArg(params, 'event_order', idList));
  if (params.update_status !== undefined && params.update_status !== '') {
    const ids = jsonArg(params, 'update_status', idList);
    await setEventGroups(db, appId, ids, { status: jsonArg(params, 'status', z.boolean()) });
    return;
  }
  throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Error: args not found');
}

async function groupWrite(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const action = actionOf(request);
  const right = action === 'create' ? 'c' : action === 'update' ? 'u' : action === 'delete' ? 'd' : undefined;
  if (right === undefined) throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /create, /update or /delete');
  const { app } = await requireAppRight(ctx, request, params, CORE_FEATURE, right);
  const appId = app._id.toHexString();
  if (action === 'create') await createGroup(ctx, appId, params);
  else if (action === 'update') await updateGroups(ctx, appId, params);
  else await deleteEventGroups(ctx.deps.db, appId, jsonArg(params, 'args', idList));
  request.log.info({ appId, action }, 'event groups changed');
  return sendMessage(request, reply, 200, 'Success');
}

export function registerEventGroupRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/i/event_groups', (request, reply, params) => groupWrite(ctx, request, reply, params));
}

/** `method=get_event_groups`: the app's groups, in their order. */
export const getEventGroups = (ctx: ApiContext, appId: string): Promise<EventGroupRecord[]> => listEventGroups(ctx.deps.db, appId);

/** `method=get_event_group&_id=`: one group of the app, `{}` when there is none. */
export async function getEventGroup(ctx: ApiContext, appId: string, id: unknown): Promise<EventGroupRecord | Record<string, never>> {
  if (typeof id !== 'string' || !groupId.safeParse(id).success) return {};
  return (await findEventGroup(ctx.deps.db, appId, id)) ?? {};
}
