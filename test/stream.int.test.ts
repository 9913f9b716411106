// An envelope published through the real stream reads back equal; a malformed one is rejected.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { publishEnvelope } from '../ingest/index.ts';
import { ensureStreams } from '../processors/index.ts';
import { decodeEvent, EventDecodeError, partitionOf, type SdkRequestReceived } from '../projections/index.ts';
import { eventSubject, eventsStreamName } from '../streams.config.ts';
import { testConfig } from './support/harness.ts';

const config = testConfig();
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nc = await connect({ servers: inject('natsUrl') });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, config.streams);
});
afterAll(async () => {
  await jsm.streams.delete(eventsStreamName(config.streams));
  await nc.close();
});

const event: SdkRequestReceived = {
  v: 1,
  type: 'SdkRequestReceived',
  id: 'stream-test-1',
  requestId: 'req-1',
  appId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  appKey: 'key',
  appTimezone: 'America/New_York',
  deviceId: 'device-1',
  receivedAtMs: 1_730_000_000_000,
  ip: '10.0.0.1',
  params: { begin_session: '1', metrics: { _os: 'Android' }, events: [{ key: 'click', count: 2 }] },
};

describe('event stream', () => {
  it('stores an envelope once per id and reads it back equal', async () => {
    const js = jetstream(nc);
    const subject = eventSubject(config.streams, event.appId, partitionOf(event.deviceId, config.streams.partitions));
    const first = await publishEnvelope(js, subject, event, { timeoutMs: 5_000 });
    const retry = await publishEnvelope(js, subject, event, { timeoutMs: 5_000 });
    expect(retry.duplicate).toBe(true);
    expect(retry.seq).toBe(first.seq);
    const stored = await jsm.streams.getMessage(eventsStreamName(config.streams), { seq: first.seq });
    expect(stored?.subject).toBe(subject);
    expect(decodeEvent(stored!.data, first.seq)).toEqual({ ...event, seq: first.seq });
    const info = await jsm.streams.info(eventsStreamName(config.streams));
    expect(info.state.messages).toBe(1);
  });

  it('ensureStreams is idempotent', async () => {
    await ensureStreams(jsm, config.streams);
    const info = await jsm.streams.info(eventsStreamName(config.streams));
    expect(info.state.messages).toBe(1);
  });

  it('a malformed envelope on the stream is rejected by the schema', async () => {
    const js = jetstream(nc);
    const subject = eventSubject(config.streams, event.appId, 0);
    const ack = await js.publish(subject, new TextEncoder().encode(JSON.stringify({ ...event, v: 1, deviceId: '' })));
    const stored = await jsm.streams.getMessage(eventsStreamName(config.streams), { seq: ack.seq });
    expect(() => decodeEvent(stored!.data, ack.seq)).toThrow(EventDecodeError);
    expect(() => decodeEvent(stored!.data, ack.seq)).toThrow(/deviceId/);
  });
});
