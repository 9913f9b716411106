// The read side of §3.8, "store, then reveal": the sessions fold stores a count of a users shard
// that has had no new session yet in the period under `h.<shard>` (same paths as in `d`), and
// marks `vis.<shard>` at the shard's first new session (sessions.fold.ts). Countly's readers
// skip a (period, shard) document until its first new-session write sets `m`, and from then on
// show everything stored in it. So a reader adds `h.<shard>` of every document of a period into
// its `d` once any document of that period (any partition group) has `vis.<shard>`; hidden
// duration buckets of a year document also reveal their `meta_v2.d-ranges` flag. A document
// with no visible shard and nothing revealed is one Countly would not read at all, so it goes.
import { dict } from './dict.ts';

type Doc = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shards flagged `true` in a document's `vis`. */
function visibleShards(doc: Doc): string[] {
  const vis = doc.vis;
  return isRecord(vis) ? Object.keys(vis).filter((shard) => vis[shard] === true) : [];
}

/** A prototype-free deep copy of the numbers and objects of `node`. */
function copyTree(node: unknown, depth = 0): Record<string, unknown> {
  const out = dict<unknown>();
  if (!isRecord(node) || depth > 8) return out;
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === 'number') out[k] = v;
    else if (isRecord(v)) out[k] = copyTree(v, depth + 1);
  }
  return out;
}

/** Adds the numbers of `from` into `into`, leaf by leaf. */
function addTree(into: Record<string, unknown>, from: unknown, depth = 0): void {
  if (!isRecord(from) || depth > 8) return;
  for (const [k, v] of Object.entries(from)) {
    const have = into[k];
    if (typeof v === 'number') into[k] = (typeof have === 'number' ? have : 0) + v;
    else if (isRecord(v)) {
      const child = isRecord(have) ? copyTree(have) : dict<unknown>();
      addTree(child, v, depth + 1);
      into[k] = child;
    }
  }
}

/** `meta_v2` with `d-ranges` flags for the given ranges added. */
function withRanges(meta: unknown, ranges: readonly string[]): Record<string, unknown> {
  const out = dict<unknown>();
  if (isRecord(meta)) Object.assign(out, meta);
  if (ranges.length === 0) return out;
  const known = isRecord(out['d-ranges']) ? out['d-ranges'] : {};
  out['d-ranges'] = Object.assign(dict<unknown>(), known, Object.fromEntries(ranges.map((r) => [r, true])));
  return out;
}

/**
 * The users documents as Countly's readers would see them: hidden counts of shards visible in
 * the period added into `d`, `h` and `vis` removed, documents with nothing visible dropped.
 * Documents are grouped by `m`; pass every group's documents of each period together.
 */
export function revealUsersDocs(docs: readonly Doc[]): Record<string, unknown>[] {
  const visibleIn = new Map<string, Set<string>>();
  for (const doc of docs) {
    const m = String(doc.m);
    const set = visibleIn.get(m) ?? new Set<string>();
    for (const shard of visibleShards(doc)) set.add(shard);
    visibleIn.set(m, set);
  }
  const out: Record<string, unknown>[] = [];
  for (const doc of docs) {
    const m = String(doc.m);
    const visible = visibleIn.get(m) ?? new Set<string>();
    const hidden = isRecord(doc.h) ? doc.h : {};
    const shown = Object.keys(hidden).filter((shard) => visible.has(shard));
    if (visibleShards(doc).length === 0 && shown.length === 0) continue;
    const rest = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'h' && k !== 'vis'));
    const d = copyTree(doc.d);
    const ranges = new Set<string>();
    for (const shard of shown) {
      const tree = hidden[shard];
      addTree(d, tree);
      const ds = isRecord(tree) ? tree.ds : undefined;
      if (m.endsWith(':0') && isRecord(ds)) for (const r of Object.keys(ds)) ranges.add(r);
    }
    out.push({ ...rest, d, ...(rest.meta_v2 !== undefined || ranges.size > 0 ? { meta_v2: withRanges(rest.meta_v2, [...ranges]) } : {}) });
  }
  return out;
}
