// Event reads of `/o` (§4.6): `method=events` (one key, a segmentation, several keys summed,
// the overview) and `method=get_events` (the registry).
import {
  EVENT_LIMIT,
  EVENT_SEGMENTATION_LIMIT,
  EVENT_SEGMENTATION_VALUE_LIMIT,
  eventHash,
  eventRegistryFromStored,
  findEventGroup,
  readEventRegistryDocs,
  type EventRegistry,
} from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { jsonParam } from './keys.ts';
import { percentChange, periodSeries, periodSum, sumTimeObjects, type PeriodObject, type TimeObject } from './read/index.ts';
import { eventSettingsOutput } from './event-map.ts';
import { eventTimeObject } from './time-docs.ts';

const INTERNAL = '[CLY]';
const GROUP = '[CLY]_group_';
export const EVENT_LIMITS = {
  event_limit: EVENT_LIMIT,
  event_segmentation_limit: EVENT_SEGMENTATION_LIMIT,
  event_segmentation_value_limit: EVENT_SEGMENTATION_VALUE_LIMIT,
};

/** The app's registry, or undefined when no event was ever registered. */
export async function eventRegistry(ctx: ApiContext, appId: string): Promise<EventRegistry | undefined> {
  const docs = await readEventRegistryDocs(ctx.deps.db, appId);
  return docs.length === 0 ? undefined : eventRegistryFromStored(docs);
}

/** `method=get_events`: `[CLY]` keys removed; `segments` only once some event has one; `order`, `map`, `overview` from edit_map. */
export async function getEvents(ctx: ApiContext, appId: string): Promise<Record<string, unknown>> {
  const [registry, settings] = await Promise.all([eventRegistry(ctx, appId), eventSettingsOutput(ctx, appId)]);
  if (registry === undefined) return { ...settings, limits: EVENT_LIMITS };
  const list = registry.list.filter((k) => !k.startsWith(INTERNAL));
  const segments = Object.fromEntries(Object.entries(registry.segments).filter(([k]) => !k.startsWith(INTERNAL)));
  return { _id: appId, list, ...(Object.keys(segments).length > 0 ? { segments } : {}), ...settings, limits: EVENT_LIMITS };
}

/** The registry's `order` when edit_map set one, else undefined (the default key then comes from `list`). */
async function editedOrder(ctx: ApiContext, appId: string): Promise<readonly string[] | undefined> {
  const order = (await eventSettingsOutput(ctx, appId)).order;
  return Array.isArray(order) ? order.filter((k): k is string => typeof k === 'string') : undefined;
}

export interface EventsQuery {
  readonly event?: string;
  readonly events?: unknown;
  readonly segmentation?: string;
  readonly overview?: unknown;
}

/** The segment to read, if any (`no-segment` means none). */
const segmentOf = (q: EventsQuery): string | undefined =>
  q.segmentation === undefined || q.segmentation === '' || q.segmentation === 'no-segment' ? undefined : q.segmentation;

/** One key's time object; a `[CLY]_group_` key is the sum of its group's source events (unknown group: `{}`). */
export async function eventKeyTimeObject(
  ctx: ApiContext,
  appId: string,
  key: string,
  period: PeriodObject,
  segment: string | undefined,
  metaValueLimit?: number,
): Promise<TimeObject> {
  const read = (k: string) => eventTimeObject(ctx, appId, eventHash(k, appId), period, segment, { metaValueLimit });
  if (!key.startsWith(GROUP)) return read(key);
  const group = await findEventGroup(ctx.deps.db, appId, key);
  if (group === undefined) return {};
  return sumTimeObjects(await Promise.all(group.source_events.filter((k) => !k.startsWith(GROUP)).map(read)));
}

const keyTimeObject = (ctx: ApiContext, appId: string, key: string, period: PeriodObject, q: EventsQuery, metaValueLimit?: number): Promise<TimeObject> =>
  eventKeyTimeObject(ctx, appId, key, period, segmentOf(q), metaValueLimit);

/** Keys of `events=[...]` (JSON array, a JSON string of one key, or a real array); undefined when unusable. */
export function eventKeys(raw: unknown): string[] | undefined {
  const parsed = jsonParam(raw);
  const value = parsed.ok ? parsed.value : undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  const items: readonly unknown[] = value;
  return items.filter((k): k is string => typeof k === 'string').slice(0, EVENT_LIMIT);
}

function overviewNumber(tree: TimeObject, period: PeriodObject, prop: string): Record<string, unknown> {
  const total = periodSum(tree, period, [prop]);
  const previous = periodSum(tree, period, [prop], { previous: true });
  const change = percentChange(previous, total);
  return { total, 'prev-total': previous, change: change.percent, trend: change.trend, sparkline: periodSeries(tree, period, [prop]) };
}

/** `events=[...]&overview=true`: per key, count/sum/dur totals with change and sparkline. */
async function overview(ctx: ApiContext, appId: string, keys: string[], period: PeriodObject): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const tree = await keyTimeObject(ctx, appId, key, period, {});
    out[key] = { data: { count: overviewNumber(tree, period, 'c'), sum: overviewNumber(tree, period, 's'), dur: overviewNumber(tree, period, 'dur') } };
  }
  return out;
}

/** The first key (no `[CLY]` keys) of the registry `order` if set, else of the alphabetically sorted list. */
function defaultKey(registry: EventRegistry | undefined, order: readonly string[] | undefined): string | undefined {
  const first = order?.find((k) => !k.startsWith(INTERNAL));
  return first ?? registry?.list.filter((k) => !k.startsWith(INTERNAL)).sort()[0];
}

/** `method=events` (§4.6). */
export async function readEvents(ctx: ApiContext, appId: string, period: PeriodObject, q: EventsQuery): Promise<unknown> {
  if (q.events !== undefined && q.events !== '') {
    const keys = eventKeys(q.events);
    if (keys === undefined) return {};
    if (q.overview !== undefined && q.overview !== '' && q.overview !== false && q.overview !== 'false') return overview(ctx, appId, keys, period);
    const objects = await Promise.all(keys.map((key) => keyTimeObject(ctx, appId, key, period, q)));
    return sumTimeObjects(objects);
  }
  if (q.event !== undefined && q.event !== '') return keyTimeObject(ctx, appId, q.event, period, q);
  const [registry, order] = await Promise.all([eventRegistry(ctx, appId), editedOrder(ctx, appId)]);
  const first = registry === undefined ? undefined : defaultKey(registry, order);
  return first === undefined ? {} : keyTimeObject(ctx, appId, first, period, q, EVENT_SEGMENTATION_VALUE_LIMIT);
}
