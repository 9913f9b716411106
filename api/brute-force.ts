// Brute-force protection (spec §9.1), state in MongoDB so it holds across processes and restarts.
import type { Db } from 'mongodb';
import { clearFailedLogins, reserveLoginAttempt } from '../projections/index.ts';

export interface BruteForcePolicy {
  /** Failures that start a block (`api.loginTries`). */
  readonly loginTries: number;
  /** Block length per completed round of failures, s (`api.loginWaitS`). */
  readonly loginWaitS: number;
}

/** Path ids whose counters `/o/users/all` reports and `/o/users/reset_timeban` clears (`login` is the dashboard's). */
export const BRUTE_FORCE_PATHS: readonly string[] = ['api-key', 'login', 'mobile-login'];

/** Blocked when fails is a positive multiple of loginTries and the growing wait has not passed. */
export function isBlocked(state: { fails: number; lastFailS: number } | undefined, nowS: number, policy: BruteForcePolicy): boolean {
  if (state === undefined || state.fails <= 0 || state.fails % policy.loginTries !== 0) return false;
  return nowS < state.lastFailS + (state.fails / policy.loginTries) * policy.loginWaitS;
}

export interface BruteForceGuard {
  /**
   * Reserves an attempt before the password is checked (it counts as a failure until
   * `succeeded`); false while blocked, and then the password must not be checked.
   */
  reserve(user: string): Promise<boolean>;
  /** As `reserve`, saying `last` when this attempt spends the round (its failure starts a block). */
  attempt(user: string): Promise<'reserved' | 'last' | 'blocked'>;
  succeeded(user: string): Promise<void>;
}

/**
 * Reservations of one counter, one at a time within this process. The store's reservation is a
 * filtered findOneAndUpdate: atomic on MongoDB, but FerretDB runs it as a read then a write, so
 * parallel guesses could all pass (measured: 9 parallel reservations of 3 slots all succeeded in
 * 18 of 20 trials). Queued here, a flood of parallel guesses at one process cannot get more than
 * the round allows on either server. Several processes on FerretDB remain racy (docs/ferretdb.md).
 * Keyed by database, path and user; an entry lives only while reservations are queued.
 */
const queues = new Map<string, Promise<unknown>>();

function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const next = (queues.get(key) ?? Promise.resolve()).then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

/** A guard for one path id (`api-key`, `login`, ...); the policy is `config.api`. `now` is injectable for tests. */
export function bruteForceGuard(db: Db, pathId: string, policy: BruteForcePolicy, nowS = () => Math.floor(Date.now() / 1000)): BruteForceGuard {
  const attempts = { tries: policy.loginTries, waitS: policy.loginWaitS };
  const reserve = (user: string) => oneAtATime(`${db.databaseName}|${pathId}|${user}`, () => reserveLoginAttempt(db, pathId, user, nowS(), attempts));
  return {
    reserve: async (user) => (await reserve(user)) !== 'blocked',
    attempt: reserve,
    succeeded: (user) => clearFailedLogins(db, pathId, user),
  };
}
