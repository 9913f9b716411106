// One pointer document per projection names the version readers use (`_projections`).
// A rebuild writes a new version and then moves the pointer in one single-document
// compare-and-set, so every reader sees either the old version or the new one, never a mix.
import type { Collection, Db, Document } from 'mongodb';
import { z } from 'zod';
import { FlushFailedError, StoreUnavailableError } from '../errors.ts';

export const POINTERS = '_projections';

const pointerSchema = z.object({
  _id: z.string(),
  active: z.number().int().positive(),
  previous: z.number().int().positive().nullable().default(null),
  switchedAtMs: z.number().default(0),
  /**
   * A version whose live processing is paused for a switch: processors stop applying it, so a
   * rebuild can catch up with it exactly before readers move over (reads never go backwards).
   */
  freeze: z.number().int().positive().nullable().default(null),
});
export type ProjectionPointer = z.infer<typeof pointerSchema>;
type PointerDoc = ProjectionPointer;

/** What a projection's pointer says before anything was stored: version 1, never switched. */
const NEVER_SWITCHED = { active: 1, previous: null, switchedAtMs: 0, freeze: null } as const;

/** Stores the never-switched pointer unless one exists, so a compare-and-set has a document to match. */
async function ensurePointer(col: Collection<PointerDoc>, projection: string): Promise<void> {
  await col.updateOne({ _id: projection }, { $setOnInsert: { ...NEVER_SWITCHED } }, { upsert: true });
}

/** The pointer of a projection; version 1, never switched, when none is stored. */
export async function readPointer(db: Db, projection: string): Promise<ProjectionPointer> {
  try {
    const doc = await db.collection<PointerDoc>(POINTERS).findOne({ _id: projection });
    return doc === null ? { _id: projection, ...NEVER_SWITCHED } : pointerSchema.parse(doc);
  } catch (err) {
    throw new StoreUnavailableError(`pointer of ${projection} unreadable`, { cause: err });
  }
}

/** The active version of a projection; 1 when never switched. */
export async function readActiveVersion(db: Db, projection: string): Promise<number> {
  return (await readPointer(db, projection)).active;
}

/**
 * Moves the pointer from `expected` to `to` atomically (compare-and-set on `active`). False when
 * the active version was not `expected` (another switch won).
 */
export async function switchPointer(db: Db, projection: string, expected: number, to: number, nowMs: number): Promise<boolean> {
  const col = db.collection<PointerDoc>(POINTERS);
  try {
    await ensurePointer(col, projection);
    const res = await col.updateOne({ _id: projection, active: expected }, { $set: { active: to, previous: expected, switchedAtMs: nowMs, freeze: null } });
    return res.modifiedCount === 1;
  } catch (err) {
    throw new FlushFailedError(`pointer switch of ${projection}`, { cause: err });
  }
}

/** Marks the active version `version` frozen (or clears the mark with null); false when it is no longer active. */
export async function setFreeze(db: Db, projection: string, version: number, freeze: boolean): Promise<boolean> {
  const col = db.collection<PointerDoc>(POINTERS);
  try {
    await ensurePointer(col, projection);
    const res = await col.updateOne({ _id: projection, active: version }, { $set: { freeze: freeze ? version : null } });
    return res.matchedCount === 1;
  } catch (err) {
    throw new FlushFailedError(`pointer freeze of ${projection}`, { cause: err });
  }
}

/** Physical name of a logical collection in a version (`users` → `users_v2`). */
export const versionedCollection = (logical: string, version: number): string => `${logical}_v${version}`;

const VERSIONED = /^(.+)_v(\d+)$/;

/** Splits a physical name into logical name and version; undefined for unversioned collections. */
export function parseVersionedCollection(name: string): { logical: string; version: number } | undefined {
  const m = VERSIONED.exec(name);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { logical: m[1], version: Number(m[2]) };
}

/** Physical collections of a projection, by version (`owns` says which logical names are its). */
export async function listVersionCollections(db: Db, owns: (logical: string) => boolean): Promise<Map<number, string[]>> {
  try {
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    const byVersion = new Map<number, string[]>();
    for (const name of names) {
      const parsed = parseVersionedCollection(name);
      if (parsed === undefined || !owns(parsed.logical)) continue;
      byVersion.set(parsed.version, [...(byVersion.get(parsed.version) ?? []), name].sort());
    }
    return byVersion;
  } catch (err) {
    throw new StoreUnavailableError('collection list failed', { cause: err });
  }
}

/** Drops the given collections (a pruned version). */
export async function dropCollections(db: Db, names: readonly string[]): Promise<void> {
  try {
    for (const name of names) await db.collection(name).drop();
  } catch (err) {
    throw new FlushFailedError('collection drop', { cause: err });
  }
}

/** Copies every document of `from` into `to` (a rebuild onto a base version), in batches of `batch`. */
export async function copyCollection(db: Db, from: string, to: string, batch = 1_000): Promise<number> {
  try {
    let copied = 0;
    let docs: Document[] = [];
    for await (const doc of db.collection(from).find({})) {
      docs.push(doc);
      if (docs.length >= batch) {
        await db.collection(to).insertMany(docs, { ordered: true });
        copied += docs.length;
        docs = [];
      }
    }
    if (docs.length > 0) await db.collection(to).insertMany(docs, { ordered: true });
    return copied + docs.length;
  } catch (err) {
    throw new FlushFailedError(`copy of ${from}`, { cause: err });
  }
}
