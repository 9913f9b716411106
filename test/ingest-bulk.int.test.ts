// /i/bulk (spec §2.15): one envelope per valid item with its own deterministic id, answered only
// when every item is durable; skipped items named in warnings; a retried bulk stored once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTally, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, encodeParams, newApp, send, warningReasons, type TestApp } from './support/ingest-client.ts';
import { lastSeq, readRequests } from './support/stream.ts';

let tally: TestTally;
let app: TestApp;
let other: TestApp;

beforeAll(async () => {
  tally = await startTestTally({ roles: INGEST_ROLE });
  [app, other] = [await newApp(tally, { timezone: 'Asia/Tokyo' }), await newApp(tally)];
});
afterAll(async () => {
  await tally.destroy();
});

async function stored(act: () => Promise<unknown>) {
  const before = await lastSeq(tally.jsm, tally.config.streams);
  await act();
  return readRequests(tally.jsm, tally.config.streams, before);
}

describe('/i/bulk', () => {
  it('stores each item as its own envelope with bulk position, per-item app key and timestamp', async () => {
    const requests = [
      { device_id: 'b1', begin_session: 1, timestamp: 1730000000001, metrics: { _os: 'iOS' } },
      { device_id: 'b2', events: [{ key: 'tap', count: 1 }], timestamp: 1730000000002 },
      { app_key: other.key, device_id: 'b3', timestamp: 1730000000003, ip_address: '192.0.2.44' },
    ];
    let status = 0;
    const got = await stored(async () => {
      const r = await send(tally.url, { path: '/i/bulk', form: { app_key: app.key, requests } });
      status = r.status;
      expect(r.body).toEqual({ result: 'Success' });
    });
    expect(status).toBe(200);
    expect(got.map((e) => [e.deviceId, e.appId, e.bulk])).toEqual([
      ['b1', app._id, { index: 0, count: 3 }],
      ['b2', app._id, { index: 1, count: 3 }],
      ['b3', other._id, { index: 2, count: 3 }],
    ]);
    expect(got[0]).toMatchObject({ appTimezone: 'Asia/Tokyo', appKey: app.key, params: requests[0] });
    expect(got[2]).toMatchObject({ appKey: other.key, ip: '192.0.2.44' });
    expect(new Set(got.map((e) => e.id)).size).toBe(3);
    expect(got.every((e) => e.id.startsWith('b1-') && e.requestId === got[0]!.requestId)).toBe(true);
  });

  it('a retried bulk stores each item once, even regrouped with new items', async () => {
    const a = { device_id: 'r1', timestamp: 1730000001001, begin_session: 1 };
    const b = { device_id: 'r2', timestamp: 1730000001002, end_session: 1, session_duration: 30 };
    const got = await stored(async () => {
      expect((await send(tally.url, { path: '/i/bulk', json: { app_key: app.key, requests: [a, b] } })).body).toEqual({ result: 'Success' });
      const again = await send(tally.url, { path: '/i/bulk', json: { app_key: app.key, requests: [a, b] } });
      expect(again.body).toEqual({ result: 'Success', info: 'Request ignored: Duplicate request' });
      const regrouped = await send(tally.url, {
        path: '/i/bulk',
        query: { app_key: app.key, requests: JSON.stringify([b, { device_id: 'r3', timestamp: 1730000001003 }]) },
      });
      expect(regrouped.body).toEqual({ result: 'Success' });
    });
    expect(got.map((e) => e.deviceId)).toEqual(['r1', 'r2', 'r3']);
  });

  it('skips invalid items with a warning each and stores the valid ones', async () => {
    const requests = [
      'not an object',
      { timestamp: 1 },
      { app_key: 'unknown-key', device_id: 'x' },
      { device_id: '00000000-0000-0000-0000-000000000000' },
      { device_id: 'ok-1', events: '{broken' },
      { device_id: 'ok-2', events: Array.from({ length: 1001 }, () => ({ key: 'e' })) },
    ];
    let reasons: string[] = [];
    const got = await stored(async () => {
      const r = await send(tally.url, { path: '/i/bulk', json: { app_key: app.key, requests } });
      expect(r.status).toBe(200);
      reasons = warningReasons(r);
    });
    expect(reasons).toEqual([
      'bulk_item_not_object',
      'bulk_item_missing_identity',
      'bulk_item_app_does_not_exist',
      'bulk_item_zero_idfa',
      'invalid_json',
      'bulk_item_too_many_events',
    ]);
    expect(got.map((e) => [e.deviceId, e.params.events])).toEqual([['ok-1', undefined]]);
  });

  it('refuses a missing, unparsable or non-array requests parameter, and too many items', async () => {
    const got = await stored(async () => {
      for (const form of [{}, { requests: '' }, { requests: '[{' }]) {
        expect(await send(tally.url, { path: '/i/bulk', form })).toMatchObject({ status: 400, body: { result: 'Missing parameter "requests"' } });
      }
      for (const requests of ['5', '{"a":1}', '"text"']) {
        expect(await send(tally.url, { path: '/i/bulk', form: { requests } })).toMatchObject({ status: 400, body: { result: 'Invalid parameter "requests"' } });
      }
      const many = await send(tally.url, {
        path: '/i/bulk',
        body: encodeParams({ app_key: app.key, requests: Array.from({ length: 1001 }, (_, i) => ({ device_id: `m${i}` })) }),
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(many.status).toBe(413);
      expect(many.body?.result).toMatch(/^Too many requests in one bulk: 1001, the limit is 1000$/);
      expect((await send(tally.url, { path: '/i/bulk', form: { app_key: app.key, requests: '[]' } })).body).toEqual({ result: 'Success' });
    });
    expect(got).toEqual([]);
  });

  it('checks the bulk checksum for items of salted apps', async () => {
    const { createHash } = await import('node:crypto');
    const salted = await newApp(tally, { salt: 'bulk-salt' });
    const requests = JSON.stringify([{ device_id: 's1', timestamp: 1730000002001 }]);
    const data = encodeParams({ app_key: salted.key, requests });
    const good = `${data}&checksum256=${createHash('sha256').update(`${data}bulk-salt`).digest('hex')}`;
    const got = await stored(async () => {
      expect(warningReasons(await send(tally.url, { path: '/i/bulk', body: data, contentType: 'application/x-www-form-urlencoded' }))).toEqual([
        'bulk_item_checksum_missing',
      ]);
      expect(warningReasons(await send(tally.url, { path: '/i/bulk', body: `${data}&checksum=00`, contentType: 'application/x-www-form-urlencoded' }))).toEqual(
        ['bulk_item_checksum_mismatch'],
      );
      expect((await send(tally.url, { path: '/i/bulk', body: good, contentType: 'application/x-www-form-urlencoded' })).body).toEqual({ result: 'Success' });
    });
    expect(got.map((e) => e.deviceId)).toEqual(['s1']);
  });
});
