// First global admin from configuration (TALLY_ADMIN_*), idempotent across restarts.
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { ensureAppIndexes, ensureMemberIndexes, ensureReadIndexes, findMemberByUsername, type MemberRecord } from '../projections/index.ts';
import type { TallyConfig } from '../streams.config.ts';
import { BootstrapError } from './errors.ts';
import { createMember } from './members.ts';

/** Creates the management indexes, and the read indexes of the active projection version. */
export async function ensureManagementIndexes(db: Db): Promise<void> {
  await ensureAppIndexes(db);
  await ensureMemberIndexes(db);
  await ensureReadIndexes(db);
}

/**
 * Creates the configured admin unless a member with that username exists. Safe when several
 * processes start at once: the unique username index (created by ensureManagementIndexes, which
 * must run first) lets one insert win, and the others read the member it wrote.
 */
export async function ensureAdmin(db: Db, admin: TallyConfig['admin'], log: Logger): Promise<MemberRecord | undefined> {
  if (admin.username === undefined || admin.password === undefined) return undefined;
  const existing = await findMemberByUsername(db, admin.username);
  if (existing !== undefined) return existing;
  const res = await createMember(db, {
    full_name: admin.username,
    username: admin.username,
    password: admin.password,
    email: admin.email ?? `${admin.username}@localhost.localdomain`,
    global_admin: true,
  });
  if (!res.ok) {
    // Another process may have inserted the same admin between our lookup and our insert.
    const winner = await findMemberByUsername(db, admin.username);
    if (winner !== undefined) return winner;
    throw new BootstrapError(`cannot create the admin ${admin.username}: ${res.errors.join('; ')}`);
  }
  log.info({ username: admin.username }, 'global admin created');
  return res.member;
}
