// Event groups and per-app event settings (spec §4.3, §4.6): management documents written by the
// API, read by `_id` (a group, an app's settings) or by app (an app's groups: a small collection).
import type { Db } from 'mongodb';
import { z } from 'zod';
import { EVENT_GROUPS, EVENT_SETTINGS } from './collections.ts';
import { guarded } from './guarded.ts';

/** An event group as stored (Countly's fields). */
export const eventGroupSchema = z.looseObject({
  _id: z.string(),
  app_id: z.string(),
  name: z.string(),
  source_events: z.array(z.string()),
  description: z.string().optional(),
  display_map: z.record(z.string(), z.unknown()),
  status: z.boolean(),
  order: z.number().optional(),
});
export type EventGroupRecord = z.infer<typeof eventGroupSchema>;

/**
 * An app's event settings as stored. Countly keeps `map.<event key>`; event keys may contain
 * dots, which would become field paths, so Tally stores the map as a list of `{key, ...props}`.
 */
export const eventSettingsSchema = z.looseObject({
  _id: z.string(),
  order: z.array(z.string()).optional(),
  map: z.array(z.looseObject({ key: z.string() })).optional(),
  overview: z.array(z.unknown()).optional(),
});
export type EventSettingsRecord = z.infer<typeof eventSettingsSchema>;

const groups = (db: Db) => db.collection<EventGroupRecord>(EVENT_GROUPS);
const settings = (db: Db) => db.collection<EventSettingsRecord>(EVENT_SETTINGS);

/** The app's groups by `order`, then id. */
export async function listEventGroups(db: Db, appId: string): Promise<EventGroupRecord[]> {
  const docs = await guarded('event group list', () => groups(db).find({ app_id: appId }).toArray());
  return docs.map((d) => eventGroupSchema.parse(d)).sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a._id.localeCompare(b._id));
}

/** One group of the app, by id. */
export async function findEventGroup(db: Db, appId: string, id: string): Promise<EventGroupRecord | undefined> {
  const doc = await guarded('event group lookup', () => groups(db).findOne({ _id: id }));
  const group = doc === null ? undefined : eventGroupSchema.parse(doc);
  return group?.app_id === appId ? group : undefined;
}

export async function insertEventGroup(db: Db, group: EventGroupRecord): Promise<void> {
  await guarded('event group insert', () => groups(db).insertOne(group));
}

/** Sets fields of the app's groups with these ids; answers how many matched. */
export async function setEventGroups(db: Db, appId: string, ids: readonly string[], set: Readonly<Record<string, unknown>>): Promise<number> {
  const res = await guarded('event group update', () => groups(db).updateMany({ _id: { $in: [...ids] }, app_id: appId }, { $set: set }));
  return res.matchedCount;
}

/** `order` = position in `ids`, one small update per group. */
export async function orderEventGroups(db: Db, appId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const ops = ids.map((id, order) => ({ updateOne: { filter: { _id: id, app_id: appId }, update: { $set: { order } } } }));
  await guarded('event group order', () => groups(db).bulkWrite(ops, { ordered: false }));
}

export async function deleteEventGroups(db: Db, appId: string, ids: readonly string[]): Promise<number> {
  const res = await guarded('event group delete', () => groups(db).deleteMany({ _id: { $in: [...ids] }, app_id: appId }));
  return res.deletedCount;
}

export async function findEventSettings(db: Db, appId: string): Promise<EventSettingsRecord | undefined> {
  const doc = await guarded('event settings lookup', () => settings(db).findOne({ _id: appId }));
  return doc === null ? undefined : eventSettingsSchema.parse(doc);
}

/** Sets fields (`order`, `overview`, `map`) of the app's settings document, creating it. */
export async function setEventSettings(db: Db, appId: string, set: Readonly<Record<string, unknown>>): Promise<void> {
  await guarded('event settings update', () => settings(db).updateOne({ _id: appId }, { $set: set }, { upsert: true }));
}

/** Removes an app's groups and event settings (app deletion). */
export async function deleteEventManagement(db: Db, appId: string): Promise<void> {
  await guarded('event management delete', () => Promise.all([groups(db).deleteMany({ app_id: appId }), settings(db).deleteOne({ _id: appId })]));
}
