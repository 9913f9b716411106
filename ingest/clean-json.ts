// Generic cleaning of a parsed JSON value: every object key passes a key rule, nesting is bounded,
// and whatever is dropped or rewritten is named in the warnings. Values are kept as sent: the
// processors escape values where they become keys (metric normalisation needs the raw value).
import { isPrototypeKey } from './clean-keys.ts';
import { paramPath, type WarningList } from './warnings.ts';

/** Deepest nesting kept inside one parameter (the parameter itself is depth 0). */
export const MAX_DEPTH = 16;

/** Rewrites one object key; an empty result drops the entry. */
export type KeyRule = (key: string) => string;

export interface CleanScope {
  readonly warnings: WarningList;
  readonly keyRule: KeyRule;
}

/** An object as JSON.parse or a form parser makes it (not an array, Buffer or other class instance). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A cleaned key, or undefined when the entry must be dropped (with the warning recorded). */
export function cleanKeyOf(key: string, path: string, scope: CleanScope): string | undefined {
  const at = paramPath(path, key);
  const cleaned = scope.keyRule(key);
  // Checked after cleaning too: `$constructor` and `con.structor` clean to `constructor`.
  if (isPrototypeKey(key) || isPrototypeKey(cleaned)) {
    scope.warnings.add(at, 'unsafe_key', 'a key naming a JavaScript prototype property is never stored');
    return undefined;
  }
  if (cleaned === '') {
    scope.warnings.add(at, 'key_empty', 'key is empty after removing $, dots and NUL');
    return undefined;
  }
  if (cleaned !== key) scope.warnings.add(at, 'key_rewritten', `key stored as ${JSON.stringify(cleaned)}`);
  return cleaned;
}

/** Stores `value` under `key`; on a collision the later entry wins, as in Countly. */
export function putEntry(out: Map<string, unknown>, key: string, value: unknown, path: string, scope: CleanScope): void {
  if (out.has(key)) scope.warnings.add(paramPath(path, key), 'key_collision', 'two keys clean to the same name; the later value is kept');
  out.set(key, value);
}

function cleanObject(value: Readonly<Record<string, unknown>>, path: string, depth: number, scope: CleanScope): Record<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [rawKey, child] of Object.entries(value)) {
    const key = cleanKeyOf(rawKey, path, scope);
    if (key === undefined) continue;
    const cleaned = cleanJson(child, paramPath(path, rawKey), depth + 1, scope);
    if (cleaned !== undefined) putEntry(out, key, cleaned, path, scope);
  }
  return Object.fromEntries(out);
}

/**
 * Cleans a JSON value. Returns undefined when the value is dropped (the warning is recorded).
 * Recursion is bounded by MAX_DEPTH, so hostile nesting cannot exhaust the stack.
 */
export function cleanJson(value: unknown, path: string, depth: number, scope: CleanScope): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object') {
    scope.warnings.add(path, 'wrong_type', `a ${typeof value} is not a JSON value`);
    return undefined;
  }
  if (depth >= MAX_DEPTH) {
    scope.warnings.add(path, 'too_deep', `nesting deeper than ${MAX_DEPTH} levels is dropped`);
    return undefined;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((item: unknown, i) => {
      const cleaned = cleanJson(item, paramPath(path, i), depth + 1, scope);
      if (cleaned !== undefined) out.push(cleaned);
    });
    return out;
  }
  if (!isPlainObject(value)) {
    scope.warnings.add(path, 'wrong_type', 'not a JSON value');
    return undefined;
  }
  return cleanObject(value, path, depth, scope);
}
