// Publishes envelopes to JetStream and resolves only on the PubAck: the caller answers the
// client after that, so nothing acknowledged to a client is missing from the stream.
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { encodeEvent, type EventEnvelope } from '../projections/index.ts';
import { PublishUnavailableError } from './errors.ts';

export interface PublishOptions {
  /** Longest wait for the PubAck, ms. */
  readonly timeoutMs: number;
}

/** An encoded envelope ready to publish; `id` becomes the Nats-Msg-Id. */
export interface OutgoingMessage {
  readonly subject: string;
  readonly id: string;
  readonly data: Uint8Array;
}

/** Validates and encodes an envelope (ingest never writes an invalid event). */
export function encodeOutgoing(subject: string, event: EventEnvelope): OutgoingMessage {
  return { subject, id: event.id, data: encodeEvent(event) };
}

/** First pause between publish attempts, ms; it doubles up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 800;

/**
 * Publishes one encoded envelope with `Nats-Msg-Id` = its id, so a retry is stored once. Within
 * `timeoutMs` it tries again after a failure: on a cluster, a stream leader's election or a node's
 * loss answers "no responders" or loses a reply for a moment, and the next attempt (on the
 * reconnected client) is stored or answered as a duplicate. Each attempt gets at most half the
 * budget, so a reply lost with a dead node leaves time for one more.
 */
export async function publishMessage(js: JetStreamClient, msg: OutgoingMessage, opts: PublishOptions): Promise<PubAck> {
  const deadline = Date.now() + opts.timeoutMs;
  const attemptMs = Math.max(1, Math.ceil(opts.timeoutMs / 2));
  for (let pauseMs = RETRY_FIRST_MS; ; pauseMs = Math.min(RETRY_MAX_MS, pauseMs * 2)) {
    try {
      return await js.publish(msg.subject, msg.data, { msgID: msg.id, timeout: Math.max(1, Math.min(attemptMs, deadline - Date.now())) });
    } catch (err) {
      // Decision: any failure is retried while the budget lasts (the id makes it idempotent); then 503.
      if (Date.now() + pauseMs >= deadline) throw new PublishUnavailableError(`publish to ${msg.subject} was not acknowledged`, { cause: err });
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

/** Publishes one envelope with `Nats-Msg-Id` = envelope.id, so a retry is stored once. */
export async function publishEnvelope(js: JetStreamClient, subject: string, event: EventEnvelope, opts: PublishOptions): Promise<PubAck> {
  return publishMessage(js, encodeOutgoing(subject, event), opts);
}

/** Publishes many envelopes concurrently; resolves when every one is acknowledged. */
export async function publishAll(js: JetStreamClient, items: readonly { subject: string; event: EventEnvelope }[], opts: PublishOptions): Promise<PubAck[]> {
  return publishAllMessages(
    js,
    items.map((i) => encodeOutgoing(i.subject, i.event)),
    opts,
  );
}

/**
 * Publishes encoded envelopes concurrently. Resolves when every one is acknowledged; rejects with
 * PublishUnavailableError once all have settled if any failed (the client retries the whole set,
 * and the stored ones deduplicate by id).
 */
export async function publishAllMessages(js: JetStreamClient, msgs: readonly OutgoingMessage[], opts: PublishOptions): Promise<PubAck[]> {
  const settled = await Promise.allSettled(msgs.map((m) => publishMessage(js, m, opts)));
  const acks: PubAck[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') {
      throw new PublishUnavailableError(`${settled.filter((x) => x.status === 'rejected').length} of ${msgs.length} publishes were not acknowledged`, {
        cause: s.reason,
      });
    }
    acks.push(s.value);
  }
  return acks;
}
