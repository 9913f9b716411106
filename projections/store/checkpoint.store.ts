// Checkpoints and the batch journal: the exactly-once scheme (docs/exactly-once.md).
//
// One checkpoint document per consumer group holds the last stream sequence whose effects are
// fully applied, and, while a batch is being applied, `pending` naming the sealed journal of
// that batch. Claiming a batch is a single-document compare-and-set on (seq, pending: null), so
// a stale process can never apply a batch over a newer one. Journal parts hold the batch's
// write operations; they are written before the claim, so recovery re-applies exactly the same
// operations, whatever batch boundaries the stream later delivers.
import { MongoServerError, type Db } from 'mongodb';
import { z } from 'zod';
import { FlushFailedError } from '../errors.ts';
import type { WriteOp } from '../writes.ts';

export const CHECKPOINTS = '_checkpoints';
export const JOURNAL = '_journal';

const pendingSchema = z.object({
  batchId: z.string(),
  fromSeq: z.number(),
  toSeq: z.number(),
  parts: z.number().int().positive(),
  /** Events the batch applies and dead-letters, counted into the checkpoint on completion. */
  events: z.number().int().nonnegative(),
  deadLetters: z.number().int().nonnegative(),
});
const checkpointSchema = z.object({
  _id: z.string(),
  seq: z.number().int().nonnegative(),
  pending: pendingSchema.nullish().transform((v) => v ?? null),
  groups: z.number().int().positive(),
  updatedAtMs: z.number(),
  appliedEvents: z.number().int().nonnegative().default(0),
  deadLetters: z.number().int().nonnegative().default(0),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;
export type PendingBatch = z.infer<typeof pendingSchema>;

type CheckpointDoc = Omit<Checkpoint, '_id'> & { _id: string };
type JournalDoc = { _id: string; batchId: string; checkpoint: string; part: number; ops: string };

async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new FlushFailedError(what, { cause: err });
  }
}

/** Reads (or creates at 0) the checkpoint of one consumer group. */
export async function readCheckpoint(db: Db, id: string, groups: number): Promise<Checkpoint> {
  const col = db.collection<CheckpointDoc>(CHECKPOINTS);
  const create = () =>
    col.updateOne({ _id: id }, { $setOnInsert: { seq: 0, pending: null, groups, updatedAtMs: 0, appliedEvents: 0, deadLetters: 0 } }, { upsert: true });
  return guarded(`checkpoint ${id}`, async () => {
    try {
      await create();
    } catch (err) {
      // FerretDB can report a duplicate key when several groups create the collection at once;
      // the document (or its collection) exists after the race, so one retry settles it.
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      await create();
    }
    return checkpointSchema.parse(await col.findOne({ _id: id }));
  });
}

/** The applied sequence of a consumer group, without creating its document (absent: 0). */
export async function readAppliedSeq(db: Db, id: string): Promise<number> {
  const doc = await guarded(`checkpoint ${id}`, () => db.collection<CheckpointDoc>(CHECKPOINTS).findOne({ _id: id }, { projection: { seq: 1 } }));
  return doc === null ? 0 : z.number().int().nonnegative().parse(doc.seq);
}

export async function listCheckpoints(db: Db, prefix: string): Promise<Checkpoint[]> {
  const docs = await guarded('checkpoint list', () =>
    db
      .collection<CheckpointDoc>(CHECKPOINTS)
      .find({ _id: { $regex: `^${prefix.replace(/[^\w]/g, '\\$&')}` } })
      .toArray(),
  );
  return docs.map((d) => checkpointSchema.parse(d));
}

const MAX_PART_CHARS = 4_000_000;

/** Splits ops into JSON parts of bounded size (documents stay well under 16 MB). */
export function journalParts(ops: readonly WriteOp[]): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const op of ops) {
    const text = JSON.stringify(op);
    if (size + text.length > MAX_PART_CHARS && current.length > 0) {
      parts.push(`[${current.join(',')}]`);
      current = [];
      size = 0;
    }
    current.push(text);
    size += text.length + 1;
  }
  parts.push(`[${current.join(',')}]`);
  return parts;
}

/** Writes the journal parts of a batch (before it is claimed). */
export async function writeJournal(db: Db, checkpointId: string, batchId: string, parts: readonly string[]): Promise<void> {
  const docs: JournalDoc[] = parts.map((ops, part) => ({ _id: `${batchId}:${part}`, batchId, checkpoint: checkpointId, part, ops }));
  await guarded('journal write', () => db.collection<JournalDoc>(JOURNAL).insertMany(docs, { ordered: true }));
}

/** Reads back the ops of a sealed batch, in order. */
export async function readJournal(db: Db, pending: PendingBatch): Promise<WriteOp[]> {
  const docs = await guarded('journal read', () => db.collection<JournalDoc>(JOURNAL).find({ batchId: pending.batchId }).sort({ part: 1 }).toArray());
  if (docs.length !== pending.parts) throw new FlushFailedError(`journal ${pending.batchId} has ${docs.length} of ${pending.parts} parts`);
  return docs.flatMap((d) => z.array(z.custom<WriteOp>((v) => typeof v === 'object' && v !== null && 'kind' in v)).parse(JSON.parse(d.ops)));
}

/** Seals a batch: CAS from (seq, no pending) to pending. False when another process moved on. */
export async function claimBatch(db: Db, id: string, expectedSeq: number, pending: PendingBatch): Promise<boolean> {
  const res = await guarded('batch claim', () =>
    db.collection<CheckpointDoc>(CHECKPOINTS).updateOne({ _id: id, seq: expectedSeq, pending: null }, { $set: { pending, updatedAtMs: Date.now() } }),
  );
  return res.modifiedCount === 1;
}

/** Completes a batch: moves the checkpoint to its last sequence and clears pending. */
export async function completeBatch(db: Db, id: string, pending: PendingBatch): Promise<boolean> {
  const res = await guarded('batch completion', () =>
    db
      .collection<CheckpointDoc>(CHECKPOINTS)
      .updateOne(
        { _id: id, 'pending.batchId': pending.batchId },
        { $set: { seq: pending.toSeq, pending: null, updatedAtMs: Date.now() }, $inc: { appliedEvents: pending.events, deadLetters: pending.deadLetters } },
      ),
  );
  if (res.modifiedCount === 1) await deleteJournal(db, id);
  return res.modifiedCount === 1;
}

/** Moves the checkpoint over a batch that produced no writes (all poison or nothing relevant). */
export async function advanceCheckpoint(
  db: Db,
  id: string,
  expectedSeq: number,
  toSeq: number,
  counts: { events: number; deadLetters: number },
): Promise<boolean> {
  const res = await guarded('checkpoint advance', () =>
    db
      .collection<CheckpointDoc>(CHECKPOINTS)
      .updateOne(
        { _id: id, seq: expectedSeq, pending: null },
        { $set: { seq: toSeq, updatedAtMs: Date.now() }, $inc: { appliedEvents: counts.events, deadLetters: counts.deadLetters } },
      ),
  );
  return res.modifiedCount === 1;
}

/** Removes every journal part of a checkpoint that is not pending (after completion, or losers' parts). */
export async function deleteJournal(db: Db, checkpointId: string, keepBatchId?: string): Promise<void> {
  const filter = keepBatchId === undefined ? { checkpoint: checkpointId } : { checkpoint: checkpointId, batchId: { $ne: keepBatchId } };
  await guarded('journal cleanup', () => db.collection<JournalDoc>(JOURNAL).deleteMany(filter));
}

/** Removes the checkpoints and journal parts whose ids start with `prefix` (a pruned version). */
export async function deleteCheckpoints(db: Db, prefix: string): Promise<number> {
  const filter = { _id: { $regex: `^${prefix.replace(/[^\w]/g, '\\$&')}` } };
  return guarded('checkpoint delete', async () => {
    await db.collection<JournalDoc>(JOURNAL).deleteMany({ checkpoint: { $regex: filter._id.$regex } });
    return (await db.collection<CheckpointDoc>(CHECKPOINTS).deleteMany(filter)).deletedCount;
  });
}

/** Creates a checkpoint at `seq` (a rebuild's starting point); no effect when it exists. */
export async function seedCheckpoint(db: Db, id: string, seq: number, groups: number, counts: { appliedEvents: number; deadLetters: number }): Promise<void> {
  await guarded(`checkpoint ${id}`, () =>
    db
      .collection<CheckpointDoc>(CHECKPOINTS)
      .updateOne({ _id: id }, { $setOnInsert: { seq, pending: null, groups, updatedAtMs: 0, ...counts } }, { upsert: true }),
  );
}
