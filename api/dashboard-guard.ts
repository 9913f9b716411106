// What every dashboard route (sign-in pages and forms) checks before its handler: no key that
// starts with `$` anywhere in the query, route params or body (spec §9.2, Countly's dashboard
// answers 500 text), and, for forms posted by a browser, the CSRF token.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REFUSALS, type FixedTextCode } from '../http/index.ts';
import type { ApiContext } from './context.ts';
import { CSRF_COOKIE, cookiesOf, looksLikeSecret, newSecret, sameSecret, setCookie } from './signin-state.ts';

/** The first key starting with `$` at any depth, or undefined. */
export function findDollarKey(value: unknown, depth = 0): string | undefined {
  if (depth > 32) return '(nesting deeper than 32 levels)';
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) return k;
    const bad = findDollarKey(v, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** preHandler of every dashboard route: `$` keys answer 500 `Dollar sign is not allowed in keys`, as Countly's dashboard. */
export async function refuseDollarKeys(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const key = findDollarKey(request.query) ?? findDollarKey(request.params) ?? findDollarKey(request.body);
  if (key === undefined) return;
  request.log.info({ code: 'TALLY_HTTP_DOLLAR_KEY', key }, 'dashboard request refused');
  await sendTextRefusal(reply, 'TALLY_HTTP_DOLLAR_KEY');
}

/** Dashboard refusals answer plain text, as Countly's dashboard server does. */
function sendTextRefusal(reply: FastifyReply, code: FixedTextCode): FastifyReply {
  const refusal = REFUSALS[code];
  return reply.code(refusal.statusCode).type('text/plain; charset=utf-8').send(refusal.message);
}

/** The CSRF token of the signed-out forms: the request's cookie, or a new one set on the reply. */
export function formCsrf(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply): string {
  const have = cookiesOf(request)[CSRF_COOKIE];
  if (have !== undefined && looksLikeSecret(have)) return have;
  const fresh = newSecret();
  setCookie(ctx, reply, CSRF_COOKIE, fresh, { maxAgeS: 86_400, sameSite: 'Strict' });
  return fresh;
}

/** The `_csrf` field of a posted form, when it is a string. */
export const postedCsrf = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && '_csrf' in body && typeof body._csrf === 'string' ? body._csrf : undefined;

/** True when the form's `_csrf` equals `expected` (the CSRF cookie, or the session's token). */
export function csrfMatches(body: unknown, expected: string | undefined): boolean {
  const given = postedCsrf(body);
  return given !== undefined && expected !== undefined && expected !== '' && sameSecret(given, expected);
}

/** Double-submit check of a signed-out form: its `_csrf` must equal the CSRF cookie. */
export const formCsrfOk = (request: FastifyRequest): boolean => csrfMatches(request.body, cookiesOf(request)[CSRF_COOKIE]);

/** 403 for a form without a valid CSRF token (spec §5.1: no CSRF → 403). */
export function refuseCsrf(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.log.info({ code: 'TALLY_HTTP_CSRF' }, 'dashboard form refused: CSRF token missing or wrong');
  return sendTextRefusal(reply, 'TALLY_HTTP_CSRF');
}
