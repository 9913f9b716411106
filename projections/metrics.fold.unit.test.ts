import { describe, expect, it } from 'vitest';
import type { FoldEvent } from './fold.ts';
import { APP, deepFreeze, request, reset } from './given.test-support.ts';
import { valueShard } from './hash.ts';
import { DOC_BUDGET_BYTES, knownMetaOf, metricValueCostBytes } from './known-meta.ts';
import { evolveMetrics, foldMetrics, initialMetrics, METRIC_LIMIT, metricDocId, metricMetaKey, type MetricsInputs, type MetricsState } from './metrics.fold.ts';
import { metricsWriteOps } from './write-ops.ts';

const fold = (events: FoldEvent[], inputs: MetricsInputs = {}): MetricsState => foldMetrics(initialMetrics(inputs), events);
const doc = (s: MetricsState, collection: string, period: string, value: string) => s.docs[`${collection}/${metricDocId(APP, period, valueShard(value))}`];
const inc = (s: MetricsState, collection: string, period: string, value: string) =>
  Object.fromEntries(Object.entries(doc(s, collection, period, value)?.inc ?? {}).filter(([k]) => k.split('.').includes(value)));

const android = { _os: 'Android', _os_version: '4.4', _app_version: 1, _device: 'Pixel 8', _carrier: 'vodafone uk' };

describe('metrics fold: first session of a new user (§3.6)', () => {
  const s = fold([request('2024-10-15T08:20:00Z', { begin_session: 1, metrics: android })]);

  it('writes t, n, u per day (no hour) and year/month/week uniques for each value', () => {
    expect(inc(s, 'device_details', '2024:10', 'Android')).toEqual({ 'd.15.Android.t': 1, 'd.15.Android.n': 1, 'd.15.Android.u': 1 });
    expect(inc(s, 'device_details', '2024:0', 'Android')).toEqual({ 'd.Android.u': 1, 'd.10.Android.u': 1, 'd.w42.Android.u': 1 });
    expect(doc(s, 'device_details', '2024:0', 'Android')?.set).toMatchObject({ 'meta_v2.os.Android': true });
  });

  it('stores normalised values in their families', () => {
    expect(doc(s, 'device_details', '2024:0', 'a4:4')?.set).toMatchObject({ 'meta_v2.os_versions.a4:4': true });
    expect(doc(s, 'device_details', '2024:0', '1:0')?.set).toMatchObject({ 'meta_v2.app_versions.1:0': true });
    expect(doc(s, 'devices', '2024:0', 'Pixel 8')?.set).toMatchObject({ 'meta_v2.devices.Pixel 8': true });
    expect(doc(s, 'carriers', '2024:10', 'Vodafone Uk')?.fields).toEqual({ a: APP, m: '2024:10' });
  });

  it('emits one upsert per document', () => {
    const ops = metricsWriteOps(s, { idSuffix: '_g1' });
    expect(ops.every((o) => o.kind === 'upsert' && o.id.endsWith('_g1'))).toBe(true);
    expect(ops.find((o) => o.collection === 'carriers' && o.id.includes('2024:0'))?.set).toMatchObject({
      a: APP,
      m: '2024:0',
      'meta_v2.carriers.Vodafone Uk': true,
    });
  });
});

describe('metrics fold: only new sessions aggregate, returning users follow unique levels', () => {
  it('ignores metrics of plain requests and extended sessions but remembers the values', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { metrics: android }),
      request('2024-10-15T08:01:00Z', { end_session: 1 }),
      request('2024-10-15T08:01:05Z', { begin_session: 1, metrics: android }),
    ]);
    expect(s.docs).toEqual({});
    expect(s.devices[`${APP}:dev-1`]?.metrics).toMatchObject({ p: 'Android', pv: 'a4:4' });
  });

  it('a returning user with the same value next day counts t and the day unique only', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _os: 'Android' } }),
      request('2024-10-16T08:00:00Z', { begin_session: 1, metrics: { _os: 'Android' } }),
    ]);
    expect(inc(s, 'device_details', '2024:10', 'Android')).toMatchObject({ 'd.16.Android.t': 1, 'd.16.Android.u': 1 });
    expect(inc(s, 'device_details', '2024:10', 'Android')['d.16.Android.n']).toBeUndefined();
    expect(inc(s, 'device_details', '2024:0', 'Android')).toEqual({ 'd.Android.u': 1, 'd.10.Android.u': 1, 'd.w42.Android.u': 1 });
  });

  it('a returning user whose stored value changed is unique for the new value at every level', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _app_version: '1.0' } }),
      request('2024-10-15T08:30:00Z', { begin_session: 1, ignore_cooldown: 1, metrics: { _app_version: '1.1' } }),
    ]);
    expect(inc(s, 'device_details', '2024:10', '1:1')).toEqual({ 'd.15.1:1.t': 1, 'd.15.1:1.u': 1 });
    expect(inc(s, 'device_details', '2024:0', '1:1')).toEqual({ 'd.1:1.u': 1, 'd.10.1:1.u': 1, 'd.w42.1:1.u': 1 });
  });
});

describe('metrics fold: metric_limit and document budget', () => {
  const key = metricMetaKey(APP, 'device_details', 2024);
  const full = Array.from({ length: METRIC_LIMIT }, (_, i) => `os${i}`);

  it('skips a new value once the set holds 1000 values, keeps known ones', () => {
    const known = { [key]: knownMetaOf({ os: full }, metricValueCostBytes) };
    const s = fold(
      [
        request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _os: 'BrandNewOS' } }, { device: 'a' }),
        request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _os: 'os7' } }, { device: 'b' }),
      ],
      { known },
    );
    expect(doc(s, 'device_details', '2024:10', 'BrandNewOS')?.inc['d.15.BrandNewOS.t']).toBeUndefined();
    expect(inc(s, 'device_details', '2024:10', 'os7')['d.15.os7.t']).toBe(1);
    expect(s.known[key]?.counts.os).toBe(METRIC_LIMIT);
  });

  it('skips a new value whose shard document is out of budget', () => {
    const shard = String(valueShard('Android'));
    const known = { [key]: { sets: {}, counts: {}, shardBytes: { [shard]: DOC_BUDGET_BYTES - 10 } } };
    const s = fold([request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: { _os: 'Android' } })], { known });
    expect(doc(s, 'device_details', '2024:10', 'Android')).toBeUndefined();
  });
});

describe('metrics fold: reset and purity', () => {
  it('drops pending docs, devices and known meta of a reset app', () => {
    const s = fold([request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: android }), reset('reset', '2024-10-15T09:00:00Z')]);
    expect(s).toMatchObject({ docs: {}, devices: {}, known: {} });
  });

  it('does not mutate its input', () => {
    const state = deepFreeze(fold([request('2024-10-15T08:00:00Z', { begin_session: 1, metrics: android })]));
    const next = evolveMetrics(state, request('2024-10-17T08:00:00Z', { begin_session: 1, metrics: android }));
    expect(inc(next, 'device_details', '2024:10', 'Android')['d.17.Android.t']).toBe(1);
  });
});
