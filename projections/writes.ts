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

export type WriteOp = UpsertOp | DeleteOp | DeleteAppOp;
