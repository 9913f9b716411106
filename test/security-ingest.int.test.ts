// Security findings at the ingest edge, each reproduced over real HTTP against real NATS:
// a checksum covers exactly the parameters that are used (finding 6), and a body is cut off at
// the configured limit however it is sent, chunked included (finding 7).
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { encodeParams, INGEST_ROLE, newApp, send, warningReasons, type TestApp } from './support/ingest-client.ts';
import { lastSeq, readRequests } from './support/stream.ts';

const BODY_LIMIT = 65_536;
const SALT = 'sec-salt';
let tally: TestTally;
let salted: TestApp;

beforeAll(async () => {
  tally = await startTestTally({ config: testConfig({ ingest: { bodyLimitBytes: BODY_LIMIT } }), roles: INGEST_ROLE });
  salted = await newApp(tally, { salt: SALT });
});
afterAll(async () => {
  await tally.destroy();
});

async function stored(act: () => Promise<unknown>) {
  const before = await lastSeq(tally.jsm, tally.config.streams);
  await act();
  return readRequests(tally.jsm, tally.config.streams, before);
}

const sha256 = (text: string): string =>
  createHash('sha256')
    .update(text + SALT)
    .digest('hex');
/** A form payload signed as the SDKs sign it: checksum256 appended, computed over the rest. */
const signed = (params: Record<string, unknown>): string => {
  const payload = encodeParams(params);
  return `${payload}&checksum256=${sha256(payload)}`;
};
const FORGED = JSON.stringify([{ key: 'forged', count: 1000 }]);
const DOES_NOT_MATCH = { result: 'Request does not match checksum' };

describe('checksums cover every parameter used (finding 6)', () => {
  it('a signed body with forged query parameters is refused and stores nothing', async () => {
    const body = signed({ app_key: salted.key, device_id: 'dev-sig', timestamp: '1', events: [{ key: 'real' }] });
    const got = await stored(async () => {
      const forged = await send(tally.url, { query: { events: FORGED }, body, contentType: 'application/x-www-form-urlencoded' });
      expect([forged.status, forged.body]).toEqual([200, DOES_NOT_MATCH]);
      const otherDevice = await send(tally.url, { query: { device_id: 'victim' }, body, contentType: 'application/x-www-form-urlencoded' });
      expect([otherDevice.status, otherDevice.body]).toEqual([200, DOES_NOT_MATCH]);
    });
    expect(got).toEqual([]);
  });

  it('a signed (empty) query string does not vouch for an unsigned body', async () => {
    // checksum256 alone in the query: the query candidate is "" + salt, a value anyone who saw
    // one such request can reuse for any body.
    const got = await stored(async () => {
      const r = await send(tally.url, { query: { checksum256: sha256('') }, form: { app_key: salted.key, device_id: 'dev-empty', events: FORGED } });
      expect([r.status, r.body]).toEqual([200, DOES_NOT_MATCH]);
    });
    expect(got).toEqual([]);
  });

  it('still accepts what SDKs send: a signed query, a signed form body, a JSON body signed from the query', async () => {
    const json = JSON.stringify({ app_key: salted.key, device_id: 'dev-ok', timestamp: '3', events: [{ key: 'json' }] });
    const got = await stored(async () => {
      expect((await fetch(`${tally.url}/i?${signed({ app_key: salted.key, device_id: 'dev-ok', timestamp: '1' })}`)).status).toBe(200);
      const form = await send(tally.url, {
        body: signed({ app_key: salted.key, device_id: 'dev-ok', timestamp: '2' }),
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(form.body).toEqual({ result: 'Success' });
      const fromQuery = await send(tally.url, { query: { checksum256: sha256(json) }, body: json, contentType: 'application/json' });
      expect(fromQuery.body).toEqual({ result: 'Success' });
    });
    expect(got.map((e) => [e.deviceId, e.params.timestamp, e.params.events])).toEqual([
      ['dev-ok', '1', undefined],
      ['dev-ok', '2', undefined],
      ['dev-ok', '3', [{ key: 'json' }]],
    ]);
  });

  it('a bulk whose requests come from outside the signed payload skips the salted items', async () => {
    const signedRequests = JSON.stringify([{ app_key: salted.key, device_id: 'dev-bulk', timestamp: '1' }]);
    const forgedRequests = JSON.stringify([{ app_key: salted.key, device_id: 'dev-bulk', timestamp: '2', events: JSON.parse(FORGED) as unknown }]);
    const got = await stored(async () => {
      const r = await send(tally.url, {
        path: '/i/bulk',
        query: { requests: forgedRequests },
        body: signed({ requests: signedRequests }),
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(r.status).toBe(200);
      expect(warningReasons(r)).toEqual(['bulk_item_checksum_mismatch']);
      const ok = await send(tally.url, { path: '/i/bulk', body: signed({ requests: signedRequests }), contentType: 'application/x-www-form-urlencoded' });
      expect(ok.body).toEqual({ result: 'Success' });
    });
    expect(got.map((e) => e.params.timestamp)).toEqual(['1']);
  });
});

interface ChunkedAnswer {
  readonly status: number;
  readonly text: string;
  /** True when the answer arrived while the request body was still open. */
  readonly beforeEnd: boolean;
}

/**
 * POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length), then keeps the body open
 * for up to `waitMs` before ending it. A server that enforces its limit on the bytes it reads
 * answers while the body is still open; one that reads the whole body cannot.
 */
function postChunked(path: string, contentType: string, chunks: readonly Buffer[], waitMs: number): Promise<ChunkedAnswer> {
  const url = new URL(path, tally.url);
  return new Promise((resolve, reject) => {
    let ended = false;
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path,
      method: 'POST',
      headers: { 'content-type': contentType, 'transfer-encoding': 'chunked' },
    });
    const timer = setTimeout(() => {
      ended = true;
      req.end();
    }, waitMs);
    req.on('response', (res) => {
      const beforeEnd = !ended;
      clearTimeout(timer);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, beforeEnd }));
      res.on('error', reject);
    });
    // Once answered, the server may close the socket under the unfinished body; the promise is
    // settled by then, so only an error before the answer fails the test.
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    for (const c of chunks) req.write(c);
  });
}

const BOUNDARY = 'sec-boundary';
/** One multipart file part of `size` bytes; many of them make a body well past the limit. */
const filePart = (i: number, size: number): Buffer =>
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f${i}"; filename="f${i}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${'x'.repeat(size)}\r\n`,
  );

describe('chunked bodies are cut off at config.ingest.bodyLimitBytes (finding 7)', () => {
  const overLimit = (n: number) => Array.from({ length: n }, () => Buffer.from('x'.repeat(BODY_LIMIT / 2)));
  const cases: readonly (readonly [string, readonly Buffer[]])[] = [
    [`multipart/form-data; boundary=${BOUNDARY}`, Array.from({ length: 8 }, (_, i) => filePart(i, BODY_LIMIT / 2))],
    ['application/x-www-form-urlencoded', overLimit(8)],
    ['application/json', overLimit(8)],
    ['text/plain', overLimit(8)],
  ];

  it.for(cases)('%s: 413 while the body is still being sent, nothing stored', async ([contentType, chunks]) => {
    const got = await stored(async () => {
      const answer = await postChunked(`/i?app_key=${salted.key}&device_id=dev-chunked`, contentType, chunks, 5_000);
      expect([answer.status, answer.beforeEnd]).toEqual([413, true]);
      expect(JSON.parse(answer.text)).toEqual({ result: `Request body is larger than ${BODY_LIMIT} bytes` });
    });
    expect(got).toEqual([]);
  });

  it('a chunked multipart body under the limit is still read', async () => {
    const app = await newApp(tally);
    const body = Buffer.from(
      [`app_key`, app.key, 'device_id', 'dev-small'].reduce(
        (acc, v, i, all) => (i % 2 === 0 ? `${acc}--${BOUNDARY}\r\nContent-Disposition: form-data; name="${v}"\r\n\r\n${all[i + 1] ?? ''}\r\n` : acc),
        '',
      ) + `--${BOUNDARY}--\r\n`,
    );
    const got = await stored(async () => {
      const answer = await postChunked('/i', `multipart/form-data; boundary=${BOUNDARY}`, [body], 0);
      expect([answer.status, JSON.parse(answer.text)]).toEqual([200, { result: 'Success' }]);
    });
    expect(got.map((e) => e.deviceId)).toEqual(['dev-small']);
  });
});
