// `/i/app_users/create|update|delete` (spec §6.1), Countly's messages in Countly's order. Each
// change becomes events on the stream (one per matched user, on its device's partition), so
// the processor that owns the device applies it in order with the device's requests and a
// rebuild replays it (docs/erasure.md). Client operators never reach MongoDB: `query` passes
// the query guard, `update` the operator allow-list (projections/app-user-ops.ts), and the fold
// applies the update to the document in memory.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Document } from 'mongodb';
import { publishAll } from '../ingest/index.ts';
import {
  appUserId,
  appUsersCollection,
  checkUserFields,
  checkUserUpdate,
  findAppUsers,
  partitionOf,
  type AppRecord,
  type AppUserChange,
  type Json,
  type UserChangeRefusal,
} from '../projections/index.ts';
import { CountlyReplyError, sendMessage } from '../http/index.ts';
import { eventSubject } from '../streams.config.ts';
import { requireAppRight } from './auth.ts';
import type { ApiContext } from './context.ts';
import type { Params } from './http.ts';
import { guardFilter } from './query-guard.ts';
import { CORE_FEATURE, type Right } from './rights.ts';

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
const missing = (name: string): CountlyReplyError => new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', `Missing parameter "${name}"`);

/** A JSON parameter (text or already an object): Countly's `Could not parse parameter "<name>": <text>` when it is not JSON. */
function jsonObjectParam(params: Params, name: string): Record<string, unknown> {
  const raw = params[name];
  if (!present(raw)) throw missing(name);
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (err) {
      // Decision: unparsable JSON is the client's error, answered with Countly's text (the input cut to 200 characters).
      if (!(err instanceof SyntaxError)) throw err;
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Could not parse parameter "${name}": ${raw.slice(0, 200)}`, { cause: err });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid parameter "${name}"`);
  return value as Record<string, unknown>;
}

const forced = (params: Params): boolean => present(params.force) && params.force !== 'false' && params.force !== '0' && params.force !== false;

/** The user-write validator (spec §4.2) with the right the change needs, then the app lock. */
async function writableApp(ctx: ApiContext, request: FastifyRequest, params: Params, right: Right): Promise<AppRecord> {
  const { app } = await requireAppRight(ctx, request, params, CORE_FEATURE, right);
  if (app.locked === true) throw new CountlyReplyError('TALLY_HTTP_APP_LOCKED', 'App is locked');
  return app;
}

interface Matched {
  readonly _id: string;
  readonly did: string;
}

/** Users matching a guarded filter, at most `limit` (only `_id` and `did` are read). */
async function matchingUsers(ctx: ApiContext, appId: string, filter: Document, limit: number): Promise<Matched[]> {
  const docs = await findAppUsers(ctx.deps.db, appUsersCollection(appId), filter, { projection: { _id: 1, did: 1 }, skip: 0, limit });
  return docs.flatMap((d) => (typeof d._id === 'string' && typeof d.did === 'string' ? [{ _id: d._id, did: d.did }] : []));
}

/**
 * The users a forced or single change applies to. Without `force` more than one match refuses;
 * with it, at most `api.maxPageSize` users change per request (more refuses: narrow the query).
 */
async function targets(ctx: ApiContext, app: AppRecord, filter: Document, force: boolean, verb: 'update' | 'delete'): Promise<Matched[]> {
  const cap = ctx.deps.config.api.maxPageSize;
  const found = await matchingUsers(ctx, app._id.toHexString(), filter, force ? cap + 1 : 2);
  if (found.length === 0) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'No users matching criteria');
  if (found.length > 1 && !force) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `This query would ${verb} more than one user`);
  if (found.length > cap) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `This query would ${verb} more than ${cap} users; narrow it`);
  return found;
}

type ChangeBody =
  | { type: 'AppUserCreated'; fields: Record<string, Json> }
  | { type: 'AppUserUpdated'; update: Record<string, Record<string, Json>> }
  | { type: 'AppUserDeleted' };

/** Publishes one change per device, each on its device's partition; resolves once all are acknowledged (503 otherwise). */
async function publishChanges(ctx: ApiContext, app: AppRecord, deviceIds: readonly string[], body: ChangeBody): Promise<void> {
  const { streams, ingest } = ctx.deps.config;
  const appId = app._id.toHexString();
  const atMs = ctx.now();
  const items = deviceIds.map((deviceId) => {
    const event = { v: 1, id: `appuser:${randomUUID()}`, appId, appKey: app.key, deviceId, atMs, ...body } as AppUserChange;
    return { subject: eventSubject(streams, appId, partitionOf(deviceId, streams.partitions)), event };
  });
  await publishAll(ctx.deps.js, items, { timeoutMs: ingest.publishTimeoutMs });
  ctx.log.info({ appId, type: body.type, users: deviceIds.length }, 'app user change published');
}

const POLL_MS = 50;

/** Reads one user by `_id` until `done` accepts it or `api.appUserWaitMs` passes; the last read. */
async function awaitUser(ctx: ApiContext, appId: string, id: string, done: (doc: Document | undefined) => boolean): Promise<Document | undefined> {
  const until = Date.now() + ctx.deps.config.api.appUserWaitMs;
  for (;;) {
    const byId: Document = { _id: id };
    const [doc] = await findAppUsers(ctx.deps.db, appUsersCollection(appId), byId, { projection: { _s: 0, _g: 0 }, skip: 0, limit: 1 });
    if (done(doc) || Date.now() >= until) return doc;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function refusalText(r: UserChangeRefusal, update: unknown, query: unknown): string {
  if (r.kind === 'modifier') return `Unkown modifier ${r.what} in ${JSON.stringify(update)} for ${JSON.stringify(query)}`;
  if (r.kind === 'operator') return `Operator "${r.what}" is not allowed in "update"`;
  if (r.kind === 'path') return `Field "${r.what}" cannot be written`;
  return `Invalid value for "${r.what}"`;
}

/** `/i/app_users/create`: 200 `User Created: <stored document>` once the processor has folded it. */
export async function createAppUser(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const data = jsonObjectParam(params, 'data');
  if (Object.keys(data).length === 0) throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Parameter "data" cannot be empty');
  const app = await writableApp(ctx, request, params, 'c');
  if (data.did === undefined) throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Provide device_id as did property for data');
  const did = typeof data.did === 'string' || typeof data.did === 'number' ? String(data.did) : '';
  if (did === '' || did.length > 200) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid parameter "data"');
  const id = appUserId(app.key, did);
  if (data._id !== undefined && data._id !== id) {
    throw new CountlyReplyError(
      'TALLY_HTTP_INVALID_PARAMETER',
      `Based on app key and device_id, provided _id property should be ${id}. Do not provide _id if you want api to use correct one`,
    );
  }
  const fields = checkUserFields(data);
  if (!fields.ok) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', refusalText(fields.refusal, data, {}));
  const appId = app._id.toHexString();
  const byId: Document = { _id: id };
  if ((await matchingUsers(ctx, appId, byId, 1)).length > 0) throw new CountlyReplyError('TALLY_HTTP_ALREADY_EXISTS', 'User with this did already exists');
  await publishChanges(ctx, app, [did], { type: 'AppUserCreated', fields: fields.value });
  const stored = await awaitUser(ctx, appId, id, (doc) => doc !== undefined);
  if (stored === undefined) ctx.log.warn({ appId, id }, 'created app user not folded within the wait; answering with the published fields');
  return sendMessage(request, reply, 200, `User Created: ${JSON.stringify(stored ?? { ...fields.value, _id: id, did })}`);
}

/** `/i/app_users/update`: every top-level key an allowed `$` operator; one user unless `force`. */
export async function updateAppUsers(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const update = jsonObjectParam(params, 'update');
  if (Object.keys(update).length === 0) throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Parameter "update" cannot be empty');
  const query = jsonObjectParam(params, 'query');
  const filter = guardFilter(query, 'query');
  const checked = checkUserUpdate(update);
  if (!checked.ok) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', refusalText(checked.refusal, update, query));
  const app = await writableApp(ctx, request, params, 'u');
  const users = await targets(ctx, app, filter, forced(params), 'update');
  await publishChanges(
    ctx,
    app,
    users.map((u) => u.did),
    { type: 'AppUserUpdated', update: checked.value },
  );
  return sendMessage(request, reply, 200, 'User Updated');
}

/** `/i/app_users/delete`: erasure (§6.3) of one user unless `force`; answers once the profiles are gone. */
export async function deleteAppUsers(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const query = jsonObjectParam(params, 'query');
  if (Object.keys(query).length === 0) {
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Parameter "query" cannot be empty, it would delete all users. Use clear app instead');
  }
  const filter = guardFilter(query, 'query');
  const app = await writableApp(ctx, request, params, 'd');
  const users = await targets(ctx, app, filter, forced(params), 'delete');
  await publishChanges(
    ctx,
    app,
    users.map((u) => u.did),
    { type: 'AppUserDeleted' },
  );
  const appId = app._id.toHexString();
  const left = await Promise.all(users.map((u) => awaitUser(ctx, appId, u._id, (doc) => doc === undefined)));
  const pending = left.filter((d) => d !== undefined).length;
  if (pending > 0) ctx.log.warn({ appId, pending }, 'app user deletion published but not yet folded within the wait');
  ctx.log.info({ appId, users: users.length }, 'app users deleted');
  return sendMessage(request, reply, 200, 'User deleted');
}

/** The export paths wait for the task manager and stream-job runner (issue 16). */
export function exportNotAvailable(): never {
  throw new CountlyReplyError(
    'TALLY_HTTP_INVALID_PATH',
    'App user export is not available yet: /i/app_users/export, /i/app_users/deleteExport and /o/app_users/download need the task manager (not built yet)',
  );
}
