import { describe, expect, it } from 'vitest';
import { eventRegistryFromStored } from './batch-inputs.ts';
import {
  EVENT_LIMIT,
  EVENT_SEGMENTATION_LIMIT,
  EVENT_SEGMENTATION_VALUE_LIMIT,
  evolveEvents,
  foldEvents,
  initialEvents,
  segmentMetaKey,
  type EventsInputs,
  type EventsState,
} from './events.fold.ts';
import type { FoldEvent } from './fold.ts';
import { APP, deepFreeze, request, reset } from './given.test-support.ts';
import { eventHash, valueShard } from './hash.ts';
import { knownMetaOf, segmentValueCostBytes } from './known-meta.ts';
import { eventsWriteOps } from './write-ops.ts';

const at = '2024-10-15T08:20:00Z';
const fold = (events: FoldEvent[], inputs: EventsInputs = {}): EventsState => foldEvents(initialEvents(inputs), events);
const send = (events: unknown[], inputs: EventsInputs = {}) => fold([request(at, { events })], inputs);
const h = (key: string) => eventHash(key, APP);
const noSeg = (s: EventsState, key: string, period = '2024:10') => s.docs[`events_data/${APP}_${h(key)}_no-segment_${period}`];
const seg = (s: EventsState, key: string, segKey: string, value: string, period = '2024:10') =>
  s.docs[`events_data/${APP}_${h(key)}_${segKey}_${period}_${valueShard(value)}`];

describe('events fold: counters (§3.7)', () => {
  it('adds count, sum and dur per day and hour to the no-segment month doc', () => {
    const s = send([{ key: 'buy', count: 2, sum: 9.5, dur: 3 }, { key: 'buy' }]);
    expect(noSeg(s, 'buy')?.inc).toEqual({ 'd.15.c': 3, 'd.15.8.c': 3, 'd.15.s': 9.5, 'd.15.8.s': 9.5, 'd.15.dur': 3, 'd.15.8.dur': 3 });
    expect(noSeg(s, 'buy')?.fields).toEqual({ a: APP, e: h('buy'), s: 'no-segment', m: '2024:10' });
  });

  it('writes segment values per day (no hour) in value-sharded docs, with meta and registry', () => {
    const s = send([{ key: 'buy', count: 2, sum: 4, segmentation: { country: 'Turkey', plan: 'pro.max' } }]);
    expect(seg(s, 'buy', 'country', 'Turkey')?.inc).toEqual({ 'd.15.Turkey.c': 2, 'd.15.Turkey.s': 4 });
    expect(seg(s, 'buy', 'country', 'Turkey')?.fields).toMatchObject({ s: 'country', shard: valueShard('Turkey') });
    expect(seg(s, 'buy', 'country', 'Turkey', '2024:0')?.set).toEqual({ 'meta_v2.country.Turkey': true });
    expect(seg(s, 'buy', 'plan', 'pro:max')?.inc).toEqual({ 'd.15.pro:max.c': 2, 'd.15.pro:max.s': 4 });
    expect(noSeg(s, 'buy', '2024:0')?.set).toEqual({ 'meta_v2.segments.country': true, 'meta_v2.segments.plan': true });
    expect(s.registries[APP]).toEqual({ list: ['buy'], segments: { buy: ['country', 'plan'] } });
  });

  it('skips [CLY]_ keys except the aggregated internal ones', () => {
    const s = send([{ key: '[CLY]_view' }, { key: '[CLY]_star_rating', segmentation: { rating: 5 } }]);
    expect(s.registries[APP]?.list).toEqual(['[CLY]_star_rating']);
    expect(seg(s, '[CLY]_star_rating', 'rating', '[CLY]5')?.inc).toEqual({ 'd.15.[CLY]5.c': 1 });
  });

  it('buckets an event by its own timestamp', () => {
    const s = send([{ key: 'late', timestamp: Date.parse('2024-09-30T23:00:00Z') }]);
    expect(noSeg(s, 'late', '2024:9')?.inc).toEqual({ 'd.30.c': 1, 'd.30.23.c': 1 });
  });
});

describe('events fold: limits (§2.16)', () => {
  it('drops new keys once the app has 500, keeps known ones', () => {
    const list = Array.from({ length: EVENT_LIMIT }, (_, i) => `e${i}`);
    const s = send([{ key: 'new' }, { key: 'e3' }], { registries: { [APP]: { list, segments: {} } } });
    expect(noSeg(s, 'new')).toBeUndefined();
    expect(noSeg(s, 'e3')?.inc['d.15.c']).toBe(1);
    expect(s.registryAdds).toEqual({});
  });

  it('drops new segment keys once the event has 100', () => {
    const segments = { buy: Array.from({ length: EVENT_SEGMENTATION_LIMIT }, (_, i) => `s${i}`) };
    const s = send([{ key: 'buy', segmentation: { fresh: 'x', s1: 'y' } }], { registries: { [APP]: { list: ['buy'], segments } } });
    expect(seg(s, 'buy', 'fresh', 'x')).toBeUndefined();
    expect(seg(s, 'buy', 's1', 'y')?.inc).toEqual({ 'd.15.y.c': 1 });
  });

  it('drops new values once the segment holds 1000 in the year', () => {
    const values = Array.from({ length: EVENT_SEGMENTATION_VALUE_LIMIT }, (_, i) => `v${i}`);
    const known = { [segmentMetaKey(APP, h('buy'), 'k', 2024)]: knownMetaOf({ k: values }, segmentValueCostBytes) };
    const s = send(
      [
        { key: 'buy', segmentation: { k: 'brand-new' } },
        { key: 'buy', segmentation: { k: 'v9' } },
      ],
      { known },
    );
    expect(seg(s, 'buy', 'k', 'brand-new')).toBeUndefined();
    expect(seg(s, 'buy', 'k', 'v9')?.inc).toEqual({ 'd.15.v9.c': 1 });
  });

  it('counts limits across the batch', () => {
    const list = Array.from({ length: EVENT_LIMIT - 1 }, (_, i) => `e${i}`);
    const s = send([{ key: 'one' }, { key: 'two' }, { key: 'one' }], { registries: { [APP]: { list, segments: {} } } });
    expect(noSeg(s, 'one')?.inc['d.15.c']).toBe(2);
    expect(noSeg(s, 'two')).toBeUndefined();
  });
});

describe('events fold: registry writes, reset, purity', () => {
  it('writes the registry as $set entries that read back in first-seen order', () => {
    const s = fold([
      request('2024-10-15T08:00:00Z', { events: [{ key: 'b.x', segmentation: { z: 1 } }] }),
      request('2024-10-15T09:00:00Z', {
        events: [
          { key: 'a', segmentation: { y: 'q' } },
          { key: 'b.x', segmentation: { w: 'q' } },
        ],
      }),
    ]);
    const registry = eventsWriteOps(s, { idSuffix: '_g0' }).find((o) => o.collection === 'events');
    expect(registry?.id).toBe(`${APP}_g0`);
    expect(registry?.set).toMatchObject({ a: APP, [`list.${h('b.x')}`]: { key: 'b.x', at: Date.parse('2024-10-15T08:00:00Z') } });
    const stored = { _id: APP, ...Object.fromEntries(Object.entries(registry?.set ?? {}).map(([k, v]) => [k, v])) };
    // Expand the dotted $set paths the way MongoDB would store them.
    const expanded: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(stored)) {
      const parts = path.split('.');
      let node = expanded;
      for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
      node[parts.at(-1)!] = value;
    }
    expect(eventRegistryFromStored([expanded])).toEqual({ list: ['b.x', 'a'], segments: { 'b.x': ['z', 'w'], a: ['y'] } });
  });

  it('drops everything of the app on reset', () => {
    const s = fold([request(at, { events: [{ key: 'buy' }] }), reset('all', at)]);
    expect(s).toMatchObject({ docs: {}, registries: {}, registryAdds: {}, known: {} });
  });

  it('registers new keys and segments on a frozen input, and again after a reset in the same batch', () => {
    const state = deepFreeze(send([{ key: 'buy', segmentation: { k: 'v' } }]));
    const next = foldEvents(state, [
      request(at, {
        events: [
          { key: 'buy', segmentation: { k: 'v', m: 'x' } },
          { key: 'view', segmentation: { p: 'home' } },
        ],
      }),
      reset('all', at),
      request(at, { events: [{ key: 'view', segmentation: { q: 'y' } }] }),
    ]);
    expect(next.registries[APP]).toEqual({ list: ['view'], segments: { view: ['q'] } });
    expect(Object.keys(next.registryAdds[APP] ?? {})).toEqual([`list.${h('view')}`, `segments.${h('view')}.q`]);
    const more = foldEvents(state, [request(at, { events: [{ key: 'buy', segmentation: { m: 'x', n: 'y' } }, { key: 'view' }] })]);
    expect(more.registries[APP]).toEqual({ list: ['buy', 'view'], segments: { buy: ['k', 'm', 'n'] } });
    expect(state.registries[APP]).toEqual({ list: ['buy'], segments: { buy: ['k'] } });
  });

  it('does not mutate its input and ignores unknown events', () => {
    const state = deepFreeze(send([{ key: 'buy', segmentation: { k: 'v' } }]));
    const next = evolveEvents(state, request(at, { events: [{ key: 'buy', segmentation: { k: 'w' } }] }));
    expect(noSeg(next, 'buy')?.inc['d.15.c']).toBe(2);
    expect(evolveEvents(state, { type: 'Other' } as unknown as FoldEvent)).toBe(state);
  });
});
