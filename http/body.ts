// Request parsing of the Countly edge (spec §1.2): body parsers that keep the raw body (checksums
// need it), JSON and multipart bodies that contribute nothing when unreadable (said, not
// dropped silently), and query-wins merging of parameters.
import type { FastifyInstance, FastifyRequest } from 'fastify';

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

function formToObject(text: string): Record<string, string> {
  // fromEntries defines properties, so a `__proto__` field stays data as in the other parsers; the later duplicate wins.
  return Object.fromEntries(new URLSearchParams(text));
}

/** Replaces fastify's parsers with Countly's: form, JSON, multipart, and anything else ignored. */
export function registerBodyParsers(app: FastifyInstance): void {
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
