// `/o/export/db` (spec §8): one collection, streamed from a cursor in the asked type. The filter,
// projection and sort go through the query guard (with Countly's `__REGEXP` and `_id` revival),
// so nothing outside the allow-list reaches MongoDB.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Document } from 'mongodb';
import { z } from 'zod';
import { CountlyReplyError } from '../../http/index.ts';
import { AUTH_TOKENS, FAILED_LOGINS, MEMBERS, openExportCursor, StoreUnavailableError, type MemberRecord } from '../../projections/index.ts';
import { requireMember } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { parseParams, type Params } from '../http.ts';
import { jsonParam } from '../keys.ts';
import { guardFilterValue, guardProjection, guardSort } from '../query-guard.ts';
import { readableAppIds } from '../rights.ts';
import { encodeStream } from './encode.ts';
import { collectionFileName, contentDisposition, contentTypeOf, exportTypeParam } from './formats.ts';

/** Documents per cursor round trip: the most an export holds in memory at once. */
const CURSOR_BATCH = 500;
/** Collections no export reads, whoever asks: password hashes, API keys, tokens (a difference from Countly). */
const SECRET_COLLECTIONS = new Set([MEMBERS, AUTH_TOKENS, FAILED_LOGINS]);
const COLLECTION_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,119}$/;

const count = z
  .union([
    z
      .string()
      .regex(/^\d{1,9}$/)
      .transform(Number),
    z.number().int().nonnegative(),
  ])
  .optional();
const text = (max: number) => z.string().max(max).optional();

export const dbExportParams = z.looseObject({
  collection: text(200),
  query: z.unknown().optional(),
  filter: z.unknown().optional(),
  projection: z.unknown().optional(),
  project: z.unknown().optional(),
  sort: z.unknown().optional(),
  limit: count,
  skip: count,
  type: exportTypeParam,
  filename: text(200),
});

const present = (v: unknown): boolean => v !== undefined && v !== '' && v !== null;

/** Global admins read any collection but the secret ones; others only `<name><appId>` of apps they can read. */
function checkAccess(member: MemberRecord, collection: string): void {
  const denied = (): never => {
    throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'User does not have access right for this collection');
  };
  if (!COLLECTION_NAME.test(collection) || collection.startsWith('system.') || SECRET_COLLECTIONS.has(collection)) denied();
  if (member.global_admin) return;
  // Tally's aggregate and event collections hold every app's documents, so only per-app
  // collections (`app_users<appId>`) qualify.
  if (!readableAppIds(member).some((appId) => collection.length > appId.length && collection.endsWith(appId))) denied();
}

/** `query` (or `filter`) as a guarded filter; a text that is not JSON is Countly's 400 `Failed to parse query. <reason>`. */
function filterOf(p: z.infer<typeof dbExportParams>): Document {
  const param = present(p.query) ? 'query' : 'filter';
  const raw = present(p.query) ? p.query : p.filter;
  if (!present(raw)) return {};
  const parsed = jsonParam(raw);
  if (!parsed.ok) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Failed to parse query. ${parsed.error}`);
  return guardFilterValue(parsed.value, param, { revive: true });
}

/** Included fields in the client's order: the export's columns (empty for an exclusion projection). */
function projectionOf(p: z.infer<typeof dbExportParams>): { projection: Document | undefined; columns: string[] } {
  const param = present(p.projection) ? 'projection' : 'project';
  const raw = present(p.projection) ? p.projection : p.project;
  if (!present(raw)) return { projection: undefined, columns: [] };
  const projection = guardProjection(raw, param);
  const columns = Object.entries(projection)
    .filter(([, flag]) => flag === 1)
    .map(([path]) => path);
  return { projection: Object.keys(projection).length > 0 ? projection : undefined, columns };
}

export async function exportDb(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const member = await requireMember(ctx, request, params);
  const p = parseParams(dbExportParams, params);
  if (p.collection === undefined || p.collection === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "collection"');
  checkAccess(member, p.collection);
  const filter = filterOf(p);
  const { projection, columns } = projectionOf(p);
  const sort = present(p.sort) ? guardSort(p.sort, 'sort') : undefined;
  const exportLimit = ctx.deps.config.api.exportLimit;
  const limit = p.limit === undefined || p.limit === 0 ? exportLimit : Math.min(p.limit, exportLimit);
  const skip = p.skip ?? 0;
  const cursor = openExportCursor(ctx.deps.db, p.collection, filter, { projection, sort, skip, limit, batchSize: CURSOR_BATCH });
  try {
    // The first batch is read before the headers, so a store fault is still a 503 answer.
    await cursor.hasNext();
  } catch (err) {
    await cursor.close();
    throw new StoreUnavailableError('export read failed', { cause: err });
  }
  const filename = p.filename !== undefined && p.filename !== '' ? p.filename : collectionFileName(p.collection, skip, limit, ctx.now());
  const body = encodeStream(p.type, cursor, { projection: columns });
  return reply.code(200).header('Content-Type', contentTypeOf(p.type)).header('Content-Disposition', contentDisposition(filename, p.type)).send(body);
}
