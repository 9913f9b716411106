// Publishes envelopes to JetStream and resolves only on the PubAck: the caller answers the
// client after that, so nothing acknowledged to a client is missing from the stream.
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { encodeEvent, type EventEnvelope } from '../projections/index.ts';
import { PublishUnavailableError } from './errors.ts';

export interface PublishOptions {
  /** Longest wait for the PubAck, ms. */
  readonly timeoutMs: number;
}

/** Publishes one envelope with `Nats-Msg-Id` = envelope.id, so a retry is stored once. */
export async function publishEnvelope(js: JetStreamClient, subject: string, event: EventEnvelope, opts: PublishOptions): Promise<PubAck> {
  try {
    return await js.publish(subject, encodeEvent(event), { msgID: event.id, timeout: opts.timeoutMs });
  } catch (err) {
    throw new PublishUnavailableError(`publish to ${subject} was not acknowledged`, { cause: err });
  }
}

/** Publishes many envelopes concurrently; resolves when every one is acknowledged. */
export async function publishAll(
  js: JetStreamClient,
  items: readonly { subject: string; event: EventEnvelope }[],
  opts: PublishOptions,
): Promise<PubAck[]> {
  return Promise.all(items.map((i) => publishEnvelope(js, i.subject, i.event, opts)));
}
