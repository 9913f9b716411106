// Durable pull consumers, one per (pipeline, version, partition group); created or updated idempotently.
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { eventsStreamName, groupFilterSubjects, type TallyConfig } from '../streams.config.ts';

export async function ensureGroupConsumer(jsm: JetStreamManager, config: Readonly<TallyConfig>, durable: string, group: number, batchSize: number): Promise<void> {
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
  const existing = await jsm.consumers.info(stream, durable).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw err;
  });
  if (existing === undefined) await jsm.consumers.add(stream, desired);
  else await jsm.consumers.update(stream, durable, { ack_wait: desired.ack_wait, max_ack_pending: desired.max_ack_pending, filter_subjects: desired.filter_subjects, description: desired.description });
}
