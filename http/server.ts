// The fastify instance of the Countly HTTP edge, shared by ingest and the read API (spec §1.2–1.4):
// Countly's body parsers, CORS and OPTIONS, 405, the body limit, request ids, and one error
// handler that separates bad input (4xx) from infrastructure faults (503, never swallowed).
import { randomUUID } from 'node:crypto';
import fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { TallyError } from '../projections/index.ts';
import { registerBodyParsers } from './body.ts';
import { CountlyReplyError, REFUSALS, type Refusal, type RefusalCode } from './errors.ts';
import { sendMessage } from './reply.ts';

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

/**
 * 413 for a body over the limit. `Connection: close` makes Node close the socket after the answer
 * instead of reading the rest of the body to keep the connection alive.
 */
function sendTooLarge(request: FastifyRequest, reply: FastifyReply, opts: HttpServerOptions): FastifyReply {
  void reply.header('Connection', 'close');
  return sendRefusal(request, reply, 'TALLY_HTTP_TOO_LARGE', `Request body is larger than ${opts.bodyLimitBytes} bytes`);
}

/** A refusal the edge answers itself (no handler threw it): logged with its code, answered in the envelope. */
function sendRefusal(request: FastifyRequest, reply: FastifyReply, code: RefusalCode, text?: string): FastifyReply {
  const refusal: Refusal = REFUSALS[code];
  request.log.info({ code }, 'request refused');
  return sendMessage(request, reply, refusal.statusCode, text ?? refusal.message ?? 'Bad request');
}

function installErrorHandler(app: FastifyInstance, opts: HttpServerOptions): void {
  app.setErrorHandler((err: unknown, request, reply) => {
    if (err instanceof CountlyReplyError) {
      // Bad input that zod described: the answer keeps Countly's one-line text, the log keeps every issue.
      if (err.cause instanceof z.ZodError) request.log.info({ code: err.code, issues: err.cause.issues }, 'request refused: invalid parameters');
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
      if (status < 500) {
        request.log.info({ code: 'TALLY_HTTP_BAD_REQUEST', fastifyCode: code, status }, 'request refused');
        return sendMessage(request, reply, status, err instanceof Error ? err.message : 'Bad request');
      }
    }
    request.log.error({ err }, 'unhandled error');
    return sendMessage(request, reply, 500, 'Internal server error');
  });
}

/** fastify's `frameworkErrors`: a URL the router cannot decode (no hooks have run). */
function refuseBadUrl(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ code: 'TALLY_HTTP_INVALID_URL', fastifyCode: err.code }, 'malformed URL refused');
  void reply
    .code(400)
    .headers({ ...COMMON_HEADERS, 'Content-Type': 'application/json; charset=utf-8' })
    .send(JSON.stringify({ result: 'Invalid URL' }));
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
    if (!ALLOWED_METHODS.has(request.method)) return sendRefusal(request, reply, 'TALLY_HTTP_METHOD_NOT_ALLOWED');
    // No client sends a fragment; the router ends the path at `#`, so a raw URL carrying one
    // could be checked by one rule and routed by another.
    if (request.raw.url?.includes('#') === true) return sendRefusal(request, reply, 'TALLY_HTTP_INVALID_URL', 'Invalid URL: "#" is not allowed');
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
  app.setNotFoundHandler((request, reply) => sendRefusal(request, reply, 'TALLY_HTTP_INVALID_PATH'));
  installErrorHandler(app, opts);
  return app;
}
