// Durable pull consumers, one per (pipeline, version, partition group); created or updated idempotently.
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { eventsStreamName, groupFilterSubjects, type TallyConfig } from '../streams.config.ts';

/** True for JetStream's answer that a consumer does not exist. */
export const isConsumerNotFound = (err: unknown): boolean => err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;

/** A consumer's info, or undefined when it does not exist (yet, or any more). */
export function consumerInfoIfAny(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | undefined> {
  return jsm.consumers.info(stream, durable).catch((err: unknown) => {
    if (isConsumerNotFound(err)) return undefined;
    throw err;
  });
}

export async function ensureGroupConsumer(
  jsm: JetStreamManager,
  config: Readonly<TallyConfig>,
  durable: string,
  group: number,
  batchSize: number,
): Promise<void> {
  const stream = eventsStreamName(config.streams);
  const desired = {
    durable_name: durable,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: groupFilterSubjects(config.streams, group),
    ack_wait: nanos(config.consumers.ackWaitMs),
    max_ack_pending: batchSize * 4,
    max_waiting: 64,
    description: `Tally ${durable}`,
  };
  const existing = await consumerInfoIfAny(jsm, stream, durable);
  if (existing === undefined) await jsm.consumers.add(stream, desired);
  else
    await jsm.consumers.update(stream, durable, {
      ack_wait: desired.ack_wait,
      max_ack_pending: desired.max_ack_pending,
      filter_subjects: desired.filter_subjects,
      description: desired.description,
    });
}
