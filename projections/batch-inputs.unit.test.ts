import { describe, expect, it } from 'vitest';
import { appUserFromStored, batchInputs, knownMetricMetaFromStored, knownSegmentMetaFromStored, uidDemand, visibilityFromStored } from './batch-inputs.ts';
import { APP, APP_KEY, request, reset } from './given.test-support.ts';
import { appUserId, eventHash } from './hash.ts';

describe('batch inputs', () => {
  it('lists app users (with old device ids), users periods, metric meta, registries and segment meta', () => {
    const inputs = batchInputs([
      request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _os: 'Android' }, old_device_id: 'old' }),
      request('2024-10-15T08:00:00Z', { events: [{ key: 'buy', segmentation: { plan: 'pro' } }] }, { device: 'dev-2' }),
      reset('reset', '2024-10-15T09:00:00Z'),
    ]);
    expect(inputs.appUsers).toEqual([
      { key: `${APP}:dev-1`, appId: APP, deviceId: 'dev-1', id: appUserId(APP_KEY, 'dev-1') },
      { key: `${APP}:old`, appId: APP, deviceId: 'old', id: appUserId(APP_KEY, 'old') },
      { key: `${APP}:dev-2`, appId: APP, deviceId: 'dev-2', id: appUserId(APP_KEY, 'dev-2') },
    ]);
    expect(inputs.usersPeriods.map((p) => p.id)).toEqual([`${APP}_2024:10`, `${APP}_2024:0`]);
    // `_os` feeds device_details and, as the default `_store`, sources.
    expect(inputs.metricMeta.map((m) => m.collection).sort()).toEqual(['device_details', 'sources']);
    expect(inputs.eventApps).toEqual([APP]);
    expect(inputs.segmentMeta).toEqual([
      { key: `${APP}|${eventHash('buy', APP)}|plan|2024`, appId: APP, eventHash: eventHash('buy', APP), segKey: 'plan', year: 2024 },
    ]);
  });

  it('counts the uids each app needs, including a device recreated after a merge', () => {
    const events = [
      request('2024-10-15T08:00:00Z', {}, { device: 'known' }),
      request('2024-10-15T08:00:00Z', {}, { device: 'new' }),
      request('2024-10-15T08:00:01Z', {}, { device: 'new' }),
      request('2024-10-15T08:00:02Z', { old_device_id: 'known' }, { device: 'other' }),
      request('2024-10-15T08:00:03Z', {}, { device: 'known' }),
    ];
    expect(uidDemand(events, (key) => key === `${APP}:known`)).toEqual({ [APP]: 3 });
  });

  it('turns stored documents into fold inputs', () => {
    expect(appUserFromStored({ _id: 'x', lu: new Date(5), custom: { 'a.b': 1 } })).toEqual({ _id: 'x', lu: 5, custom: { 'a:b': 1 } });
    expect(appUserFromStored(null)).toBeNull();
    expect(visibilityFromStored([{ vis: { A: true } }, { vis: { b: true } }, {}])).toEqual({ A: true, b: true });
    const meta = knownMetricMetaFromStored([{ os: { Android: true } }, { os: { iOS: true }, os_versions: { a14: true } }]);
    expect(meta.counts).toEqual({ os: 2, os_versions: 1 });
    expect(knownSegmentMetaFromStored('plan', [{ plan: { pro: true }, segments: { plan: true } }]).counts).toEqual({ plan: 1 });
  });
});
