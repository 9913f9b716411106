// Per-event cleaning of §2.9, steps 1–3 and 5–7: everything that does not depend on what the
// app has already registered. Limits (event_limit, segment and value caps) are the fold's job.
import { z } from 'zod';
import { stripEdgeSpace } from './json.ts';
import { isNumeric } from './metric-normalize.ts';
import { requestTimestampMs } from './time.ts';

/** Internal `[CLY]_` keys that core aggregation keeps (registered by default plugins). */
export const AGGREGATED_INTERNAL_EVENTS: ReadonlySet<string> = new Set(['[CLY]_star_rating', '[CLY]_push_sent', '[CLY]_push_action']);

/** Longest event key kept after cleaning, characters (§2.16: keys must be shorter than 128). */
export const EVENT_KEY_MAX_LENGTH = 127;

export interface CleanSegment {
  readonly key: string;
  readonly value: string;
}

/** One event that core aggregation will consider. */
export interface CleanEvent {
  /** Cleaned key (`system.`, `..`, `$` removed). */
  readonly key: string;
  /** Count: integer parse when numeric and truthy, else 1 (negatives kept). */
  readonly count: number;
  /** Rounded to 5 decimals; null when absent, non-numeric or zero. */
  readonly sum: number | null;
  /** null when absent, non-numeric or zero. */
  readonly dur: number | null;
  /** Accepted segment pairs in request order (array values already dropped). */
  readonly segments: readonly CleanSegment[];
  /** Bucketing time: the event's own timestamp, else the request time (§2.9 step 8). */
  readonly timeMs: number;
}

const rawEvent = z.object({
  key: z.unknown().optional(),
  count: z.unknown().optional(),
  sum: z.unknown().optional(),
  dur: z.unknown().optional(),
  segmentation: z.record(z.string(), z.unknown()).optional().catch(undefined),
  timestamp: z.unknown().optional(),
});

/** Step 1: a non-string key is JSON-serialised (`5` → `"5"`). */
function keyOf(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  return key === undefined ? undefined : JSON.stringify(key);
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what is being removed
const NUL = /\u0000/g;

/**
 * Step 5: every `system.`, `..` and `$` removed, and NUL (BSON keys are C strings). Countly makes
 * one pass; one pass can leave a new match (`sys$tem.x` → `system.x`), so this repeats until
 * nothing changes. Ingest stores keys this way, so the processors find nothing left to change.
 */
export function stripEventKey(key: string): string {
  let current = key.replace(NUL, '');
  for (;;) {
    const next = current.replace(/system\.|\.\.|\$/g, '');
    if (next === current) return next;
    current = next;
  }
}

/** The stored event key: stripped (step 5); undefined when empty or longer than EVENT_KEY_MAX_LENGTH. */
export function cleanEventKey(key: string): string | undefined {
  const cleaned = stripEventKey(key);
  return cleaned === '' || cleaned.length > EVENT_KEY_MAX_LENGTH ? undefined : cleaned;
}

function countOf(raw: unknown): number {
  if (!raw || !isNumeric(raw)) return 1;
  const n = Number.parseInt(String(raw), 10);
  return Number.isNaN(n) ? 1 : n;
}

function sumOf(raw: unknown): number | null {
  if (!raw || !isNumeric(raw)) return null;
  const n = Number.parseFloat(Number.parseFloat(String(raw)).toFixed(5));
  return n === 0 ? null : n;
}

function durOf(raw: unknown): number | null {
  if (!raw || !isNumeric(raw)) return null;
  const n = Number.parseFloat(String(raw));
  return n === 0 ? null : n;
}

/** Segment key: a leading `$` run and every `.` are deleted (`$a.b` → `ab`). */
export function cleanSegmentKey(key: string): string {
  return stripEdgeSpace(key.includes('.') || key.startsWith('$') ? key.replace(/^\$+|\./g, '') : key);
}

/** Values `"1"`…`"31"` would collide with day keys inside `d`. */
const DAY_LIKE = new Set(Array.from({ length: 31 }, (_, i) => String(i + 1)));

/** Segment value (step 7): arrays are not aggregated; others stringified and escaped. */
export function cleanSegmentValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return undefined;
  const asText = typeof value === 'object' && value !== null ? '[object Object]' : String(value);
  if (asText === '') return undefined;
  const escaped = stripEdgeSpace(asText.replace(/^\$+/, '').replace(/\./g, ':').replaceAll('\u0000', '&#9647'));
  if (escaped === '') return undefined;
  return DAY_LIKE.has(escaped) ? `[CLY]${escaped}` : escaped;
}

function segmentsOf(segmentation: Readonly<Record<string, unknown>> | undefined): CleanSegment[] {
  if (!segmentation) return [];
  // Rewritten keys may collide with existing ones; the later entry wins, as in Countly.
  const byKey = new Map<string, unknown>();
  for (const [rawKey, value] of Object.entries(segmentation)) byKey.set(cleanSegmentKey(rawKey), value);
  const out: CleanSegment[] = [];
  for (const [key, value] of byKey) {
    if (key === '') continue;
    const cleaned = cleanSegmentValue(value);
    if (cleaned !== undefined) out.push({ key, value: cleaned });
  }
  return out;
}

/**
 * Cleans the parsed `events` array of one request. Items that are not objects, have an empty
 * key, an internal `[CLY]_` key that core does not aggregate, or a key that cleans to nothing
 * or to 128+ characters are dropped.
 */
export function cleanEvents(events: readonly unknown[], requestTimeMs: number, receivedAtMs: number): CleanEvent[] {
  const out: CleanEvent[] = [];
  for (const item of events) {
    const parsed = rawEvent.safeParse(item);
    if (!parsed.success) continue;
    const e = parsed.data;
    const rawKey = keyOf(e.key);
    if (!rawKey) continue;
    if (rawKey.startsWith('[CLY]_') && !AGGREGATED_INTERNAL_EVENTS.has(rawKey)) continue;
    const key = cleanEventKey(rawKey);
    if (key === undefined) continue;
    out.push({
      key,
      count: countOf(e.count),
      sum: sumOf(e.sum),
      dur: durOf(e.dur),
      segments: segmentsOf(e.segmentation),
      timeMs: e.timestamp ? requestTimestampMs(e.timestamp, receivedAtMs) : requestTimeMs,
    });
  }
  return out;
}
