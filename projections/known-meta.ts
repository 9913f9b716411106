// Value caps without I/O: the processor loads the values already registered for a
// (app, family, year) and the fold admits new ones against the cap and the document budget.
//
// Document size bound (MongoDB allows 16 MB; we keep every aggregate document under 1 MB).
// Values are spread over VALUE_SHARDS = 32 documents by md5(value). A value of k UTF-8 bytes
// costs, in BSON (element = 1 type byte + name + NUL; sub-document = 4 length + 1 terminator;
// a counter = 1 + 2..4 name + 8 bytes as a double):
// - metric month doc `d.<D>.<v>.{t,n,u}`: 31 days × ((k + 2) + 5 + 3 × 11) = 31k + 1240;
// - metric year doc `d.<v>.u`, `d.<M>.<v>.u` (12), `d.w<W>.<v>.u` (53): 66 × (k + 18),
//   plus `meta_v2.<set>.<v>` (k + 3): 67k + 1191 — the larger of the two, so it is the cost;
// - segment month doc `d.<D>.<v>.{c,s,dur}`: 31 × ((k + 2) + 5 + 11 + 11 + 13) = 31k + 1302;
//   its year doc only holds `meta_v2.<seg>.<v>` (k + 3).
// A value is admitted only while its shard's running total stays under DOC_BUDGET_BYTES
// (900 KB), leaving ≥ 100 KB for fixed overhead (31 day wrappers, `_id`, `a`, `m`, ...). So no
// document can pass 1 MB whatever the values, even if an attacker picks values that all hash
// to one shard. Typical numbers: 1000 segment values of 20 bytes, ~31 per shard × 1922 B
// ≈ 60 KB; a 256-byte value costs 9.3 KB, so even 97 of them fit one shard. The cost model is
// conservative (doubles, every counter present on every day).
import { dict, dictFrom, own } from './dict.ts';
import { valueShard } from './hash.ts';

/** Budget per aggregate document, bytes (see the arithmetic above). */
export const DOC_BUDGET_BYTES = 900_000;

const encoder = new TextEncoder();
const utf8Bytes = (v: string): number => encoder.encode(v).length;

/** Worst-case bytes a metric value adds to one (month or year) document. */
export const metricValueCostBytes = (v: string): number => {
  const k = utf8Bytes(v);
  return Math.max(31 * k + 1240, 67 * k + 1191);
};

/** Worst-case bytes a segment value adds to its segment month document. */
export const segmentValueCostBytes = (v: string): number => 31 * utf8Bytes(v) + 1302;

/** Values known for one (app, family, year): per meta set, plus bytes used per shard. */
export interface KnownMeta {
  readonly sets: Readonly<Record<string, Readonly<Record<string, true>>>>;
  readonly counts: Readonly<Record<string, number>>;
  readonly shardBytes: Readonly<Record<string, number>>;
}

export const EMPTY_META: KnownMeta = { sets: {}, counts: {}, shardBytes: {} };

/** Builds a KnownMeta from stored meta: set name → values (as read from `meta_v2`). */
export function knownMetaOf(stored: Readonly<Record<string, readonly string[]>>, costOf: (v: string) => number): KnownMeta {
  const sets = dict<Record<string, true>>();
  const counts = dict<number>();
  const shardBytes = dict<number>();
  for (const [set, values] of Object.entries(stored)) {
    const known: Record<string, true> = (sets[set] ??= dict());
    for (const value of values) {
      if (known[value]) continue;
      known[value] = true;
      counts[set] = (counts[set] ?? 0) + 1;
      const shard = String(valueShard(value));
      shardBytes[shard] = (shardBytes[shard] ?? 0) + costOf(value);
    }
  }
  return { sets, counts, shardBytes };
}

function addValue(meta: KnownMeta, set: string, value: string, cost: number): KnownMeta {
  if (own(own(meta.sets, set), value)) return meta;
  const shard = String(valueShard(value));
  const sets = dictFrom(meta.sets);
  sets[set] = Object.assign(dictFrom(own(meta.sets, set)), { [value]: true as const });
  const counts = dictFrom(meta.counts);
  counts[set] = (own(meta.counts, set) ?? 0) + 1;
  const shardBytes = dictFrom(meta.shardBytes);
  shardBytes[shard] = (own(meta.shardBytes, shard) ?? 0) + cost;
  return { sets, counts, shardBytes };
}

/**
 * Admits `value` into `set`: a known value always passes; a new one needs fewer than `limit`
 * values in the set and room in its shard's document budget. Returns the updated meta, or
 * null when the value must not be aggregated.
 */
export function admitValue(meta: KnownMeta, set: string, value: string, limit: number, cost: number): KnownMeta | null {
  if (own(own(meta.sets, set), value)) return meta;
  if ((own(meta.counts, set) ?? 0) >= limit) return null;
  const shard = String(valueShard(value));
  if ((meta.shardBytes[shard] ?? 0) + cost > DOC_BUDGET_BYTES) return null;
  return addValue(meta, set, value, cost);
}
