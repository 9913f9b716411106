// Normalises the raw `period` parameter (§4.4) into one of three shapes before any calendar
// work: a named period string, an instant pair from `[from, to]` / `{since}`, or the default.
import { daysInMonth } from './zoned-time.ts';

/** A period after input normalisation. */
export type PeriodRequest =
  | { readonly kind: 'named'; readonly name: string; readonly excludeCurrentDay: boolean }
  | { readonly kind: 'range'; readonly fromMs: number; readonly toMs: number; readonly excludeCurrentDay: boolean };

const DATE_STRING = /^(\d{1,2})-(\d{1,2})-(\d{4})(?:\s+(\d{1,2}):(\d{1,2}):(\d{1,2}))?$/;

/** JSON.parse for strings that hold a period; a SyntaxError means "not JSON" and yields undefined. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Integer digits → ms: 10 digits are seconds, longer than 13 digits are cut to 13, others are ms. */
function digitsToMs(digits: string): number {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length === 10) return Number(trimmed) * 1000;
  return Number(trimmed.length > 13 ? trimmed.slice(0, 13) : trimmed);
}

/** `DD-MM-YYYY` or `DD-MM-YYYY HH:mm:ss`, read as UTC (the server-timezone quirk of §4.4). */
function dateStringToMs(text: string): number | undefined {
  const match = DATE_STRING.exec(text.trim());
  if (!match) return undefined;
  const [day, month, year, hour, minute, second] = match.slice(1).map((s) => Number(s ?? '0'));
  if (day === undefined || month === undefined || year === undefined) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** One `[from, to]` element as epoch ms, or undefined when it is not a usable instant. */
export function periodBoundToMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return digitsToMs(String(Math.trunc(value)));
  }
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value.trim())) return digitsToMs(value.trim());
  return dateStringToMs(value);
}

function rangeFrom(from: unknown, to: unknown, excludeCurrentDay: boolean): PeriodRequest | undefined {
  const fromMs = periodBoundToMs(from);
  const toMs = periodBoundToMs(to);
  if (fromMs === undefined || toMs === undefined) return undefined;
  return { kind: 'range', fromMs, toMs, excludeCurrentDay };
}

function fromObject(value: Record<string, unknown>, nowMs: number): PeriodRequest | undefined {
  const exclude = value.exclude_current_day === true || value.exclude_current_day === 'true';
  const inner = value.period ?? value;
  if (typeof inner === 'string' && inner !== '') return { kind: 'named', name: inner, excludeCurrentDay: exclude };
  if (Array.isArray(inner)) return rangeFrom(inner[0], inner[1], exclude);
  if (isRecord(inner) && inner.since !== undefined) return rangeFrom(inner.since, nowMs, exclude);
  return undefined;
}

/**
 * Normalise a raw `period` (string, JSON string, array or object) into a request. Anything
 * unusable becomes the named default (`30days` unless told otherwise).
 */
export function readPeriodRequest(raw: unknown, nowMs: number, defaultPeriod: string): PeriodRequest {
  const fallback: PeriodRequest = { kind: 'named', name: defaultPeriod, excludeCurrentDay: false };
  const value = typeof raw === 'string' && raw.includes(',') ? parseJson(raw) : raw;
  if (typeof value === 'string' && value !== '') return { kind: 'named', name: value, excludeCurrentDay: false };
  if (Array.isArray(value)) return rangeFrom(value[0], value[1], false) ?? fallback;
  if (isRecord(value)) return fromObject(value, nowMs) ?? fallback;
  return fallback;
}
