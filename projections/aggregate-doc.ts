// Pending aggregate writes: one entry per target document, holding counters to add and flags to
// set. The store turns each entry into one upsert (see `AggregateDoc`). `DocsDraft` is the
// folds' private copy-on-write builder: it copies the input map once per fold call and clones a
// document only when first touched, so a batch folds in linear time without mutating its input.
import type { MetricCollection } from './metric-families.ts';
import type { TimeObject } from './time.ts';
import type { UpsertOp } from './writes.ts';

/** Collection of the aggregate documents; event data of every event key shares `events_data`. */
export type AggregateCollection = 'users' | MetricCollection | 'events_data';

/**
 * One pending upsert, applied as `{ $set: { ...fields, ...set }, $inc: inc }` with upsert
 * (see aggregateWriteOps). All paths are dotted and already escaped.
 */
export interface AggregateDoc {
  readonly collection: AggregateCollection;
  readonly id: string;
  readonly appId: string;
  /** `YYYY:M` (month document) or `YYYY:0` (year document). */
  readonly period: string;
  /** Plain fields set on every write: `a` (app id), `m` (period), and for events `e`, `s`, `shard`. */
  readonly fields: Readonly<Record<string, string | number>>;
  /** Counters: `d.15.8.t` → 1. */
  readonly inc: Readonly<Record<string, number>>;
  /** Flags set to true: `meta_v2.countries.Unknown`, `vis.A`. */
  readonly set: Readonly<Record<string, true>>;
}

/** Pending documents keyed by `docKey(collection, id)`. */
export type PendingDocs = Readonly<Record<string, AggregateDoc>>;

/** Where a write goes: everything of an AggregateDoc but the deltas. */
export type DocRef = Omit<AggregateDoc, 'inc' | 'set'>;

export const docKey = (collection: AggregateCollection, id: string): string => `${collection}/${id}`;

/** `YYYY:M` of a time object. */
export const monthPeriod = (t: TimeObject): string => `${t.year}:${t.month}`;
/** `YYYY:0` of a time object. */
export const yearPeriod = (t: TimeObject): string => `${t.year}:0`;

interface MutableDoc extends DocRef {
  fields: Record<string, string | number>;
  inc: Record<string, number>;
  set: Record<string, true>;
}

/** Writes into one pending document; get it once per group of writes from `DocsDraft.open`. */
export class DocHandle {
  constructor(private readonly doc: MutableDoc) {}

  inc(path: string, n = 1): void {
    this.doc.inc[path] = (this.doc.inc[path] ?? 0) + n;
  }

  flag(path: string): void {
    this.doc.set[path] = true;
  }
}

export class DocsDraft {
  private readonly docs: Record<string, AggregateDoc>;
  private readonly owned = new Map<string, DocHandle>();

  constructor(base: PendingDocs) {
    this.docs = { ...base };
  }

  /** The pending document of `ref`, created or cloned on first use in this draft. */
  open(ref: DocRef): DocHandle {
    const key = docKey(ref.collection, ref.id);
    const mine = this.owned.get(key);
    if (mine) return mine;
    const prev = this.docs[key];
    const doc: MutableDoc = prev
      ? { ...prev, fields: { ...prev.fields }, inc: { ...prev.inc }, set: { ...prev.set } }
      : { ...ref, fields: { ...ref.fields }, inc: {}, set: {} };
    const handle = new DocHandle(doc);
    this.owned.set(key, handle);
    this.docs[key] = doc;
    return handle;
  }

  /** Drops every pending document of the app matching `drop` (all when omitted). */
  dropApp(appId: string, drop: (doc: AggregateDoc) => boolean = () => true): void {
    for (const [key, doc] of Object.entries(this.docs)) {
      if (doc.appId !== appId || !drop(doc)) continue;
      delete this.docs[key];
      this.owned.delete(key);
    }
  }

  result(): PendingDocs {
    return this.docs;
  }
}

/**
 * Countly's `fillTimeObjectMonth` (§3.2): `d.<D>.<prop>`, plus `d.<D>.<H>.<prop>` unless the
 * property contains a dot (countries, metric values, `f.0` have no hour level). `root` is the
 * tree written: `d`, or a hidden users shard `h.<shard>` (sessions.fold.ts).
 */
export function incMonth(doc: DocHandle, t: TimeObject, prop: string, n = 1, root = 'd'): void {
  doc.inc(`${root}.${t.day}.${prop}`, n);
  if (!prop.includes('.')) doc.inc(`${root}.${t.day}.${t.hour}.${prop}`, n);
}

const uniqueLike = (prop: string): boolean => prop === 'u' || prop.endsWith('.u') || prop.startsWith('f.') || prop.startsWith('l.') || prop.startsWith('ds.');

/** Countly's `fillTimeObjectZero` (§3.2): year, month, and week for unique-like properties; `root` as for incMonth. */
export function incZero(doc: DocHandle, t: TimeObject, prop: string, n = 1, root = 'd'): void {
  doc.inc(`${root}.${prop}`, n);
  doc.inc(`${root}.${t.month}.${prop}`, n);
  if (uniqueLike(prop)) doc.inc(`${root}.w${t.weekly}.${prop}`, n);
}

export interface WriteOpsOptions {
  /**
   * Appended to every aggregate document id, e.g. `_g2` so each consumer group owns its
   * documents (readers then sum all documents of a period). Default: none.
   */
  readonly idSuffix?: string;
}

/** The store's upserts for pending aggregate documents: `$set` fields and flags, `$inc` counters. */
export function aggregateWriteOps(docs: PendingDocs, options: WriteOpsOptions = {}): UpsertOp[] {
  return Object.values(docs).map((doc) => ({
    kind: 'upsert',
    collection: doc.collection,
    id: doc.id + (options.idSuffix ?? ''),
    set: { ...doc.fields, ...doc.set },
    inc: doc.inc,
  }));
}
