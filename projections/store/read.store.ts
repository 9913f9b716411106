// Readers of the read API: aggregate buckets by period, event data, the event registry, and
// app users. Every aggregate read names its app and its periods (`a` + `m` list), so a 30-day
// read touches only the month and year documents that cover it.
import type { Db, Document, Filter, Sort } from 'mongodb';
import { AGGREGATE_COLLECTIONS, groupIdSuffix } from '../core.ts';
import { EVENT_REGISTRY_COLLECTION } from '../write-ops.ts';
import { APP_USER_DELETIONS, appUsersCollection } from '../app-users.fold.ts';
import { tombstoneFromStored, type Tombstone } from '../erasure.ts';
import { usersDocId } from '../sessions.fold.ts';
import { revealUsersDocs } from '../users-reveal.ts';
import { findByIds } from './by-ids.ts';
import { listVersionCollections, readActiveVersion, versionedCollection } from './pointer.store.ts';
import { guarded } from './guarded.ts';

/** The projection whose version names the aggregate collections. */
export const CORE_PROJECTION = 'core';

/** Fields a time object is built from; internal fields (watermarks) are not read. */
const BUCKET_FIELDS = { _id: 0, m: 1, d: 1, meta: 1, meta_v2: 1 } as const;
/** The users family also needs its visibility flags and hidden counts (§3.8, users-reveal.ts). */
const USERS_FIELDS = { ...BUCKET_FIELDS, vis: 1, h: 1 } as const;

/** Physical name of a logical aggregate collection in the active core version. */
export async function activeCollection(db: Db, logical: string): Promise<string> {
  return versionedCollection(logical, await readActiveVersion(db, CORE_PROJECTION));
}

/** Options of `readBuckets`. */
export interface ReadBucketsOptions {
  /**
   * With the partition group count, the `users` family is read by `_id`: its documents are
   * `<app>_<period>_g<group>`, one per period and group (projections/core.ts). Other families
   * have value shards too and are read by filter.
   */
  readonly partitionGroups?: number;
}

/** Bucket documents of one app and family for the given `m` values (`all`: every document, `fullRange=true`). */
export async function readBuckets(
  db: Db,
  logical: string,
  appId: string,
  periods: readonly string[] | 'all',
  opts: ReadBucketsOptions = {},
): Promise<Document[]> {
  if (periods.length === 0) return [];
  const name = await activeCollection(db, logical);
  if (logical === 'users') return revealUsersDocs(await readUsersDocs(db, name, appId, periods, opts));
  const filter: Filter<Document> = periods === 'all' ? { a: appId } : { a: appId, m: { $in: [...periods] } };
  return guarded('bucket read', () => db.collection(name).find(filter, { projection: BUCKET_FIELDS }).toArray());
}

/** Every group's users documents of the periods, with `vis` and `h` for the reveal. */
function readUsersDocs(db: Db, name: string, appId: string, periods: readonly string[] | 'all', opts: ReadBucketsOptions): Promise<Document[]> {
  if (periods !== 'all' && opts.partitionGroups !== undefined) {
    const groups = Array.from({ length: opts.partitionGroups }, (_, g) => g);
    const ids = periods.flatMap((p) => groups.map((g) => `${usersDocId(appId, p)}${groupIdSuffix(g)}`));
    return guarded('bucket read', () => findByIds(db, name, ids, USERS_FIELDS));
  }
  const filter: Filter<Document> = periods === 'all' ? { a: appId } : { a: appId, m: { $in: [...periods] } };
  return guarded('bucket read', () => db.collection(name).find(filter, { projection: USERS_FIELDS }).toArray());
}

/** Event documents of one event (`e` = event hash), optionally of one segment (`s`), for the given `m` values. */
export async function readEventBuckets(db: Db, appId: string, eventHash: string, periods: readonly string[], segment?: string): Promise<Document[]> {
  if (periods.length === 0) return [];
  const name = await activeCollection(db, 'events_data');
  const filter: Filter<Document> = { a: appId, e: eventHash, m: { $in: [...periods] } };
  if (segment !== undefined) filter.s = segment;
  return guarded('event read', () => db.collection(name).find(filter, { projection: BUCKET_FIELDS }).toArray());
}

/** The per-group registry documents of an app (merge them with `eventRegistryFromStored`). */
export async function readEventRegistryDocs(db: Db, appId: string): Promise<Document[]> {
  const name = await activeCollection(db, EVENT_REGISTRY_COLLECTION);
  return guarded('registry read', () => db.collection(name).find({ a: appId }).toArray());
}

/**
 * Indexes that keep bucket reads to the documents they name, for the active version or the
 * given one (a rebuild creates them before it switches readers over). App-user collections
 * present in that version get their `ls` index too.
 */
export async function ensureReadIndexes(db: Db, version?: number): Promise<void> {
  const v = version ?? (await readActiveVersion(db, CORE_PROJECTION));
  await guarded('read indexes', async () => {
    for (const logical of AGGREGATE_COLLECTIONS) {
      const keys: Record<string, 1> = logical === 'events_data' ? { a: 1, e: 1, m: 1 } : { a: 1, m: 1 };
      await db.collection(versionedCollection(logical, v)).createIndex(keys, { name: 'read_by_period' });
    }
    await db.collection(versionedCollection(EVENT_REGISTRY_COLLECTION, v)).createIndex({ a: 1 }, { name: 'read_by_app' });
    if (version === undefined) return;
    for (const name of (await listVersionCollections(db, (logical) => logical.startsWith(appUsersCollection('')))).get(v) ?? []) {
      await db.collection(name).createIndex({ ls: 1 }, { name: 'by_last_session' });
    }
  });
}

/** Number of app users matching an already validated filter. */
export async function countAppUsers(db: Db, logical: string, filter: Filter<Document>): Promise<number> {
  const name = await activeCollection(db, logical);
  return guarded('app user count', () => db.collection(name).countDocuments(filter));
}

/** Estimated number of an app's users, from collection metadata (no scan). */
export async function estimateAppUsers(db: Db, logical: string): Promise<number> {
  const name = await activeCollection(db, logical);
  return guarded('app user estimate', () => db.collection(name).estimatedDocumentCount());
}

/** App users matching `filter`, grouped by the value of `field`: `[{_id: value, u: count}]`. */
export async function groupAppUsers(db: Db, logical: string, field: string, filter: Filter<Document>): Promise<{ _id: unknown; u: number }[]> {
  const name = await activeCollection(db, logical);
  const pipeline = [{ $match: filter }, { $group: { _id: `$${field}`, u: { $sum: 1 } } }, { $sort: { u: -1 } }];
  const rows = await guarded('app user group', () => db.collection(name).aggregate(pipeline).toArray());
  return rows.map((r) => {
    const id: unknown = r._id;
    const u: unknown = r.u;
    return { _id: id, u: typeof u === 'number' ? u : 0 };
  });
}

/**
 * Metric changes (§2.17) matching an already validated filter, projected to `uid` and the old
 * value of `field` (`<field>.o`). FerretDB indexes only `_id`, so this scans the app's changes,
 * as the app-user grouping above scans its users.
 */
export async function findMetricChanges(db: Db, logical: string, field: string, filter: Filter<Document>): Promise<Document[]> {
  const name = await activeCollection(db, logical);
  return guarded('metric change find', () =>
    db
      .collection(name)
      .find({ ...filter, [`${field}.o`]: { $exists: true } }, { projection: { _id: 0, uid: 1, [`${field}.o`]: 1 } })
      .toArray(),
  );
}

export interface AppUserPage {
  readonly sort?: Sort;
  readonly projection?: Document;
  readonly skip: number;
  readonly limit: number;
}

/** One page of app users matching an already validated filter, sort and projection. */
export async function findAppUsers(db: Db, logical: string, filter: Filter<Document>, page: AppUserPage): Promise<Document[]> {
  const name = await activeCollection(db, logical);
  return guarded('app user find', () => {
    let cursor = db.collection(name).find(filter);
    if (page.projection !== undefined) cursor = cursor.project(page.projection);
    if (page.sort !== undefined) cursor = cursor.sort(page.sort);
    return cursor.skip(page.skip).limit(page.limit).toArray();
  });
}

/** The `ls` index of an app's users (exact unique counts by last session); created with the app. */
export async function ensureAppUserIndexes(db: Db, logical: string): Promise<void> {
  const name = await activeCollection(db, logical);
  await guarded('app user index', () => db.collection(name).createIndex({ ls: 1 }, { name: 'by_last_session' }));
}

/** Tombstones of the deleted-users log of the active version (for `erasureIndex`); every app, or one. */
export async function readTombstones(db: Db, appId?: string): Promise<Tombstone[]> {
  const name = await activeCollection(db, APP_USER_DELETIONS);
  const docs = await guarded('tombstone read', () =>
    db
      .collection(name)
      .find(appId === undefined ? {} : { a: appId })
      .toArray(),
  );
  return docs.flatMap((d) => tombstoneFromStored(d) ?? []);
}
