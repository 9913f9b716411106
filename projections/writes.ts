// Plain-data write operations a pipeline emits for one batch. The store applies them; they are
// also what the batch journal records, so they must stay JSON (no Dates, no ObjectIds).

/** An upsert of one document. Every path is dotted and already cleaned. */
export interface UpsertOp {
  readonly kind: 'upsert';
  readonly collection: string;
  readonly id: string;
  readonly set?: Readonly<Record<string, unknown>>;
  readonly inc?: Readonly<Record<string, number>>;
  readonly max?: Readonly<Record<string, number>>;
  readonly min?: Readonly<Record<string, number>>;
  readonly setOnInsert?: Readonly<Record<string, unknown>>;
  readonly unset?: readonly string[];
}

/** Deletes one document. */
export interface DeleteOp {
  readonly kind: 'delete';
  readonly collection: string;
  readonly id: string;
}

/**
 * Deletes documents of an app that this consumer group owns (app reset/delete): in a shared
 * collection (`scope: 'field'`) those with `a` = appId, in a per-app collection
 * (`scope: 'collection'`) all of them; `periods` limits it to those `m` values (partial clear).
 */
export interface DeleteAppOp {
  readonly kind: 'deleteApp';
  readonly collection: string;
  readonly appId: string;
  readonly scope: 'field' | 'collection';
  readonly periods?: readonly string[];
}

/**
 * Per-user follow-up over the documents of a collection that match `match` (equality on plain
 * fields, built by the folds, never by a client): `set` re-keys them (a merge moves `uid` to the
 * survivor, §6.4 step 4), no `set` deletes them (an erasure, §6.3). Idempotent, so re-applying
 * a recovered batch changes nothing; rare (merges, erasures), and a scan on FerretDB.
 */
export interface MatchingOp {
  readonly kind: 'matching';
  readonly collection: string;
  readonly match: Readonly<Record<string, string | number>>;
  readonly set?: Readonly<Record<string, string | number>>;
}

export type WriteOp = UpsertOp | DeleteOp | DeleteAppOp | MatchingOp;
