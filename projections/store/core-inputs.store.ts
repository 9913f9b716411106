// Reads everything the core folds need for one batch: one query per kind of state, never one
// per event (batchInputs lists what the batch touches). App users are read by `_id`, which on
// FerretDB means one find per device of the batch (by-ids.ts).
import { MongoError, type Db, type Document } from 'mongodb';
import { groupIdSuffix, uidCounterId } from '../core.ts';
import { OWNER } from './apply.store.ts';
import { findByIds } from './by-ids.ts';
import { groupBy } from '../group-by.ts';
import { StoreReadFailedError } from '../errors.ts';
import {
  appUserFromStored,
  eventRegistryFromStored,
  knownMetricMetaFromStored,
  knownSegmentMetaFromStored,
  visibilityFromStored,
  type BatchInputs,
} from '../batch-inputs.ts';
import { eventDocId } from '../events.fold.ts';
import type { EventRegistry } from '../registry-draft.ts';
import type { JsonObject } from '../json.ts';
import type { KnownMeta } from '../known-meta.ts';
import { appUsersCollection } from '../app-users.fold.ts';
import { EVENT_REGISTRY_COLLECTION } from '../write-ops.ts';
import { VALUE_SHARDS } from '../hash.ts';
import { metricDocId } from '../metrics.fold.ts';

export interface CoreInputs {
  readonly users: Record<string, JsonObject | null>;
  readonly visibility: Record<string, Record<string, true>>;
  readonly knownMetrics: Record<string, KnownMeta>;
  readonly registries: Record<string, EventRegistry>;
  readonly knownSegments: Record<string, KnownMeta>;
}

type Named = (logical: string) => string;

/**
 * What a group knows to be absent without asking: `absent(physicalCollection, id)` is true only
 * for a document this group owns and has certainly never written (a rebuild into an empty
 * version, processors/rebuild.ts). `ownDevices` are the device keys of the batch's own events;
 * an `old_device_id` may belong to another group, whose writes this group cannot know.
 */
export interface KnownAbsent {
  readonly absent: (collection: string, id: string) => boolean;
  readonly ownDevices: ReadonlySet<string>;
}

const SHARDS = Array.from({ length: VALUE_SHARDS }, (_, s) => s);

async function loadUsers(db: Db, inputs: BatchInputs, name: Named, known: KnownAbsent | undefined): Promise<CoreInputs['users']> {
  const users: CoreInputs['users'] = {};
  await Promise.all(
    [...groupBy(inputs.appUsers, (u) => u.appId)].map(async ([appId, list]) => {
      const collection = name(appUsersCollection(appId));
      const unknown = known === undefined ? list : list.filter((u) => !(known.ownDevices.has(u.key) && known.absent(collection, u.id)));
      const docs = await findByIds(
        db,
        collection,
        unknown.map((u) => u.id),
      );
      const byId = new Map(docs.map((d): [unknown, Document] => [d._id, d]));
      for (const u of list) users[u.key] = appUserFromStored(stripInternal(byId.get(u.id)));
    }),
  );
  return users;
}

/** The store's own fields (watermark, owner) are not part of the fold's view of a document. */
function stripInternal(doc: Document | undefined): Document | undefined {
  if (doc === undefined) return undefined;
  const { _s: _watermark, _g: _owner, ...rest } = doc;
  return rest;
}

/**
 * True when every id (this group's suffix added) is known absent: the query would find nothing.
 * The ids are only built when something is known (live processing knows nothing).
 */
function allAbsent(known: KnownAbsent | undefined, collection: string, ids: () => readonly string[], group: number): boolean {
  return known !== undefined && ids().every((id) => known.absent(collection, `${id}${groupIdSuffix(group)}`));
}

async function loadVisibility(db: Db, inputs: BatchInputs, name: Named, group: number, known: KnownAbsent | undefined): Promise<CoreInputs['visibility']> {
  if (inputs.usersPeriods.length === 0) return {};
  if (allAbsent(known, name('users'), () => inputs.usersPeriods.map((p) => p.id), group))
    return Object.fromEntries(inputs.usersPeriods.map((p) => [p.id, visibilityFromStored([])]));
  const apps = [...new Set(inputs.usersPeriods.map((p) => p.appId))];
  const periods = [...new Set(inputs.usersPeriods.map((p) => p.period))];
  const docs = await db
    .collection(name('users'))
    .find({ a: { $in: apps }, m: { $in: periods }, [OWNER]: group }, { projection: { a: 1, m: 1, vis: 1 } })
    .toArray();
  const byId = groupBy(docs, (d) => `${String(d.a)}_${String(d.m)}`);
  return Object.fromEntries(inputs.usersPeriods.map((p) => [p.id, visibilityFromStored(byId.get(p.id) ?? [])]));
}

async function loadMetricMeta(db: Db, inputs: BatchInputs, name: Named, group: number, known: KnownAbsent | undefined): Promise<CoreInputs['knownMetrics']> {
  const out: CoreInputs['knownMetrics'] = {};
  await Promise.all(
    [...groupBy(inputs.metricMeta, (m) => m.collection)].map(async ([collection, list]) => {
      const ids = () => list.flatMap((m) => SHARDS.map((shard) => metricDocId(m.appId, `${m.year}:0`, shard)));
      if (allAbsent(known, name(collection), ids, group)) {
        for (const m of list) out[m.key] = knownMetricMetaFromStored([]);
        return;
      }
      const docs = await db
        .collection(name(collection))
        .find(
          { a: { $in: [...new Set(list.map((m) => m.appId))] }, m: { $in: [...new Set(list.map((m) => `${m.year}:0`))] }, [OWNER]: group },
          { projection: { a: 1, m: 1, meta_v2: 1 } },
        )
        .toArray();
      const byKey = groupBy(docs, (d) => `${String(d.a)}|${String(d.m)}`);
      for (const m of list) out[m.key] = knownMetricMetaFromStored((byKey.get(`${m.appId}|${m.year}:0`) ?? []).map((d): unknown => d.meta_v2));
    }),
  );
  return out;
}

async function loadRegistries(db: Db, inputs: BatchInputs, name: Named, group: number, known: KnownAbsent | undefined): Promise<CoreInputs['registries']> {
  if (inputs.eventApps.length === 0) return {};
  if (allAbsent(known, name(EVENT_REGISTRY_COLLECTION), () => inputs.eventApps, group))
    return Object.fromEntries(inputs.eventApps.map((a) => [a, eventRegistryFromStored([])]));
  const docs = await db
    .collection(name(EVENT_REGISTRY_COLLECTION))
    .find({ a: { $in: inputs.eventApps }, [OWNER]: group })
    .toArray();
  const byApp = groupBy(docs, (d) => String(d.a));
  return Object.fromEntries(inputs.eventApps.map((a) => [a, eventRegistryFromStored(byApp.get(a) ?? [])]));
}

async function loadSegmentMeta(db: Db, inputs: BatchInputs, name: Named, group: number, known: KnownAbsent | undefined): Promise<CoreInputs['knownSegments']> {
  if (inputs.segmentMeta.length === 0) return {};
  const ids = () => inputs.segmentMeta.flatMap((s) => SHARDS.map((shard) => eventDocId(s.appId, s.eventHash, s.segKey, `${s.year}:0`, shard)));
  if (allAbsent(known, name('events_data'), ids, group))
    return Object.fromEntries(inputs.segmentMeta.map((s) => [s.key, knownSegmentMetaFromStored(s.segKey, [])]));
  const docs = await db
    .collection(name('events_data'))
    .find(
      {
        a: { $in: [...new Set(inputs.segmentMeta.map((s) => s.appId))] },
        e: { $in: [...new Set(inputs.segmentMeta.map((s) => s.eventHash))] },
        s: { $in: [...new Set(inputs.segmentMeta.map((s) => s.segKey))] },
        m: { $in: [...new Set(inputs.segmentMeta.map((s) => `${s.year}:0`))] },
        [OWNER]: group,
      },
      { projection: { a: 1, e: 1, s: 1, m: 1, meta_v2: 1 } },
    )
    .toArray();
  const byKey = groupBy(docs, (d) => `${String(d.a)}|${String(d.e)}|${String(d.s)}|${String(d.m)}`);
  return Object.fromEntries(
    inputs.segmentMeta.map((s) => [
      s.key,
      knownSegmentMetaFromStored(
        s.segKey,
        (byKey.get(`${s.appId}|${s.eventHash}|${s.segKey}|${s.year}:0`) ?? []).map((d): unknown => d.meta_v2),
      ),
    ]),
  );
}

/**
 * Loads the fold inputs of a batch: five queries (at most one per collection involved).
 * Shared state (visibility flags, metric and segment meta, the event registry) is read from
 * the group's own documents only: what another group has written depends on how far that group
 * got, which differs between runs, so reading it would make results depend on timing and a
 * rebuild could not reproduce them. Limits therefore apply per partition group
 * (docs/countly-differences.md). Per-device state is owned by the device's group.
 */
export async function loadCoreInputs(db: Db, inputs: BatchInputs, collectionName: Named, group: number, known?: KnownAbsent): Promise<CoreInputs> {
  try {
    const [users, visibility, knownMetrics, registries, knownSegments] = await Promise.all([
      loadUsers(db, inputs, collectionName, known),
      loadVisibility(db, inputs, collectionName, group, known),
      loadMetricMeta(db, inputs, collectionName, group, known),
      loadRegistries(db, inputs, collectionName, group, known),
      loadSegmentMeta(db, inputs, collectionName, group, known),
    ]);
    return { users, visibility, knownMetrics, registries, knownSegments };
  } catch (err) {
    // Only the database's failures are infrastructure; an error of the pure code that reads the
    // documents is the batch's content, and the runner isolates it (processors/isolate.ts).
    if (!(err instanceof MongoError)) throw err;
    throw new StoreReadFailedError('core inputs', { cause: err });
  }
}

/**
 * How many uids each app's counter of this group has issued (`n`), read once per batch. The
 * counter moves with the batch's writes (core.ts), never here, so preparing a batch twice gives
 * the same uids. A legacy shared counter (`_id` = app id, `seq`) sets the floor, so uids issued
 * before per-group counters are never issued again.
 */
export async function readUidCounters(db: Db, collection: string, appIds: readonly string[], group: number, groups: number): Promise<Record<string, number>> {
  if (appIds.length === 0) return {};
  const ids = appIds.flatMap((a) => [uidCounterId(a, group), a]);
  try {
    const docs = await findByIds(db, collection, ids);
    const byId = new Map(docs.map((d): [unknown, Document] => [d._id, d]));
    const out: Record<string, number> = {};
    for (const a of appIds) {
      const n: unknown = byId.get(uidCounterId(a, group))?.n;
      const legacy: unknown = byId.get(a)?.seq;
      out[a] = typeof n === 'number' ? n : typeof legacy === 'number' ? Math.ceil(legacy / groups) : 0;
    }
    return out;
  } catch (err) {
    throw new StoreReadFailedError('uid counters', { cause: err });
  }
}
