// Mails of the member lifecycle sent from management calls, after the answer (never failing it).
import { sendInvitation, sendPasswordChanged } from '../mail/index.ts';
import { findMemberById, type MemberRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { createSigninLink } from './signin-state.ts';

/** `/i/users/create`: the invitation with a one-time password-set link (`/reset/<prid>`, spec §9.3). */
export function mailInvitation(ctx: ApiContext, member: MemberRecord): void {
  ctx.mail.mailer.track('invitation', async () => {
    const link = await createSigninLink(ctx, 'invite', member._id.toHexString());
    sendInvitation(ctx.mail, member, link.url, link.expiresAtMs);
  });
}

/** `/i/users/update` with `send_notification` and a new password: a notice, without the password. */
export function mailPasswordChanged(ctx: ApiContext, memberId: string): void {
  ctx.mail.mailer.track('password change notice', async () => {
    const member = await findMemberById(ctx.deps.db, memberId);
    if (member !== undefined) sendPasswordChanged(ctx.mail, member);
  });
}
