// `/o/export/request` and `/o/export/data` (spec §8): an internal read of another `/o` path, or
// the client's own data, converted to the asked type. The internal read runs through the same
// server (`inject`), with the caller's credentials unless `data` carries its own, so it gets
// exactly the answer (and the refusals) the caller would get.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, parseJsonText, sendJsonText } from '../../http/index.ts';
import { requireMember } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { parseParams, type Params } from '../http.ts';
import { jsonParam } from '../keys.ts';
import { convertValue, tableOptionsOf, tableParams } from './convert.ts';
import { contentDisposition, contentTypeOf, dataFileName, exportTypeParam, requestFileName, type ExportType } from './formats.ts';

const text = (max: number) => z.string().max(max).optional();

export const requestExportParams = z.looseObject({
  path: text(500),
  data: z.unknown().optional(),
  prop: text(500),
  type: exportTypeParam,
  filename: text(200),
  type_name: text(100),
  ...tableParams,
});
export type RequestExportParams = z.infer<typeof requestExportParams>;

/** What an internal read answered: the value at `prop`, or the refusal to relay. */
export type InnerAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly status: number; readonly body: string };

/** Only reads: `/o` and its sub-paths, never writes (`/i`) and never an export of an export. */
const READ_PATH = /^\/o(\/[A-Za-z0-9_-]+)*\/?$/;

/** `path`, required, a read path other than `/o/export`. */
export function innerPathOf(p: RequestExportParams): string {
  if (p.path === undefined || p.path === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "path"');
  const path = p.path.startsWith('/') ? p.path : `/${p.path}`;
  if (!READ_PATH.test(path) || path.startsWith('/o/export')) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid parameter "path"');
  return path;
}

function dataOf(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === '') return {};
  const parsed = jsonParam(raw);
  const value = parsed.ok ? parsed.value : undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid parameter "data"');
  return { ...(value as Record<string, unknown>) };
}

/** The value at a dotted path of an answer (own properties only); undefined when a step is missing. */
function propOf(value: unknown, prop: string | undefined): unknown {
  if (prop === undefined || prop === '') return value;
  let current = value;
  for (const key of prop.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Runs the read `path` with `data` as parameters. Without credentials in `data` the caller's
 * own are used (its `api_key`, `auth_token` or `countly-token`); answers come unescaped
 * (`noescape`) unless `data` says otherwise, since a file is no HTML page.
 */
export async function innerRead(app: FastifyInstance, request: FastifyRequest, params: Params, p: RequestExportParams): Promise<InnerAnswer> {
  const path = innerPathOf(p);
  const data = dataOf(p.data);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (data.api_key === undefined && data.auth_token === undefined) {
    if (typeof params.api_key === 'string') data.api_key = params.api_key;
    if (typeof params.auth_token === 'string') data.auth_token = params.auth_token;
    const header = request.headers['countly-token'];
    if (typeof header === 'string') headers['countly-token'] = header;
  }
  if (data.noescape === undefined) data.noescape = 'true';
  const res = await app.inject({ method: 'POST', url: path, headers, payload: JSON.stringify(data) });
  if (res.statusCode !== 200) return { ok: false, status: res.statusCode, body: res.body };
  const parsed = parseJsonText(res.body);
  return { ok: true, value: propOf(parsed.ok ? parsed.value : undefined, p.prop) ?? [] };
}

function sendExport(
  reply: FastifyReply,
  value: unknown,
  type: ExportType,
  filename: string,
  p: { readonly projection?: unknown; readonly columnNames?: unknown },
): FastifyReply {
  const body = convertValue(value, type, tableOptionsOf(p));
  return reply.code(200).header('Content-Type', contentTypeOf(type)).header('Content-Disposition', contentDisposition(filename, type)).send(body);
}

export async function exportRequest(
  app: FastifyInstance,
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: Params,
): Promise<FastifyReply> {
  await requireMember(ctx, request, params);
  const p = parseParams(requestExportParams, params);
  const path = innerPathOf(p);
  tableOptionsOf(p);
  const answer = await innerRead(app, request, params, p);
  if (!answer.ok) return sendJsonText(request, reply, answer.status, answer.body);
  return sendExport(reply, answer.value, p.type, p.filename !== undefined && p.filename !== '' ? p.filename : requestFileName(path, ctx.now()), p);
}

export const dataExportParams = z.looseObject({
  data: z.unknown().optional(),
  raw: z.unknown().optional(),
  type: exportTypeParam,
  filename: text(200),
  ...tableParams,
});

export async function exportData(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  await requireMember(ctx, request, params);
  const p = parseParams(dataExportParams, params);
  if (p.data === undefined || p.data === '' || p.data === null) throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "data"');
  const filename = p.filename !== undefined && p.filename !== '' ? p.filename : dataFileName(ctx.now());
  if (p.raw === true || p.raw === 'true') {
    // Raw data is the file as given, only labelled with the type.
    const body = typeof p.data === 'string' ? p.data : (JSON.stringify(p.data) ?? '');
    return reply.code(200).header('Content-Type', contentTypeOf(p.type)).header('Content-Disposition', contentDisposition(filename, p.type)).send(body);
  }
  const parsed = jsonParam(p.data);
  if (!parsed.ok) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Incorrect parameter "data"');
  return sendExport(reply, parsed.value, p.type, filename, p);
}
