// Event groups and the event map (spec §4.3, §4.6): groups are created, listed, renamed, ordered,
// switched off and deleted through `/i/event_groups/*`; a `[CLY]_group_` key reads as the sum of
// its source events; `/i/events/edit_map` sets the order, names and visibility that
// `method=get_events` returns. Bad input and missing rights are refused with nothing written.
// Expected numbers come from the traffic this file sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAndApp, apiGet, at, createMemberViaApi, resultOf, type Member } from './support/api-client.ts';
import { startTestTally, type TestTally } from './support/harness.ts';
import { send } from './support/ingest-client.ts';
import { processedThroughHead } from './support/processed.ts';

let tally: TestTally;
let adminKey = '';
let app = { _id: '', key: '', timezone: '' };
let reader: Member;

/** The traffic: per event key, the events sent (count, sum). */
const SENT: Readonly<Record<string, readonly { count: number; sum?: number }[]>> = {
  buy: [
    { count: 2, sum: 10 },
    { count: 1, sum: 2.5 },
  ],
  view: [{ count: 3 }],
  other: [{ count: 7 }],
};
const total = (keys: readonly string[], prop: 'count' | 'sum'): number => keys.flatMap((k) => SENT[k] ?? []).reduce((s, e) => s + (e[prop] ?? 0), 0);
const year = String(new Date().getUTCFullYear());

const manage = (path: string, params: Record<string, unknown>, key = adminKey) => apiGet(tally.url, path, { api_key: key, app_id: app._id, ...params });
const o = (params: Record<string, unknown>) => apiGet(tally.url, '/o', { api_key: adminKey, app_id: app._id, ...params });
const groups = async (): Promise<Record<string, unknown>[]> => {
  const res = await o({ method: 'get_event_groups' });
  return Array.isArray(res.body) ? res.body.filter((g): g is Record<string, unknown> => typeof g === 'object' && g !== null) : [];
};
const GROUP = { name: 'Shopping', source_events: ['buy', 'view'], description: 'buy and view', display_map: { c: 'Actions' }, status: true };

beforeAll(async () => {
  tally = await startTestTally();
  ({ adminKey, app } = await adminAndApp(tally.url, { timezone: 'Etc/UTC' }));
  reader = await createMemberViaApi(tally.url, adminKey, { username: 'ev-reader', email: 'ev-reader@example.com', user_of: [app._id] });
  for (const [key, events] of Object.entries(SENT)) {
    const res = await send(tally.url, {
      query: { app_key: app.key, device_id: `dev-${key}`, events: events.map((e) => ({ key, ...e, segmentation: { plan: 'pro' } })) },
    });
    expect(res.status).toBe(200);
  }
  await processedThroughHead(tally);
});
afterAll(async () => {
  await tally?.destroy();
});

describe('event groups', () => {
  let id = '';

  it('create, list and read one group', async () => {
    expect(resultOf(await manage('/i/event_groups/create', { args: GROUP }))).toBe('Success');
    const list = await groups();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ ...GROUP, app_id: app._id });
    id = String(list[0]?._id);
    expect(id).toMatch(/^\[CLY\]_group_[0-9a-f]{32}$/);
    expect((await o({ method: 'get_event_group', _id: id })).body).toMatchObject({ _id: id, name: 'Shopping' });
  });

  it('a [CLY]_group_ key reads as the sum of its source events', async () => {
    const res = await o({ method: 'events', event: id });
    expect(at(res.body, year)).toMatchObject({ c: total(GROUP.source_events, 'count'), s: total(GROUP.source_events, 'sum') });
    expect((await o({ method: 'events', events: [id] })).body).toEqual((await o({ method: 'events', events: GROUP.source_events })).body);
    const bySegment = await o({ method: 'events', event: id, segmentation: 'plan' });
    expect(at(bySegment.body, year, 'pro')).toMatchObject({ c: total(GROUP.source_events, 'count') });
    const rows = await apiGet(tally.url, '/o/analytics/events', { api_key: adminKey, app_id: app._id, event: id, segmentation: 'plan', period: '7days' });
    expect(rows.body).toEqual([{ _id: 'pro', c: total(GROUP.source_events, 'count'), s: total(GROUP.source_events, 'sum'), dur: 0 }]);
  });

  it('update renames, event_order orders, update_status switches off', async () => {
    expect(resultOf(await manage('/i/event_groups/update', { args: { _id: id, name: 'Shop', source_events: ['buy', 'other'] } }))).toBe('Success');
    expect((await manage('/i/event_groups/create', { args: { ...GROUP, name: 'Second' } })).status).toBe(200);
    const second = String((await groups()).find((g) => g.name === 'Second')?._id);
    expect(resultOf(await manage('/i/event_groups/update', { event_order: [second, id] }))).toBe('Success');
    expect((await groups()).map((g) => g.name)).toEqual(['Second', 'Shop']);
    expect(resultOf(await manage('/i/event_groups/update', { update_status: [id], status: false }))).toBe('Success');
    expect((await groups()).find((g) => g._id === id)).toMatchObject({ status: false, source_events: ['buy', 'other'] });
    const res = await o({ method: 'events', event: id });
    expect(at(res.body, year)).toMatchObject({ c: total(['buy', 'other'], 'count') });
  });

  it('refuses $ and dotted keys, bad shapes and members without the right; nothing is written', async () => {
    const before = await groups();
    const refused = [
      { args: { ...GROUP, display_map: { $set: 'x' } } },
      { args: { ...GROUP, display_map: { 'a.b': 'x' } } },
      { args: { ...GROUP, source_events: 'buy' } },
      { args: { ...GROUP, name: '' } },
      { args: '{not json' },
    ];
    for (const params of refused) expect((await manage('/i/event_groups/create', params)).status).toBe(400);
    expect((await manage('/i/event_groups/update', { args: { _id: String(before[0]?._id), $rename: { name: 'x' } } })).status).toBe(400);
    expect((await manage('/i/event_groups/create', { args: GROUP }, reader.api_key)).body).toEqual({ result: 'User does not have right' });
    expect((await manage('/i/event_groups/delete', { args: [String(before[0]?._id)] }, reader.api_key)).status).toBe(401);
    expect(await groups()).toEqual(before);
    // A member who may read sees the groups.
    expect((await apiGet(tally.url, '/o', { api_key: reader.api_key, app_id: app._id, method: 'get_event_groups' })).body).toEqual(before);
  });

  it('delete removes groups; a deleted group reads as {}', async () => {
    const ids = (await groups()).map((g) => String(g._id));
    expect(resultOf(await manage('/i/event_groups/delete', { args: ids }))).toBe('Success');
    expect(await groups()).toEqual([]);
    expect((await o({ method: 'events', event: ids[0] })).body).toEqual({});
  });
});

describe('edit_map', () => {
  it('sets order, names and visibility, merged into get_events', async () => {
    const params = { event_order: ['view', 'buy', 'other'], event_map: { buy: { name: 'Purchase', is_visible: true }, other: { is_visible: false } } };
    expect(resultOf(await manage('/i/events/edit_map', params))).toBe('Success');
    expect(resultOf(await manage('/i/events/edit_map', { event_map: { buy: { description: 'paid' } } }))).toBe('Success');
    const events = (await o({ method: 'get_events' })).body;
    expect(events).toMatchObject({
      list: expect.arrayContaining(Object.keys(SENT)) as unknown,
      order: ['view', 'buy', 'other'],
      map: { buy: { name: 'Purchase', is_visible: true, description: 'paid' }, other: { is_visible: false } },
    });
    // Without `event`, method=events reads the first key of the order.
    expect(at((await o({ method: 'events' })).body, year)).toMatchObject({ c: total(['view'], 'count') });
  });

  it('refuses unknown properties, $ keys and readers; nothing changes', async () => {
    const before = (await o({ method: 'get_events' })).body;
    expect((await manage('/i/events/edit_map', { event_map: { buy: { $where: 'x' } } })).status).toBe(400);
    expect((await manage('/i/events/edit_map', { event_map: { $buy: { name: 'x' } } })).status).toBe(400);
    expect((await manage('/i/events/edit_map', { event_map: { buy: { owner: 'x' } } })).status).toBe(400);
    expect((await manage('/i/events/edit_map', {})).status).toBe(400);
    expect((await manage('/i/events/edit_map', { event_order: ['buy'] }, reader.api_key)).status).toBe(401);
    expect((await o({ method: 'get_events' })).body).toEqual(before);
  });
});

describe('top_events', () => {
  /** Keys by count (most first, ties by name), from the traffic sent today. */
  const ranked = Object.keys(SENT).sort((a, b) => total([b], 'count') - total([a], 'count') || a.localeCompare(b));
  const all = Object.keys(SENT);

  it('ranks today’s events by count with totals, for each period the daily job knows', async () => {
    for (const period of ['today', '7days', '30days', 'month']) {
      const res = await o({ method: 'top_events', period, limit: 2 });
      expect(res.body, period).toMatchObject({
        app_id: app._id,
        period,
        data: ranked.slice(0, 2).map((name) => ({ name, count: total([name], 'count'), sum: total([name], 'sum'), duration: 0 })),
        totalCount: total(all, 'count'),
        totalSum: total(all, 'sum'),
        totalDuration: 0,
        prevTotalCount: 0,
        totalSessionCount: 0,
      });
    }
  });

  it('with filter=sum: the summed events first, with trend and change', async () => {
    const res = await o({ method: 'top_events', period: '7days', filter: 'sum', limit: 1 });
    expect(at(res.body, 'data')).toEqual([{ name: 'buy', sum: total(['buy'], 'sum'), trend: 'u', change: 'NA' }]);
  });

  it('answers false for a period the job does not compute', async () => {
    expect((await o({ method: 'top_events', period: 'yesterday' })).text).toBe('false');
  });
});
