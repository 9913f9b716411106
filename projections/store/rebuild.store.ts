// The record of a projection's rebuild (`_rebuilds`, one document per projection): which version
// it builds, its progress, and a cancel flag any process can set. The rebuilding process owns
// the record while it holds the rebuild lease; `GET /o/system/rebuilds` reads it.
import type { Db } from 'mongodb';
import { z } from 'zod';
import { FlushFailedError, StoreUnavailableError } from '../errors.ts';

export const REBUILDS = '_rebuilds';

export const REBUILD_STATES = ['running', 'switched', 'cancelled', 'failed'] as const;

const rebuildSchema = z.object({
  _id: z.string(),
  projection: z.string(),
  version: z.number().int().positive(),
  /** Version whose documents and checkpoints the rebuild started from; null = from the stream start. */
  base: z.number().int().positive().nullable(),
  state: z.enum(REBUILD_STATES),
  /** True once the base is copied and every group's starting checkpoint is written. */
  seeded: z.boolean(),
  /** First stream sequence the version folds (1 = the whole stream). */
  fromSeq: z.number().int().positive(),
  owner: z.string(),
  startedAtMs: z.number(),
  updatedAtMs: z.number(),
  finishedAtMs: z.number().nullable(),
  /** Events applied (and dead-lettered) by the new version so far. */
  done: z.number().int().nonnegative(),
  /** done + events still to apply up to the current stream head. */
  total: z.number().int().nonnegative(),
  ratePerS: z.number().nonnegative(),
  /** Seconds to the head at the current rate; null while unknown. */
  etaS: z.number().nonnegative().nullable(),
  cancelRequested: z.boolean(),
  error: z.string().nullable(),
  /** Version that was active when the pointer switched to this one. */
  switchedFrom: z.number().int().positive().nullable(),
});
export type RebuildRecord = z.infer<typeof rebuildSchema>;
export type RebuildProgress = Pick<RebuildRecord, 'done' | 'total' | 'ratePerS' | 'etaS'>;

async function guardedWrite<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new FlushFailedError(what, { cause: err });
  }
}

export async function readRebuild(db: Db, projection: string): Promise<RebuildRecord | null> {
  try {
    const doc = await db.collection<RebuildRecord>(REBUILDS).findOne({ _id: projection });
    return doc === null ? null : rebuildSchema.parse(doc);
  } catch (err) {
    throw new StoreUnavailableError(`rebuild record of ${projection} unreadable`, { cause: err });
  }
}

export async function listRebuilds(db: Db): Promise<RebuildRecord[]> {
  try {
    const docs = await db.collection<RebuildRecord>(REBUILDS).find({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => rebuildSchema.parse(d));
  } catch (err) {
    throw new StoreUnavailableError('rebuild records unreadable', { cause: err });
  }
}

/** Writes the record of a rebuild that starts or resumes (the caller holds the rebuild lease). */
export async function saveRebuild(db: Db, record: RebuildRecord): Promise<void> {
  const { _id, ...fields } = rebuildSchema.parse(record);
  await guardedWrite('rebuild record', () => db.collection<RebuildRecord>(REBUILDS).updateOne({ _id }, { $set: fields }, { upsert: true }));
}

/** Updates the running rebuild of `version`; returns the record after the update (null if it is not that rebuild). */
export async function updateRebuild(
  db: Db,
  projection: string,
  version: number,
  patch: Partial<Omit<RebuildRecord, '_id' | 'projection' | 'version'>>,
): Promise<RebuildRecord | null> {
  const doc = await guardedWrite('rebuild progress', () =>
    db.collection<RebuildRecord>(REBUILDS).findOneAndUpdate({ _id: projection, version }, { $set: patch }, { returnDocument: 'after' }),
  );
  return doc === null ? null : rebuildSchema.parse(doc);
}

/** Asks the running rebuild of a projection to stop; false when none is running. */
export async function requestRebuildCancel(db: Db, projection: string, nowMs: number): Promise<boolean> {
  const res = await guardedWrite('rebuild cancel', () =>
    db.collection<RebuildRecord>(REBUILDS).updateOne({ _id: projection, state: 'running' }, { $set: { cancelRequested: true, updatedAtMs: nowMs } }),
  );
  return res.matchedCount === 1;
}
