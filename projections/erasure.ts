// Erasure check (docs/erasure.md): which raw stream events belong to an erased app user. Pure,
// for any job that reads the raw stream on its own (report jobs, a GDPR export): load the
// tombstones of the deleted-users log (`app_user_deletions`, written by the app-user fold on
// `AppUserDeleted`), build the index once, and skip every event it reports as erased.
// The projections themselves do not need it: a rebuild replays the deletion where it happened.
import { isJsonArray, isJsonObject, toJson } from './json.ts';

/** One erased user: the app, and for each of the person's devices the stream sequence before which its events were theirs. */
export interface Tombstone {
  readonly appId: string;
  readonly uid: string | number | null;
  /** `before: null` = every event of that device up to the erasure (position unknown). */
  readonly devices: readonly { readonly did: string; readonly before: number | null }[];
}

/** What the check needs of an event: its app, its device and its stream sequence (when read from the stream). */
export interface ErasableEvent {
  readonly appId: string;
  readonly deviceId: string;
  readonly seq?: number;
}

/** A tombstone from a stored `app_user_deletions` document; null when it is not one. */
export function tombstoneFromStored(doc: unknown): Tombstone | null {
  const json = toJson(doc);
  if (!isJsonObject(json) || typeof json.a !== 'string' || !isJsonArray(json.devices)) return null;
  const devices: { did: string; before: number | null }[] = [];
  for (const d of json.devices) {
    if (isJsonObject(d) && typeof d.did === 'string') devices.push({ did: d.did, before: typeof d.before === 'number' ? d.before : null });
  }
  const uid = typeof json.uid === 'string' || typeof json.uid === 'number' ? json.uid : null;
  return { appId: json.a, uid, devices };
}

/** Tombstones by `<appId>\n<deviceId>`: the latest bound of each device wins (a device erased twice). */
export type ErasureIndex = ReadonlyMap<string, number | null>;

const keyOf = (appId: string, deviceId: string): string => `${appId}\n${deviceId}`;

export function erasureIndex(tombstones: readonly Tombstone[]): ErasureIndex {
  const out = new Map<string, number | null>();
  for (const t of tombstones) {
    for (const d of t.devices) {
      const key = keyOf(t.appId, d.did);
      const known = out.get(key);
      // null (unbounded) wins over any sequence; otherwise the later erasure covers more.
      if (known === null) continue;
      out.set(key, d.before === null || known === undefined ? d.before : Math.max(known, d.before));
    }
  }
  return out;
}

/**
 * True when the event belongs to an erased user: its device is in a tombstone and the event
 * came before that tombstone's bound. An event without a sequence is treated as erased whenever
 * its device is (a job that cannot place it must not hand it out). Events of the same device id
 * after the erasure belong to a new user and are not erased.
 */
export function isErased(index: ErasureIndex, event: ErasableEvent): boolean {
  const key = keyOf(event.appId, event.deviceId);
  if (!index.has(key)) return false;
  const before = index.get(key);
  if (before === null || before === undefined || event.seq === undefined) return true;
  return event.seq < before;
}
