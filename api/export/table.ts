// In-memory conversions (`/o/export/request`, `/o/export/data`): a value becomes a table whose
// header comes first. An object that is not an array becomes the array of its values (spec §8),
// except a time object (`{"2026": {"12": {"3": {...}}}, "meta": ...}`), which becomes one row per
// period bucket, labelled `2026-12-03` (Countly turns it into one unreadable row per year and
// `meta`).
import { flattenDocument, guardCell, projectedCell, type Cell } from './cells.ts';

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface TableOptions {
  /** Columns as dotted paths, in order (header first in this order). */
  readonly projection?: readonly string[];
  /** Header label per column name. */
  readonly columnNames?: Readonly<Record<string, string>>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const YEAR = /^\d{4}$/;
const NUMBER_KEY = /^\d{1,2}$/;
/** Keys a time object carries beside its years. */
const TIME_OBJECT_EXTRAS = new Set(['meta', 'meta_v2', '_id', 'lu']);

/** A time object: at least one year key, and otherwise only meta keys. */
export function isTimeObject(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value);
  return keys.some((k) => YEAR.test(k)) && keys.every((k) => YEAR.test(k) || TIME_OBJECT_EXTRAS.has(k));
}

const pad = (n: string): string => n.padStart(2, '0');

/** Number-keyed children of a node within `max` (months 1–12, days 1–31), in order. */
function children(node: Record<string, unknown>, max: number): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const [k, v] of Object.entries(node)) if (NUMBER_KEY.test(k) && Number(k) >= 1 && Number(k) <= max && isRecord(v)) out.push([k, v]);
  return out.sort((a, b) => Number(a[0]) - Number(b[0]));
}

/** A bucket's own counters: everything but its number-keyed children (months, days, hours). */
const counters = (node: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(node).filter(([k]) => !NUMBER_KEY.test(k)));

/**
 * One row per period bucket of a time object, in time order: one per day (hours stay out; the
 * day's counters hold them); per month or year only when the object has no finer buckets.
 */
export function timeObjectRows(value: Record<string, unknown>): Record<string, unknown>[] {
  const years = Object.entries(value)
    .filter((e): e is [string, Record<string, unknown>] => YEAR.test(e[0]) && isRecord(e[1]))
    .sort((a, b) => a[0].localeCompare(b[0]));
  const months = years.flatMap(([y, node]) => children(node, 12).map(([m, mNode]) => ({ y, m, mNode })));
  const days = months.flatMap(({ y, m, mNode }) => children(mNode, 31).map(([d, dNode]) => ({ period: `${y}-${pad(m)}-${pad(d)}`, node: dNode })));
  if (days.length > 0) return days.map(({ period, node }) => ({ period, ...counters(node) }));
  if (months.length > 0) return months.map(({ y, m, mNode }) => ({ period: `${y}-${pad(m)}`, ...counters(mNode) }));
  return years.map(([y, node]) => ({ period: y, ...counters(node) }));
}

/** The rows a value stands for: an array as is, a time object by bucket, another object by its values, a scalar as one row. */
export function rowsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  if (isTimeObject(value)) return timeObjectRows(value);
  if (isRecord(value)) return Object.values(value);
  if (value === undefined || value === null) return [];
  return [value];
}

/** The table of `rows`: every column seen (or the projection's), header first. */
export function toTable(rows: readonly unknown[], opts: TableOptions = {}): Table {
  const rename = (name: string): string =>
    guardCell(opts.columnNames !== undefined && Object.hasOwn(opts.columnNames, name) ? (opts.columnNames[name] ?? name) : name);
  if (opts.projection !== undefined && opts.projection.length > 0) {
    const columns = opts.projection;
    return { header: columns.map(rename), rows: rows.map((doc) => columns.map((c) => projectedCell(doc, c))) };
  }
  const flat = rows.map(flattenDocument);
  const columns = new Map<string, number>();
  for (const row of flat) for (const key of Object.keys(row)) if (!columns.has(key)) columns.set(key, columns.size);
  const names = [...columns.keys()];
  return { header: names.map(rename), rows: flat.map((row) => names.map((n) => (Object.hasOwn(row, n) ? (row[n] ?? null) : null))) };
}
