import { MongoServerError, ObjectId, type Db, type Document } from 'mongodb';
import { z } from 'zod';
import { StoreUnavailableError } from '../errors.ts';
import { MEMBERS } from './collections.ts';
import { guarded } from './guarded.ts';

const rightsSchema = z.record(z.string(), z.object({ all: z.boolean().optional(), allowed: z.record(z.string(), z.boolean()).optional() }));

/**
 * Per-app rights (spec §4.2): c/r/u/d per app, `_.a` admin app ids, `_.u` user app ids.
 * Countly stores `_.u` as an array of arrays; FerretDB rejects nested arrays, so the store keeps
 * one flat list and the API renders it as `[[...]]` (docs/countly-differences.md).
 */
export const permissionSchema = z.object({
  c: rightsSchema.default({}),
  r: rightsSchema.default({}),
  u: rightsSchema.default({}),
  d: rightsSchema.default({}),
  _: z.object({ a: z.array(z.string()).default([]), u: z.array(z.string()).default([]) }).default({ a: [], u: [] }),
});
export type Permission = z.infer<typeof permissionSchema>;

export const memberRecordSchema = z.looseObject({
  _id: z.instanceof(ObjectId),
  full_name: z.string(),
  username: z.string(),
  email: z.string(),
  /** scrypt hash: `scrypt$N$r$p$<salt b64>$<hash b64>`; never leaves the store layer in API output. */
  password: z.string(),
  api_key: z.string().regex(/^[0-9a-f]{32}$/),
  global_admin: z.boolean(),
  permission: permissionSchema,
  created_at: z.number(),
  locked: z.boolean().default(false),
  lang: z.string().default('en'),
  /** IANA time zone in which mails show dates; absent: UTC. */
  timezone: z.string().optional(),
});
export type MemberRecord = z.infer<typeof memberRecordSchema>;

const parseMember = (doc: unknown): MemberRecord => memberRecordSchema.parse(doc);

export async function ensureMemberIndexes(db: Db): Promise<void> {
  const col = db.collection(MEMBERS);
  await guarded('members index', async () => {
    await col.createIndex({ api_key: 1 }, { unique: true, name: 'api_key_unique' });
    await col.createIndex({ username: 1 }, { unique: true, name: 'username_unique' });
    await col.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
  });
}

export async function findMemberByApiKey(db: Db, apiKey: string): Promise<MemberRecord | undefined> {
  const doc = await guarded('member lookup', () => db.collection(MEMBERS).findOne({ api_key: apiKey }));
  return doc === null ? undefined : parseMember(doc);
}

export async function findMemberByUsername(db: Db, username: string): Promise<MemberRecord | undefined> {
  const doc = await guarded('member lookup', () => db.collection(MEMBERS).findOne({ username }));
  return doc === null ? undefined : parseMember(doc);
}

export async function findMemberByEmail(db: Db, email: string): Promise<MemberRecord | undefined> {
  const doc = await guarded('member lookup', () => db.collection(MEMBERS).findOne({ email }));
  return doc === null ? undefined : parseMember(doc);
}

/** Global admins: the recipients of error notifications. */
export async function listGlobalAdmins(db: Db): Promise<MemberRecord[]> {
  const docs = await guarded('member list', () => db.collection(MEMBERS).find({ global_admin: true }).sort({ _id: 1 }).toArray());
  return docs.map(parseMember);
}

export async function findMemberById(db: Db, id: string): Promise<MemberRecord | undefined> {
  if (!ObjectId.isValid(id)) return undefined;
  const doc = await guarded('member lookup', () => db.collection(MEMBERS).findOne({ _id: new ObjectId(id) }));
  return doc === null ? undefined : parseMember(doc);
}

export async function memberExists(db: Db, username: string, email: string): Promise<boolean> {
  const n = await guarded('member lookup', () => db.collection(MEMBERS).countDocuments({ $or: [{ username }, { email }] }, { limit: 1 }));
  return n > 0;
}

export async function countMembers(db: Db): Promise<number> {
  return guarded('member count', () => db.collection(MEMBERS).countDocuments({}));
}

/**
 * Inserts a member; false when the username, email or api_key is already taken. The unique
 * indexes of ensureMemberIndexes decide, so two processes racing to insert the same member
 * (the bootstrap admin on simultaneous starts) get one insert and one `false`, not an error.
 */
export async function insertMember(db: Db, member: MemberRecord): Promise<boolean> {
  try {
    await db.collection(MEMBERS).insertOne(member);
    return true;
  } catch (err) {
    // Decision: a duplicate key is an answer (the member exists), not a store fault.
    if (err instanceof MongoServerError && err.code === 11000) return false;
    throw new StoreUnavailableError('member insert failed', { cause: err });
  }
}

export async function listMembers(db: Db): Promise<MemberRecord[]> {
  const docs = await guarded('member list', () => db.collection(MEMBERS).find({}).sort({ _id: 1 }).toArray());
  return docs.map(parseMember);
}

export async function updateMember(db: Db, id: string, set: Readonly<Record<string, unknown>>): Promise<boolean> {
  const res = await guarded('member update', () => db.collection(MEMBERS).updateOne({ _id: new ObjectId(id) }, { $set: set }));
  return res.matchedCount === 1;
}

export async function deleteMembers(db: Db, ids: readonly string[]): Promise<number> {
  const oids = ids.filter((i) => ObjectId.isValid(i)).map((i) => new ObjectId(i));
  const res = await guarded('member delete', () => db.collection(MEMBERS).deleteMany({ _id: { $in: oids } }));
  return res.deletedCount;
}

/** Removes every right on an app from every member (the app was deleted). */
export async function removeAppFromMembers(db: Db, appId: string): Promise<void> {
  const unset = Object.fromEntries(['c', 'r', 'u', 'd'].map((right) => [`permission.${right}.${appId}`, '']));
  const pull: Document = { 'permission._.a': appId, 'permission._.u': appId };
  await guarded('member update', () => db.collection(MEMBERS).updateMany({}, { $unset: unset, $pull: pull }));
}
