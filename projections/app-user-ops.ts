// Operators' changes to one app-user document (`/i/app_users/create|update`, spec §6.1), pure.
// The API checks what a client sends with `checkUserUpdate` / `checkUserFields` before anything
// is published, and the app-user fold applies the same checked update to the whole document in
// memory with `applyUserUpdate`: no client operator ever reaches MongoDB, the fold's diff
// (app-user-writes.ts) writes the result as plain `$set`/`$unset`.
import { dict } from './dict.ts';
import { isJsonArray, isJsonObject, jsonEqual, type Json, type JsonObject } from './json.ts';

/** Update operators `/i/app_users/update` accepts (Countly passes any to MongoDB; Tally allows these). */
export const USER_UPDATE_OPERATORS: readonly string[] = ['$set', '$unset', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$pull'];

/** Fields no operator may write: identity, and the store's watermark and owner. */
export const PROTECTED_USER_FIELDS: readonly string[] = ['_id', 'uid', 'did', '_s', '_g'];

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_PATH_SEGMENTS = 8;
const MAX_VALUE_DEPTH = 16;

/** Why a client's update or data was refused. `modifier`: a top-level key that is no operator (Countly's "Unkown modifier"). */
export type UserChangeRefusal = { readonly kind: 'modifier' | 'operator' | 'path' | 'value'; readonly what: string };

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: UserChangeRefusal };

const refused = <T>(kind: UserChangeRefusal['kind'], what: string): Checked<T> => ({ ok: false, refusal: { kind, what: what.slice(0, 80) } });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A key that may be stored: not empty, no leading `$`, no `.`, no NUL, not a prototype name. */
const storableKey = (key: string): boolean =>
  key !== '' && !key.startsWith('$') && !key.includes('.') && !key.includes('\u0000') && !FORBIDDEN_SEGMENTS.has(key);

/** A JSON value whose object keys may all be stored; null when it is not one. */
function storableValue(value: unknown, depth = 0): Json | undefined {
  if (depth > MAX_VALUE_DEPTH) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items: Json[] = [];
    for (const item of value as readonly unknown[]) {
      const v = storableValue(item, depth + 1);
      if (v === undefined) return undefined;
      items.push(v);
    }
    return items;
  }
  if (!isPlainObject(value)) return undefined;
  const out = dict<Json>();
  for (const [k, item] of Object.entries(value)) {
    if (!storableKey(k)) return undefined;
    const v = storableValue(item, depth + 1);
    if (v === undefined) return undefined;
    out[k] = v;
  }
  return out;
}

/** A dotted path an operator may write: storable segments, bounded, not a protected field. */
export function writablePath(path: string): boolean {
  const segments = path.split('.');
  const first = segments[0] ?? '';
  return segments.length <= MAX_PATH_SEGMENTS && segments.every(storableKey) && !PROTECTED_USER_FIELDS.includes(first);
}

const NUMERIC = new Set(['$inc', '$mul']);

function checkOperand(op: string, value: unknown): Json | undefined {
  if (op === '$unset') return '';
  if (NUMERIC.has(op)) return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  if ((op === '$push' || op === '$addToSet') && isPlainObject(value) && Object.keys(value).length === 1 && '$each' in value) {
    const each = storableValue(value.$each);
    return isJsonArray(each) ? { $each: each } : undefined;
  }
  return storableValue(value);
}

/**
 * A client's `update` checked against the allow-list: every top-level key an allowed operator,
 * every path writable, every value storable. The result is plain data (it goes on the stream).
 */
export function checkUserUpdate(update: unknown): Checked<Record<string, Record<string, Json>>> {
  if (!isPlainObject(update)) return refused('value', 'update');
  const out = dict<Record<string, Json>>();
  for (const [op, fields] of Object.entries(update)) {
    if (!op.startsWith('$')) return refused('modifier', op);
    if (!USER_UPDATE_OPERATORS.includes(op)) return refused('operator', op);
    if (!isPlainObject(fields) || Object.keys(fields).length === 0) return refused('value', op);
    const checked = dict<Json>();
    for (const [path, value] of Object.entries(fields)) {
      if (!writablePath(path)) return refused('path', path);
      const v = checkOperand(op, value);
      if (v === undefined) return refused('value', `${op} ${path}`);
      checked[path] = v;
    }
    out[op] = checked;
  }
  return { ok: true, value: out };
}

/** `/i/app_users/create` data: storable keys and values; `_id` and `did` are the caller's business, `_s`/`_g` refused. */
export function checkUserFields(data: Readonly<Record<string, unknown>>): Checked<Record<string, Json>> {
  const out = dict<Json>();
  for (const [key, value] of Object.entries(data)) {
    if (key === '_id' || key === 'did') continue;
    if (!storableKey(key) || key === '_s' || key === '_g') return refused('path', key);
    const v = storableValue(value);
    if (v === undefined) return refused('value', key);
    if (key === 'uid' && typeof v !== 'string' && typeof v !== 'number') return refused('value', key);
    out[key] = v;
  }
  return { ok: true, value: out };
}

type Mutable = Record<string, Json>;

/** The object holding the path's last segment, created along the way; undefined when a non-object is in the way. */
function parentOf(doc: Mutable, segments: readonly string[], create: boolean): Mutable | undefined {
  let node = doc;
  for (const seg of segments.slice(0, -1)) {
    const next = Object.hasOwn(node, seg) ? node[seg] : undefined;
    if (isJsonObject(next)) {
      const copy = Object.assign(dict<Json>(), next);
      node[seg] = copy;
      node = copy;
    } else if (next === undefined && create) {
      const fresh = dict<Json>();
      node[seg] = fresh;
      node = fresh;
    } else return undefined;
  }
  return node;
}

const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

function compare(a: Json, b: Json): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** The new value of a field under one operator; undefined = leave it, null-unset is signalled by `UNSET`. */
const UNSET = Symbol('unset');
function nextValue(op: string, current: Json | undefined, operand: Json): Json | typeof UNSET | undefined {
  switch (op) {
    case '$set':
      return operand;
    case '$unset':
      return UNSET;
    case '$inc':
      return current === undefined ? operand : num(current) === undefined ? undefined : (num(current) ?? 0) + (num(operand) ?? 0);
    case '$mul':
      return current === undefined ? 0 : num(current) === undefined ? undefined : (num(current) ?? 0) * (num(operand) ?? 0);
    case '$min':
    case '$max': {
      if (current === undefined) return operand;
      const c = compare(operand, current);
      if (c === undefined) return undefined;
      return (op === '$min' ? c < 0 : c > 0) ? operand : current;
    }
    case '$push':
    case '$addToSet': {
      if (current !== undefined && !isJsonArray(current)) return undefined;
      const items = isJsonObject(operand) && isJsonArray(operand.$each) ? operand.$each : [operand];
      const list: Json[] = [...(current ?? [])];
      for (const item of items) if (op === '$push' || !list.some((x) => jsonEqual(x, item))) list.push(item);
      return list;
    }
    case '$pull':
      return isJsonArray(current) ? current.filter((x) => !jsonEqual(x, operand)) : undefined;
    default:
      return undefined;
  }
}

/**
 * The document after a checked update, operators in the order given. A path blocked by a
 * non-object, or an operand of the wrong type for the stored value, leaves that field as it is
 * (MongoDB would refuse the whole update; a fold cannot refuse an event already accepted).
 */
export function applyUserUpdate(doc: JsonObject, update: Readonly<Record<string, Readonly<Record<string, Json>>>>): JsonObject {
  const out: Mutable = Object.assign(dict<Json>(), doc);
  for (const [op, fields] of Object.entries(update)) {
    for (const [path, operand] of Object.entries(fields)) {
      if (!writablePath(path)) continue;
      const segments = path.split('.');
      const last = segments[segments.length - 1] ?? '';
      const parent = parentOf(out, segments, op !== '$unset' && op !== '$pull');
      if (parent === undefined) continue;
      const current = Object.hasOwn(parent, last) ? parent[last] : undefined;
      const next = nextValue(op, current, operand);
      if (next === UNSET) delete parent[last];
      else if (next !== undefined) parent[last] = next;
    }
  }
  return out;
}
