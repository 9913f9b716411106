// `user_details` (§2.10): parsing the SDK wire format and applying it to an app-user document.
// CE does not process it; we store it with the field names other Countly code expects.
import { dict, dictFrom } from './dict.ts';
import { isJsonArray, isJsonObject, jsonEqual, safeFieldName, toJson, type Json, type JsonObject } from './json.ts';
import { isNumeric } from './metric-normalize.ts';
import { MAX_WRITABLE_MAGNITUDE } from './writable.ts';

/** Top-level profile fields stored on the app user. */
export const PROFILE_FIELDS = ['name', 'username', 'email', 'organization', 'phone', 'picture', 'gender', 'byear'] as const;

export type CustomChange =
  | { readonly op: 'set'; readonly value: Json }
  | { readonly op: 'unset' }
  | { readonly op: '$inc' | '$mul'; readonly value: number }
  | { readonly op: '$max' | '$min'; readonly value: number | string }
  | { readonly op: '$setOnce'; readonly value: Json }
  | { readonly op: '$push' | '$addToSet' | '$pull'; readonly values: readonly Json[] };

export interface UserDetails {
  /** Profile field → value; null means unset (the SDK sent ""). */
  readonly profile: Readonly<Record<string, string | number | null>>;
  /** Custom property (safe field name) → changes in wire order. */
  readonly custom: Readonly<Record<string, readonly CustomChange[]>>;
}

function profileValue(field: string, raw: unknown): string | number | null | undefined {
  if (raw === '') return null;
  if (field === 'byear' && isNumeric(raw)) return Number.parseInt(String(raw), 10);
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  return undefined;
}

const listOf = (v: Json): readonly Json[] => (isJsonArray(v) ? v : [v]);

function operatorChanges(ops: JsonObject): CustomChange[] {
  const out: CustomChange[] = [];
  for (const [op, value] of Object.entries(ops)) {
    if ((op === '$inc' || op === '$mul') && isNumeric(value)) out.push({ op, value: Number(value) });
    else if ((op === '$max' || op === '$min') && (typeof value === 'number' || typeof value === 'string')) out.push({ op, value });
    else if (op === '$setOnce') out.push({ op, value });
    else if (op === '$push' || op === '$addToSet' || op === '$pull') out.push({ op, values: listOf(value) });
  }
  return out;
}

/** Changes for one custom key: "" unsets, an object of `$` operators applies them, else set. */
function customChanges(raw: unknown): CustomChange[] {
  if (raw === '') return [{ op: 'unset' }];
  const ops = isOperatorObject(raw) ? operatorChanges(raw) : undefined;
  if (ops) return ops;
  const value = toJson(raw);
  return value === undefined ? [] : [{ op: 'set', value }];
}

function isOperatorObject(raw: unknown): raw is JsonObject {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** Parses a `user_details` object; junk fields are dropped. Undefined when nothing is left. */
export function parseUserDetails(raw: Readonly<Record<string, unknown>>): UserDetails | undefined {
  const profile = dict<string | number | null>();
  for (const field of PROFILE_FIELDS) {
    const value = profileValue(field, raw[field]);
    if (value !== undefined) profile[field] = value;
  }
  const custom = dict<CustomChange[]>();
  const rawCustom = raw.custom;
  if (typeof rawCustom === 'object' && rawCustom !== null && !Array.isArray(rawCustom)) {
    for (const [key, value] of Object.entries(rawCustom)) {
      const name = safeFieldName(key);
      const changes = customChanges(value);
      if (name !== '' && changes.length > 0) custom[name] = [...(custom[name] ?? []), ...changes];
    }
  }
  if (Object.keys(profile).length === 0 && Object.keys(custom).length === 0) return undefined;
  return { profile, custom };
}

/** BSON-like order for $max/$min: numbers before strings; within a type the natural order. */
function compare(a: number | string, b: Json): number {
  if (typeof b === 'number') return typeof a === 'number' ? a - b : 1;
  if (typeof b === 'string') return typeof a === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : -1;
  return 1;
}

/**
 * Repeated `$inc`/`$mul` can leave any bound behind (ingest bounds each operand): a result a
 * fold may not write (writable.ts) leaves the property as it was, so one user's counter can
 * never stop processing.
 */
function storableOr(result: number, current: Json | undefined): Json | undefined {
  return Number.isFinite(result) && Math.abs(result) <= MAX_WRITABLE_MAGNITUDE ? result : current;
}

function applyChange(current: Json | undefined, change: CustomChange): Json | undefined {
  switch (change.op) {
    case 'set':
      return change.value;
    case 'unset':
      return undefined;
    case '$inc':
      return storableOr(typeof current === 'number' ? current + change.value : change.value, current);
    case '$mul':
      return storableOr(typeof current === 'number' ? current * change.value : 0, current);
    case '$max':
      return current === undefined || compare(change.value, current) > 0 ? change.value : current;
    case '$min':
      return current === undefined || compare(change.value, current) < 0 ? change.value : current;
    case '$setOnce':
      return current === undefined ? change.value : current;
    case '$push':
      return [...asList(current), ...change.values];
    case '$addToSet':
      return change.values.reduce<readonly Json[]>((acc, v) => (acc.some((x) => jsonEqual(x, v)) ? acc : [...acc, v]), asList(current));
    case '$pull':
      return isJsonArray(current) ? current.filter((x) => !change.values.some((v) => jsonEqual(x, v))) : current;
  }
}

function asList(current: Json | undefined): readonly Json[] {
  if (current === undefined) return [];
  return isJsonArray(current) ? current : [current];
}

/** Applies parsed user details to an app-user document (new document, input untouched). */
export function applyUserDetails(doc: JsonObject, details: UserDetails): JsonObject {
  const next = dictFrom<Json>(doc);
  for (const [field, value] of Object.entries(details.profile)) {
    if (value === null) delete next[field];
    else next[field] = value;
  }
  const existing = next.custom;
  const custom = dictFrom<Json>(isJsonObject(existing) ? existing : undefined);
  for (const [key, changes] of Object.entries(details.custom)) {
    const value = changes.reduce<Json | undefined>(applyChange, custom[key]);
    if (value === undefined) delete custom[key];
    else custom[key] = value;
  }
  if (Object.keys(custom).length > 0) next.custom = custom;
  else delete next.custom;
  return next;
}
