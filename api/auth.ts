// Credentials and validators in Countly's order (spec §4.1–4.2).
import type { Db } from 'mongodb';
import { findMemberByApiKey, type MemberRecord } from '../projections/index.ts';
import { CountlyReplyError } from '../ingest/index.ts';

const API_KEY = /^[0-9a-f]{32}$/;

/** Resolves the calling member from `api_key`; 400 without credentials, 401 when unknown or locked. */
export async function requireMember(db: Db, params: Readonly<Record<string, unknown>>): Promise<MemberRecord> {
  const member = await memberFromParams(db, params);
  if (member.locked) throw new CountlyReplyError(401, 'User is locked');
  return member;
}

async function memberFromParams(db: Db, params: Readonly<Record<string, unknown>>): Promise<MemberRecord> {
  const key = params.api_key;
  if (key === undefined || key === '' || (typeof key !== 'string' && typeof key !== 'number')) {
    throw new CountlyReplyError(400, 'Missing parameter "api_key" or "auth_token"');
  }
  const text = String(key);
  const member = API_KEY.test(text) ? await findMemberByApiKey(db, text) : undefined;
  if (member === undefined) throw new CountlyReplyError(401, 'User does not exist');
  return member;
}

/** Global admins only: the right is checked before the lock (spec §4.2). */
export async function requireGlobalAdmin(db: Db, params: Readonly<Record<string, unknown>>): Promise<MemberRecord> {
  const member = await memberFromParams(db, params);
  if (!member.global_admin) throw new CountlyReplyError(401, 'User does not have right');
  if (member.locked) throw new CountlyReplyError(401, 'User is locked');
  return member;
}

/** Apps a member administers: explicit `_.a` entries (no implicit admin, unlike Countly's quirk). */
export function adminAppIds(member: MemberRecord): string[] {
  return member.permission._.a;
}

/** Apps a member may read (any r right, `_.a`, or a `_.u` group). */
export function readableAppIds(member: MemberRecord): string[] {
  const ids = new Set<string>(member.permission._.a);
  for (const [appId, right] of Object.entries(member.permission.r)) {
    if (right.all === true || Object.values(right.allowed ?? {}).some(Boolean)) ids.add(appId);
  }
  for (const id of member.permission._.u) ids.add(id);
  return [...ids];
}
