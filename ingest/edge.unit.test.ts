import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChecksum, type ChecksumInput } from './checksum.ts';
import { bulkItemEventId, requestEventId, stableJson, stripVolatilePairs } from './msg-id.ts';
import { RateLimiter } from './rate-limit.ts';
import { WarningList, MAX_WARNINGS_IN_ANSWER } from './warnings.ts';

const request = {
  appId: 'a'.repeat(24),
  deviceId: 'd',
  rawQuery: 'app_key=k&device_id=d&timestamp=5',
  rawBody: '',
  bodyIsPairs: false,
  timestamp: '5',
  requestId: 'r1',
};

describe('event ids (Nats-Msg-Id)', () => {
  it('are equal for a retry, whatever rr, checksum or the HTTP request id say', () => {
    const retry = { ...request, rawQuery: `${request.rawQuery}&rr=2&checksum256=AB`, requestId: 'r2' };
    expect(requestEventId(retry)).toBe(requestEventId(request));
  });
  it('differ for another payload, timestamp, device or app', () => {
    const id = requestEventId(request);
    expect(requestEventId({ ...request, rawQuery: `${request.rawQuery}&begin_session=1` })).not.toBe(id);
    expect(requestEventId({ ...request, timestamp: '6' })).not.toBe(id);
    expect(requestEventId({ ...request, deviceId: 'e' })).not.toBe(id);
    expect(requestEventId({ ...request, appId: 'b'.repeat(24) })).not.toBe(id);
  });
  it('without a timestamp use the HTTP request id, so two such requests are two events', () => {
    const noTs = { ...request, timestamp: undefined };
    expect(requestEventId({ ...noTs, requestId: 'x' })).not.toBe(requestEventId({ ...noTs, requestId: 'y' }));
  });
  it('strip volatile pairs from form bodies only', () => {
    expect(stripVolatilePairs('a=1&rr=3&checksum=X&b=2&callback=cb')).toBe('a=1&b=2');
    const json = { ...request, rawBody: '{"x":"&rr=1"}' };
    expect(requestEventId(json)).not.toBe(requestEventId({ ...json, rawBody: '{"x":"&rr=2"}' }));
  });
  it('of bulk items ignore the position unless the item has no timestamp', () => {
    const item = { appId: request.appId, deviceId: 'd', params: { device_id: 'd', timestamp: 7, begin_session: 1 }, requestId: 'r', index: 0 };
    expect(bulkItemEventId({ ...item, index: 4, requestId: 'other' })).toBe(bulkItemEventId(item));
    const noTs = { ...item, params: { device_id: 'd' } };
    expect(bulkItemEventId({ ...noTs, index: 1 })).not.toBe(bulkItemEventId(noTs));
    expect(stableJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe('checksums (spec §2.13)', () => {
  const salt = 'pepper';
  const q = 'app_key=K&device_id=D';
  const sha1 = createHash('sha1')
    .update(q + salt)
    .digest('hex')
    .toUpperCase();
  const form = (text: string): Record<string, unknown> => Object.fromEntries(new URLSearchParams(text));
  /** The input of a form request: parameters parsed from each part, merged with the query winning. */
  const input = (rawQuery: string, rawBody = ''): ChecksumInput => {
    const queryParams = form(rawQuery);
    const bodyParams = form(rawBody);
    return { rawQuery, rawBody, queryParams, bodyParams, params: { ...bodyParams, ...queryParams }, salt };
  };
  it('accept SHA-1 over the query in any case, and SHA-256 over the body', () => {
    expect(verifyChecksum(input(`${q}&checksum=${sha1.toLowerCase()}`))).toBe('ok');
    const sha256 = createHash('sha256')
      .update(q + salt)
      .digest('hex');
    expect(verifyChecksum(input('', `${q}&checksum256=${sha256}`))).toBe('ok');
  });
  it('report missing and mismatching checksums; checksum wins over checksum256', () => {
    expect(verifyChecksum(input(q))).toBe('missing');
    expect(verifyChecksum(input(`checksum=00&${q}`))).toBe('mismatch');
    expect(verifyChecksum(input(`${q}&checksum=00&checksum256=${sha1}`))).toBe('mismatch');
  });
  it('refuse a matching payload that leaves out a parameter the request uses', () => {
    expect(verifyChecksum(input('events=forged', `${q}&checksum=${sha1}`))).toBe('mismatch');
    expect(verifyChecksum(input('device_id=other', `${q}&checksum=${sha1}`))).toBe('mismatch');
    const ofSaltAlone = createHash('sha1').update(salt).digest('hex');
    expect(verifyChecksum(input(`checksum=${ofSaltAlone}`, q))).toBe('mismatch');
    // The checksum itself may sit outside the payload it signs (a JSON body signed from the query).
    expect(verifyChecksum({ ...input('', q), queryParams: { checksum: sha1 }, params: { ...form(q), checksum: sha1 } })).toBe('ok');
  });
});

describe('rate limiter', () => {
  it('admits one second of burst per app, then refills at the configured rate', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('a', 1).ok)).toEqual([true, true, true, false]);
    expect(limiter.take('a', 1)).toEqual({ ok: false, retryAfterS: 1 });
    expect(limiter.take('b', 1).ok).toBe(true);
    now = 400;
    expect(limiter.take('a', 1).ok).toBe(true);
    expect(limiter.take('a', 1).ok).toBe(false);
  });
  it('lets one large bulk through and makes the next requests wait', () => {
    let now = 0;
    const limiter = new RateLimiter(2, () => now);
    expect(limiter.take('a', 10).ok).toBe(true);
    expect(limiter.take('a', 1)).toEqual({ ok: false, retryAfterS: 5 });
    now = 5_000;
    expect(limiter.take('a', 1).ok).toBe(true);
  });
});

describe('warnings in the answer', () => {
  it('are capped, with one summary entry', () => {
    const w = new WarningList();
    for (let i = 0; i < MAX_WARNINGS_IN_ANSWER + 3; i++) w.add(`p${i}`, 'key_empty', 'x');
    const shown = w.forAnswer();
    expect(shown).toHaveLength(MAX_WARNINGS_IN_ANSWER + 1);
    expect(shown.at(-1)).toEqual({ param: '*', reason: 'warnings_truncated', message: '3 more warnings not shown' });
  });
});
