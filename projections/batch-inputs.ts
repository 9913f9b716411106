// What a processor must read before folding a batch, and the builders that turn stored
// documents into fold inputs. Pure: the processor does the queries (one per kind).
import { dict, own } from './dict.ts';
import { isAppUserChange } from './events.ts';
import type { EventRegistry } from './registry-draft.ts';
import { segmentMetaKey } from './events.fold.ts';
import type { FoldEvent } from './fold.ts';
import { appUserId, eventHash } from './hash.ts';
import { isJsonObject, toJson, type JsonObject } from './json.ts';
import { knownMetaOf, metricValueCostBytes, segmentValueCostBytes, type KnownMeta } from './known-meta.ts';
import { CITY_FAMILY, METRIC_FAMILIES, type MetricCollection } from './metric-families.ts';
import { metricMetaKey } from './metrics.fold.ts';
import { deviceKeyOf, normalizedRequestOf } from './request.ts';
import { deviceStateFromAppUser, type DeviceState } from './session-rules.ts';
import { usersDocId } from './sessions.fold.ts';
import { timeObject } from './time.ts';

export interface AppUserToLoad {
  /** Device key used in fold state (`<appId>:<deviceId>`). */
  readonly key: string;
  readonly appId: string;
  readonly deviceId: string;
  /** `_id` in `app_users<appId>`. */
  readonly id: string;
}

export interface BatchInputs {
  /** App users of every device and `old_device_id` of the batch. */
  readonly appUsers: readonly AppUserToLoad[];
  /** `users` periods whose `vis` flags to load (all documents of app + period `m`, any group). */
  readonly usersPeriods: readonly { readonly appId: string; readonly period: string; readonly id: string }[];
  /** Metric meta: `meta_v2` of the year documents (`m: "YYYY:0"`) of (app, collection). */
  readonly metricMeta: readonly { readonly key: string; readonly appId: string; readonly collection: MetricCollection; readonly year: number }[];
  /** Apps whose event registry to load. */
  readonly eventApps: readonly string[];
  /** Segment values: `meta_v2.<segKey>` of `events_data` docs with a, e, s = segKey, m = "YYYY:0". */
  readonly segmentMeta: readonly { readonly key: string; readonly appId: string; readonly eventHash: string; readonly segKey: string; readonly year: number }[];
}

/** Everything the folds of this batch may read, deduplicated. */
export function batchInputs(events: readonly FoldEvent[]): BatchInputs {
  const appUsers = new Map<string, AppUserToLoad>();
  const usersPeriods = new Map<string, BatchInputs['usersPeriods'][number]>();
  const metricMeta = new Map<string, BatchInputs['metricMeta'][number]>();
  const eventApps = new Set<string>();
  const segmentMeta = new Map<string, BatchInputs['segmentMeta'][number]>();
  for (const event of events) {
    if (isAppUserChange(event)) {
      const key = deviceKeyOf(event.appId, event.deviceId);
      appUsers.set(key, { key, appId: event.appId, deviceId: event.deviceId, id: appUserId(event.appKey, event.deviceId) });
    }
    if (event.type !== 'SdkRequestReceived') continue;
    const req = normalizedRequestOf(event);
    for (const deviceId of req.oldDeviceId === null ? [req.deviceId] : [req.deviceId, req.oldDeviceId]) {
      const key = deviceKeyOf(req.appId, deviceId);
      appUsers.set(key, { key, appId: req.appId, deviceId, id: appUserId(req.appKey, deviceId) });
    }
    for (const period of [`${req.time.year}:${req.time.month}`, `${req.time.year}:0`]) {
      const id = usersDocId(req.appId, period);
      usersPeriods.set(id, { appId: req.appId, period, id });
    }
    if (req.beginSession) {
      // Only the families this request has a value for: each is one more read of the batch.
      const families = METRIC_FAMILIES.filter((f) => req.metrics?.[f.field] !== undefined);
      if (req.cityValue !== null) families.push(CITY_FAMILY);
      for (const { collection } of families) {
        const key = metricMetaKey(req.appId, collection, req.time.year);
        metricMeta.set(key, { key, appId: req.appId, collection, year: req.time.year });
      }
    }
    if (req.events.length > 0) eventApps.add(req.appId);
    for (const e of req.events) {
      const hash = eventHash(e.key, req.appId);
      const year = e.timeMs === req.time.timestampMs ? req.time.year : timeObject(e.timeMs, req.timezone).year;
      for (const seg of e.segments) {
        const key = segmentMetaKey(req.appId, hash, seg.key, year);
        segmentMeta.set(key, { key, appId: req.appId, eventHash: hash, segKey: seg.key, year });
      }
    }
  }
  return {
    appUsers: [...appUsers.values()],
    usersPeriods: [...usersPeriods.values()],
    metricMeta: [...metricMeta.values()],
    eventApps: [...eventApps],
    segmentMeta: [...segmentMeta.values()],
  };
}

/** A stored app-user document as fold data (Dates → ms, ObjectIds → hex); null when absent. */
export function appUserFromStored(doc: unknown): JsonObject | null {
  const json = toJson(doc);
  return isJsonObject(json) ? json : null;
}

/** Device states for the sessions and metrics folds, from the loaded app users. */
export function devicesFromAppUsers(users: Readonly<Record<string, JsonObject | null>>): Record<string, DeviceState | null> {
  return Object.fromEntries(Object.entries(users).map(([key, doc]) => [key, deviceStateFromAppUser(doc)]));
}

/** Union of the `vis` flags of the stored documents of one users period. */
export function visibilityFromStored(docs: readonly unknown[]): Record<string, true> {
  const out = dict<true>();
  for (const doc of docs) {
    const json = toJson(doc);
    const vis = isJsonObject(json) ? json.vis : undefined;
    if (isJsonObject(vis)) for (const [shard, flag] of Object.entries(vis)) if (flag === true) out[shard] = true;
  }
  return out;
}

/** Set → values of stored `meta_v2` objects (each `{ <set>: { <value>: true } }`), merged. */
function metaSets(metaV2s: readonly unknown[]): Record<string, string[]> {
  const out = dict<string[]>();
  for (const meta of metaV2s) {
    const json = toJson(meta);
    if (!isJsonObject(json)) continue;
    for (const [set, values] of Object.entries(json)) if (isJsonObject(values)) (out[set] ??= []).push(...Object.keys(values));
  }
  return out;
}

/** KnownMeta of one (app, collection, year) from the `meta_v2` of its year documents. */
export const knownMetricMetaFromStored = (metaV2s: readonly unknown[]): KnownMeta => knownMetaOf(metaSets(metaV2s), metricValueCostBytes);

/** KnownMeta of one segment-year from the `meta_v2` of its year documents (all shards). */
export function knownSegmentMetaFromStored(segKey: string, metaV2s: readonly unknown[]): KnownMeta {
  return knownMetaOf(Object.assign(dict<string[]>(), { [segKey]: own(metaSets(metaV2s), segKey) ?? [] }), segmentValueCostBytes);
}

type Dated = { readonly name: string; readonly at: number };
const byFirstSeen = (a: Dated, b: Dated): number => a.at - b.at || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * An event registry from stored registry documents (one per group, see eventsWriteOps):
 * `list.<hash> = {key, at}`, `segments.<hash>.<seg> = at`, ordered by first-seen time.
 */
export function eventRegistryFromStored(docs: readonly unknown[]): EventRegistry {
  const keys = new Map<string, Dated>();
  const segs = new Map<string, Map<string, Dated>>();
  for (const doc of docs) {
    const json = toJson(doc);
    if (!isJsonObject(json)) continue;
    const list = isJsonObject(json.list) ? json.list : {};
    for (const [hash, entry] of Object.entries(list)) {
      if (!isJsonObject(entry) || typeof entry.key !== 'string') continue;
      const at = typeof entry.at === 'number' ? entry.at : 0;
      const known = keys.get(hash);
      if (!known || at < known.at) keys.set(hash, { name: entry.key, at });
    }
    const segments = isJsonObject(json.segments) ? json.segments : {};
    for (const [hash, bySeg] of Object.entries(segments)) {
      if (!isJsonObject(bySeg)) continue;
      const target = segs.get(hash) ?? new Map<string, Dated>();
      segs.set(hash, target);
      for (const [seg, at] of Object.entries(bySeg)) {
        const time = typeof at === 'number' ? at : 0;
        const known = target.get(seg);
        if (!known || time < known.at) target.set(seg, { name: seg, at: time });
      }
    }
  }
  const ordered = [...keys.entries()].sort(([, a], [, b]) => byFirstSeen(a, b));
  const segments = dict<string[]>();
  for (const [hash, { name }] of ordered) {
    const bySeg = segs.get(hash);
    if (bySeg) segments[name] = [...bySeg.values()].sort(byFirstSeen).map((s) => s.name);
  }
  return { list: ordered.map(([, { name }]) => name), segments };
}

/**
 * Exact number of uids each app needs for this batch: requests whose device has no user at
 * that point (a merge or an erasure removes a device's user), and operators' creates without a uid. `exists` tells which keys were loaded.
 */
export function uidDemand(events: readonly FoldEvent[], exists: (deviceKey: string) => boolean): Record<string, number> {
  const present = new Map<string, boolean>();
  const has = (key: string): boolean => present.get(key) ?? exists(key);
  const demand = dict<number>();
  for (const event of events) {
    if (isAppUserChange(event)) {
      // An operator's create without a uid needs one; a delete leaves the device without a user.
      const key = deviceKeyOf(event.appId, event.deviceId);
      if (event.type === 'AppUserDeleted') present.set(key, false);
      else if (event.type === 'AppUserCreated' && !has(key)) {
        if (event.fields.uid === undefined) demand[event.appId] = (demand[event.appId] ?? 0) + 1;
        present.set(key, true);
      }
    }
    if (event.type !== 'SdkRequestReceived') continue;
    const req = normalizedRequestOf(event);
    if (!has(req.deviceKey)) {
      demand[req.appId] = (demand[req.appId] ?? 0) + 1;
      present.set(req.deviceKey, true);
    }
    if (req.oldDeviceId !== null) present.set(deviceKeyOf(req.appId, req.oldDeviceId), false);
  }
  return demand;
}
