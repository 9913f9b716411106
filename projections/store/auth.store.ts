import type { Db } from 'mongodb';
import { StoreUnavailableError } from '../errors.ts';
import { FAILED_LOGINS } from './collections.ts';

/** Brute-force counter of one `[path, user]` key (spec §9.1). `lastFailS` is unix seconds. */
export interface FailedLogins {
  readonly fails: number;
  readonly lastFailS: number;
}

async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new StoreUnavailableError(`${what} failed`, { cause: err });
  }
}

const keyOf = (path: string, user: string): string => JSON.stringify([path, user]);

export async function readFailedLogins(db: Db, path: string, user: string): Promise<FailedLogins | undefined> {
  const doc = await guarded('failed-login read', () => db.collection<{ _id: string; fails: number; lastFail: number }>(FAILED_LOGINS).findOne({ _id: keyOf(path, user) }));
  return doc === null ? undefined : { fails: doc.fails, lastFailS: doc.lastFail };
}

export async function recordFailedLogin(db: Db, path: string, user: string, nowS: number): Promise<void> {
  await guarded('failed-login write', () =>
    db.collection<{ _id: string }>(FAILED_LOGINS).updateOne({ _id: keyOf(path, user) }, { $inc: { fails: 1 }, $set: { lastFail: nowS } }, { upsert: true }),
  );
}

export async function clearFailedLogins(db: Db, path: string, user: string): Promise<void> {
  await guarded('failed-login clear', () => db.collection<{ _id: string }>(FAILED_LOGINS).deleteOne({ _id: keyOf(path, user) }));
}

/** Brute-force counters of one user on several paths, keyed by path (missing paths have none). */
export async function readFailedLoginsOfUser(db: Db, paths: readonly string[], user: string): Promise<Record<string, FailedLogins>> {
  const ids = paths.map((p) => keyOf(p, user));
  const docs = await guarded('failed-login read', () => db.collection<{ _id: string; fails: number; lastFail: number }>(FAILED_LOGINS).find({ _id: { $in: ids } }).toArray());
  const out: Record<string, FailedLogins> = {};
  for (const doc of docs) {
    const path = paths.find((p) => keyOf(p, user) === doc._id);
    if (path !== undefined) out[path] = { fails: doc.fails, lastFailS: doc.lastFail };
  }
  return out;
}

/** Clears a user's counters on every given path (`/o/users/reset_timeban`). */
export async function clearFailedLoginsOfUser(db: Db, paths: readonly string[], user: string): Promise<void> {
  await guarded('failed-login clear', () => db.collection<{ _id: string }>(FAILED_LOGINS).deleteMany({ _id: { $in: paths.map((p) => keyOf(p, user)) } }));
}
