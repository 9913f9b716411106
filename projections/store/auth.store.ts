import { MongoServerError, type Db } from 'mongodb';
import { StoreUnavailableError } from '../errors.ts';
import { FAILED_LOGINS } from './collections.ts';
import { guarded } from './guarded.ts';

/** Brute-force counter of one `[path, user]` key (spec §9.1). `lastFailS` is unix seconds. */
export interface FailedLogins {
  readonly fails: number;
  readonly lastFailS: number;
}

const keyOf = (path: string, user: string): string => JSON.stringify([path, user]);

export async function readFailedLogins(db: Db, path: string, user: string): Promise<FailedLogins | undefined> {
  const doc = await guarded('failed-login read', () =>
    db.collection<{ _id: string; fails: number; lastFail: number }>(FAILED_LOGINS).findOne({ _id: keyOf(path, user) }),
  );
  return doc === null ? undefined : { fails: doc.fails, lastFailS: doc.lastFail };
}

/** Failures per round and the block each completed round adds (spec §9.1). */
export interface LoginAttemptPolicy {
  readonly tries: number;
  readonly waitS: number;
}

/** A counter document. `left` is how many attempts the current round still allows. */
interface Counter {
  _id: string;
  fails: number;
  lastFail: number;
  left?: number;
}

/** Attempts a counter written before `left` existed still allows in its round. */
const legacyLeft = (fails: number, tries: number): number => (fails > 0 && fails % tries === 0 ? 0 : tries - (fails % tries));

async function createCounter(db: Db, id: string, nowS: number, tries: number): Promise<void> {
  try {
    await db.collection<Counter>(FAILED_LOGINS).updateOne({ _id: id }, { $setOnInsert: { fails: 0, lastFail: nowS, left: tries } }, { upsert: true });
  } catch (err) {
    // Decision: a parallel attempt created the counter first (upsert race); the caller retries on it.
    if (err instanceof MongoServerError && err.code === 11000) return;
    throw new StoreUnavailableError('failed-login create failed', { cause: err });
  }
}

/**
 * Reserves one login attempt on `[path, user]` BEFORE the password is checked; a reserved
 * attempt counts as a failure until a success clears the counter. One atomic update takes a
 * slot of the current round (`left > 0`), so parallel attempts can never overrun a round. With
 * the round spent, attempts are refused until `lastFail + fails / tries × waitS`; then one
 * conditional update (on `fails`, so only one caller wins) opens the next round. Single-document
 * updates only: no transactions (FerretDB). `last` is a reservation that spent the round.
 */
export async function reserveLoginAttempt(
  db: Db,
  path: string,
  user: string,
  nowS: number,
  policy: LoginAttemptPolicy,
): Promise<'reserved' | 'last' | 'blocked'> {
  const col = db.collection<Counter>(FAILED_LOGINS);
  const id = keyOf(path, user);
  // Each pass either reserves or moves the counter to a state the next pass can reserve from.
  for (let pass = 0; pass < 4; pass++) {
    const taken = await guarded('failed-login reserve', () =>
      col.findOneAndUpdate({ _id: id, left: { $gt: 0 } }, { $inc: { fails: 1, left: -1 }, $set: { lastFail: nowS } }),
    );
    // `last`: this attempt took the round's final slot, so if it fails a block begins.
    if (taken !== null) return taken.left === 1 ? 'last' : 'reserved';
    const doc = await guarded('failed-login read', () => col.findOne({ _id: id }));
    if (doc === null) await createCounter(db, id, nowS, policy.tries);
    else if (doc.left === undefined)
      await guarded('failed-login upgrade', () =>
        col.updateOne({ _id: id, left: { $exists: false } }, { $set: { left: legacyLeft(doc.fails, policy.tries) } }),
      );
    else if (nowS < doc.lastFail + Math.ceil(doc.fails / policy.tries) * policy.waitS) return 'blocked';
    else await guarded('failed-login round', () => col.updateOne({ _id: id, left: 0, fails: doc.fails }, { $set: { left: policy.tries } }));
  }
  // Decision: a counter that keeps changing under this attempt (a flood of parallel attempts) refuses it.
  return 'blocked';
}

export async function clearFailedLogins(db: Db, path: string, user: string): Promise<void> {
  await guarded('failed-login clear', () => db.collection<{ _id: string }>(FAILED_LOGINS).deleteOne({ _id: keyOf(path, user) }));
}

/** Brute-force counters of one user on several paths, keyed by path (missing paths have none). */
export async function readFailedLoginsOfUser(db: Db, paths: readonly string[], user: string): Promise<Record<string, FailedLogins>> {
  const ids = paths.map((p) => keyOf(p, user));
  const docs = await guarded('failed-login read', () =>
    db
      .collection<{ _id: string; fails: number; lastFail: number }>(FAILED_LOGINS)
      .find({ _id: { $in: ids } })
      .toArray(),
  );
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
