// One pointer document per projection names the version readers use (`_projections`).
// A rebuild writes a new version and then moves the pointer in one single-document update.
import type { Db } from 'mongodb';
import { z } from 'zod';
import { StoreUnavailableError } from '../errors.ts';

export const POINTERS = '_projections';

const pointerSchema = z.object({ _id: z.string(), active: z.number().int().positive(), previous: z.number().int().positive().nullable().default(null), switchedAtMs: z.number().default(0) });
export type ProjectionPointer = z.infer<typeof pointerSchema>;

/** The active version of a projection; 1 when never switched. */
export async function readActiveVersion(db: Db, projection: string): Promise<number> {
  try {
    const doc = await db.collection<{ _id: string }>(POINTERS).findOne({ _id: projection });
    return doc === null ? 1 : pointerSchema.parse(doc).active;
  } catch (err) {
    throw new StoreUnavailableError(`pointer of ${projection} unreadable`, { cause: err });
  }
}

/** Physical name of a logical collection in a version (`users` → `users_v2`). */
export const versionedCollection = (logical: string, version: number): string => `${logical}_v${version}`;
