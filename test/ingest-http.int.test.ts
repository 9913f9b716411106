// /i over every transport of spec §1.2, the answers of §2.3, and the envelope each accepted
// request becomes: one message per request, with the request as received plus server facts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTally, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, newApp, send, warningReasons, type TestApp } from './support/ingest-client.ts';
import { lastSeq, readRequests, unsafeKeys } from './support/stream.ts';

let tally: TestTally;
let app: TestApp;

beforeAll(async () => {
  tally = await startTestTally({ roles: INGEST_ROLE });
  app = await newApp(tally, { timezone: 'America/New_York' });
});
afterAll(async () => {
  await tally.destroy();
});

/** Runs `act`, then returns the requests it stored. */
async function stored(act: () => Promise<unknown>) {
  const before = await lastSeq(tally.jsm, tally.config.streams);
  await act();
  return readRequests(tally.jsm, tally.config.streams, before);
}

const events = [{ key: 'purchase', count: 2, sum: 9.5, segmentation: { plan: 'pro', seats: 3 } }];
const metrics = { _os: 'Android', _os_version: '14', _app_version: '1.2' };

describe('transports', () => {
  it('GET stores one envelope with the parsed parameters and the server facts', async () => {
    const t0 = Date.now();
    let answer: Awaited<ReturnType<typeof send>> | undefined;
    const [e, ...rest] = await stored(async () => {
      answer = await send(tally.url, { query: { app_key: app.key, device_id: 'dev-get', timestamp: '1730000000000', begin_session: '1', events, metrics } });
    });
    expect(answer?.status).toBe(200);
    expect(answer?.body).toEqual({ result: 'Success' });
    expect(answer?.headers.get('access-control-allow-origin')).toBe('*');
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      v: 1,
      type: 'SdkRequestReceived',
      appId: app._id,
      appKey: app.key,
      appTimezone: 'America/New_York',
      deviceId: 'dev-get',
      ip: '127.0.0.1',
    });
    expect(e!.id).toMatch(/^i1-[\w-]{43}$/);
    expect(e!.requestId).not.toBe('');
    expect(e!.receivedAtMs).toBeGreaterThanOrEqual(t0);
    expect(e!.receivedAtMs).toBeLessThanOrEqual(Date.now());
    expect(e!.params).toEqual({ app_key: app.key, device_id: 'dev-get', timestamp: '1730000000000', begin_session: '1', events, metrics });
  });

  it('POST form, POST JSON (objects or strings) and multipart store the same parameters', async () => {
    const base = { app_key: app.key, device_id: 'dev-post', events, metrics };
    const multipart = new FormData();
    for (const [k, v] of Object.entries({ ...base, timestamp: '4' })) multipart.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    const answers: number[] = [];
    const got = await stored(async () => {
      answers.push((await send(tally.url, { form: { ...base, timestamp: '1' } })).status);
      answers.push((await send(tally.url, { json: { ...base, timestamp: '2' } })).status);
      answers.push((await send(tally.url, { json: { ...base, timestamp: '3', events: JSON.stringify(events), metrics: JSON.stringify(metrics) } })).status);
      answers.push((await send(tally.url, { body: multipart })).status);
    });
    expect(answers).toEqual([200, 200, 200, 200]);
    expect(got.map((e) => e.params)).toEqual(['1', '2', '3', '4'].map((timestamp) => ({ ...base, timestamp })));
  });

  it('the query string wins over the body on a name clash', async () => {
    const [e] = await stored(() => send(tally.url, { query: { device_id: 'from-query', timestamp: '7' }, form: { app_key: app.key, device_id: 'from-body' } }));
    expect(e?.deviceId).toBe('from-query');
  });

  it('OPTIONS answers CORS, other methods 405, HEAD never stores, JSONP wraps the answer', async () => {
    const options = await send(tally.url, { method: 'OPTIONS' });
    expect(options.status).toBe(200);
    expect(options.headers.get('access-control-allow-methods')).toBe('POST, GET, OPTIONS');
    expect(options.headers.get('access-control-allow-headers')).toBe('countly-token, Content-Type');
    const got = await stored(async () => {
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const r = await send(tally.url, { method, query: { app_key: app.key, device_id: 'd' } });
        expect([r.status, r.body]).toEqual([405, { result: 'Method not allowed' }]);
      }
      const head = await send(tally.url, { method: 'HEAD', query: { app_key: app.key, device_id: 'd' } });
      expect(head.status).toBe(405);
      const jsonp = await send(tally.url, { query: { app_key: app.key, device_id: 'd', callback: 'cb_1' } });
      expect(jsonp.text).toBe('cb_1({"result":"Success"})');
      const bulkPut = await send(tally.url, { method: 'PUT', path: '/i/bulk' });
      expect(bulkPut.status).toBe(405);
    });
    expect(got).toHaveLength(1);
  });
});

describe('answers of spec §2.3', () => {
  it('refusals answer the Countly message and store nothing', async () => {
    const missing = { result: 'Missing parameter "app_key" or "device_id"' };
    const got = await stored(async () => {
      expect(await send(tally.url)).toMatchObject({ status: 400, body: missing });
      expect(await send(tally.url, { query: { app_key: app.key } })).toMatchObject({ status: 400, body: missing });
      expect(await send(tally.url, { query: { device_id: 'd' } })).toMatchObject({ status: 400, body: missing });
      expect(await send(tally.url, { json: { app_key: { $ne: null }, device_id: 'd' } })).toMatchObject({ status: 400, body: missing });
      expect(await send(tally.url, { query: { app_key: 'nope', device_id: 'd' } })).toMatchObject({ status: 400, body: { result: 'App does not exist' } });
      expect(await send(tally.url, { query: { app_key: app.key, device_id: 'd', app_id: 'short' } })).toMatchObject({
        status: 400,
        body: { result: 'Invalid parameter "app_id"' },
      });
      const zero = await send(tally.url, { query: { app_key: app.key, device_id: '00000000-0000-0000-0000-000000000000' } });
      expect(zero).toMatchObject({ status: 200, body: { result: 'Ignoring device_id' } });
    });
    expect(got).toEqual([]);
  });

  it('a salted app needs checksum (SHA-1) or checksum256 (SHA-256) over the raw query or body', async () => {
    const { createHash } = await import('node:crypto');
    const salted = await newApp(tally, { salt: 's3cret' });
    const payload = `app_key=${salted.key}&device_id=dev-salt&timestamp=11`;
    const sha1 = createHash('sha1')
      .update(payload + 's3cret')
      .digest('hex')
      .toUpperCase();
    const sha256 = createHash('sha256')
      .update(payload + 's3cret')
      .digest('hex');
    const got = await stored(async () => {
      const none = await fetch(`${tally.url}/i?${payload}`);
      expect(await none.json()).toEqual({ result: 'Request does not have checksum' });
      const wrong = await fetch(`${tally.url}/i?${payload}&checksum=${'0'.repeat(40)}`);
      expect(await wrong.json()).toEqual({ result: 'Request does not match checksum' });
      expect(await (await fetch(`${tally.url}/i?${payload}&checksum=${sha1}`)).json()).toEqual({ result: 'Success' });
      const post = await send(tally.url, {
        body: `${payload.replace('=11', '=12')}&checksum256=${createHash('sha256')
          .update(payload.replace('=11', '=12') + 's3cret')
          .digest('hex')}`,
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(post.body).toEqual({ result: 'Success' });
      expect(sha256).toHaveLength(64);
    });
    expect(got.map((e) => e.params.timestamp)).toEqual(['11', '12']);
  });

  it('a retry (same payload and timestamp) is stored once and answered as a duplicate', async () => {
    const query = { app_key: app.key, device_id: 'dev-dup', timestamp: '1730000000123', events };
    const got = await stored(async () => {
      expect((await send(tally.url, { query })).body).toEqual({ result: 'Success' });
      expect((await send(tally.url, { query: { ...query, rr: '3' } })).body).toEqual({ result: 'Success', info: 'Request ignored: Duplicate request' });
      // Without a timestamp two identical requests are two requests (Countly uses the receive time).
      await send(tally.url, { query: { app_key: app.key, device_id: 'dev-dup', begin_session: '1' } });
      await send(tally.url, { query: { app_key: app.key, device_id: 'dev-dup', begin_session: '1' } });
    });
    expect(got).toHaveLength(3);
    expect(new Set(got.map((e) => e.id)).size).toBe(3);
  });
});

describe('partly malformed requests', () => {
  it('keep the valid part, answer Success with warnings, and count and log each drop', async () => {
    const bad = [{ key: 'ok', segmentation: { $where: '1', 'a.b': 'x', plan: 'pro' } }, 'junk', { key: 'x'.repeat(300) }];
    let answer: Awaited<ReturnType<typeof send>> | undefined;
    const [e] = await stored(async () => {
      answer = await send(tally.url, {
        query: { app_key: app.key, device_id: 'dev-bad', metrics: '{broken', events: bad, 'x.y': '1' },
        headers: { 'x-request-id': 'req-bad-1' },
      });
    });
    expect(answer?.status).toBe(200);
    expect(answer?.body?.result).toBe('Success');
    expect(answer?.body?.warnings).toContainEqual({ param: 'metrics', reason: 'invalid_json', message: 'dropped: not valid JSON' });
    expect(warningReasons(answer!).sort()).toEqual([
      'event_key_too_long',
      'event_not_object',
      'invalid_json',
      'key_rewritten',
      'key_rewritten',
      'unsafe_param_name',
    ]);
    expect(e?.params).toEqual({ app_key: app.key, device_id: 'dev-bad', events: [{ key: 'ok', segmentation: { where: '1', ab: 'x', plan: 'pro' } }] });
    expect(unsafeKeys(e?.params)).toEqual([]);
    expect(tally.http.ingestMetrics?.drops.get('invalid_json')).toBeGreaterThanOrEqual(1);
    const line = tally.logs.lines.find((l) => l.reqId === 'req-bad-1');
    expect(line).toMatchObject({ msg: 'request partly dropped', dropped: 6 });
  });

  it('a wholly invalid request stores nothing', async () => {
    const got = await stored(() => send(tally.url, { query: { app_key: 'unknown', device_id: 'd', events: '{' } }));
    expect(got).toEqual([]);
  });
});

describe('client IP (spec §2.2)', () => {
  it('ip_address wins, then (from a trusted proxy, loopback by default) the rightmost untrusted X-Forwarded-For entry, then X-Real-IP, then the socket', async () => {
    const q = (n: string, extra: Record<string, string> = {}) => ({ query: { app_key: app.key, device_id: 'dev-ip', timestamp: n, ...extra } });
    const got = await stored(async () => {
      await send(tally.url, { ...q('1', { ip_address: '203.0.113.9' }), headers: { 'x-forwarded-for': '198.51.100.1' } });
      await send(tally.url, { ...q('2'), headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1', 'x-real-ip': '192.0.2.1' } });
      await send(tally.url, { ...q('3'), headers: { 'x-real-ip': '192.0.2.1' } });
      const bad = await send(tally.url, q('4', { ip_address: 'not-an-ip' }));
      expect(warningReasons(bad)).toEqual(['invalid_ip_address']);
    });
    expect(got.map((e) => e.ip)).toEqual(['203.0.113.9', '198.51.100.1', '192.0.2.1', '127.0.0.1']);
  });
});
