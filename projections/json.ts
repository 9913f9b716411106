// Plain JSON values: the shape of app-user documents inside the folds.
import { dict } from './dict.ts';

export type Json = string | number | boolean | null | readonly Json[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: Json;
}

export function isJsonArray(v: Json | undefined): v is readonly Json[] {
  return Array.isArray(v);
}

export function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field name safe for MongoDB paths: leading `$` run removed, `.` → `:`. */
export function safeFieldName(key: string): string {
  return stripEdgeSpace(key.replace(/^\$+/, '').replace(/\./g, ':').replaceAll('\u0000', ''));
}

// Go's unicode.IsSpace (U+0085 is not in JavaScript's \s; \uFEFF is, and trimming it too is harmless).
const EDGE_SPACE = /^[\s\u0085]+|[\s\u0085]+$/g;

// A surrogate half without its other half: BSON writes each as U+FFFD, so two such keys of one
// object become duplicate keys, which FerretDB refuses ("duplicate keys are not allowed").
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A key as the database will store it: without leading or trailing white space (FerretDB v1
 * refuses an update path with such a segment, "contains an empty field name", although MongoDB
 * takes it), and with each lone surrogate as U+FFFD (what BSON stores anyway, so keys that would
 * collide there collide here, in the fold's maps, instead). Every client text that becomes a
 * field name passes here, on both backends alike (a rebuild gives the same documents).
 */
export function stripEdgeSpace(key: string): string {
  return key.replace(LONE_SURROGATE, '\ufffd').replace(EDGE_SPACE, '');
}

/**
 * An array's item. FerretDB v1 refuses nested arrays ("nested arrays are not supported") where
 * MongoDB stores them, so an array inside an array is kept as its JSON text on both backends.
 */
function arrayItemToJson(v: unknown): Json | undefined {
  const j = toJson(v);
  return Array.isArray(j) ? JSON.stringify(j) : j;
}

/**
 * Converts loosely typed input (a parsed parameter or a stored document) to JSON. Dates become
 * epoch ms; object keys become safe field names; functions, symbols and undefined are dropped.
 * Values that expose `toHexString` (ObjectId) become that string.
 */
export function toJson(v: unknown): Json | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(arrayItemToJson).filter((x): x is Json => x !== undefined);
  if (typeof v !== 'object') return undefined;
  const toHex: unknown = 'toHexString' in v ? v.toHexString : undefined;
  if (typeof toHex === 'function') {
    const hex: unknown = Reflect.apply(toHex, v, []);
    return typeof hex === 'string' ? hex : undefined;
  }
  const out = dict<Json>();
  for (const [k, child] of Object.entries(v)) {
    const j = toJson(child);
    const key = safeFieldName(k);
    if (j !== undefined && key !== '') out[key] = j;
  }
  return out;
}

/** Structural equality of two JSON values (key order ignored). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (isJsonArray(a) || isJsonArray(b)) {
    if (!isJsonArray(a) || !isJsonArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => jsonEqual(a[k], b[k]));
}
