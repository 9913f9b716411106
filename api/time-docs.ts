// Reads bucket documents for a period and builds time objects (§4.5, §4.6) with api/read.
// Stored documents are checked node by node on the way in (numbers, value flags, objects).
import type { Document } from 'mongodb';
import { readBuckets, readEventBuckets } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import {
  buildTimeObject,
  parsePeriod,
  type Family,
  type PeriodObject,
  type TimeDoc,
  type TimeObject,
  type TimeObjectOptions,
  type TimeTree,
} from './read/index.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A stored `d` as a time tree: numbers and nested objects kept, anything else dropped. */
export function asTimeTree(value: unknown, depth = 0): TimeTree {
  const out: TimeTree = {};
  if (!isRecord(value) || depth > 8) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (isRecord(v)) out[key] = asTimeTree(v, depth + 1);
  }
  return out;
}

function metaV2(value: unknown): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (!isRecord(value)) return out;
  for (const [set, values] of Object.entries(value)) if (isRecord(values)) out[set] = values;
  return out;
}

function metaLists(value: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!isRecord(value)) return out;
  for (const [set, values] of Object.entries(value)) {
    if (Array.isArray(values)) out[set] = values.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

/** A stored bucket document as the time-object builder reads it. */
export function toTimeDoc(doc: Document): TimeDoc {
  return { m: typeof doc.m === 'string' ? doc.m : undefined, d: asTimeTree(doc.d), meta: metaLists(doc.meta), meta_v2: metaV2(doc.meta_v2) };
}

/** Splits documents into year (`YYYY:0`) and month documents. */
export function splitDocs(docs: readonly Document[]): { years: TimeDoc[]; months: TimeDoc[] } {
  const all = docs.map(toTimeDoc);
  return { years: all.filter((d) => d.m?.endsWith(':0') === true), months: all.filter((d) => d.m !== undefined && !d.m.endsWith(':0')) };
}

/** The `m` values a period needs: every month touched by it or its previous period, and their years. */
export const periodIds = (period: PeriodObject): string[] => [...period.reqMonthDbDateIds, ...period.reqZeroDbDateIds];

/** Options of `/o?method=<time object>`: `action=refresh` reads only the current month and year; `fullRange` every document. */
export interface TimeReadOptions {
  readonly refresh?: boolean;
  readonly fullRange?: boolean;
}

/** `Y:M` and `Y:0` of today in the app zone, and today's day number. */
function today(ctx: ApiContext, timezone: string): { ids: string[]; day: string; year: string; month: string } {
  const [year = '1970', month = '1', day = '1'] = String(parsePeriod('hour', ctx.now(), timezone).activePeriod).split('.');
  return { ids: [`${year}:${month}`, `${year}:0`], day, year, month };
}

/** Keeps only today's day under the current month (`action=refresh`). */
function onlyToday(tree: TimeObject, t: { year: string; month: string; day: string }): TimeObject {
  const year = tree[t.year];
  const month = isRecord(year) ? year[t.month] : undefined;
  if (!isRecord(month) || Array.isArray(month)) return tree;
  for (const key of Object.keys(month)) if (key !== t.day && /^\d+$/.test(key)) delete month[key];
  return tree;
}

/** The time object of one users/metric family for a period (§4.5). */
export async function familyTimeObject(
  ctx: ApiContext,
  logical: string,
  family: Family,
  appId: string,
  period: PeriodObject,
  timezone: string,
  opts: TimeReadOptions = {},
): Promise<TimeObject> {
  const groups = { partitionGroups: ctx.deps.config.streams.partitionGroups };
  if (opts.refresh === true) {
    const t = today(ctx, timezone);
    const { years, months } = splitDocs(await readBuckets(ctx.deps.db, logical, appId, t.ids, groups));
    return onlyToday(buildTimeObject(years, months, family, { rollUp: false }), t);
  }
  const { years, months } = splitDocs(await readBuckets(ctx.deps.db, logical, appId, opts.fullRange === true ? 'all' : periodIds(period), groups));
  return buildTimeObject(years, months, family);
}

/**
 * The time object of one event for a period (§4.6): `no-segment` month documents, or the month
 * documents of one segment, plus every year document of the event (they hold the meta lists).
 */
export async function eventTimeObject(
  ctx: ApiContext,
  appId: string,
  eventHash: string,
  period: PeriodObject,
  segment?: string,
  opts: TimeObjectOptions = {},
): Promise<TimeObject> {
  const [monthDocs, yearDocs] = await Promise.all([
    readEventBuckets(ctx.deps.db, appId, eventHash, period.reqMonthDbDateIds, segment ?? 'no-segment'),
    readEventBuckets(ctx.deps.db, appId, eventHash, period.reqZeroDbDateIds),
  ]);
  const years = splitDocs(yearDocs).years;
  const months = splitDocs(monthDocs).months;
  return buildTimeObject(years, months, 'event', { ...opts, segmented: segment !== undefined });
}
