// Forgotten passwords and invitations: `POST /forgot` (the same answer for any address; keyed
// by client address for brute-force, spec §9.1) and `GET`/`POST /reset/<prid>` (one use,
// expiring; the invitation's password-set link is the same page).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { sendPasswordReset } from '../mail/index.ts';
import { deleteSessionsOfMember, findMemberByEmail, findMemberById, updateMember } from '../projections/index.ts';
import { bruteForceGuard } from './brute-force.ts';
import type { ApiContext } from './context.ts';
import { formCsrf, formCsrfOk, refuseCsrf, refuseDollarKeys } from './dashboard-guard.ts';
import { hashPassword, passwordPolicyErrors } from './passwords.ts';
import { forgotPage, messageText, resetPage, sendPage } from './signin-pages.ts';
import { clearBlocks } from './signin.routes.ts';
import { createSigninLink, peekLink, useLink } from './signin-state.ts';

const forgotForm = z.object({ email: z.string().trim().max(320) }).catch({ email: '' });
const resetForm = z.object({ password: z.string().max(1000), again: z.string().max(1000) });
const messageQuery = z.object({ message: z.string().max(100).optional() }).catch({});
const LINK_KINDS = ['invite', 'reset'] as const;

const redirect = (reply: FastifyReply, to: string): FastifyReply => reply.code(302).header('cache-control', 'no-store').redirect(to);

/** A known address gets a reset link by mail; done after the answer, so timing tells nothing. */
function mailResetLink(ctx: ApiContext, email: string): void {
  ctx.mail.mailer.track('password reset', async () => {
    const member = email === '' ? undefined : await findMemberByEmail(ctx.deps.db, email);
    if (member === undefined || member.locked) return;
    const link = await createSigninLink(ctx, 'reset', member._id.toHexString());
    sendPasswordReset(ctx.mail, member, link.url, link.expiresAtMs);
  });
}

export function registerResetRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const forgotGuard = bruteForceGuard(ctx.deps.db, 'forgot', ctx.deps.config.api, () => Math.floor(ctx.now() / 1000));
  const guarded = { preHandler: refuseDollarKeys };

  app.get('/forgot', guarded, (request, reply) => {
    const note = messageText(messageQuery.parse(request.query).message);
    return sendPage(reply, 200, forgotPage(formCsrf(ctx, request, reply), note === undefined ? [] : [note]));
  });

  app.post('/forgot', guarded, async (request, reply) => {
    if (!formCsrfOk(request)) return refuseCsrf(request, reply);
    // Every request counts (there is no success to reset it): it limits how many mails one address can trigger.
    if ((await forgotGuard.attempt(request.ip)) === 'blocked') return redirect(reply, '/forgot?message=login.blocked');
    mailResetLink(ctx, forgotForm.parse(request.body).email);
    return redirect(reply, '/forgot?message=forgot.result');
  });

  app.get<{ Params: { prid: string } }>('/reset/:prid', guarded, async (request, reply) => {
    if ((await peekLink(ctx, request.params.prid, LINK_KINDS)) === undefined) return redirect(reply, '/forgot?message=reset.invalid');
    return sendPage(reply, 200, resetPage(request.params.prid, formCsrf(ctx, request, reply), []));
  });

  app.post<{ Params: { prid: string } }>('/reset/:prid', guarded, async (request, reply) => {
    if (!formCsrfOk(request)) return refuseCsrf(request, reply);
    const prid = request.params.prid;
    const parsed = resetForm.safeParse(request.body);
    const problems = !parsed.success
      ? ['Enter the new password twice.']
      : parsed.data.password !== parsed.data.again
        ? ['The two passwords differ.']
        : passwordPolicyErrors(parsed.data.password);
    // A refused password leaves the link unused, so the member can try again.
    if (problems.length > 0 || !parsed.success) return sendPage(reply, 200, resetPage(prid, formCsrf(ctx, request, reply), problems));
    const link = await useLink(ctx, prid, LINK_KINDS);
    const member = link === undefined ? undefined : await findMemberById(ctx.deps.db, link.memberId);
    if (member === undefined) return redirect(reply, '/forgot?message=reset.invalid');
    const memberId = member._id.toHexString();
    await updateMember(ctx.deps.db, memberId, { password: await hashPassword(parsed.data.password) });
    // A new password ends every session of the old one, and lifts any block.
    await deleteSessionsOfMember(ctx.deps.db, memberId);
    await clearBlocks(ctx, member);
    ctx.lookups.memberChanged(memberId);
    request.log.info({ memberId, kind: link?.kind }, 'member password set from a link');
    return redirect(reply, '/login?message=reset.result');
  });
}
