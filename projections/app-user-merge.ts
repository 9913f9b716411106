// Merge of two app-user documents on `old_device_id` (§6.4, step 2–3). Identity stays with the
// current device; data comes from the more recently seen user, folded with the field rules.
import { dict } from './dict.ts';
import { isJsonArray, isJsonObject, jsonEqual, type Json, type JsonObject } from './json.ts';

const SUMMED = new Set(['sc', 'tsd', 'merges']);
const MINIMUM = new Set(['fs', 'fac']);
const MAXIMUM = new Set(['ls', 'lac', 'lest', 'lbst']);
/** Taken from the loser when its `ls` is later than the winner's. */
const FOLLOW_LAST_SESSION = new Set(['lsid', 'sd']);
const IDENTITY = new Set(['_id', 'did', 'uid']);

const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

function pick(a: number | undefined, b: number | undefined, f: (x: number, y: number) => number): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : f(a, b);
}

function combine(key: string, w: Json | undefined, l: Json | undefined, loserSessionLater: boolean): Json | undefined {
  if (SUMMED.has(key)) return (num(w) ?? 0) + (num(l) ?? 0);
  if (MINIMUM.has(key)) return pick(num(w), num(l), Math.min) ?? w ?? l;
  if (MAXIMUM.has(key)) return pick(num(w), num(l), Math.max) ?? w ?? l;
  if (FOLLOW_LAST_SESSION.has(key) && loserSessionLater) return l ?? w;
  if (isJsonObject(w) && isJsonObject(l)) return { ...l, ...w };
  if (isJsonArray(w) && isJsonArray(l)) {
    const union: Json[] = [...w];
    for (const x of l) if (!union.some((y) => jsonEqual(x, y))) union.push(x);
    return union;
  }
  return w ?? l;
}

/** True when the old user's data wins: the current user has no `ls` or an older one. */
export function oldUserWins(current: JsonObject, old: JsonObject): boolean {
  const cur = num(current.ls);
  const prev = num(old.ls);
  return cur === undefined || (prev !== undefined && cur < prev);
}

/**
 * Folds `old` into `current` (§6.4): the result keeps `_id`, `did` and `uid` of `current`,
 * records `merged_uid`/`merged_did` of `old`, increments `merges` and sets `last_merge` (ms).
 */
export function mergeAppUserDocs(current: JsonObject, old: JsonObject, nowMs: number): JsonObject {
  const [winner, loser] = oldUserWins(current, old) ? [old, current] : [current, old];
  const loserSessionLater = (num(loser.ls) ?? -Infinity) > (num(winner.ls) ?? Infinity);
  const out = dict<Json>();
  for (const key of new Set([...Object.keys(winner), ...Object.keys(loser)])) {
    if (IDENTITY.has(key)) continue;
    const value = combine(key, winner[key], loser[key], loserSessionLater);
    if (value !== undefined) out[key] = value;
  }
  for (const key of IDENTITY) {
    const value = current[key];
    if (value !== undefined) out[key] = value;
  }
  if (old.uid !== undefined) out.merged_uid = old.uid;
  if (old.did !== undefined) out.merged_did = old.did;
  out.merges = (num(out.merges) ?? 0) + 1;
  out.last_merge = nowMs;
  return out;
}

const uidText = (uid: Json | undefined): string => (typeof uid === 'string' || typeof uid === 'number' ? String(uid) : '');

/** Id of a merge record (§6.4 step 4): `<appId>_<newUid>_<oldUid>`. */
export function appUserMergeId(appId: string, newUid: Json | undefined, oldUid: Json | undefined): string {
  return `${appId}_${uidText(newUid)}_${uidText(oldUid)}`;
}
