// Dashboard sign-in state (sessions, one-time links) and mail bookkeeping. Secrets never reach
// the store: callers pass the SHA-256 of a session cookie or link, so a read of the database
// gives no credential. Single-document writes only (FerretDB: no transactions).
import { MongoServerError, type Db } from 'mongodb';
import { z } from 'zod';
import { StoreUnavailableError } from '../errors.ts';
import { MAIL_STATS, NOTICE_SLOTS, SESSIONS, SIGNIN_LINKS } from './collections.ts';
import { guarded } from './guarded.ts';

export const sessionRecordSchema = z.object({
  /** SHA-256 (hex) of the cookie's secret. */
  _id: z.string(),
  /** Member id (hex). */
  memberId: z.string(),
  /** The session's CSRF token, asked of every form posted with the cookie. */
  csrf: z.string(),
  createdAtMs: z.number(),
  expiresAtMs: z.number(),
});
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

const sessions = (db: Db) => db.collection<SessionRecord>(SESSIONS);

export async function insertSession(db: Db, session: SessionRecord): Promise<void> {
  await guarded('session insert', () => sessions(db).insertOne(session));
}

/** The session by the hash of its secret, or undefined (unknown or malformed). Expiry is the caller's check. */
export async function findSession(db: Db, id: string): Promise<SessionRecord | undefined> {
  const doc = await guarded('session lookup', () => sessions(db).findOne({ _id: id }));
  const parsed = sessionRecordSchema.safeParse(doc);
  return parsed.success ? parsed.data : undefined;
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await guarded('session delete', () => sessions(db).deleteOne({ _id: id }));
}

/** Ends every session of a member (password reset or change). */
export async function deleteSessionsOfMember(db: Db, memberId: string): Promise<void> {
  await guarded('session delete', () => sessions(db).deleteMany({ memberId }));
}

/** What a one-time link does when followed. */
export const SIGNIN_LINK_KINDS = ['invite', 'reset', 'login'] as const;
export type SigninLinkKind = (typeof SIGNIN_LINK_KINDS)[number];

export const signinLinkSchema = z.object({
  /** SHA-256 (hex) of the secret in the link. */
  _id: z.string(),
  kind: z.enum(SIGNIN_LINK_KINDS),
  memberId: z.string(),
  expiresAtMs: z.number(),
});
export type SigninLink = z.infer<typeof signinLinkSchema>;

const links = (db: Db) => db.collection<SigninLink>(SIGNIN_LINKS);

export async function insertSigninLink(db: Db, link: SigninLink): Promise<void> {
  await guarded('sign-in link insert', () => links(db).insertOne(link));
}

/** The link without using it (the page that asks for the new password), or undefined. */
export async function peekSigninLink(db: Db, id: string, kinds: readonly SigninLinkKind[]): Promise<SigninLink | undefined> {
  const doc = await guarded('sign-in link lookup', () => links(db).findOne({ _id: id, kind: { $in: [...kinds] } }));
  const parsed = signinLinkSchema.safeParse(doc);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Uses a link up: of two requests racing with the same link exactly one gets it. The delete
 * decides, by its count: FerretDB 1.24 runs findOneAndDelete (and a filtered updateOne) as a
 * read then a write, so several racing callers each get the document; a deleteOne by `_id`
 * reports the row it really removed (docs/ferretdb.md). An expired link is removed as well; the
 * caller checks `expiresAtMs`.
 */
export async function consumeSigninLink(db: Db, id: string, kinds: readonly SigninLinkKind[]): Promise<SigninLink | undefined> {
  const link = await peekSigninLink(db, id, kinds);
  if (link === undefined) return undefined;
  const res = await guarded('sign-in link use', () => links(db).deleteOne({ _id: id }));
  return res.deletedCount === 1 ? link : undefined;
}

/** Mail counters shown on the pipeline status: totals over every process since the database began. */
export const MAIL_COUNTERS = ['queued', 'sent', 'retried', 'failed', 'outbox'] as const;
export type MailCounter = (typeof MAIL_COUNTERS)[number];
export type MailStats = Record<MailCounter, number>;

const MAIL_STATS_ID = 'totals';

export async function countMail(db: Db, counter: MailCounter): Promise<void> {
  await guarded('mail count', () => db.collection<{ _id: string }>(MAIL_STATS).updateOne({ _id: MAIL_STATS_ID }, { $inc: { [counter]: 1 } }, { upsert: true }));
}

export async function readMailStats(db: Db): Promise<MailStats> {
  const doc = await guarded('mail stats read', () => db.collection<{ _id: string }>(MAIL_STATS).findOne({ _id: MAIL_STATS_ID }));
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const raw: Record<string, unknown> = doc ?? {};
  return { queued: num(raw.queued), sent: num(raw.sent), retried: num(raw.retried), failed: num(raw.failed), outbox: num(raw.outbox) };
}

/**
 * Claims the right to send notice `key` now: true for one caller per window of `intervalMs`
 * (windows counted from the epoch), across processes. The insert of the window's slot decides
 * (a second insert fails on the `_id`); FerretDB has no atomic conditional update to build a
 * sliding window on (see consumeSigninLink). Slots of earlier windows are then removed.
 */
export async function claimNoticeSlot(db: Db, key: string, nowMs: number, intervalMs: number): Promise<boolean> {
  const col = db.collection<{ _id: string; key: string; window: number }>(NOTICE_SLOTS);
  const window = Math.floor(nowMs / intervalMs);
  try {
    await col.insertOne({ _id: `${key}@${window}`, key, window });
  } catch (err) {
    // Decision: a duplicate `_id` means this window's notice was already sent (here or by another process).
    if (err instanceof MongoServerError && err.code === 11000) return false;
    throw new StoreUnavailableError('notice slot claim failed', { cause: err });
  }
  await guarded('notice slot cleanup', () => col.deleteMany({ key, window: { $lt: window } }));
  return true;
}
