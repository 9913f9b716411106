// App-user state → the store's write operations: per user the `$set`/`$unset` that turn the
// loaded document into the final one (one level deep into objects, so concurrent writers of
// other sub-fields, e.g. `custom.x` from /i/app_users/update, are not clobbered), deletes of
// merged-away and erased users, the derived records, and the per-user follow-ups of merges and
// erasures (uid re-keyed, per-user documents deleted).
import type { AppUsersState } from './app-users.fold.ts';
import { appUsersCollection } from './app-users.fold.ts';
import { isJsonObject, jsonEqual, type Json, type JsonObject } from './json.ts';
import type { UpsertOp, WriteOp } from './writes.ts';

interface Diff {
  readonly set: Record<string, Json>;
  readonly unset: string[];
}

/** `$set`/`$unset` from `before` to `after`; nested one level for objects on both sides. */
export function documentDiff(before: JsonObject, after: JsonObject): Diff {
  const diff: Diff = { set: {}, unset: [] };
  for (const [key, value] of Object.entries(after)) {
    if (key === '_id') continue;
    const old = before[key];
    if (jsonEqual(old, value)) continue;
    if (isJsonObject(old) && isJsonObject(value)) {
      for (const [sub, subValue] of Object.entries(value)) if (!jsonEqual(old[sub], subValue)) diff.set[`${key}.${sub}`] = subValue;
      for (const sub of Object.keys(old)) if (!(sub in value)) diff.unset.push(`${key}.${sub}`);
    } else {
      diff.set[key] = value;
    }
  }
  for (const key of Object.keys(before)) if (key !== '_id' && !(key in after)) diff.unset.push(key);
  return diff;
}

const appIdOf = (deviceKey: string): string => deviceKey.slice(0, deviceKey.indexOf(':'));
const idOf = (doc: JsonObject): string | null => (typeof doc._id === 'string' ? doc._id : null);

/**
 * Write operations of an app-users state: upserts of changed users (collection
 * `app_users<appId>`), deletes of users merged away, upserts of merge records and metric changes.
 */
export function appUsersWriteOps(state: AppUsersState): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const key of new Set([...Object.keys(state.base), ...Object.keys(state.users)])) {
    const before = state.base[key] ?? null;
    const after = state.users[key] ?? null;
    const collection = appUsersCollection(appIdOf(key));
    if (after === null) {
      const id = before === null ? null : idOf(before);
      if (id !== null) ops.push({ kind: 'delete', collection, id });
      continue;
    }
    const id = idOf(after);
    const diff = documentDiff(before ?? {}, after);
    if (id === null || (Object.keys(diff.set).length === 0 && diff.unset.length === 0)) continue;
    const op: UpsertOp = { kind: 'upsert', collection, id, set: diff.set, ...(diff.unset.length > 0 ? { unset: diff.unset } : {}) };
    ops.push(op);
  }
  for (const record of Object.values(state.records)) {
    ops.push({ kind: 'upsert', collection: record.collection, id: record.id, set: { ...record.doc } });
  }
  for (const { collection, id } of state.erasedRecords) ops.push({ kind: 'delete', collection, id });
  ops.push(...state.followUps);
  return ops;
}
