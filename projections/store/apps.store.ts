import { ObjectId, type Db } from 'mongodb';
import { z } from 'zod';
import { APPS } from './collections.ts';
import { guarded } from './guarded.ts';

/** An app as stored (Countly field names, spec §5.2). */
export const appRecordSchema = z.looseObject({
  _id: z.instanceof(ObjectId),
  name: z.string(),
  key: z.string(),
  country: z.string(),
  timezone: z.string(),
  category: z.string(),
  type: z.string(),
  created_at: z.number(),
  edited_at: z.number(),
  owner: z.string(),
  seq: z.number(),
  has_image: z.boolean(),
  salt: z.string().optional(),
  checksum_salt: z.string().optional(),
  paused: z.boolean().optional(),
  locked: z.boolean().optional(),
});
export type AppRecord = z.infer<typeof appRecordSchema>;

/** The fields ingest needs on its hot path. */
export interface AppSummary {
  readonly id: string;
  readonly key: string;
  readonly timezone: string;
  readonly country: string;
  /** `mobile`, `web`, ... */
  readonly type: string;
  readonly salt: string;
  readonly paused: boolean;
  readonly locked: boolean;
}

export function toAppSummary(app: AppRecord): AppSummary {
  return {
    id: app._id.toHexString(),
    key: app.key,
    timezone: app.timezone,
    country: app.country,
    type: app.type,
    salt: app.salt ?? app.checksum_salt ?? '',
    paused: app.paused === true,
    locked: app.locked === true,
  };
}

function parseApp(doc: unknown): AppRecord {
  return appRecordSchema.parse(doc);
}

export async function ensureAppIndexes(db: Db): Promise<void> {
  await guarded('apps index', () => db.collection(APPS).createIndex({ key: 1 }, { unique: true, name: 'key_unique' }));
}

export async function findAppByKey(db: Db, key: string): Promise<AppRecord | undefined> {
  const doc = await guarded('app lookup', () => db.collection(APPS).findOne({ key }));
  return doc === null ? undefined : parseApp(doc);
}

export async function findAppById(db: Db, id: string): Promise<AppRecord | undefined> {
  if (!ObjectId.isValid(id)) return undefined;
  const doc = await guarded('app lookup', () => db.collection(APPS).findOne({ _id: new ObjectId(id) }));
  return doc === null ? undefined : parseApp(doc);
}

export async function listApps(db: Db, ids?: readonly string[]): Promise<AppRecord[]> {
  const filter = ids === undefined ? {} : { _id: { $in: ids.filter((i) => ObjectId.isValid(i)).map((i) => new ObjectId(i)) } };
  const docs = await guarded('app list', () => db.collection(APPS).find(filter).sort({ _id: 1 }).toArray());
  return docs.map(parseApp);
}

export async function insertApp(db: Db, app: AppRecord): Promise<void> {
  await guarded('app insert', () => db.collection(APPS).insertOne(app));
}

export async function updateApp(db: Db, id: string, set: Readonly<Record<string, unknown>>): Promise<boolean> {
  const res = await guarded('app update', () => db.collection(APPS).updateOne({ _id: new ObjectId(id) }, { $set: set }));
  return res.matchedCount === 1;
}

export async function deleteApp(db: Db, id: string): Promise<boolean> {
  const res = await guarded('app delete', () => db.collection(APPS).deleteOne({ _id: new ObjectId(id) }));
  return res.deletedCount === 1;
}

/** Apps matching a filter that the caller has already validated (e.g. `method=all_apps&filter=`). */
export async function findAppsMatching(db: Db, filter: Readonly<Record<string, unknown>>): Promise<AppRecord[]> {
  const docs = await guarded('app list', () =>
    db
      .collection(APPS)
      .find({ ...filter })
      .sort({ _id: 1 })
      .toArray(),
  );
  return docs.map(parseApp);
}
