// The `events` parameter at the edge (spec §2.9): each event is kept or dropped on its own, keys
// are cleaned, and the per-request limits that Countly would apply anyway are applied here, with
// a warning for each drop. Aggregation rules that depend on stored state stay in the processors.
import { z } from 'zod';
import { parseJsonText } from '../http/index.ts';
import { EVENT_KEY_MAX_LENGTH, stripEventKey } from '../projections/index.ts';
import { cleanObjectKey, isPrototypeKey } from './clean-keys.ts';
import { MAX_EVENT_AMOUNT, MAX_EVENT_COUNT, withinBounds } from './clean-numbers.ts';
import { cleanJson, cleanKeyOf, isPlainObject, putEntry, type CleanScope } from './clean-json.ts';
import { paramPath, type WarningList } from './warnings.ts';

/** Most segment keys one event can carry (`event_segmentation_limit`, §2.16). */
export const SEGMENT_KEY_LIMIT = 100;
/** Array segment values are cut to this many entries (`array_list_limit`, §2.16). */
export const ARRAY_LIST_LIMIT = 10;

const NUMERIC_FIELDS: ReadonlySet<string> = new Set(['count', 'sum', 'dur', 'timestamp', 'hour', 'dow']);

/** A number, or text that Countly's parseInt/parseFloat reads as one. */
export const numberLike = z.union([z.number(), z.string().refine((s) => !Number.isNaN(Number.parseFloat(s)))]);

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly message: string;
}

/**
 * Fields that processors add up, with the values kept. A count outside the range is dropped and
 * then counts 1 (§2.9 step 3, as an invalid count does); a sum or dur outside it is dropped and
 * adds nothing (step 6, as a non-numeric one). Negative sums and durations stay, as in Countly.
 */
const BOUNDED_FIELDS: ReadonlyMap<string, Bounds> = new Map([
  ['count', { min: 0, max: MAX_EVENT_COUNT, message: `must be from 0 to ${MAX_EVENT_COUNT}` }],
  ['sum', { min: -MAX_EVENT_AMOUNT, max: MAX_EVENT_AMOUNT, message: `must be within ±${MAX_EVENT_AMOUNT}` }],
  ['dur', { min: -MAX_EVENT_AMOUNT, max: MAX_EVENT_AMOUNT, message: `must be within ±${MAX_EVENT_AMOUNT}` }],
]);

/** §2.9 step 1: a non-string key is JSON-serialised (`5` → `"5"`); other types are refused. */
const eventKeyInput = z.union([z.string(), z.number(), z.boolean()]).transform((k) => (typeof k === 'string' ? k : JSON.stringify(k)));

export type EventsResult =
  { readonly kind: 'ok'; readonly events: readonly unknown[] } | { readonly kind: 'dropped' } | { readonly kind: 'too_many'; readonly count: number };

function eventKeyOf(raw: unknown, path: string, w: WarningList): string | undefined {
  const parsed = eventKeyInput.safeParse(raw);
  const at = paramPath(path, 'key');
  if (!parsed.success || parsed.data === '') {
    w.add(path, 'event_key_invalid', 'event dropped: key must be a non-empty string');
    return undefined;
  }
  const key = stripEventKey(parsed.data);
  if (key === '') {
    w.add(path, 'event_key_invalid', 'event dropped: key is empty after removing $, system. and ..');
    return undefined;
  }
  if (isPrototypeKey(key)) {
    w.add(at, 'unsafe_key', 'event dropped: its key names a JavaScript prototype property');
    return undefined;
  }
  if (key.length > EVENT_KEY_MAX_LENGTH) {
    w.add(path, 'event_key_too_long', `event dropped: key has ${key.length} characters, the limit is ${EVENT_KEY_MAX_LENGTH}`);
    return undefined;
  }
  if (key !== parsed.data) w.add(at, 'key_rewritten', `key stored as ${JSON.stringify(key)}`);
  return key;
}

function cleanSegmentValue(value: unknown, path: string, scope: CleanScope): unknown {
  if (value === '') {
    scope.warnings.add(path, 'segment_value_empty', 'empty segment values are not stored');
    return undefined;
  }
  if (Array.isArray(value)) {
    if (value.length > ARRAY_LIST_LIMIT) {
      scope.warnings.add(path, 'array_truncated', `array of ${value.length} cut to ${ARRAY_LIST_LIMIT} entries`);
    }
    return cleanJson(value.slice(0, ARRAY_LIST_LIMIT), path, 3, scope);
  }
  if (typeof value === 'object' && value !== null) {
    scope.warnings.add(path, 'segment_value_object', 'segment values must be strings, numbers, booleans or arrays');
    return undefined;
  }
  return cleanJson(value, path, 3, scope);
}

function cleanSegmentation(value: unknown, path: string, scope: CleanScope): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    scope.warnings.add(path, 'wrong_type', 'segmentation must be an object');
    return undefined;
  }
  const out = new Map<string, unknown>();
  for (const [rawKey, raw] of Object.entries(value)) {
    const key = cleanKeyOf(rawKey, path, scope);
    if (key === undefined) continue;
    if (!out.has(key) && out.size >= SEGMENT_KEY_LIMIT) {
      scope.warnings.add(paramPath(path, rawKey), 'segment_limit', `an event carries at most ${SEGMENT_KEY_LIMIT} segments`);
      continue;
    }
    const cleaned = cleanSegmentValue(raw, paramPath(path, rawKey), scope);
    if (cleaned !== undefined) putEntry(out, key, cleaned, path, scope);
  }
  return Object.fromEntries(out);
}

/** A non-finite JSON number (`1e400` parses as Infinity) is out of range, not merely invalid. */
const outOfBounds = (value: unknown, b: Bounds): boolean => (typeof value === 'number' || typeof value === 'string') && !withinBounds(value, b.min, b.max);

function cleanNumericField(field: string, value: unknown, at: string, out: Map<string, unknown>, w: WarningList): void {
  const bounds = BOUNDED_FIELDS.get(field);
  if (bounds !== undefined && outOfBounds(value, bounds)) w.add(at, 'number_out_of_range', `${field} dropped: ${bounds.message}`);
  else if (numberLike.safeParse(value).success) out.set(field, value);
  else w.add(at, 'invalid_number', `${field} must be a number`);
}

function cleanEventField(field: string, value: unknown, path: string, out: Map<string, unknown>, scope: CleanScope): void {
  const at = paramPath(path, field);
  if (NUMERIC_FIELDS.has(field)) {
    cleanNumericField(field, value, at, out, scope.warnings);
    return;
  }
  if (field === 'segmentation') {
    const seg = cleanSegmentation(value, at, scope);
    if (seg !== undefined) out.set(field, seg);
    return;
  }
  const key = cleanKeyOf(field, path, scope);
  if (key === undefined) return;
  const cleaned = cleanJson(value, at, 2, scope);
  if (cleaned !== undefined) putEntry(out, key, cleaned, path, scope);
}

/** One event object, cleaned; undefined when the whole event is dropped. */
export function cleanEvent(item: unknown, path: string, warnings: WarningList): Record<string, unknown> | undefined {
  if (!isPlainObject(item)) {
    warnings.add(path, 'event_not_object', 'event dropped: each event must be an object');
    return undefined;
  }
  const key = eventKeyOf(item.key, path, warnings);
  if (key === undefined) return undefined;
  const scope: CleanScope = { warnings, keyRule: cleanObjectKey };
  const out = new Map<string, unknown>([['key', key]]);
  for (const [field, value] of Object.entries(item)) {
    if (field !== 'key') cleanEventField(field, value, path, out, scope);
  }
  return Object.fromEntries(out);
}

/** The `events` parameter, as a JSON string or an array. */
export function cleanEvents(raw: unknown, path: string, warnings: WarningList, maxEvents: number): EventsResult {
  let value = raw;
  if (typeof raw === 'string') {
    const parsed = parseJsonText(raw);
    if (!parsed.ok) {
      warnings.add(path, 'invalid_json', `dropped: ${parsed.message}`);
      return { kind: 'dropped' };
    }
    value = parsed.value;
  }
  if (!Array.isArray(value)) {
    warnings.add(path, 'wrong_type', 'dropped: events must be a JSON array');
    return { kind: 'dropped' };
  }
  if (value.length > maxEvents) return { kind: 'too_many', count: value.length };
  const events: unknown[] = [];
  value.forEach((item: unknown, i) => {
    const cleaned = cleanEvent(item, paramPath(path, i), warnings);
    if (cleaned !== undefined) events.push(cleaned);
  });
  return { kind: 'ok', events };
}
