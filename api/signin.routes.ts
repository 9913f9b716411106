// Dashboard sign-in (spec §9.1): `POST /login` (browser form: session cookie; `Accept:
// application/json`: the API key, no cookie), `POST /mobile/login` (API clients), `/logout`,
// `/dashboard`, and `/login/token/<token>` from the account-locked mail. Brute-force counters
// are kept per path and submitted name; known and unknown names answer alike.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sendAccountLocked } from '../mail/index.ts';
import { clearFailedLoginsOfUser, findMemberByEmail, findMemberById, findMemberByUsername, type MemberRecord } from '../projections/index.ts';
import { BRUTE_FORCE_PATHS, bruteForceGuard, type BruteForceGuard } from './brute-force.ts';
import type { ApiContext } from './context.ts';
import { refuseHead } from './http.ts';
import { csrfMatches, formCsrf, formCsrfOk, refuseCsrf, refuseDollarKeys } from './dashboard-guard.ts';
import { decoyHash, verifyPassword } from './passwords.ts';
import { dashboardPage, loginPage, messageText, sendPage, tokenPage } from './signin-pages.ts';
import { createSigninLink, endSession, peekLink, signedIn, startSession, useLink } from './signin-state.ts';

const loginForm = z.object({ username: z.string().trim().min(1).max(320), password: z.string().min(1).max(1000) });
const messageQuery = z.object({ message: z.string().max(100).optional() }).catch({});

type Outcome = { kind: 'ok'; member: MemberRecord } | { kind: 'failed' } | { kind: 'blocked' };

async function memberNamed(ctx: ApiContext, name: string): Promise<MemberRecord | undefined> {
  return (await findMemberByUsername(ctx.deps.db, name)) ?? (name.includes('@') ? await findMemberByEmail(ctx.deps.db, name) : undefined);
}

/** Clears a member's counters under both names they may sign in with, on every sign-in path. */
export async function clearBlocks(ctx: ApiContext, member: MemberRecord): Promise<void> {
  for (const name of [member.username, member.email]) await clearFailedLoginsOfUser(ctx.deps.db, BRUTE_FORCE_PATHS, name);
}

/** The failure that starts a block mails the member a one-time sign-in link (spec §9.3), in the background. */
function mailLockedAccount(ctx: ApiContext, member: MemberRecord): void {
  ctx.mail.mailer.track('account-locked notice', async () => {
    const link = await createSigninLink(ctx, 'login', member._id.toHexString());
    sendAccountLocked(ctx.mail, member, link.url, link.expiresAtMs);
  });
}

/**
 * Checks a sign-in. The attempt is reserved before the password is checked, so parallel
 * guesses cannot outrun the counter; an unknown name costs the same hash as a known one.
 */
async function checkSignIn(ctx: ApiContext, guard: BruteForceGuard, body: unknown): Promise<Outcome> {
  const parsed = loginForm.safeParse(body);
  if (!parsed.success) return { kind: 'failed' };
  const { username, password } = parsed.data;
  const reserved = await guard.attempt(username);
  if (reserved === 'blocked') return { kind: 'blocked' };
  const member = await memberNamed(ctx, username);
  const ok = await verifyPassword(password, member?.password ?? (await decoyHash()));
  if (member !== undefined && ok && !member.locked) {
    await guard.succeeded(username);
    return { kind: 'ok', member };
  }
  if (reserved === 'last' && member !== undefined && !member.locked) mailLockedAccount(ctx, member);
  return { kind: 'failed' };
}

const wantsJson = (request: FastifyRequest): boolean => (request.headers.accept ?? '').includes('application/json');

function answerJson(reply: FastifyReply, outcome: Outcome): FastifyReply {
  if (outcome.kind === 'ok') {
    const m = outcome.member;
    return reply.code(200).send({ result: 'Success', api_key: m.api_key, member: { _id: m._id.toHexString(), username: m.username, full_name: m.full_name } });
  }
  return reply.code(401).send({ result: outcome.kind === 'blocked' ? 'login.blocked' : 'login.result' });
}

const redirect = (reply: FastifyReply, to: string): FastifyReply => reply.code(302).header('cache-control', 'no-store').redirect(to);

export function registerSigninRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const clockS = () => Math.floor(ctx.now() / 1000);
  const loginGuard = bruteForceGuard(ctx.deps.db, 'login', ctx.deps.config.api, clockS);
  const mobileGuard = bruteForceGuard(ctx.deps.db, 'mobile-login', ctx.deps.config.api, clockS);
  const guarded = { preHandler: refuseDollarKeys };

  app.get('/login', guarded, async (request, reply) => {
    if ((await signedIn(ctx, request)) !== undefined) return redirect(reply, '/dashboard');
    const note = messageText(messageQuery.parse(request.query).message);
    return sendPage(reply, 200, loginPage(formCsrf(ctx, request, reply), note === undefined ? [] : [note]));
  });

  app.post('/login', guarded, async (request, reply) => {
    // A JSON answer sets no cookie, so it needs no CSRF token (a forged post gains nothing).
    if (wantsJson(request)) return answerJson(reply, await checkSignIn(ctx, loginGuard, request.body));
    if (!formCsrfOk(request)) return refuseCsrf(request, reply);
    const outcome = await checkSignIn(ctx, loginGuard, request.body);
    if (outcome.kind === 'blocked') return redirect(reply, '/login?message=login.blocked');
    if (outcome.kind === 'failed') return redirect(reply, '/login?message=login.result');
    await startSession(ctx, reply, outcome.member);
    request.log.info({ memberId: outcome.member._id.toHexString() }, 'member signed in');
    return redirect(reply, '/dashboard');
  });

  app.post('/mobile/login', guarded, async (request, reply) => answerJson(reply, await checkSignIn(ctx, mobileGuard, request.body)));

  app.get('/dashboard', guarded, async (request, reply) => {
    const who = await signedIn(ctx, request);
    if (who === undefined) return redirect(reply, '/login');
    return sendPage(reply, 200, dashboardPage(who.member.full_name, who.session.csrf));
  });

  app.post('/logout', guarded, async (request, reply) => {
    const who = await signedIn(ctx, request);
    if (who === undefined) return redirect(reply, '/login');
    if (!csrfMatches(request.body, who.session.csrf)) return refuseCsrf(request, reply);
    await endSession(ctx, reply, who.sessionId);
    return redirect(reply, '/login?message=logout.result');
  });

  // From the account-locked mail: one use, `api.loginTokenTtlS`. GET only shows a button (mail
  // scanners and link previews fetch links; they must not spend it), its POST signs in and lifts the block.
  app.get<{ Params: { token: string } }>('/login/token/:token', guarded, async (request, reply) => {
    refuseHead(request);
    if ((await peekLink(ctx, request.params.token, ['login'])) === undefined) return redirect(reply, '/login?message=login.token-invalid');
    return sendPage(reply, 200, tokenPage(request.params.token, formCsrf(ctx, request, reply)));
  });

  app.post<{ Params: { token: string } }>('/login/token/:token', guarded, async (request, reply) => {
    if (!formCsrfOk(request)) return refuseCsrf(request, reply);
    const link = await useLink(ctx, request.params.token, ['login']);
    const member = link === undefined ? undefined : await findMemberById(ctx.deps.db, link.memberId);
    if (member === undefined || member.locked) return redirect(reply, '/login?message=login.token-invalid');
    await clearBlocks(ctx, member);
    await startSession(ctx, reply, member);
    request.log.info({ memberId: member._id.toHexString() }, 'member signed in with a one-time link');
    return redirect(reply, '/dashboard');
  });
}
