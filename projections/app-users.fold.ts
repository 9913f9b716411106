// App-user documents (§2.4, §2.17, §6.4, §6.5) as a pure fold. The processor loads the documents
// of the batch's devices (and their `old_device_id`s) plus a reserved range of uids per app;
// the fold evolves whole documents, and `appUsersWriteOps` turns the difference between the
// loaded and the final documents into `$set`/`$unset` upserts and deletes.
import { appUserMergeId, mergeAppUserDocs } from './app-user-merge.ts';
import { metricChanges, updateAppUser } from './app-user-update.ts';
import { RecordDraft } from './draft.ts';
import type { AppDataReset } from './events.ts';
import { belongsToApp, handles, maxSeq, PROJECTION_EVENT_TYPES, type FoldEvent } from './fold.ts';
import { appUserId } from './hash.ts';
import type { JsonObject } from './json.ts';
import { deviceKeyOf, normalizedRequestOf, type NormalizedRequest } from './request.ts';
import { resetCutoff } from './reset.ts';
import { deviceStateFromAppUser, stepDevice } from './session-rules.ts';

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
  /** Device keys that became users when the app's uid range was exhausted (they have no uid). */
  readonly uidShortfall: readonly string[];
  readonly lastSeq: number | null;
}

export interface AppUsersInputs {
  readonly users?: Readonly<Record<string, JsonObject | null>>;
  readonly uids?: Readonly<Record<string, UidRange>>;
}

export const appUsersHandles = PROJECTION_EVENT_TYPES;

export const initialAppUsers = (inputs: AppUsersInputs = {}): AppUsersState => ({
  base: inputs.users ?? {},
  users: inputs.users ?? {},
  uids: inputs.uids ?? {},
  records: {},
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

interface Drafts {
  readonly users: RecordDraft<JsonObject | null>;
  readonly base: RecordDraft<JsonObject | null>;
  readonly uids: RecordDraft<UidRange>;
  readonly records: RecordDraft<PendingRecord>;
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

/** §6.4: fold the old device's user into the current one, delete it, record the merge. */
function mergeOld(d: Drafts, req: NormalizedRequest, current: JsonObject): JsonObject {
  if (req.oldDeviceId === null) return current;
  const oldKey = deviceKeyOf(req.appId, req.oldDeviceId);
  const old = d.users.get(oldKey) ?? null;
  if (old === null) return current;
  d.users.set(oldKey, null);
  const merged = mergeAppUserDocs(current, old, req.receivedAtMs);
  const id = appUserMergeId(req.appId, current.uid, old.uid);
  const doc: JsonObject = { merged_to: current.uid ?? null, ts: req.time.timestampS, lu: req.receivedAtMs, t: 0 };
  addRecord(d, { collection: APP_USER_MERGES, appId: req.appId, id, doc });
  return merged;
}

function applyRequest(d: Drafts, req: NormalizedRequest): void {
  const stored = d.users.get(req.deviceKey) ?? null;
  const before = mergeOld(d, req, stored ?? stub(d, req));
  const step = stepDevice(deviceStateFromAppUser(before), req);
  d.users.set(req.deviceKey, updateAppUser(before, req, step));
  const changes = metricChanges(before, req, step);
  if (changes !== null) addRecord(d, { collection: metricChangesCollection(req.appId), appId: req.appId, id: req.eventId, doc: changes });
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
    shortfall: [...state.uidShortfall],
  };
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.type === 'SdkRequestReceived') applyRequest(d, normalizedRequestOf(event));
    else if (event.type === 'AppDataReset') applyReset(d, event);
    else continue;
    lastSeq = maxSeq(lastSeq, event);
  }
  return {
    base: d.base.result(),
    users: d.users.result(),
    uids: d.uids.result(),
    records: d.records.result(),
    uidShortfall: d.shortfall,
    lastSeq,
  };
}

/** One event; unknown event types return the same state object. Prefer foldAppUsers for batches. */
export const evolveAppUsers = (state: AppUsersState, event: FoldEvent): AppUsersState => (handles(event) ? foldAppUsers(state, [event]) : state);
