// §4.7 and §2.17: the old value of every metric change in the period gains the distinct users who changed.
import { describe, expect, it } from 'vitest';
import { changedUsersByOldValue, withChangedUsers } from './total-users.ts';

describe('total_users with metric changes (§4.7)', () => {
  it('given changes from one version, then the old value gains each changed user once', () => {
    const changes = [
      { uid: '1', ts: 1, av: { o: '1:0', n: '1:1' } },
      { uid: '1', ts: 2, av: { o: '1:0', n: '1:2' } },
      { uid: '2', ts: 3, av: { o: '1:0', n: '1:1' } },
      { uid: '3', ts: 4, av: { o: '1:1', n: '2:0' } },
      { uid: '4', ts: 5, av: { n: '1:0' } },
      { uid: '5', ts: 6, cc: { o: 'TR', n: 'DE' } },
    ];
    expect(changedUsersByOldValue(changes, 'av')).toEqual([
      { _id: '1:0', u: 2 },
      { _id: '1:1', u: 1 },
    ]);
  });

  it('given app users per current value, then changed users add to an existing value or append a new one', () => {
    const rows = [
      { _id: '1:1', u: 3 },
      { _id: '2:0', u: 1 },
    ];
    expect(
      withChangedUsers(rows, [
        { _id: '1:0', u: 2 },
        { _id: '2:0', u: 3 },
      ]),
    ).toEqual([
      { _id: '2:0', u: 4 },
      { _id: '1:1', u: 3 },
      { _id: '1:0', u: 2 },
    ]);
  });

  it('given a user who upgraded during the period, then it counts under both versions', () => {
    const rows = [{ _id: '2:0', u: 1 }];
    const changed = changedUsersByOldValue([{ uid: '7', ts: 10, av: { o: '1:0', n: '2:0' } }], 'av');
    expect(withChangedUsers(rows, changed)).toEqual([
      { _id: '2:0', u: 1 },
      { _id: '1:0', u: 1 },
    ]);
  });
});
