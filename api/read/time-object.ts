// Time-object responses (§4.5, §4.6): merge year ("zero") and month documents of one family.
//
// Choices where the spec leaves room:
// - Documents are routed by their own `m` (`YYYY:0` year, `YYYY:M` month), whichever list they
//   came in; documents without a well-formed `m` are ignored (§3.8).
// - `meta` is present as soon as one year document was read (Countly returns `"meta":{}` then),
//   absent otherwise. Its lists keep Countly's union order (integer-like values first); values
//   are not HTML-escaped here, the output writer does that (§1.3).
// - Hour keys (0–23) are skipped in roll-ups only where hours exist: users and unsegmented
//   event documents. Metric values and segment values that look like hours ("5") roll up.
// - Counters of a kind conflicting with what is already merged (number vs object) are ignored;
//   `__proto__` keys are dropped.
import type { TimeNode, TimeTree } from './time-tree.ts';
import { addCounter, childTree, cloneNode, isTree, isUnsafeKey, mergeInto, unionValues } from './time-tree.ts';

export type { TimeNode, TimeTree } from './time-tree.ts';
/** A time object as `/o` returns it: `{"<YYYY>": {...}, "meta": {"<set>": [values]}}`. */
export type TimeObject = TimeTree;

/** An aggregate document as MongoDB returns it (§3.1). */
export interface TimeDoc {
  readonly _id?: unknown;
  /** `YYYY:0` for year documents, `YYYY:M` for month documents. */
  readonly m?: string;
  readonly a?: string;
  readonly d?: TimeTree;
  /** Legacy meta: set → list of values. */
  readonly meta?: Readonly<Record<string, readonly string[]>>;
  /** Meta as hash tables: set → value → true. */
  readonly meta_v2?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export type Family = 'users' | 'metric' | 'event';

export interface TimeObjectOptions {
  /** Event documents keyed by segment value (`segmentation=<key>`): no hour level. Default false. */
  segmented?: boolean;
  /** Roll days up into months and years. `action=refresh` turns it off. Default true. */
  rollUp?: boolean;
  /** Keep at most this many values per meta set (events without `event`). Default: no limit. */
  metaValueLimit?: number;
  /** Drop meta sets longer than this (`action=refresh`, `metric_limit`). Default: no limit. */
  metaSetLimit?: number;
}

const UNIQUE_KEYS: Record<Family, ReadonlySet<string>> = {
  users: new Set(['u', 'f', 'ds', 'l']),
  metric: new Set(['u']),
  event: new Set(['u']),
};

const isHourKey = (key: string): boolean => /^\d{1,2}$/.test(key) && Number(key) <= 23;

/** Splits `m` into year and month (0 for year documents). */
function parseM(m: string | undefined): { year: string; month: number } | undefined {
  const match = m === undefined ? null : /^(\d{4}):(\d{1,2})$/.exec(m);
  if (!match?.[1] || match[2] === undefined) return undefined;
  const month = Number(match[2]);
  return month <= 12 ? { year: match[1], month } : undefined;
}

/** A year document's counters, unique-type ones only: `u` numbers, and (users) whole f/ds/l subtrees. */
function uniqueCounters(tree: TimeTree, family: Family): TimeTree {
  const out: TimeTree = {};
  for (const [key, value] of Object.entries(tree)) {
    if (isUnsafeKey(key)) continue;
    if (key === 'u' && typeof value === 'number') out[key] = value;
    else if (key !== 'u' && UNIQUE_KEYS[family].has(key)) out[key] = cloneNode(value);
    else if (isTree(value)) {
      const kept = uniqueCounters(value, family);
      if (Object.keys(kept).length > 0) out[key] = kept;
    }
  }
  return out;
}

/** Adds one day's non-hour, non-unique counters into its month and year (§4.5 step 2). */
function rollUpDay(day: TimeTree, month: TimeTree, year: TimeTree, family: Family, skipHours: boolean): void {
  const unique = UNIQUE_KEYS[family];
  for (const [prop, value] of Object.entries(day)) {
    if ((skipHours && isHourKey(prop)) || unique.has(prop) || isUnsafeKey(prop)) continue;
    if (typeof value === 'number') {
      addCounter(month, prop, value);
      addCounter(year, prop, value);
    } else if (isTree(value)) {
      for (const [leaf, amount] of Object.entries(value)) {
        if (typeof amount !== 'number' || unique.has(leaf) || isUnsafeKey(leaf)) continue;
        addCounter(childTree(month, prop), leaf, amount);
        addCounter(childTree(year, prop), leaf, amount);
      }
    }
  }
}

/** Meta value lists of a year document merged into `meta` (legacy lists first, then meta_v2). */
function mergeMeta(meta: Record<string, string[]>, doc: TimeDoc): void {
  const lists = Object.entries(doc.meta ?? {});
  const hashes = Object.entries(doc.meta_v2 ?? {}).map(([set, hash]): [string, string[]] => [set, Object.keys(hash)]);
  for (const [set, values] of [...lists, ...hashes]) {
    if (isUnsafeKey(set)) continue;
    const existing = meta[set];
    meta[set] = existing ? unionValues(existing, values) : unionValues([], [...values].reverse());
  }
}

function limitMeta(meta: Record<string, string[]>, opts: TimeObjectOptions): TimeTree {
  const out: TimeTree = {};
  for (const [set, values] of Object.entries(meta)) {
    if (opts.metaSetLimit !== undefined && opts.metaSetLimit > 0 && values.length > opts.metaSetLimit) continue;
    const limit = opts.metaValueLimit;
    out[set] = limit !== undefined && limit > 0 ? values.slice(0, limit) : values;
  }
  return out;
}

function addMonthDoc(out: TimeTree, year: string, month: number, d: TimeTree, rollUp: (day: TimeTree, m: TimeTree, y: TimeTree) => void): void {
  const yearTree = childTree(out, year);
  const monthTree = childTree(yearTree, String(month));
  mergeInto(monthTree, d);
  for (const day of Object.values(d)) {
    if (isTree(day)) rollUp(day, monthTree, yearTree);
  }
}

/**
 * Merge year and month documents of one family into the time object of §4.5 (users and
 * metric families) or §4.6 (event collections; `segmented` for `segmentation=<key>`).
 * Returns `{}` when no document has an `m`. Inputs are not modified.
 */
export function buildTimeObject(yearDocs: readonly TimeDoc[], monthDocs: readonly TimeDoc[], family: Family, opts: TimeObjectOptions = {}): TimeObject {
  const out: TimeTree = {};
  let meta: Record<string, string[]> | undefined;
  const skipHours = family === 'users' || (family === 'event' && opts.segmented !== true);
  const rollUp = opts.rollUp === false ? () => undefined : (day: TimeTree, m: TimeTree, y: TimeTree) => rollUpDay(day, m, y, family, skipHours);
  for (const doc of [...yearDocs, ...monthDocs]) {
    const when = parseM(doc.m);
    if (!when) continue;
    if (when.month > 0) {
      addMonthDoc(out, when.year, when.month, doc.d ?? {}, rollUp);
      continue;
    }
    mergeInto(childTree(out, when.year), uniqueCounters(doc.d ?? {}, family));
    meta ??= {};
    mergeMeta(meta, doc);
  }
  if (meta) out.meta = limitMeta(meta, opts);
  return out;
}

/**
 * Several event time objects summed leaf by leaf (`events=[...]`, §4.6): counters added,
 * `meta` lists unioned per set. Inputs are not modified.
 */
export function sumTimeObjects(objects: readonly TimeObject[]): TimeObject {
  const out: TimeTree = {};
  for (const object of objects) mergeInto(out, object);
  return out;
}

/** Whether `node` is a meta value list (for readers walking a time object). */
export const isValueList = (node: TimeNode | undefined): node is string[] => Array.isArray(node);
