// Publishing envelopes straight to the events stream, skipping HTTP: the raw publish baselines
// use it, and so can processing-only scenarios (publish N envelopes, then time the fold).
import type { JetStreamClient } from '@nats-io/jetstream';
import { encodeEvent, partitionOf, type SdkRequestReceived } from '../projections/index.ts';
import { eventSubject, type StreamsConfig } from '../streams.config.ts';
import { toEnvelope, type Workload, type WorkloadApp } from './workload.ts';

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
  const byKey = new Map(apps.map((a) => [a.key, a]));
  for (let n = 0; n < count; n++) {
    const req = workload.next();
    const app = byKey.get(req.app_key);
    if (app === undefined) throw new RangeError(`workload produced an unknown app key ${req.app_key}`);
    const id = `${opts.idPrefix}-${n}`;
    yield toEnvelope(req, app, { id, requestId: id, receivedAtMs: opts.receivedAtMs?.(n) ?? req.timestamp });
  }
}

/** Encodes an envelope for its partition subject, exactly as ingest does. */
export function prepareEnvelope(streams: StreamsConfig, event: SdkRequestReceived): PreparedMessage {
  return { subject: eventSubject(streams, event.appId, partitionOf(event.deviceId, streams.partitions)), data: encodeEvent(event), msgID: event.id };
}

export interface PublishBatchedOptions {
  /** Publishes in flight before awaiting their PubAcks. */
  readonly batch: number;
  readonly timeoutMs: number;
  /** Called after each batch is acknowledged with its size and duration, ms. */
  readonly onBatch?: (size: number, durationMs: number) => void;
  /** Stop early when this returns false (checked between batches). */
  readonly keepGoing?: () => boolean;
}

export interface PublishSummary {
  readonly count: number;
  readonly lastSeq: number;
  readonly durationMs: number;
}

/** Publishes in batches: `batch` publishes in flight, then await all their PubAcks. */
export async function publishBatched(js: JetStreamClient, messages: Iterable<PreparedMessage>, opts: PublishBatchedOptions): Promise<PublishSummary> {
  const startedMs = performance.now();
  let count = 0;
  let lastSeq = 0;
  let batch: Promise<{ seq: number }>[] = [];
  const flush = async (): Promise<void> => {
    const t0 = performance.now();
    const acks = await Promise.all(batch);
    opts.onBatch?.(batch.length, performance.now() - t0);
    for (const ack of acks) lastSeq = Math.max(lastSeq, ack.seq);
    count += batch.length;
    batch = [];
  };
  for (const m of messages) {
    batch.push(js.publish(m.subject, m.data, { msgID: m.msgID, timeout: opts.timeoutMs }));
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
