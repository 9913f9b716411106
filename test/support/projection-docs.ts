// Reads an app's stored projection documents into the shapes of the reference model
// (countly-model.ts): aggregate counters summed over every document of a family and period
// (shards and consumer-group documents alike), `meta_v2` flags, the event registry, app users,
// merge records and metric changes.
import type { Db, Document } from 'mongodb';
import { eventFamily } from './countly-aggregates.ts';
import { sha1Hex } from './countly-calendar.ts';

export interface StoredAggregates {
  readonly counters: Map<string, number>;
  readonly flags: Set<string>;
  /** Event key → segment keys, the union of the registry documents. */
  readonly registry: Map<string, Set<string>>;
}

/** The metric and users collections Tally writes (spec §2.7 table, plus `users`). */
export const COUNTER_COLLECTIONS = ['users', 'carriers', 'devices', 'device_details', 'langs', 'density', 'browser', 'sources', 'cities'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every numeric leaf of `node` as `<prefix>.<path>` → value. */
function leaves(node: unknown, prefix: string, out: [string, number][] = []): [string, number][] {
  if (typeof node === 'number') out.push([prefix, node]);
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) leaves(v, `${prefix}.${k}`, out);
  return out;
}

/** Every `true` leaf of `node`, as for `leaves`. */
function trueLeaves(node: unknown, prefix: string, out: string[] = []): string[] {
  if (node === true) out.push(prefix);
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) trueLeaves(v, `${prefix}.${k}`, out);
  return out;
}

function addDoc(into: StoredAggregates, family: string, doc: Document): void {
  const base = `${family}|${String(doc.m)}`;
  for (const [path, n] of leaves(doc.d, 'd')) into.counters.set(`${base}|${path}`, (into.counters.get(`${base}|${path}`) ?? 0) + n);
  for (const path of trueLeaves(doc.meta_v2, 'meta_v2')) into.flags.add(`${base}|${path}`);
}

/**
 * Users documents keep counts of a shard without a new session yet under `h.<shard>` and mark
 * `vis.<shard>` at its first one (spec §3.8, store then reveal). What a Countly reader would
 * see: each document's `d` plus `h.<shard>` for every shard some document of its period marks
 * visible; a revealed year-level `ds.<r>` also shows `meta_v2.d-ranges.<r>`.
 */
function revealUsers(docs: readonly Document[]): Document[] {
  const visible = new Map<string, Set<string>>();
  for (const doc of docs) {
    const set = visible.get(String(doc.m)) ?? new Set<string>();
    if (isObject(doc.vis)) for (const [shard, on] of Object.entries(doc.vis)) if (on === true) set.add(shard);
    visible.set(String(doc.m), set);
  }
  return docs
    .map((doc) => {
      const extra: Document[] = [];
      for (const [shard, tree] of Object.entries(isObject(doc.h) ? doc.h : {})) {
        if (!visible.get(String(doc.m))?.has(shard)) continue;
        extra.push({ m: doc.m, d: tree });
        const ds = isObject(tree) ? tree.ds : undefined;
        if (String(doc.m).endsWith(':0') && isObject(ds))
          extra.push({ m: doc.m, meta_v2: { 'd-ranges': Object.fromEntries(Object.keys(ds).map((r) => [r, true])) } });
      }
      return [{ m: doc.m, d: doc.d, meta_v2: doc.meta_v2 }, ...extra];
    })
    .flat();
}

/** Aggregates of one app from the `_v<version>` collections; `eventKeys` name the event hashes found. */
export async function readStoredAggregates(db: Db, appId: string, eventKeys: Iterable<string>, version = 1): Promise<StoredAggregates> {
  const into: StoredAggregates = { counters: new Map(), flags: new Set(), registry: new Map() };
  for (const collection of COUNTER_COLLECTIONS) {
    const docs = await db.collection(`${collection}_v${version}`).find({ a: appId }).toArray();
    for (const doc of collection === 'users' ? revealUsers(docs) : docs) addDoc(into, collection, doc);
  }
  const keyOfHash = new Map([...eventKeys].map((k) => [sha1Hex(k + appId), k]));
  for (const doc of await db.collection(`events_data_v${version}`).find({ a: appId }).toArray()) {
    addDoc(into, eventFamily(keyOfHash.get(String(doc.e)) ?? `unknown hash ${String(doc.e)}`, String(doc.s)), doc);
  }
  // One registry document per consumer group: a group may add a segment to a key another group listed.
  const keys = new Map<string, string>();
  const segments = new Map<string, Set<string>>();
  for (const doc of await db.collection(`events_v${version}`).find({ a: appId }).toArray()) {
    for (const [hash, entry] of Object.entries(isObject(doc.list) ? doc.list : {}))
      keys.set(hash, isObject(entry) ? String(entry.key) : `unknown hash ${hash}`);
    for (const [hash, own] of Object.entries(isObject(doc.segments) ? doc.segments : {})) {
      const segs = segments.get(hash) ?? new Set<string>();
      segments.set(hash, segs);
      if (isObject(own)) for (const seg of Object.keys(own)) segs.add(seg);
    }
  }
  for (const [hash, segs] of segments) if (!keys.has(hash)) keys.set(hash, `unlisted hash ${hash} (segments ${[...segs].join(',')})`);
  for (const [hash, key] of keys) into.registry.set(key, segments.get(hash) ?? new Set());
  return into;
}

/** Counters as a plain object (sorted keys), for readable diffs. */
export const asObject = (counters: ReadonlyMap<string, number>): Record<string, number> =>
  Object.fromEntries([...counters].sort(([a], [b]) => (a < b ? -1 : 1)));

/** The registry as sorted lists. */
export const registryObject = (registry: ReadonlyMap<string, ReadonlySet<string>>): Record<string, string[]> =>
  Object.fromEntries([...registry].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort()]));

export interface StoredUsers {
  /** App-user documents by device id. */
  readonly users: Map<string, Document>;
  readonly merges: Document[];
  readonly metricChanges: Document[];
}

export async function readStoredUsers(db: Db, appId: string, version = 1): Promise<StoredUsers> {
  const users = await db.collection(`app_users${appId}_v${version}`).find({}).toArray();
  const merges = await db.collection(`app_user_merges_v${version}`).find({}).toArray();
  return {
    users: new Map(users.map((u) => [String(u.did), u])),
    merges: merges.filter((m) => String(m._id).startsWith(`${appId}_`)),
    metricChanges: await db.collection(`metric_changes${appId}_v${version}`).find({}).toArray(),
  };
}
