// The nested counter objects of time-object responses, and the merges used to build them.

/** A node of a time object: a counter, a meta value list, or a nested object. */
export type TimeNode = number | string[] | TimeTree;
/** A nested object of counters as MongoDB returns `d` and as `/o` returns time objects. */
export interface TimeTree {
  [key: string]: TimeNode;
}

/** Keys that would reach the object prototype when assigned; such data is dropped. */
export const isUnsafeKey = (key: string): boolean => key === '__proto__';

export const isTree = (node: TimeNode | undefined): node is TimeTree => typeof node === 'object' && node !== null && !Array.isArray(node);

/** Stored documents are not checked cell by cell: anything but a number, list or object (null) is skipped. */
const isNode = (value: unknown): boolean => typeof value === 'number' || Array.isArray(value) || (typeof value === 'object' && value !== null);

/** Countly's array union: keys of an object filled from both lists back to front. */
export function unionValues(x: readonly string[], y: readonly string[]): string[] {
  const seen: Record<string, true> = {};
  for (const list of [x, y]) {
    for (let i = list.length - 1; i >= 0; i--) {
      const value = list[i];
      if (value !== undefined && !isUnsafeKey(value)) seen[value] = true;
    }
  }
  return Object.keys(seen);
}

/** A deep copy of a node. */
export function cloneNode(node: TimeNode): TimeNode {
  if (typeof node === 'number') return node;
  if (Array.isArray(node)) return [...node];
  const out: TimeTree = {};
  for (const [key, value] of Object.entries(node)) {
    if (!isUnsafeKey(key) && isNode(value)) out[key] = cloneNode(value);
  }
  return out;
}

/**
 * Adds `source` into `target` in place (target is always a tree this module created): numbers
 * are summed, value lists unioned, objects merged; a node of another kind than the one
 * already there is ignored (corrupt data, never written by ingestion).
 */
export function mergeInto(target: TimeTree, source: TimeTree): void {
  for (const [key, value] of Object.entries(source)) {
    if (isUnsafeKey(key) || !isNode(value)) continue;
    const existing = target[key];
    if (existing === undefined) target[key] = cloneNode(value);
    else if (typeof existing === 'number' && typeof value === 'number') target[key] = existing + value;
    else if (Array.isArray(existing) && Array.isArray(value)) target[key] = unionValues(existing, value);
    else if (isTree(existing) && isTree(value)) mergeInto(existing, value);
  }
}

/** The child tree under `key`, created when missing (a non-tree there is replaced). */
export function childTree(parent: TimeTree, key: string): TimeTree {
  const existing = parent[key];
  if (isTree(existing)) return existing;
  const created: TimeTree = {};
  parent[key] = created;
  return created;
}

/** Adds `amount` to the counter `key` of `tree`. */
export function addCounter(tree: TimeTree, key: string, amount: number): void {
  const existing = tree[key];
  if (existing === undefined) tree[key] = amount;
  else if (typeof existing === 'number') tree[key] = existing + amount;
}

/** The number at `path` inside `tree`, or 0 when the path is missing or not a number. */
export function readCounter(tree: TimeTree, path: readonly string[]): number {
  let node: TimeNode | undefined = tree;
  for (const key of path) {
    if (!isTree(node)) return 0;
    node = node[key];
  }
  return typeof node === 'number' ? node : 0;
}
