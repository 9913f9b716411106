import { describe, expect, it } from 'vitest';
import { applyUserUpdate, checkUserFields, checkUserUpdate } from './app-user-ops.ts';
import { appUsersWriteOps } from './app-user-writes.ts';
import { APP_USER_DELETIONS, APP_USER_MERGES, appUsersCollection, foldAppUsers, initialAppUsers, metricChangesCollection } from './app-users.fold.ts';
import { batchInputs, uidDemand } from './batch-inputs.ts';
import { erasureIndex, isErased, tombstoneFromStored } from './erasure.ts';
import type { AppUserCreated, AppUserDeleted, AppUserUpdated } from './events.ts';
import type { FoldEvent } from './fold.ts';
import { APP, APP_KEY, request } from './given.test-support.ts';
import { appUserId } from './hash.ts';

let n = 0;
const base = (deviceId: string, seq: number) => ({ v: 1 as const, id: `chg-${++n}`, appId: APP, appKey: APP_KEY, deviceId, atMs: 1_730_000_000_000, seq });
const created = (deviceId: string, fields: AppUserCreated['fields'], seq: number): AppUserCreated & { seq: number } => ({
  ...base(deviceId, seq),
  type: 'AppUserCreated',
  fields,
});
const updated = (deviceId: string, update: AppUserUpdated['update'], seq: number): AppUserUpdated & { seq: number } => ({
  ...base(deviceId, seq),
  type: 'AppUserUpdated',
  update,
});
const deleted = (deviceId: string, seq: number): AppUserDeleted & { seq: number } => ({ ...base(deviceId, seq), type: 'AppUserDeleted' });
const fold = (events: FoldEvent[]) => foldAppUsers(initialAppUsers({ uids: { [APP]: { next: 1, end: 100 } } }), events);

describe('update operators (allow-list)', () => {
  it('refuses non-operators, operators outside the list, protected or $ paths, and unstorable values', () => {
    expect(checkUserUpdate({ name: 'x' })).toMatchObject({ ok: false, refusal: { kind: 'modifier', what: 'name' } });
    for (const op of ['$where', '$rename', '$currentDate', '$setOnInsert', '$bit']) {
      expect(checkUserUpdate({ [op]: { a: 1 } })).toMatchObject({ ok: false, refusal: { kind: 'operator' } });
    }
    for (const path of ['uid', 'did', '_id', '_s', 'custom.$x', 'a..b', '__proto__.x', '$set']) {
      expect(checkUserUpdate({ $set: { [path]: 1 } })).toMatchObject({ ok: false, refusal: { kind: 'path' } });
    }
    expect(checkUserUpdate({ $set: { custom: { $gt: 1 } } })).toMatchObject({ ok: false, refusal: { kind: 'value' } });
    expect(checkUserUpdate({ $inc: { sc: 'a' } })).toMatchObject({ ok: false, refusal: { kind: 'value' } });
    expect(checkUserUpdate({ $set: { 'custom.x': 1 }, $inc: { sc: 2 } })).toEqual({ ok: true, value: { $set: { 'custom.x': 1 }, $inc: { sc: 2 } } });
  });

  it('applies each operator to a copy of the document', () => {
    const doc = { _id: 'i', uid: '1', did: 'd', sc: 2, tags: ['a'], custom: { x: 1, y: 2 } };
    const out = applyUserUpdate(doc, {
      $set: { 'custom.z': 'new', name: 'Ann' },
      $unset: { 'custom.y': '' },
      $inc: { sc: 3, fresh: 1 },
      $mul: { sc: 2 },
      $max: { ls: 10 },
      $min: { ls: 5 },
      $push: { tags: 'b' },
      $addToSet: { tags: { $each: ['a', 'c'] } },
      $pull: { list: 1 },
    });
    expect(out).toEqual({ _id: 'i', uid: '1', did: 'd', sc: 10, fresh: 1, ls: 5, name: 'Ann', tags: ['a', 'b', 'c'], custom: { x: 1, z: 'new' } });
    expect(doc.custom).toEqual({ x: 1, y: 2 });
  });

  it('checks create data: $ and dotted keys, internal fields and non-scalar uids are refused', () => {
    expect(checkUserFields({ did: 'd', _id: 'x', name: 'A', custom: { a: [1] } })).toEqual({ ok: true, value: { name: 'A', custom: { a: [1] } } });
    expect(checkUserFields({ did: 'd', $set: 1 }).ok).toBe(false);
    expect(checkUserFields({ did: 'd', 'a.b': 1 }).ok).toBe(false);
    expect(checkUserFields({ did: 'd', _s: 1 }).ok).toBe(false);
    expect(checkUserFields({ did: 'd', custom: { 'x.y': 1 } }).ok).toBe(false);
    expect(checkUserFields({ did: 'd', uid: { a: 1 } }).ok).toBe(false);
  });
});

describe('app-user fold: operators’ changes', () => {
  it('creates with an issued or a given uid, updates, and needs one uid per create without one', () => {
    const events = [created('a', { name: 'A' }, 1), created('b', { uid: 'zz' }, 2), updated('a', { $inc: { sc: 1 } }, 3)];
    const s = fold(events);
    expect(s.users[`${APP}:a`]).toEqual({ _id: appUserId(APP_KEY, 'a'), did: 'a', name: 'A', uid: '1', sc: 1 });
    expect(s.users[`${APP}:b`]).toMatchObject({ uid: 'zz' });
    expect(uidDemand(events, () => false)).toEqual({ [APP]: 1 });
    expect(batchInputs(events).appUsers.map((u) => u.deviceId)).toEqual(['a', 'b']);
  });

  it('erases a user: document, metric changes, merge records; logs a tombstone; a later request is a new user', () => {
    const s = fold([
      request('2024-10-01T08:00:00Z', { begin_session: 1 }, { device: 'old', seq: 10 }),
      request('2024-10-02T08:00:00Z', { begin_session: 1, old_device_id: 'old' }, { device: 'new', seq: 11 }),
      deleted('new', 12),
    ]);
    expect(s.users[`${APP}:new`]).toBeNull();
    const ops = appUsersWriteOps(s);
    expect(ops.filter((o) => o.collection === appUsersCollection(APP))).toEqual([]);
    expect(ops).toContainEqual({ kind: 'matching', collection: metricChangesCollection(APP), match: { uid: '1' }, set: { uid: '2' } });
    expect(ops).toContainEqual({ kind: 'matching', collection: metricChangesCollection(APP), match: { uid: '2' } });
    expect(ops.some((o) => o.kind === 'upsert' && o.collection === APP_USER_MERGES)).toBe(false);
    expect(ops).toContainEqual({ kind: 'delete', collection: APP_USER_MERGES, id: `${APP}_2_1` });
    const log = ops.find((o) => o.kind === 'upsert' && o.collection === APP_USER_DELETIONS);
    const t = tombstoneFromStored(log?.kind === 'upsert' ? log.set : null);
    expect(t).toEqual({
      appId: APP,
      uid: '2',
      devices: [
        { did: 'new', before: 12 },
        { did: 'old', before: 11 },
      ],
    });
    const index = erasureIndex(t === null ? [] : [t]);
    expect(isErased(index, { appId: APP, deviceId: 'new', seq: 11 })).toBe(true);
    expect(isErased(index, { appId: APP, deviceId: 'new', seq: 13 })).toBe(false);
    expect(isErased(index, { appId: APP, deviceId: 'old', seq: 10 })).toBe(true);
    expect(isErased(index, { appId: APP, deviceId: 'old', seq: 11 })).toBe(false);
    expect(isErased(index, { appId: APP, deviceId: 'other', seq: 1 })).toBe(false);
  });

  it('keeps the merge history on the survivor', () => {
    const s = fold([
      request('2024-10-01T08:00:00Z', { begin_session: 1 }, { device: 'old', seq: 20 }),
      request('2024-10-02T08:00:00Z', { begin_session: 1, old_device_id: 'old' }, { device: 'new', seq: 21 }),
    ]);
    expect(s.users[`${APP}:new`]?.merge_history).toEqual([{ uid: '1', did: 'old', into: '2', ts: Date.parse('2024-10-02T08:00:00Z') / 1000, seq: 21 }]);
  });
});
