// Publishing envelopes straight to the events stream, skipping HTTP: the raw publish baselines
// use it, and so can processing-only scenarios (publish N envelopes, then time the fold).
import type { JetStreamClient } from '@nats-io/jetstream';
import { encodeEvent, partitionOf, type SdkRequestReceived } from '../projections/index.ts';
import { eventSubject, type StreamsConfig } from '../streams.config.ts';
import { toEnvelope, type CountlyRequest, type Workload, type WorkloadApp } from './workload.ts';

/** One ready-to-send stream message. */
export interface PreparedMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgID: string;
}

export interface EnvelopeOptions {
  /** Ids are `<idPrefix>-<n>`, so a rerun with the same prefix is deduplicated by the stream. */
  readonly idPrefix: string;
  /** Server receive time of envelope n, ms. Default: the request's own timestamp. */
  readonly receivedAtMs?: (n: number) => number;
}

/** The next `count` workload requests as the envelopes ingest would publish for them. */
export function* workloadEnvelopes(workload: Workload, apps: readonly WorkloadApp[], count: number, opts: EnvelopeOptions): Generator<SdkRequestReceived> {
  yield* requestEnvelopes(
    (function* () {
      for (let n = 0; n < count; n++) yield workload.next();
    })(),
    apps,
    opts,
  );
}

/** Any Countly requests (of the given apps) as the envelopes ingest would publish for them. */
export function* requestEnvelopes(requests: Iterable<CountlyRequest>, apps: readonly WorkloadApp[], opts: EnvelopeOptions): Generator<SdkRequestReceived> {
  const byKey = new Map(apps.map((a) => [a.key, a]));
  let n = 0;
  for (const req of requests) {
    const app = byKey.get(req.app_key);
    if (app === undefined) throw new RangeError(`workload produced an unknown app key ${req.app_key}`);
    const id = `${opts.idPrefix}-${n}`;
    yield toEnvelope(req, app, { id, requestId: id, receivedAtMs: opts.receivedAtMs?.(n) ?? req.timestamp });
    n++;
  }
}

/** Encodes an envelope for its partition subject, exactly as ingest does. */
export function prepareEnvelope(streams: StreamsConfig, event: SdkRequestReceived): PreparedMessage {
  return { subject: eventSubject(streams, event.appId, partitionOf(event.deviceId, streams.partitions)), data: encodeEvent(event), msgID: event.id };
}

/** A message with the number of "events" its envelope carries (see countlyEvents). */
export interface CountedMessage extends PreparedMessage {
  readonly events: number;
}

/**
 * What processing figures count as events: every Countly event in the request's `events`
 * (whatever its `count`) plus one for a `begin_session`. Heartbeats and `end_session` only
 * update a session, so they count for nothing on their own.
 */
export function countlyEvents(e: SdkRequestReceived): number {
  const events = e.params.events;
  return (Array.isArray(events) ? events.length : 0) + (e.params.begin_session === undefined ? 0 : 1);
}

export function* countedMessages(streams: StreamsConfig, envelopes: Iterable<SdkRequestReceived>): Generator<CountedMessage> {
  for (const e of envelopes) yield { ...prepareEnvelope(streams, e), events: countlyEvents(e) };
}

export interface PublishBatchedOptions<M extends PreparedMessage = PreparedMessage> {
  /** Publishes in flight before awaiting their PubAcks. */
  readonly batch: number;
  readonly timeoutMs: number;
  /** Called after each batch is acknowledged with its size and duration, ms. */
  readonly onBatch?: (size: number, durationMs: number) => void;
  /** Stop early when this returns false (checked between batches). */
  readonly keepGoing?: () => boolean;
  /** Called with each message and the stream sequence its PubAck gave it. */
  readonly onAck?: (m: M, seq: number) => void;
}

export interface PublishSummary {
  readonly count: number;
  readonly lastSeq: number;
  readonly durationMs: number;
}

/** Publishes in batches: `batch` publishes in flight, then await all their PubAcks. */
export async function publishBatched<M extends PreparedMessage>(
  js: JetStreamClient,
  messages: Iterable<M>,
  opts: PublishBatchedOptions<M>,
): Promise<PublishSummary> {
  const startedMs = performance.now();
  let count = 0;
  let lastSeq = 0;
  let batch: Promise<{ seq: number }>[] = [];
  let sent: M[] = [];
  const flush = async (): Promise<void> => {
    const t0 = performance.now();
    const acks = await Promise.all(batch);
    opts.onBatch?.(batch.length, performance.now() - t0);
    acks.forEach((ack, i) => {
      lastSeq = Math.max(lastSeq, ack.seq);
      const m = sent[i];
      if (m !== undefined) opts.onAck?.(m, ack.seq);
    });
    count += batch.length;
    batch = [];
    sent = [];
  };
  for (const m of messages) {
    batch.push(js.publish(m.subject, m.data, { msgID: m.msgID, timeout: opts.timeoutMs }));
    sent.push(m);
    if (batch.length >= opts.batch) {
      await flush();
      if (opts.keepGoing?.() === false) break;
    }
  }
  if (batch.length > 0) await flush();
  return { count, lastSeq, durationMs: performance.now() - startedMs };
}

/** For processing scenarios: publishes `count` workload envelopes to Tally's events stream. */
export async function publishWorkload(
  js: JetStreamClient,
  streams: StreamsConfig,
  workload: Workload,
  apps: readonly WorkloadApp[],
  count: number,
  opts: EnvelopeOptions & { readonly batch?: number; readonly timeoutMs?: number },
): Promise<PublishSummary> {
  const messages = (function* () {
    for (const e of workloadEnvelopes(workload, apps, count, opts)) yield prepareEnvelope(streams, e);
  })();
  return publishBatched(js, messages, { batch: opts.batch ?? 500, timeoutMs: opts.timeoutMs ?? 10_000 });
}
