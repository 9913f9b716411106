// `/i/users/update` and `/i/users/delete` (spec §5.3). Member calls answer errors as a JSON
// array in `result`. Every change drops the member caches of every process.
import { z } from 'zod';
import { CountlyReplyError } from '../http/index.ts';
import {
  deleteMembers,
  deleteSessionsOfMember,
  deleteTokensOfOwners,
  findMemberById,
  findMemberByUsername,
  listMembers,
  updateMember,
  type MemberRecord,
} from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import type { Params } from './http.ts';
import { findUnsafeKey, jsonParam } from './keys.ts';
import { newMemberSchema, permissionFor } from './members.ts';
import { mailPasswordChanged } from './member-mail.ts';
import { hashPassword, passwordPolicyErrors } from './passwords.ts';

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** Parses `args` of member calls; errors are arrays (spec §1.4). */
export function memberArgs(params: Params): Record<string, unknown> {
  const parsed = jsonParam(params.args);
  if (params.args === undefined || !parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', ["Missing 'args' parameter"]);
  }
  const bad = findUnsafeKey(parsed.value);
  if (bad !== undefined) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', [`Invalid key in args: ${bad}`]);
  return { ...parsed.value };
}

/** `Missing <f> argument` for absent fields, `Invalid type for <f>` otherwise. */
export function argErrors(issues: readonly { path: readonly PropertyKey[]; input?: unknown }[]): string[] {
  return issues.map((i) => {
    const field = String(i.path[0] ?? 'args');
    return i.input === undefined ? `Missing ${field} argument` : `Invalid type for ${field}`;
  });
}

export const updateMemberArgs = newMemberSchema.partial().extend({
  user_id: z.string().regex(OBJECT_ID),
  locked: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  send_notification: z.unknown().optional(),
});
type UpdateMemberArgs = z.infer<typeof updateMemberArgs>;

/** `send_notification` as Countly reads it: any truthy value but the string `false`. */
const truthyNotice = (v: unknown): boolean => v !== undefined && v !== null && v !== false && v !== '' && v !== 'false' && v !== 0 && v !== '0';

const truthy = (v: boolean | 'true' | 'false' | undefined): boolean | undefined => (v === undefined ? undefined : v === true || v === 'true');

async function uniqueNameAndEmail(ctx: ApiContext, a: UpdateMemberArgs): Promise<void> {
  const members = a.email === undefined ? [] : await listMembers(ctx.deps.db);
  const byName = a.username === undefined ? undefined : await findMemberByUsername(ctx.deps.db, a.username);
  const clash =
    (byName !== undefined && byName._id.toHexString() !== a.user_id) || members.some((m) => m.email === a.email && m._id.toHexString() !== a.user_id);
  if (clash) throw new CountlyReplyError('TALLY_HTTP_ALREADY_EXISTS', ['Email or username already exists']);
}

async function memberChanges(a: UpdateMemberArgs, target: MemberRecord, self: boolean): Promise<Record<string, unknown>> {
  const set: Record<string, unknown> = {};
  for (const field of ['full_name', 'username', 'email', 'lang', 'timezone'] as const) if (a[field] !== undefined) set[field] = a[field];
  if (a.password !== undefined) set.password = await hashPassword(a.password);
  // A member never changes their own admin flag or lock (no self-lockout, no self-promotion).
  if (!self && a.global_admin !== undefined) set.global_admin = truthy(a.global_admin);
  if (!self && a.locked !== undefined) set.locked = truthy(a.locked);
  if (a.permission !== undefined || a.admin_of !== undefined || a.user_of !== undefined) {
    set.permission = permissionFor({
      permission: a.permission ?? (a.admin_of === undefined && a.user_of === undefined ? target.permission : undefined),
      admin_of: a.admin_of,
      user_of: a.user_of,
    });
  }
  return set;
}

/** Applies `/i/users/update` for `caller`. */
export async function updateMemberFromArgs(ctx: ApiContext, caller: MemberRecord, params: Params): Promise<void> {
  const parsed = updateMemberArgs.safeParse(memberArgs(params));
  if (!parsed.success) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', argErrors(parsed.error.issues), { cause: parsed.error });
  const a = parsed.data;
  const policy = a.password === undefined ? [] : passwordPolicyErrors(a.password);
  if (policy.length > 0) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', policy);
  const target = await findMemberById(ctx.deps.db, a.user_id);
  if (target === undefined) throw new CountlyReplyError('TALLY_HTTP_NOT_FOUND', ['User not found']);
  await uniqueNameAndEmail(ctx, a);
  const set = await memberChanges(a, target, caller._id.equals(target._id));
  if (Object.keys(set).length > 0) await updateMember(ctx.deps.db, a.user_id, set);
  // A new password ends the member's dashboard sessions; the old one may be what leaked.
  if (a.password !== undefined) await deleteSessionsOfMember(ctx.deps.db, a.user_id);
  ctx.lookups.memberChanged(a.user_id);
  if (a.password !== undefined && truthyNotice(a.send_notification)) mailPasswordChanged(ctx, a.user_id);
  ctx.log.info({ memberId: a.user_id, fields: Object.keys(set).filter((k) => k !== 'password') }, 'member updated');
}

export const deleteArgs = z.object({ user_ids: z.array(z.string().regex(OBJECT_ID)).max(1000) });

/** Applies `/i/users/delete`; the caller's own id is ignored. Their tokens go with them. */
export async function deleteMembersFromArgs(ctx: ApiContext, caller: MemberRecord, params: Params): Promise<void> {
  const parsed = deleteArgs.safeParse(memberArgs(params));
  if (!parsed.success) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', argErrors(parsed.error.issues), { cause: parsed.error });
  const ids = parsed.data.user_ids.filter((id) => id !== caller._id.toHexString());
  if (ids.length === 0) return;
  await deleteMembers(ctx.deps.db, ids);
  await deleteTokensOfOwners(ctx.deps.db, ids);
  ctx.lookups.memberChanged(ids.join(','));
  ctx.log.info({ memberIds: ids }, 'members deleted');
}
