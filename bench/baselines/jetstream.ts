// Raw JetStream baselines on a scratch stream configured exactly like Tally's events stream:
// sync publish (one PubAck at a time), async batched publish, and an ordered-consumer read of
// what they wrote. Payloads are pre-encoded workload envelopes, so only NATS is timed.
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { eventsStreamName, type StreamsConfig } from '../../streams.config.ts';
import { BaselineFailedError } from '../errors.ts';
import { createHistogram, recordMs, summarize, type Histogram, type LatencySummary } from '../histogram.ts';
import { prepareEnvelope, publishBatched, workloadEnvelopes, type PreparedMessage } from '../publish.ts';
import type { Workload, WorkloadApp } from '../workload.ts';

export interface RateResult {
  readonly count: number;
  readonly durationMs: number;
  readonly perS: number;
  readonly latency?: LatencySummary;
  /** The latencies behind `latency`, for merging windows. */
  readonly histogram?: Histogram;
}

export interface PublishSetup {
  readonly js: JetStreamClient;
  readonly streams: StreamsConfig;
  /** Pre-encoded envelopes, cycled with fresh msgIDs so none is deduplicated. */
  readonly payloads: readonly PreparedMessage[];
  readonly durationMs: number;
  readonly maxMessages: number;
  /** Publishing before the window opens (JIT, buffers), ms. */
  readonly warmupMs: number;
}

export function preparePayloads(streams: StreamsConfig, workload: Workload, apps: readonly WorkloadApp[], count: number): PreparedMessage[] {
  return Array.from(workloadEnvelopes(workload, apps, count, { idPrefix: 'payload' }), (e) => prepareEnvelope(streams, e));
}

/** Endless messages over the payload pool with unique msgIDs (`<tag>-<n>`). */
function* cycle(payloads: readonly PreparedMessage[], tag: string): Generator<PreparedMessage> {
  for (let n = 0; ; n++) {
    const p = payloads[n % payloads.length];
    if (p === undefined) return;
    yield { subject: p.subject, data: p.data, msgID: `${tag}-${n}` };
  }
}

/**
 * Publishes over the payload pool, `batch` in flight then await all: a warm-up, then a window
 * of `durationMs` (or `maxMessages`). Latency is per batch (per message when batch is 1).
 */
async function publishWindow(s: PublishSetup, tag: string, batch: number): Promise<RateResult> {
  const source = cycle(s.payloads, tag);
  const warmEndMs = performance.now() + s.warmupMs;
  await publishBatched(s.js, take(source, s.maxMessages), { batch, timeoutMs: 10_000, keepGoing: () => performance.now() < warmEndMs });
  const h = createHistogram();
  const endMs = performance.now() + s.durationMs;
  const res = await publishBatched(s.js, take(source, s.maxMessages), {
    batch,
    timeoutMs: 10_000,
    onBatch: (_n, ms) => recordMs(h, ms),
    keepGoing: () => performance.now() < endMs,
  });
  return { count: res.count, durationMs: res.durationMs, perS: (res.count * 1000) / res.durationMs, latency: summarize(h), histogram: h };
}

/** One publish at a time, each awaiting its PubAck: the floor of a single request's publish. */
export const publishSync = (s: PublishSetup, tag: string): Promise<RateResult> => publishWindow(s, tag, 1);

/** `batch` publishes in flight, then await them all; latency is per batch. */
export const publishAsync = (s: PublishSetup, tag: string, batch: number): Promise<RateResult> => publishWindow(s, tag, batch);

function* take<T>(source: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const next = source.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/** Reads an events stream (from the start, or from `startSeq`) with an ordered consumer: no decode, no ack. */
export async function orderedRead(js: JetStreamClient, streams: StreamsConfig, maxMessages: number, startSeq?: number): Promise<RateResult> {
  const from = startSeq === undefined ? undefined : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq };
  const consumer = await js.consumers.get(eventsStreamName(streams), from);
  const messages = await consumer.consume({ max_messages: 1_000 });
  const startedMs = performance.now();
  let count = 0;
  for await (const m of messages) {
    count++;
    if (count >= maxMessages || m.info.pending === 0) break;
  }
  const durationMs = performance.now() - startedMs;
  const closed = await messages.close();
  if (closed instanceof Error) throw new BaselineFailedError('ordered consumer did not close cleanly', { cause: closed });
  return { count, durationMs, perS: (count * 1000) / durationMs };
}
