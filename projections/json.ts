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
  return key.replace(/^\$+/, '').replace(/\./g, ':');
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
  if (Array.isArray(v)) return v.map(toJson).filter((x): x is Json => x !== undefined);
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
