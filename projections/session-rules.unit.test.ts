import { describe, expect, it } from 'vitest';
import { mergeAppUserDocs } from './app-user-merge.ts';
import { foldAppUsers, initialAppUsers } from './app-users.fold.ts';
import { devicesFromAppUsers } from './batch-inputs.ts';
import type { FoldEvent } from './fold.ts';
import { APP, request } from './given.test-support.ts';
import type { JsonObject } from './json.ts';
import { foldMetrics, initialMetrics } from './metrics.fold.ts';
import { deviceStateFromAppUser, durationBucket, frequencyBucket, mergeDeviceStates } from './session-rules.ts';
import { foldSessions, initialSessions } from './sessions.fold.ts';

const uids = { [APP]: { next: 1, end: 1000 } };

const story: FoldEvent[] = [
  request('2024-10-01T08:00:00Z', { begin_session: 1, metrics: { _os: 'Android' }, country_code: 'DE' }, { device: 'a' }),
  request('2024-10-01T08:05:00Z', { session_duration: 300 }, { device: 'a' }),
  request('2024-10-01T08:06:00Z', { end_session: 1, session_duration: 60 }, { device: 'a' }),
  request('2024-10-01T08:06:05Z', { begin_session: 1 }, { device: 'a' }),
  request('2024-10-03T10:00:00Z', { begin_session: 1, metrics: { _os: 'iOS' } }, { device: 'b' }),
  request('2024-10-04T10:00:00Z', { begin_session: 1, old_device_id: 'a' }, { device: 'b' }),
  request('2024-10-05T10:00:00Z', { end_session: 1, session_duration: 20 }, { device: 'b' }),
  request('2024-10-06T10:00:00Z', { begin_session: 1 }, { device: 'a' }),
];

describe('session rules are shared by every fold', () => {
  it('sessions, metrics and app-users folds end with the same device states', () => {
    const sessions = foldSessions(initialSessions(), story);
    const metrics = foldMetrics(initialMetrics(), story);
    const users = foldAppUsers(initialAppUsers({ uids }), story);
    expect(sessions.devices).toEqual(metrics.devices);
    expect(sessions.devices).toEqual(devicesFromAppUsers(users.users));
  });

  it('folding in two batches, reloading devices from app users, equals one batch', () => {
    const whole = foldSessions(initialSessions(), story);
    const firstUsers = foldAppUsers(initialAppUsers({ uids }), story.slice(0, 4));
    const first = foldSessions(initialSessions(), story.slice(0, 4));
    const second = foldSessions(initialSessions({ devices: devicesFromAppUsers(firstUsers.users), visibility: first.visibility }), story.slice(4));
    const sum = (docs: typeof whole.docs) => {
      const out: Record<string, number> = {};
      for (const doc of Object.values(docs)) for (const [p, n] of Object.entries(doc.inc)) out[`${doc.id}|${p}`] = (out[`${doc.id}|${p}`] ?? 0) + n;
      return out;
    };
    const split = sum({ ...first.docs });
    for (const [k, n] of Object.entries(sum(second.docs))) split[k] = (split[k] ?? 0) + n;
    expect(split).toEqual(sum(whole.docs));
  });

  it('merges device states exactly like app-user documents', () => {
    const current: JsonObject = { sc: 1, fs: 50, ls: 50, sd: 4, tsd: 4, p: 'iOS' };
    const old: JsonObject = { sc: 3, fs: 10, ls: 90, sd: 7, tsd: 70, p: 'Android', d: 'Pixel', hos: true, cc: 'DE', lest: 95 };
    const viaStates = mergeDeviceStates(deviceStateFromAppUser(current)!, deviceStateFromAppUser(old)!);
    expect(viaStates).toEqual(deviceStateFromAppUser(mergeAppUserDocs(current, old, 0)));
    expect(viaStates).toMatchObject({ sc: 4, tsd: 74, fs: 10, ls: 90, sd: 7, hos: true, cc: 'DE', metrics: { p: 'Android', d: 'Pixel' } });
  });
});

describe('buckets (§3.5)', () => {
  it('frequency boundaries', () => {
    const h = 3600;
    expect([0, 24 * h - 1, 24 * h, 191 * h, 192 * h, 359 * h, 360 * h, 743 * h, 744 * h, 10_000 * h].map(frequencyBucket)).toEqual([
      '1',
      '1',
      '2',
      '8',
      '9',
      '9',
      '10',
      '10',
      '10',
      '10',
    ]);
    expect(frequencyBucket(-1)).toBeNull();
  });

  it('duration boundaries', () => {
    expect([0, 10, 11, 30, 31, 60, 61, 180, 181, 600, 601, 1800, 1801, 3600, 3601].map(durationBucket)).toEqual([
      '0',
      '0',
      '1',
      '1',
      '2',
      '2',
      '3',
      '3',
      '4',
      '4',
      '5',
      '5',
      '6',
      '6',
      '7',
    ]);
    expect(durationBucket(10.5)).toBeNull();
  });
});
