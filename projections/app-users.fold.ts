// App-user documents (§2.4, §2.17, §6.4, §6.5) as a pure fold. The processor loads the documents
// of the batch's devices (and their `old_device_id`s) plus a reserved range of uids per app;
// the fold evolves whole documents, and `appUsersWriteOps` turns the difference between the
// loaded and the final documents into `$set`/`$unset` upserts and deletes.
import { appUserMergeId, mergeAppUserDocs } from './app-user-merge.ts';
import { applyUserUpdate } from './app-user-ops.ts';
import { metricChanges, updateAppUser } from './app-user-update.ts';
import { RecordDraft } from './draft.ts';
import { isAppUserChange, type AppDataReset, type AppUserChange, type AppUserDeleted } from './events.ts';
import { belongsToApp, handles, maxSeq, PROJECTION_EVENT_TYPES, type FoldEvent } from './fold.ts';
import { appUserId } from './hash.ts';
import { isJsonArray, isJsonObject, type Json, type JsonObject } from './json.ts';
import { deviceKeyOf, normalizedRequestOf, type NormalizedRequest } from './request.ts';
import { resetCutoff } from './reset.ts';
import { deviceStateFromAppUser, stepDevice } from './session-rules.ts';
import type { MatchingOp } from './writes.ts';

/**
 * Uid numbers this batch may issue for an app: `next` up to `end` (exclusive), `step` apart
 * (default 1). The processor gives each partition group its own interleaved sequence
 * (group g of G issues g+1, g+1+G, ...), so uids depend only on each group's stream order and a
 * rebuild issues the same ones. `issued` is the group's counter as loaded: when present, the
 * batch writes the counter back with its other writes (store/core-inputs.store.ts).
 */
export interface UidRange {
  readonly next: number;
  readonly end: number;
  readonly step?: number;
  readonly issued?: number;
}

/** A pending insert-or-replace of a derived record (merge record, metric change). */
export interface PendingRecord {
  readonly collection: string;
  readonly appId: string;
  readonly id: string;
  readonly doc: JsonObject;
}

export interface AppUsersState {
  /** Documents as loaded, by device key; null = not stored. Only a full reset changes it. */
  readonly base: Readonly<Record<string, JsonObject | null>>;
  /** Documents now, by device key; null = absent (never existed, or merged away). */
  readonly users: Readonly<Record<string, JsonObject | null>>;
  readonly uids: Readonly<Record<string, UidRange>>;
  /** Merge records and metric changes to write, by `collection/id`. */
  readonly records: Readonly<Record<string, PendingRecord>>;
  /** Per-user follow-ups of merges (uid re-keyed) and erasures (per-user documents deleted), in order. */
  readonly followUps: readonly MatchingOp[];
  /** Document ids (`collection/id`) an erasure deletes outright (merge records of the erased user). */
  readonly erasedRecords: readonly { readonly collection: string; readonly id: string }[];
  /** Device keys that became users when the app's uid range was exhausted (they have no uid). */
  readonly uidShortfall: readonly string[];
  readonly lastSeq: number | null;
}

export interface AppUsersInputs {
  readonly users?: Readonly<Record<string, JsonObject | null>>;
  readonly uids?: Readonly<Record<string, UidRange>>;
}

export const appUsersHandles: readonly string[] = [...PROJECTION_EVENT_TYPES, 'AppUserCreated', 'AppUserUpdated', 'AppUserDeleted'];

export const initialAppUsers = (inputs: AppUsersInputs = {}): AppUsersState => ({
  base: inputs.users ?? {},
  users: inputs.users ?? {},
  uids: inputs.uids ?? {},
  records: {},
  followUps: [],
  erasedRecords: [],
  uidShortfall: [],
  lastSeq: null,
});

const UID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A uid sequence number in base 62 (§2.4): 1 → "1", 10 → "a", 36 → "A", 62 → "10". */
export function uidOf(seq: number): string {
  let n = Math.floor(seq);
  let out = '';
  do {
    out = UID_ALPHABET.charAt(n % 62) + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out;
}

/** Collection of an app's users (§2.4). */
export const appUsersCollection = (appId: string): string => `app_users${appId}`;
/** Collection of the merge records (§6.4 step 4). */
export const APP_USER_MERGES = 'app_user_merges';
/** Collection of an app's metric changes (§2.17). */
export const metricChangesCollection = (appId: string): string => `metric_changes${appId}`;
/** Collection of the deleted-users log (§6.3): one tombstone per erased user, read by `erasureIndex`. */
export const APP_USER_DELETIONS = 'app_user_deletions';
/** Most merges kept in a user's `merge_history` (the oldest go first). */
export const MERGE_HISTORY_LIMIT = 50;

interface Drafts {
  readonly users: RecordDraft<JsonObject | null>;
  readonly base: RecordDraft<JsonObject | null>;
  readonly uids: RecordDraft<UidRange>;
  readonly records: RecordDraft<PendingRecord>;
  readonly followUps: MatchingOp[];
  readonly erasedRecords: { readonly collection: string; readonly id: string }[];
  readonly shortfall: string[];
}

function addRecord(d: Drafts, record: PendingRecord): void {
  d.records.set(`${record.collection}/${record.id}`, record);
}

/** The stub of a device never seen (§2.2 step 14): `_id`, `uid` from the reserved range, `did`. */
function stub(d: Drafts, req: NormalizedRequest): JsonObject {
  const doc = { _id: appUserId(req.appKey, req.deviceId), did: req.deviceId };
  const range = d.uids.get(req.appId);
  if (range === undefined || range.next >= range.end) {
    d.shortfall.push(req.deviceKey);
    return doc;
  }
  d.uids.set(req.appId, { ...range, next: range.next + (range.step ?? 1) });
  return { ...doc, uid: uidOf(range.next) };
}

const isUid = (v: Json | undefined): v is string | number => typeof v === 'string' || typeof v === 'number';

/**
 * `merge_history` of a survivor (§6.4 step 4, visible on the user): every merge it absorbed,
 * chained ones included, oldest first: `{uid, did, into, ts, seq}` (`seq` = stream sequence of
 * the merging request, when known). Erasure reads it to find every device the person used.
 */
function withMergeHistory(merged: JsonObject, old: JsonObject, into: Json | undefined, req: NormalizedRequest, seq: number | undefined): JsonObject {
  const before = isJsonArray(merged.merge_history) ? merged.merge_history.filter(isJsonObject) : [];
  const entry: JsonObject = { uid: old.uid ?? null, did: old.did ?? null, into: into ?? null, ts: req.time.timestampS, ...(seq === undefined ? {} : { seq }) };
  const ts = (e: JsonObject): number => (typeof e.ts === 'number' ? e.ts : 0);
  const history = [...before, entry].sort((a, b) => ts(a) - ts(b)).slice(-MERGE_HISTORY_LIMIT);
  return { ...merged, merge_history: history };
}

/** §6.4: fold the old device's user into the current one, delete it, record the merge, re-key the old uid's per-user data. */
function mergeOld(d: Drafts, req: NormalizedRequest, current: JsonObject, seq: number | undefined): JsonObject {
  if (req.oldDeviceId === null) return current;
  const oldKey = deviceKeyOf(req.appId, req.oldDeviceId);
  const old = d.users.get(oldKey) ?? null;
  if (old === null) return current;
  d.users.set(oldKey, null);
  const merged = withMergeHistory(mergeAppUserDocs(current, old, req.receivedAtMs), old, current.uid, req, seq);
  const id = appUserMergeId(req.appId, current.uid, old.uid);
  const doc: JsonObject = { merged_to: current.uid ?? null, ts: req.time.timestampS, lu: req.receivedAtMs, t: 0 };
  addRecord(d, { collection: APP_USER_MERGES, appId: req.appId, id, doc });
  // Step 4's follow-up, written with the batch (and so retried with it until applied).
  if (isUid(old.uid) && isUid(current.uid) && old.uid !== current.uid) {
    d.followUps.push({ kind: 'matching', collection: metricChangesCollection(req.appId), match: { uid: old.uid }, set: { uid: current.uid } });
  }
  return merged;
}

function applyRequest(d: Drafts, req: NormalizedRequest, seq: number | undefined): void {
  const stored = d.users.get(req.deviceKey) ?? null;
  const before = mergeOld(d, req, stored ?? stub(d, req), seq);
  const step = stepDevice(deviceStateFromAppUser(before), req);
  d.users.set(req.deviceKey, updateAppUser(before, req, step));
  const changes = metricChanges(before, req, step);
  if (changes !== null) addRecord(d, { collection: metricChangesCollection(req.appId), appId: req.appId, id: req.eventId, doc: changes });
}

/** A uid from the reserved range for a user created by an operator without one. */
function issuedUid(d: Drafts, appId: string, deviceKey: string): string | undefined {
  const range = d.uids.get(appId);
  if (range === undefined || range.next >= range.end) {
    d.shortfall.push(deviceKey);
    return undefined;
  }
  d.uids.set(appId, { ...range, next: range.next + (range.step ?? 1) });
  return uidOf(range.next);
}

/**
 * The deleted-users log entry (§6.3): who was erased, and up to which stream sequence each of
 * the person's devices' events are theirs (the erasing event for the user's own device, the
 * merging request for devices merged in; null when the fold ran without sequences).
 */
function tombstone(e: AppUserDeleted, doc: JsonObject, seq: number | undefined): JsonObject {
  const history = isJsonArray(doc.merge_history) ? doc.merge_history.filter(isJsonObject) : [];
  const devices: JsonObject[] = [{ did: e.deviceId, before: seq ?? null }];
  for (const h of history) if (typeof h.did === 'string') devices.push({ did: h.did, before: typeof h.seq === 'number' ? h.seq : (seq ?? null) });
  return { a: e.appId, uid: doc.uid ?? null, did: e.deviceId, devices, ts: Math.floor(e.atMs / 1000), lu: e.atMs, seq: seq ?? null };
}

/** §6.3: the profile goes, its metric changes and merge records too; the uid is logged; aggregates stay. */
function applyDeleted(d: Drafts, e: AppUserDeleted, seq: number | undefined): void {
  const key = deviceKeyOf(e.appId, e.deviceId);
  const doc = d.users.get(key) ?? null;
  if (doc === null) return;
  d.users.set(key, null);
  addRecord(d, { collection: APP_USER_DELETIONS, appId: e.appId, id: `${e.appId}_${e.id}`, doc: tombstone(e, doc, seq) });
  if (!isUid(doc.uid)) return;
  d.followUps.push({ kind: 'matching', collection: metricChangesCollection(e.appId), match: { uid: doc.uid } });
  const history = isJsonArray(doc.merge_history) ? doc.merge_history.filter(isJsonObject) : [];
  for (const h of history) d.erasedRecords.push({ collection: APP_USER_MERGES, id: appUserMergeId(e.appId, h.into ?? undefined, h.uid ?? undefined) });
  // A merge record written in this very batch must not be upserted after the delete.
  d.records.dropWhere((_, r) => r.collection === APP_USER_MERGES && d.erasedRecords.some((x) => x.id === r.id));
}

/** Operators' changes (§6.1): create (a uid issued unless given), update (checked operators), delete. */
function applyChange(d: Drafts, e: AppUserChange, seq: number | undefined): void {
  if (e.type === 'AppUserDeleted') return applyDeleted(d, e, seq);
  const key = deviceKeyOf(e.appId, e.deviceId);
  const existing = d.users.get(key) ?? null;
  if (e.type === 'AppUserUpdated') {
    if (existing !== null) d.users.set(key, applyUserUpdate(existing, e.update));
    return;
  }
  const { uid, ...fields } = e.fields;
  // The API refuses a create for an existing user; one created meanwhile by its device keeps its identity.
  if (existing !== null)
    return d.users.set(key, {
      ...existing,
      ...fields,
      _id: existing._id ?? null,
      did: e.deviceId,
      ...(existing.uid === undefined ? {} : { uid: existing.uid }),
    });
  const doc: JsonObject = { _id: appUserId(e.appKey, e.deviceId), did: e.deviceId, ...fields };
  const given = uid === undefined ? issuedUid(d, e.appId, key) : uid;
  d.users.set(key, given === undefined ? doc : { ...doc, uid: given });
}

/** A full reset empties the app's users collection and sequence; partial clears keep users. */
function applyReset(d: Drafts, reset: AppDataReset): void {
  if (resetCutoff(reset) !== null) return;
  const ofApp = (key: string): boolean => belongsToApp(key, reset.appId);
  for (const draft of [d.users, d.base]) {
    for (const key of Object.keys(draft.result())) if (ofApp(key)) draft.set(key, null);
  }
  // The stored sequence restarts at 0: the processor must reserve uids anew (cut the batch here).
  d.uids.set(reset.appId, { next: 1, end: 1, issued: 0 });
  // Metric changes of the batch would be written after the reset deletes the app's collection,
  // so they go; merge records stay, as the ones of earlier batches do (the reset keeps them).
  d.records.dropWhere((_, record) => record.appId === reset.appId && record.collection !== APP_USER_MERGES);
}

/** Folds a batch in order; same result as evolving event by event, in linear time. */
export function foldAppUsers(state: AppUsersState, events: readonly FoldEvent[]): AppUsersState {
  const d: Drafts = {
    users: new RecordDraft(state.users),
    base: new RecordDraft(state.base),
    uids: new RecordDraft(state.uids),
    records: new RecordDraft(state.records),
    followUps: [...state.followUps],
    erasedRecords: [...state.erasedRecords],
    shortfall: [...state.uidShortfall],
  };
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.type === 'SdkRequestReceived') applyRequest(d, normalizedRequestOf(event), event.seq);
    else if (event.type === 'AppDataReset') applyReset(d, event);
    else if (isAppUserChange(event)) applyChange(d, event, event.seq);
    else continue;
    lastSeq = maxSeq(lastSeq, event);
  }
  return {
    base: d.base.result(),
    users: d.users.result(),
    uids: d.uids.result(),
    records: d.records.result(),
    followUps: d.followUps,
    erasedRecords: d.erasedRecords,
    uidShortfall: d.shortfall,
    lastSeq,
  };
}

/** One event; unknown event types return the same state object. Prefer foldAppUsers for batches. */
export const evolveAppUsers = (state: AppUsersState, event: FoldEvent): AppUsersState =>
  handles(event) || isAppUserChange(event) ? foldAppUsers(state, [event]) : state;
