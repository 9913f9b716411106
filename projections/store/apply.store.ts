// Applies a batch's write operations with a per-document watermark, so applying the same
// sealed batch twice (recovery after a crash mid-flush) changes nothing the second time.
//
// FerretDB v1 stops an "unordered" update batch at the first write error, so the watermark is
// not enforced by provoking duplicate-key errors on upsert: when it recovers a sealed batch, the
// store first reads the watermarks of the batch's documents (one query per collection) and
// drops operations already applied. The owning consumer group is the only writer of these
// documents (ids carry the group), so nothing can change them between that read and the write.
import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import { groupBy } from '../group-by.ts';
import { FlushFailedError, TallyError } from '../errors.ts';
import { insertedDocument, type FirstWrites } from './first-writes.ts';
import type { DeleteAppOp, DeleteOp, MatchingOp, UpsertOp, WriteOp } from '../writes.ts';
import { contentRefusal, type RefusedWrite } from './refusals.ts';

type IdDoc = { _id: string } & Document;

/** Field holding the last stream sequence applied to a document. */
export const WATERMARK = '_s';
/** Field naming the consumer group that owns a document. */
export const OWNER = '_g';

export interface ApplyOptions {
  /** Last stream sequence of the batch; written as the watermark of every touched document. */
  readonly toSeq: number;
  /** Owning consumer group. */
  readonly group: number;
  /** Maps a logical collection name to its physical (versioned) name. */
  readonly collectionName: (logical: string) => string;
  /**
   * Called before every write command; throws (a TallyError, passed through unchanged) when
   * this process may no longer write, e.g. its lease ran out and another owner may be
   * recovering the same batch.
   */
  readonly assertOwner?: () => void;
  /**
   * True when this owner has just claimed the batch (checkpoint compare-and-set from the previous
   * sequence): no document can carry its watermark yet, so the watermark read is skipped. On
   * FerretDB's SQLite backend that read scans every document of each collection (an `$in` on
   * `_id` is not pushed down), the largest cost of a batch once collections grow. Recovery of a
   * sealed batch leaves it false.
   */
  readonly freshlyClaimed?: boolean;
  /**
   * With `freshlyClaimed`: documents known not to exist yet are inserted whole instead of
   * upserted (a rebuild into an empty version; see first-writes.ts).
   */
  readonly firstWrites?: FirstWrites;
  /** Called after every upsert command and watermark read with its duration, ms (a rebuild paces itself here). */
  readonly afterWrite?: (durationMs: number) => Promise<void>;
}

export interface ApplyResult {
  /** Write operations sent to the database (bulkWrite entries). */
  readonly writeOps: number;
  /** Upserts skipped because their document already carries this batch. */
  readonly skipped: number;
  /** Of `writeOps`, documents written whole by an insert (first writes, see first-writes.ts). */
  readonly inserted: number;
  /** Document updates the database refused for their content, set aside (refusals.ts). */
  readonly refused: readonly RefusedWrite[];
}

// Linear: a batch of a rebuild holds tens of thousands of ops (copying a list per op took seconds).
const byCollection = <T extends WriteOp>(ops: readonly T[]): Map<string, T[]> => groupBy(ops, (op) => op.collection);

async function appliedIds(db: Db, collection: string, ids: readonly string[], toSeq: number): Promise<Set<string>> {
  const docs = await db
    .collection<{ _id: string }>(collection)
    .find({ _id: { $in: [...ids] }, [WATERMARK]: { $gte: toSeq } }, { projection: { _id: 1 } })
    .toArray();
  return new Set(docs.map((d) => d._id));
}

async function notYetApplied(db: Db, collection: string, list: readonly UpsertOp[], opts: ApplyOptions): Promise<UpsertOp[]> {
  const startedMs = performance.now();
  const done = await appliedIds(
    db,
    collection,
    list.map((o) => o.id),
    opts.toSeq,
  );
  await opts.afterWrite?.(performance.now() - startedMs);
  return list.filter((o) => !done.has(o.id));
}

/** Documents per insert command: the driver splits further by message size. */
const MAX_INSERT_DOCS = 500;

async function insertAll(db: Db, collection: string, ops: readonly UpsertOp[], opts: ApplyOptions, refused: RefusedWrite[]): Promise<void> {
  const storeFields = { [WATERMARK]: opts.toSeq, [OWNER]: opts.group };
  const insert = (list: readonly UpsertOp[]) =>
    db.collection(collection).insertMany(
      list.map((o) => insertedDocument(o, storeFields)),
      { ordered: false },
    );
  for (let i = 0; i < ops.length; i += MAX_INSERT_DOCS) {
    opts.assertOwner?.();
    const startedMs = performance.now();
    await writeSettingAsideRefused(db, collection, ops.slice(i, i + MAX_INSERT_DOCS), opts, insert, refused);
    await opts.afterWrite?.(performance.now() - startedMs);
  }
}

/**
 * Writes one command's ops. When the database refuses one of them for its content, the rest may
 * or may not have been applied (MongoDB goes on past a write error, FerretDB v1 stops), so the
 * ops whose documents do not carry this batch yet are written one by one, and those refused
 * again are set aside in `refused`.
 */
async function writeSettingAsideRefused(
  db: Db,
  collection: string,
  ops: readonly UpsertOp[],
  opts: ApplyOptions,
  write: (ops: readonly UpsertOp[]) => Promise<unknown>,
  refused: RefusedWrite[],
): Promise<void> {
  try {
    await write(ops);
    return;
  } catch (err) {
    // Decision: a content refusal isolates the refused op; anything else fails the batch (retried).
    if (contentRefusal(err) === undefined) throw err;
  }
  const done = await appliedIds(
    db,
    collection,
    ops.map((o) => o.id),
    opts.toSeq,
  );
  for (const op of ops.filter((o) => !done.has(o.id))) {
    opts.assertOwner?.();
    try {
      await write([op]);
    } catch (err) {
      const reason = contentRefusal(err);
      if (reason === undefined) throw err;
      refused.push({ collection, id: op.id, reason, op });
    }
  }
}

function upsertModel(op: UpsertOp, opts: ApplyOptions): AnyBulkWriteOperation<IdDoc> {
  const update: Document = { $set: { ...op.set, [WATERMARK]: opts.toSeq, [OWNER]: opts.group } };
  if (op.inc !== undefined && Object.keys(op.inc).length > 0) update.$inc = op.inc;
  if (op.max !== undefined && Object.keys(op.max).length > 0) update.$max = op.max;
  if (op.min !== undefined && Object.keys(op.min).length > 0) update.$min = op.min;
  if (op.setOnInsert !== undefined && Object.keys(op.setOnInsert).length > 0) update.$setOnInsert = op.setOnInsert;
  if (op.unset !== undefined && op.unset.length > 0) update.$unset = Object.fromEntries(op.unset.map((p) => [p, '']));
  return { updateOne: { filter: { _id: op.id }, update, upsert: true } };
}

async function applyDeletes(db: Db, deletesApp: readonly DeleteAppOp[], deletes: readonly DeleteOp[], opts: ApplyOptions): Promise<number> {
  let n = 0;
  for (const op of deletesApp) {
    opts.assertOwner?.();
    const filter: Document = { [OWNER]: opts.group };
    if (op.scope === 'field') filter.a = op.appId;
    if (op.periods !== undefined) filter.m = { $in: [...op.periods] };
    await db.collection<IdDoc>(opts.collectionName(op.collection)).deleteMany(filter);
    n += 1;
  }
  for (const [collection, ops] of byCollection(deletes)) {
    opts.assertOwner?.();
    await db.collection<{ _id: string }>(opts.collectionName(collection)).deleteMany({ _id: { $in: ops.map((o) => o.id) } });
    n += 1;
  }
  return n;
}

/** Re-keys and deletes by match, after the batch's upserts (so documents the batch itself wrote are covered). */
async function applyMatching(db: Db, ops: readonly MatchingOp[], opts: ApplyOptions): Promise<number> {
  for (const op of ops) {
    opts.assertOwner?.();
    const collection = db.collection<IdDoc>(opts.collectionName(op.collection));
    if (op.set === undefined) await collection.deleteMany({ ...op.match });
    else await collection.updateMany({ ...op.match }, { $set: { ...op.set } });
  }
  return ops.length;
}

/**
 * Upserts per bulkWrite call. FerretDB v1.24 holds one pooled SQLite connection per statement
 * of an update command until the command ends, from a pool of 100: one command of 100
 * statements, or several concurrent commands adding up to 100, wait forever for a connection
 * (seen in a goroutine dump). Small commands keep any realistic number of concurrent writers
 * well below that; on MongoDB this only adds round trips.
 */
export const MAX_BULK_OPS = 16;

/** One collection's upserts: new documents inserted whole (first writes), the rest upserted in small bulkWrites. */
async function applyUpserts(
  db: Db,
  collection: string,
  list: readonly UpsertOp[],
  opts: ApplyOptions,
  refused: RefusedWrite[],
): Promise<{ written: number; inserted: number }> {
  const fresh = opts.freshlyClaimed === true;
  const todo = fresh ? list : await notYetApplied(db, collection, list, opts);
  const tracker = fresh ? opts.firstWrites : undefined;
  const inserts = new Set(tracker === undefined ? [] : todo.filter((o) => tracker.isNew(collection, o.id)));
  await insertAll(db, collection, [...inserts], opts, refused);
  const updates = inserts.size === 0 ? todo : todo.filter((o) => !inserts.has(o));
  const upsert = (ops: readonly UpsertOp[]) =>
    db.collection<IdDoc>(collection).bulkWrite(
      ops.map((o) => upsertModel(o, opts)),
      { ordered: false },
    );
  for (let i = 0; i < updates.length; i += MAX_BULK_OPS) {
    opts.assertOwner?.();
    const startedMs = performance.now();
    await writeSettingAsideRefused(db, collection, updates.slice(i, i + MAX_BULK_OPS), opts, upsert, refused);
    await opts.afterWrite?.(performance.now() - startedMs);
  }
  tracker?.wrote(
    collection,
    todo.map((o) => o.id),
  );
  return { written: todo.length, inserted: inserts.size };
}

/** Applies deletes of whole apps, then single deletes, then upserts, then matching re-keys and deletes, collection by collection in bulkWrites of MAX_BULK_OPS. */
export async function applyOps(db: Db, ops: readonly WriteOp[], opts: ApplyOptions): Promise<ApplyResult> {
  const deletesApp = ops.filter((o): o is DeleteAppOp => o.kind === 'deleteApp');
  const deletes = ops.filter((o): o is DeleteOp => o.kind === 'delete');
  const upserts = ops.filter((o): o is UpsertOp => o.kind === 'upsert');
  const matching = ops.filter((o): o is MatchingOp => o.kind === 'matching');
  try {
    let writeOps = await applyDeletes(db, deletesApp, deletes, opts);
    let skipped = 0;
    let inserted = 0;
    const refused: RefusedWrite[] = [];
    for (const [logical, list] of byCollection(upserts)) {
      const r = await applyUpserts(db, opts.collectionName(logical), list, opts, refused);
      writeOps += r.written;
      skipped += list.length - r.written;
      inserted += r.inserted;
    }
    writeOps += await applyMatching(db, matching, opts);
    return { writeOps, skipped, inserted, refused };
  } catch (err) {
    opts.firstWrites?.forget();
    if (err instanceof TallyError) throw err;
    throw new FlushFailedError(ops[0]?.collection ?? 'batch', { cause: err });
  }
}
