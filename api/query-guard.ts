// Validates filter, sort and projection objects that clients send (`query`, `filter`, `sort`,
// `projection`, ...) before anything reaches MongoDB (spec §9.2: Countly passes them as given).
// Allow-list: comparison operators, $in/$nin, $exists, $and/$or, and $regex with a string
// pattern of bounded length and no nested quantifiers. Field paths are plain dotted names.
// Anything else ($where, $function, $expr, $jsonSchema, unknown operators, embedded
// documents, functions) is refused with 400 naming what was refused.
import { ObjectId, type Document, type Sort } from 'mongodb';
import { QueryRefusedError } from './errors.ts';
import { jsonParam } from './keys.ts';

export interface GuardLimits {
  /** Deepest nesting of $and/$or. Default 4. */
  readonly maxDepth: number;
  /** Most dotted segments in a field path. Default 8. */
  readonly maxPathSegments: number;
  /** Most keys in one object and items in one array. Default 100. */
  readonly maxItems: number;
  /** Longest $regex pattern, characters. Default 100. */
  readonly maxRegexLength: number;
  /** Longest string value, characters. Default 1000. */
  readonly maxStringLength: number;
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = { maxDepth: 4, maxPathSegments: 8, maxItems: 100, maxRegexLength: 100, maxStringLength: 1000 };

/**
 * Countly's value revival for export filters (spec §8), off by default: a string
 * `"__REGEXP /source/flags"` as a field's value becomes a `$regex` (checked like any other), and
 * a 24-hex string compared with `_id` becomes an ObjectId.
 */
export interface FilterRevival {
  readonly revive: boolean;
}

const NO_REVIVAL: FilterRevival = { revive: false };
const REGEXP_PREFIX = '__REGEXP ';
const REGEXP_TEXT = /^\/(.*)\/([a-z]*)$/s;
const HEX_ID = /^[0-9a-fA-F]{24}$/;

const COMPARISON = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte']);
const LISTS = new Set(['$in', '$nin']);
const LOGICAL = new Set(['$and', '$or']);
const SEGMENT = /^[A-Za-z0-9_\-:@#]+$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
// A group holding a quantifier that is itself quantified: (a+)+, (a*)*, (x{2,})+ ...
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[*+?}](?:[^()\\]|\\.)*\)\s*[*+?{]/;
const BACKREFERENCE = /\\[1-9]|\\k</;

type Primitive = string | number | boolean | null;

const refuse = (param: string, what: string): never => {
  throw new QueryRefusedError(`${what} is not allowed in "${param}"`);
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks a dotted field path: no `$` anywhere at a segment start, no empty segments, bounded. */
export function guardPath(path: string, param: string, limits: GuardLimits = DEFAULT_GUARD_LIMITS): string {
  if (path.startsWith('$')) refuse(param, `Operator "${path.slice(0, 40)}"`);
  const segments = path.split('.');
  if (segments.length > limits.maxPathSegments) refuse(param, `Field path "${path.slice(0, 40)}" (too deep)`);
  for (const segment of segments) {
    if (segment === '') refuse(param, `Field path "${path.slice(0, 40)}" (empty segment)`);
    if (segment.startsWith('$')) refuse(param, `Operator "${segment.slice(0, 40)}"`);
    if (FORBIDDEN_SEGMENTS.has(segment) || !SEGMENT.test(segment)) refuse(param, `Field path "${path.slice(0, 40)}"`);
  }
  return path;
}

/** A regular expression source safe to hand to a matcher: bounded, compilable, no nested quantifiers or backreferences. */
export function safeRegexSource(source: unknown, param: string, limits: GuardLimits = DEFAULT_GUARD_LIMITS): string {
  if (typeof source !== 'string') return refuse(param, 'A $regex that is not a string');
  if (source.length > limits.maxRegexLength) refuse(param, `A pattern longer than ${limits.maxRegexLength} characters`);
  if (NESTED_QUANTIFIER.test(source)) refuse(param, 'A pattern with nested quantifiers');
  if (BACKREFERENCE.test(source)) refuse(param, 'A pattern with backreferences');
  try {
    new RegExp(source);
  } catch (err) {
    if (err instanceof SyntaxError) refuse(param, 'An invalid regular expression');
    throw err;
  }
  return source;
}

function primitive(value: unknown, param: string, limits: GuardLimits): Primitive {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : refuse(param, 'A non-finite number');
  if (typeof value === 'string') return value.length <= limits.maxStringLength ? value : refuse(param, 'A string that long');
  if (isPlainObject(value)) {
    const op = Object.keys(value).find((k) => k.startsWith('$'));
    return refuse(param, op === undefined ? 'An embedded document' : `Operator "${op.slice(0, 40)}"`);
  }
  return refuse(param, `A value of type ${Array.isArray(value) ? 'array' : typeof value}`);
}

function primitiveList(value: unknown, param: string, limits: GuardLimits): Primitive[] {
  if (!Array.isArray(value)) return refuse(param, 'A list operator without an array');
  const items: readonly unknown[] = value;
  if (items.length > limits.maxItems) refuse(param, `A list longer than ${limits.maxItems}`);
  return items.map((v) => primitive(v, param, limits));
}

/** `_id` compared with a 24-hex string: the ObjectId it names (revival on). */
const idValue = (path: string, value: Primitive, revival: FilterRevival): Primitive | ObjectId =>
  revival.revive && path === '_id' && typeof value === 'string' && HEX_ID.test(value) ? new ObjectId(value) : value;

/** `"__REGEXP /source/flags"` as a `$regex` condition, checked like one. */
function revivedRegex(text: string, param: string, limits: GuardLimits): Document {
  const match = REGEXP_TEXT.exec(text.slice(REGEXP_PREFIX.length));
  if (match === null) return refuse(param, 'A __REGEXP value that is not /pattern/flags');
  const options = match[2] ?? '';
  if (!/^[imsx]{0,4}$/.test(options)) refuse(param, 'Regular expression flags other than i, m, s, x');
  const $regex = safeRegexSource(match[1], param, limits);
  return options === '' ? { $regex } : { $regex, $options: options };
}

function operatorValue(op: string, value: unknown, param: string, limits: GuardLimits, path: string, revival: FilterRevival): unknown {
  if (COMPARISON.has(op)) return idValue(path, primitive(value, param, limits), revival);
  if (LISTS.has(op)) return primitiveList(value, param, limits).map((v) => idValue(path, v, revival));
  if (op === '$exists') return typeof value === 'boolean' ? value : refuse(param, '$exists without a boolean');
  if (op === '$regex') return safeRegexSource(value, param, limits);
  if (op === '$options') return typeof value === 'string' && /^[imsx]{0,4}$/.test(value) ? value : refuse(param, '$options other than i, m, s, x');
  return refuse(param, `Operator "${op.slice(0, 40)}"`);
}

function fieldCondition(value: unknown, param: string, limits: GuardLimits, path: string, revival: FilterRevival): unknown {
  if (Array.isArray(value)) return primitiveList(value, param, limits);
  if (revival.revive && typeof value === 'string' && value.startsWith(REGEXP_PREFIX)) return revivedRegex(value, param, limits);
  if (!isPlainObject(value)) return idValue(path, primitive(value, param, limits), revival);
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > limits.maxItems) refuse(param, 'An empty or oversized condition');
  if (!entries.every(([k]) => k.startsWith('$'))) return primitive(value, param, limits);
  if ('$options' in value && !('$regex' in value)) refuse(param, '$options without $regex');
  return Object.fromEntries(entries.map(([op, v]) => [op, operatorValue(op, v, param, limits, path, revival)]));
}

function guardObject(value: unknown, param: string, limits: GuardLimits, depth: number, revival: FilterRevival): Document {
  if (!isPlainObject(value)) return refuse(param, 'A filter that is not an object');
  if (depth > limits.maxDepth) refuse(param, `Nesting deeper than ${limits.maxDepth} levels`);
  const entries = Object.entries(value);
  if (entries.length > limits.maxItems) refuse(param, `More than ${limits.maxItems} conditions`);
  const out: Document = {};
  for (const [key, v] of entries) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(v) || v.length === 0 || v.length > limits.maxItems) refuse(param, `${key} without a non-empty array`);
      const branches: readonly unknown[] = Array.isArray(v) ? v : [];
      out[key] = branches.map((b) => guardObject(b, param, limits, depth + 1, revival));
    } else {
      out[guardPath(key, param, limits)] = fieldCondition(v, param, limits, key, revival);
    }
  }
  return out;
}

/** Parses a parameter that may be a JSON string or an object (spec §1.2); 400 when it is not JSON. */
export function parseJsonParam(raw: unknown, param: string): unknown {
  const parsed = jsonParam(raw);
  if (!parsed.ok) throw new QueryRefusedError(`Could not parse parameter "${param}": ${parsed.error}`);
  return parsed.value;
}

/** A client filter checked against the allow-list, as a MongoDB filter document. */
export function guardFilter(raw: unknown, param: string, limits: GuardLimits = DEFAULT_GUARD_LIMITS, revival: FilterRevival = NO_REVIVAL): Document {
  return guardObject(parseJsonParam(raw, param), param, limits, 0, revival);
}

/** A filter value already parsed from JSON, checked against the allow-list (with revival when asked). */
export function guardFilterValue(value: unknown, param: string, revival: FilterRevival, limits: GuardLimits = DEFAULT_GUARD_LIMITS): Document {
  return guardObject(value, param, limits, 0, revival);
}

/** A client sort: up to 4 plain field paths with 1 or -1. */
export function guardSort(raw: unknown, param: string, limits: GuardLimits = DEFAULT_GUARD_LIMITS): Sort {
  const value = parseJsonParam(raw, param);
  if (!isPlainObject(value)) return refuse(param, 'A sort that is not an object');
  const entries = Object.entries(value);
  if (entries.length > 4) refuse(param, 'More than 4 sort keys');
  const out: Record<string, 1 | -1> = {};
  for (const [key, direction] of entries) {
    if (direction !== 1 && direction !== -1) refuse(param, `Sort direction ${JSON.stringify(direction)?.slice(0, 40) ?? 'undefined'}`);
    out[guardPath(key, param, limits)] = direction === 1 ? 1 : -1;
  }
  return out;
}

/** A client projection: plain field paths with 0/1 (or booleans), not mixing inclusion and exclusion except `_id`. */
export function guardProjection(raw: unknown, param: string, limits: GuardLimits = DEFAULT_GUARD_LIMITS): Document {
  const value = parseJsonParam(raw, param);
  if (!isPlainObject(value)) return refuse(param, 'A projection that is not an object');
  const entries = Object.entries(value);
  if (entries.length > limits.maxItems) refuse(param, `More than ${limits.maxItems} projected fields`);
  const out: Record<string, 0 | 1> = {};
  for (const [key, flag] of entries) {
    if (flag !== 0 && flag !== 1 && flag !== true && flag !== false) refuse(param, `Projection value ${JSON.stringify(flag)?.slice(0, 40) ?? 'undefined'}`);
    out[guardPath(key, param, limits)] = flag === 1 || flag === true ? 1 : 0;
  }
  const kinds = new Set(
    Object.entries(out)
      .filter(([k]) => k !== '_id')
      .map(([, v]) => v),
  );
  if (kinds.size > 1) refuse(param, 'Mixing included and excluded fields');
  return out;
}
