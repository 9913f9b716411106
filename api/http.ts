// The API's side of the Countly HTTP edge: routes answer GET and POST alike, run the global
// parameter checks of spec §1.4 first (the writers themselves are in http/).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CountlyReplyError, requestParams } from '../http/index.ts';

export type Params = Readonly<Record<string, unknown>>;
export type ApiHandler = (request: FastifyRequest, reply: FastifyReply, params: Params) => Promise<FastifyReply> | FastifyReply;

/** `app_id` and `user_id`, when present, must be 24 characters long (spec §1.4). */
export function globalChecks(params: Params): void {
  for (const name of ['app_id', 'user_id']) {
    const value = params[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || value.length !== 24) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid parameter "${name}"`);
  }
}

/**
 * HEAD (which fastify adds to every GET route) must not run a handler that writes: a `curl -I`
 * would rename an app or mint a token and show nothing. 405, before credentials or parameters.
 */
export function refuseHead(request: FastifyRequest): void {
  if (request.method === 'HEAD') throw new CountlyReplyError('TALLY_HTTP_METHOD_NOT_ALLOWED', 'Method not allowed', { headers: { Allow: 'GET, POST' } });
}

/** Registers `handler` for GET and POST on `url`, after the global checks; management (`/i...`) routes refuse HEAD. */
export function apiRoute(app: FastifyInstance, url: string, handler: ApiHandler): void {
  const writes = url === '/i' || url.startsWith('/i/');
  app.route({
    method: ['GET', 'POST'],
    url,
    handler: async (request, reply) => {
      if (writes) refuseHead(request);
      const params = requestParams(request);
      globalChecks(params);
      return handler(request, reply, params);
    },
  });
}

/** Registers `handler` on `<base>/:action` and on `<base>` alone (an empty sub-path gets the family's bad-path answer). */
export function apiFamily(app: FastifyInstance, base: string, handler: ApiHandler): void {
  apiRoute(app, base, handler);
  apiRoute(app, `${base}/:action`, handler);
}

/**
 * Parses route parameters with a zod schema. The first bad parameter answers 400
 * `Invalid parameter "<name>"` (Countly's text); every zod issue stays on the error as its
 * `cause`, and the edge's error handler logs them.
 */
export function parseParams<S extends z.ZodType>(schema: S, params: Params): z.infer<S> {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const name = String(parsed.error.issues[0]?.path[0] ?? 'args');
  throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid parameter "${name}"`, { cause: parsed.error });
}

/**
 * The path of the route that runs, its parameters filled in as the router decoded them: what
 * token endpoint restrictions are checked against (never the raw URL, whose percent-encoding,
 * doubled slashes or fragment the router reads differently).
 */
export function routedPath(request: FastifyRequest): string {
  const p = request.params;
  const param = (name: string): string => {
    const value: unknown = typeof p === 'object' && p !== null ? Object.getOwnPropertyDescriptor(p, name)?.value : undefined;
    return typeof value === 'string' ? value : '';
  };
  return (request.routeOptions.url ?? '').replace(/:(\w+)/g, (_match, name: string) => param(name));
}

/** The `:action` path segment of a route. */
export function actionOf(request: FastifyRequest): string {
  const p = request.params;
  return typeof p === 'object' && p !== null && 'action' in p && typeof p.action === 'string' ? p.action : '';
}
