// Server-side sign-in state: sessions and one-time links. Each is a random secret handed to the
// browser (cookie) or mailed (link); the store keeps only its SHA-256, an owner and an expiry.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  consumeSigninLink,
  deleteSession,
  findMemberById,
  findSession,
  insertSession,
  insertSigninLink,
  peekSigninLink,
  type MemberRecord,
  type SessionRecord,
  type SigninLink,
  type SigninLinkKind,
} from '../projections/index.ts';
import type { ApiContext } from './context.ts';

/** 32 random bytes as base64url (43 characters). */
export const newSecret = (): string => randomBytes(32).toString('base64url');
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
const SECRET = /^[A-Za-z0-9_-]{43}$/;
export const looksLikeSecret = (value: string): boolean => SECRET.test(value);

/** Constant-time equality of two strings (CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const SESSION_COOKIE = 'tally_session';
/** The CSRF cookie of the signed-out forms (double submit: the form's `_csrf` must equal it). */
export const CSRF_COOKIE = 'tally_csrf';

/** Cookies of a request; later duplicates do not override the first (as browsers send the most specific first). */
export function cookiesOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name !== '' && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Sets a cookie: HttpOnly, SameSite, Path=/, Secure when the dashboard is served over https. */
export function setCookie(ctx: ApiContext, reply: FastifyReply, name: string, value: string, o: { maxAgeS: number; sameSite: 'Lax' | 'Strict' }): void {
  const secure = ctx.deps.config.api.publicUrl.startsWith('https:') ? '; Secure' : '';
  const cookie = `${name}=${value}; Path=/; Max-Age=${o.maxAgeS}; HttpOnly; SameSite=${o.sameSite}${secure}`;
  const prior = reply.getHeader('set-cookie');
  const list = prior === undefined ? [] : Array.isArray(prior) ? prior.map(String) : [String(prior)];
  void reply.header('set-cookie', [...list, cookie]);
}

export interface SignedIn {
  readonly member: MemberRecord;
  readonly session: SessionRecord;
  readonly sessionId: string;
}

/** Starts a session for `member`: stores it and sets the cookie (SameSite=Lax, so links from mails land signed in). */
export async function startSession(ctx: ApiContext, reply: FastifyReply, member: MemberRecord): Promise<void> {
  const secret = newSecret();
  const nowMs = ctx.now();
  const ttlS = ctx.deps.config.api.sessionTtlS;
  await insertSession(ctx.deps.db, {
    _id: hashSecret(secret),
    memberId: member._id.toHexString(),
    csrf: newSecret(),
    createdAtMs: nowMs,
    expiresAtMs: nowMs + ttlS * 1000,
  });
  setCookie(ctx, reply, SESSION_COOKIE, secret, { maxAgeS: ttlS, sameSite: 'Lax' });
}

/** The signed-in member of the request's session cookie: the session must exist, live, and name an unlocked member. */
export async function signedIn(ctx: ApiContext, request: FastifyRequest): Promise<SignedIn | undefined> {
  const secret = cookiesOf(request)[SESSION_COOKIE];
  if (secret === undefined || !looksLikeSecret(secret)) return undefined;
  const sessionId = hashSecret(secret);
  const session = await findSession(ctx.deps.db, sessionId);
  if (session === undefined) return undefined;
  if (session.expiresAtMs <= ctx.now()) {
    await deleteSession(ctx.deps.db, sessionId);
    return undefined;
  }
  const member = await findMemberById(ctx.deps.db, session.memberId);
  return member === undefined || member.locked ? undefined : { member, session, sessionId };
}

/** Ends the session and clears the cookie. */
export async function endSession(ctx: ApiContext, reply: FastifyReply, sessionId: string): Promise<void> {
  await deleteSession(ctx.deps.db, sessionId);
  setCookie(ctx, reply, SESSION_COOKIE, '', { maxAgeS: 0, sameSite: 'Lax' });
}

const LINK_PATHS: Readonly<Record<SigninLinkKind, string>> = { invite: '/reset/', reset: '/reset/', login: '/login/token/' };
const ttlOf = (ctx: ApiContext, kind: SigninLinkKind): number =>
  kind === 'invite' ? ctx.deps.config.api.inviteTtlS : kind === 'reset' ? ctx.deps.config.api.resetTtlS : ctx.deps.config.api.loginTokenTtlS;

/** Creates a one-time link for a member; the secret is only in the returned URL. */
export async function createSigninLink(ctx: ApiContext, kind: SigninLinkKind, memberId: string): Promise<{ url: string; expiresAtMs: number }> {
  const secret = newSecret();
  const expiresAtMs = ctx.now() + ttlOf(ctx, kind) * 1000;
  await insertSigninLink(ctx.deps.db, { _id: hashSecret(secret), kind, memberId, expiresAtMs });
  return { url: `${ctx.deps.config.api.publicUrl.replace(/\/+$/, '')}${LINK_PATHS[kind]}${secret}`, expiresAtMs };
}

/** The link, when it exists and has not expired, without using it. */
export async function peekLink(ctx: ApiContext, secret: string, kinds: readonly SigninLinkKind[]): Promise<SigninLink | undefined> {
  if (!looksLikeSecret(secret)) return undefined;
  const link = await peekSigninLink(ctx.deps.db, hashSecret(secret), kinds);
  return link !== undefined && link.expiresAtMs > ctx.now() ? link : undefined;
}

/** Uses the link up (atomically: a second use finds nothing); undefined when unknown, used or expired. */
export async function useLink(ctx: ApiContext, secret: string, kinds: readonly SigninLinkKind[]): Promise<SigninLink | undefined> {
  if (!looksLikeSecret(secret)) return undefined;
  const link = await consumeSigninLink(ctx.deps.db, hashSecret(secret), kinds);
  return link !== undefined && link.expiresAtMs > ctx.now() ? link : undefined;
}
