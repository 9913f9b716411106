import { describe, expect, it } from 'vitest';
import { EventDecodeError } from './errors.ts';
import { decodeEvent, encodeEvent, partitionOf, type SdkRequestReceived } from './events.ts';

const sample: SdkRequestReceived = {
  v: 1,
  type: 'SdkRequestReceived',
  id: 'req-1',
  requestId: 'r1',
  appId: '0123456789abcdef01234567',
  appKey: 'k',
  appTimezone: 'Europe/Berlin',
  deviceId: 'd1',
  receivedAtMs: 1_700_000_000_000,
  ip: '127.0.0.1',
  params: { begin_session: '1', events: [{ key: 'a', count: 1 }] },
};

describe('event envelope', () => {
  it('round-trips through encode and decode with its sequence', () => {
    expect(decodeEvent(encodeEvent(sample), 7)).toEqual({ ...sample, seq: 7 });
  });

  it('rejects a message that is not JSON', () => {
    expect(() => decodeEvent(new TextEncoder().encode('{nope'), 1)).toThrow(EventDecodeError);
  });

  it('rejects an envelope with a bad app id or unknown version', () => {
    const bad = new TextEncoder().encode(JSON.stringify({ ...sample, appId: 'x' }));
    expect(() => decodeEvent(bad, 1)).toThrow(/appId/);
    const v9 = new TextEncoder().encode(JSON.stringify({ ...sample, v: 9 }));
    expect(() => decodeEvent(v9, 1)).toThrow(EventDecodeError);
  });

  it('maps a device to its FNV-1a 32-bit hash modulo the partitions', () => {
    // Published FNV-1a 32 test vectors (the hash itself, with 2^32 partitions).
    expect(partitionOf('', 2 ** 32)).toBe(0x811c9dc5);
    expect(partitionOf('a', 2 ** 32)).toBe(0xe40c292c);
    expect(partitionOf('foobar', 2 ** 32)).toBe(0xbf9cf968);
    // 'device-42' hashes to 0xe9174b68 (computed independently, in Python, over its bytes).
    expect(partitionOf('device-42', 2 ** 32)).toBe(0xe9174b68);
    expect(partitionOf('device-42', 16)).toBe(0xe9174b68 % 16);
    expect(partitionOf('device-42', 7)).toBe(0xe9174b68 % 7);
  });

  it('spreads devices over every partition, each within range', () => {
    const seen = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(`d${i}`, 16)));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, p) => p));
  });
});

describe('envelope v0 (upcast)', () => {
  const v0 = {
    v: 0,
    type: 'SdkRequestReceived',
    id: 'old-1',
    requestId: 'r1',
    appId: 'a'.repeat(24),
    appKey: 'k',
    appTimezone: 'Europe/Berlin',
    deviceId: 'd1',
    receivedAt: 1_730_000_000.25,
    ip: '10.0.0.1',
    query: { begin_session: '1', timestamp: '1730000000', events: '[{"key":"buy","count":2,"sum":3.5}]', metrics: '{"_os":"iOS"}', user_details: 'not json' },
  };
  const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

  it('given a v0 request, when decoded, then it is the v1 event ingest would have written', () => {
    expect(decodeEvent(bytes(v0), 7)).toEqual({
      v: 1,
      type: 'SdkRequestReceived',
      id: 'old-1',
      requestId: 'r1',
      appId: 'a'.repeat(24),
      appKey: 'k',
      appTimezone: 'Europe/Berlin',
      deviceId: 'd1',
      receivedAtMs: 1_730_000_000_250,
      ip: '10.0.0.1',
      seq: 7,
      params: { begin_session: '1', timestamp: '1730000000', events: [{ key: 'buy', count: 2, sum: 3.5 }], metrics: { _os: 'iOS' } },
    });
  });

  it('given a v0 request with a non-string query value, when decoded, then it is refused', () => {
    expect(() => decodeEvent(bytes({ ...v0, query: { events: [] } }), 8)).toThrow(EventDecodeError);
  });

  it('given an unknown version, when decoded, then it is refused', () => {
    expect(() => decodeEvent(bytes({ ...v0, v: 9 }), 9)).toThrow(EventDecodeError);
  });
});
