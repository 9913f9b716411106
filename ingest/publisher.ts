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

/** Publishes one encoded envelope with `Nats-Msg-Id` = its id, so a retry is stored once. */
export async function publishMessage(js: JetStreamClient, msg: OutgoingMessage, opts: PublishOptions): Promise<PubAck> {
  try {
    return await js.publish(msg.subject, msg.data, { msgID: msg.id, timeout: opts.timeoutMs });
  } catch (err) {
    throw new PublishUnavailableError(`publish to ${msg.subject} was not acknowledged`, { cause: err });
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
