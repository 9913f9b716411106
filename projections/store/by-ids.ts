// Reading documents by `_id`, the one lookup FerretDB's SQLite backend can answer from an index.
import type { Db, Document } from 'mongodb';

const ferretDb = new WeakMap<Db, Promise<boolean>>();

/** True when the server is FerretDB (its buildInfo names its own version); asked once per Db. */
export function isFerretDb(db: Db): Promise<boolean> {
  let known = ferretDb.get(db);
  if (known === undefined) {
    known = db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string');
    ferretDb.set(db, known);
    // A failed probe is asked again next time instead of being remembered as an answer.
    known.catch(() => ferretDb.delete(db));
  }
  return known;
}

/** Finds at once per FerretDB call: enough to keep both its cores busy, far below its pool of 100 connections. */
const FERRET_CONCURRENCY = 32;

/**
 * Documents by `_id`, in no particular order; missing ids are left out. MongoDB gets one `$in`.
 * FerretDB v1's SQLite backend pushes only a single `{_id: <string>}` filter down to an index
 * (scripts/ferretdb-idindex adds the index it can use) and reads and decodes the whole
 * collection for anything else, so there each id is its own find, up to FERRET_CONCURRENCY at once.
 */
export async function findByIds(db: Db, collection: string, ids: readonly string[], projection?: Document): Promise<Document[]> {
  if (ids.length === 0) return [];
  const col = db.collection<{ _id: string }>(collection);
  const options = projection === undefined ? {} : { projection };
  if (!(await isFerretDb(db))) return col.find({ _id: { $in: [...ids] } }, options).toArray();
  // A sliding window, not rounds: one slow find holds up only its own slot.
  const out: Document[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++] ?? '';
      const doc = await col.findOne({ _id: id }, options);
      if (doc !== null) out.push(doc);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FERRET_CONCURRENCY, ids.length) }, worker));
  return out;
}
