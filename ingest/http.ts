// The Countly HTTP edge shared by ingest and the read API (spec §1.2–1.4): body parsing that
// keeps the raw body (checksums need it), query-wins merging, CORS and OPTIONS, 405, JSONP,
// the message writer, request ids, and one error handler that separates bad input (4xx)
// from infrastructure faults (503, never swallowed).
import { randomUUID } from 'node:crypto';
import fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { TallyError } from '../projections/index.ts';
import { CountlyReplyError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Raw request body as text (POST only; multipart as `k=v&...`), for checksums and duplicates. */
    rawBody: string;
    /** Query string as received, still URL-encoded, without the leading `?`. */
    rawQuery: string;
    /** Set when the body, or part of it, contributed nothing (so ingest can say so instead of dropping silently). */
    bodyIssue: BodyIssue | null;
  }
}

/** Why a request body (or part of it) was not read. */
export interface BodyIssue {
  readonly param: string;
  readonly reason: 'invalid_json' | 'wrong_type' | 'body_ignored' | 'file_ignored';
  readonly message: string;
}

export interface HttpServerOptions {
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  /** Seconds to put in Retry-After on a 503. */
  readonly retryAfterS: number;
}

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'deny',
  'X-XSS-Protection': '1; mode=block',
  'Access-Control-Allow-Origin': '*',
} as const;

const ALLOWED_METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD']);
const JSONP_CALLBACK = /^[A-Za-z_$][\w$.]{0,127}$/;

/** Escapes `<` and `>` in every string value, as Countly's message writer does. */
export function escapeMessageValue(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (Array.isArray(value)) return value.map(escapeMessageValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeMessageValue(v)]));
  }
  return value;
}

function callbackOf(request: FastifyRequest): string | undefined {
  const q = request.query;
  const cb = typeof q === 'object' && q !== null && 'callback' in q ? q.callback : undefined;
  return typeof cb === 'string' && JSONP_CALLBACK.test(cb) ? cb : undefined;
}

/** Sends a JSON text with Countly's headers, wrapped as JSONP when `callback` is given. */
export function sendJsonText(request: FastifyRequest, reply: FastifyReply, status: number, json: string): FastifyReply {
  const cb = callbackOf(request);
  return reply
    .code(status)
    .header('Content-Type', 'application/json; charset=utf-8')
    .send(cb === undefined ? json : `${cb}(${json})`);
}

/** Countly's message writer: `{"result": <message>}` with a status (spec §1.3). */
export function sendMessage(request: FastifyRequest, reply: FastifyReply, status: number, result: unknown, extra?: Record<string, unknown>): FastifyReply {
  return sendJsonText(request, reply, status, JSON.stringify({ result: escapeMessageValue(result), ...extra }));
}

function formToObject(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    req.rawBody = text;
    done(null, formToObject(text));
  });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    req.rawBody = text;
    // Countly ignores an unparsable JSON body (spec §1.2); the body then contributes nothing.
    let parsed: unknown = {};
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        // Decision: as in Countly, the body is ignored; the issue is recorded for the answer.
        if (!(err instanceof SyntaxError) && !(err instanceof RangeError)) throw err;
        req.bodyIssue = { param: '(body)', reason: 'invalid_json', message: 'the JSON body is not valid JSON and was ignored' };
        parsed = {};
      }
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    if (!isObject) req.bodyIssue = { param: '(body)', reason: 'wrong_type', message: 'the JSON body is not an object and was ignored' };
    done(null, isObject ? parsed : {});
  });
  // Read by fastify like every other body, so bodyLimit counts the bytes actually received
  // (a chunked body without Content-Length included); @fastify/multipart streamed past it.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer) => multipartFields(req, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = typeof body === 'string' ? body : body.toString('utf8');
    if (req.rawBody !== '') {
      req.bodyIssue = { param: '(body)', reason: 'body_ignored', message: `a ${req.headers['content-type'] ?? 'untyped'} body is not read` };
    }
    done(null, {});
  });
}

/**
 * A multipart body, already read whole by fastify within `bodyLimit` (so a chunked upload is cut
 * off at the limit like any other body), as string fields and its raw `k=v&...` form. Files are
 * not stored; a repeated field keeps its last value, as with form bodies. Fields go into a Map,
 * never assigned by name, so `__proto__` stays an ordinary key for the cleaning to drop.
 */
async function multipartFields(req: FastifyRequest, body: Buffer): Promise<Record<string, string>> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
  } catch (err) {
    // Decision: like an unparsable JSON body, a malformed multipart body contributes nothing.
    if (!(err instanceof TypeError)) throw err;
    req.bodyIssue = { param: '(body)', reason: 'body_ignored', message: 'the multipart body is malformed and was ignored' };
    return {};
  }
  const fields = new Map<string, string>();
  const files = new Set<string>();
  for (const [k, v] of form) {
    if (typeof v === 'string') fields.set(k, v);
    else files.add(k);
  }
  if (files.size > 0) req.bodyIssue = { param: [...files].join(','), reason: 'file_ignored', message: 'uploaded files are not stored' };
  req.rawBody = [...fields].map(([k, v]) => `${k}=${v}`).join('&');
  return Object.fromEntries(fields);
}

/**
 * Query values overwrite body values on a name clash (spec §1.2). Built with Object.fromEntries,
 * never by assignment: a `__proto__` key stays an ordinary own key instead of replacing the
 * prototype (where `params.app_key` could otherwise be read from).
 */
export function requestParams(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  const q = request.query;
  const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.entries(body) : [];
  const fromQuery = typeof q === 'object' && q !== null ? Object.entries(q) : [];
  return Object.fromEntries([...fromBody, ...fromQuery]);
}

/**
 * 413 for a body over the limit. `Connection: close` makes Node close the socket after the answer
 * instead of reading the rest of the body to keep the connection alive.
 */
function sendTooLarge(request: FastifyRequest, reply: FastifyReply, opts: HttpServerOptions): FastifyReply {
  void reply.header('Connection', 'close');
  return sendMessage(request, reply, 413, `Request body is larger than ${opts.bodyLimitBytes} bytes`);
}

function installErrorHandler(app: FastifyInstance, opts: HttpServerOptions): void {
  app.setErrorHandler((err: unknown, request, reply) => {
    if (err instanceof CountlyReplyError) {
      for (const [h, v] of Object.entries(err.headers)) void reply.header(h, v);
      return sendMessage(request, reply, err.statusCode, err.result);
    }
    if (err instanceof TallyError && err.statusCode !== undefined && err.statusCode >= 500) {
      request.log.error({ err }, 'request failed: dependency unavailable');
      void reply.header('Retry-After', String(opts.retryAfterS));
      return sendMessage(request, reply, err.statusCode, 'Service unavailable, retry later');
    }
    if (err instanceof TallyError && err.statusCode !== undefined) return sendMessage(request, reply, err.statusCode, err.message);
    const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendTooLarge(request, reply, opts);
    if (typeof code === 'string' && code.startsWith('FST_')) {
      const status = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 400;
      if (status < 500) return sendMessage(request, reply, status, err instanceof Error ? err.message : 'Bad request');
    }
    request.log.error({ err }, 'unhandled error');
    return sendMessage(request, reply, 500, 'Internal server error');
  });
}

/** fastify's `frameworkErrors`: a URL the router cannot decode (no hooks have run). */
function refuseBadUrl(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ code: err.code }, 'malformed URL refused');
  void reply.code(400).headers({ ...COMMON_HEADERS, 'Content-Type': 'application/json; charset=utf-8' }).send(JSON.stringify({ result: 'Invalid URL' }));
}

/** A fastify instance with the Countly conventions; routes are added by plugins. Does not listen. */
export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  // Widened to fastify's logger type so the instance is the plain FastifyInstance plugins expect.
  const loggerInstance: FastifyBaseLogger = opts.log;
  const app = fastify({
    loggerInstance,
    bodyLimit: opts.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Per-request access lines are off (hot path); refusals and faults are logged with reqId.
    logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: true }),
    trustProxy: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 200 },
    // A URL the router cannot decode: fastify's own answer echoes the whole URL (credentials
    // included) outside the envelope. Answer in the envelope, without the URL; no hooks ran yet.
    frameworkErrors: refuseBadUrl,
  });
  registerBodyParsers(app);
  app.decorateRequest('rawBody', '');
  app.decorateRequest('rawQuery', '');
  app.decorateRequest('bodyIssue', null);
  app.addHook('onRequest', async (request, reply) => {
    const q = request.raw.url?.indexOf('?') ?? -1;
    request.rawQuery = q >= 0 ? (request.raw.url ?? '').slice(q + 1) : '';
    void reply.headers(COMMON_HEADERS);
    if (!ALLOWED_METHODS.has(request.method)) return sendMessage(request, reply, 405, 'Method not allowed');
    // No client sends a fragment; the router ends the path at `#`, so a raw URL carrying one
    // could be checked by one rule and routed by another.
    if (request.raw.url?.includes('#') === true) return sendMessage(request, reply, 400, 'Invalid URL: "#" is not allowed');
    // A declared length over the limit is refused before any byte is read; a body without one
    // (chunked) is cut off by fastify's bodyLimit as it is read.
    if (Number(request.headers['content-length'] ?? 0) > opts.bodyLimitBytes) return sendTooLarge(request, reply, opts);
    if (request.method === 'OPTIONS') {
      return reply
        .code(200)
        .headers({ 'Access-Control-Allow-Methods': 'POST, GET, OPTIONS', 'Access-Control-Allow-Headers': 'countly-token, Content-Type' })
        .send('');
    }
    return undefined;
  });
  app.setNotFoundHandler((request, reply) => sendMessage(request, reply, 400, 'Invalid path'));
  installErrorHandler(app, opts);
  return app;
}
