// Member creation shared by /i/users/create, the bootstrap admin and `tally admin create`.
import { ObjectId, type Db } from 'mongodb';
import { z } from 'zod';
import { insertMember, memberExists, permissionSchema, type MemberRecord, type Permission } from '../projections/index.ts';
import { hashPassword, newApiKey, passwordPolicyErrors } from './passwords.ts';

/** Countly's wire shape of `_.u` is a list of groups; accept it and flatten. */
function flattenUserGroups(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('_' in raw)) return raw;
  const under = raw._;
  if (typeof under !== 'object' || under === null || !('u' in under) || !Array.isArray(under.u)) return raw;
  return { ...raw, _: { ...under, u: under.u.flat() } };
}
const wirePermission = z.preprocess(flattenUserGroups, permissionSchema);

export const newMemberSchema = z.object({
  full_name: z.string().trim().min(1).max(200),
  username: z.string().trim().min(1).max(200),
  password: z.string().min(1).max(1000),
  email: z.email().max(320),
  lang: z.string().max(10).optional(),
  /** IANA time zone of the member's mails (dates); absent: UTC. */
  timezone: z
    .string()
    .max(64)
    .refine((tz) => Intl.supportedValuesOf('timeZone').includes(tz) || tz === 'UTC', 'unknown time zone')
    .optional(),
  global_admin: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  admin_of: z.array(z.string().regex(/^[0-9a-f]{24}$/)).optional(),
  user_of: z.array(z.string().regex(/^[0-9a-f]{24}$/)).optional(),
  permission: wirePermission.optional(),
});
export type NewMember = z.infer<typeof newMemberSchema>;

const FULL_RIGHTS = { all: true, allowed: {} };

/** `admin_of` ids get full c/r/u/d rights and `_.a`; `user_of` ids get read rights (spec §5.3). */
export function permissionFor(input: Pick<NewMember, 'admin_of' | 'user_of' | 'permission'>): Permission {
  const base: Permission = input.permission ?? { c: {}, r: {}, u: {}, d: {}, _: { a: [], u: [] } };
  const p: Permission = { c: { ...base.c }, r: { ...base.r }, u: { ...base.u }, d: { ...base.d }, _: { a: [...base._.a], u: [...base._.u] } };
  for (const id of input.admin_of ?? []) {
    for (const right of ['c', 'r', 'u', 'd'] as const) p[right][id] = FULL_RIGHTS;
    if (!p._.a.includes(id)) p._.a.push(id);
  }
  const userOf = (input.user_of ?? []).filter((id) => !p._.a.includes(id));
  for (const id of userOf) p.r[id] = FULL_RIGHTS;
  for (const id of userOf) if (!p._.u.includes(id)) p._.u.push(id);
  return p;
}

export type CreateMemberResult = { ok: true; member: MemberRecord } | { ok: false; errors: string[] };

/** Validates the password policy and uniqueness, hashes the password with scrypt and stores the member. */
export async function createMember(db: Db, input: NewMember): Promise<CreateMemberResult> {
  const policy = passwordPolicyErrors(input.password);
  if (policy.length > 0) return { ok: false, errors: policy };
  if (await memberExists(db, input.username, input.email)) return { ok: false, errors: ['Email or username already exists'] };
  const member: MemberRecord = {
    _id: new ObjectId(),
    full_name: input.full_name,
    username: input.username,
    email: input.email,
    password: await hashPassword(input.password),
    api_key: newApiKey(),
    global_admin: input.global_admin === true || input.global_admin === 'true',
    permission: permissionFor(input),
    created_at: Math.floor(Date.now() / 1000),
    locked: false,
    lang: input.lang ?? 'en',
    ...(input.timezone === undefined ? {} : { timezone: input.timezone }),
  };
  // memberExists above answers the common case with a clear message; the unique indexes
  // answer the race where another request or process inserted the same member meanwhile.
  if (!(await insertMember(db, member))) return { ok: false, errors: ['Email or username already exists'] };
  return { ok: true, member };
}

/** The member as the API shows it: never the password hash. */
export function publicMember(member: MemberRecord): Record<string, unknown> {
  const { password: _password, ...rest } = member;
  const permission = { ...member.permission, _: { a: member.permission._.a, u: member.permission._.u.length > 0 ? [member.permission._.u] : [] } };
  return { ...rest, _id: member._id.toHexString(), permission };
}
