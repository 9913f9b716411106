// A partition group's JetStream consumer, one per ownership epoch: the owner that takes a group
// over deletes every earlier consumer of the group and creates its own, starting right after the
// checkpoint. See docs/exactly-once.md ("Ownership epochs") for why a reset is not enough.
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { consumerEpoch, epochConsumerName, eventsStreamName, groupFilterSubjects, type TallyConfig } from '../streams.config.ts';

/** True for JetStream's answer that a consumer does not exist. */
export const isConsumerNotFound = (err: unknown): boolean => err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;

/** Every consumer of the group `base` on the stream (any epoch), oldest epoch first. */
export async function groupConsumers(jsm: JetStreamManager, stream: string, base: string): Promise<ConsumerInfo[]> {
  const out: { epoch: number; info: ConsumerInfo }[] = [];
  for await (const info of jsm.consumers.list(stream)) {
    const epoch = consumerEpoch(base, info.name);
    if (epoch !== undefined) out.push({ epoch, info });
  }
  return out.sort((a, b) => a.epoch - b.epoch).map((c) => c.info);
}

/** The group's current consumer (the newest epoch), or undefined before any owner created one. */
export async function currentGroupConsumer(jsm: JetStreamManager, stream: string, base: string): Promise<ConsumerInfo | undefined> {
  return (await groupConsumers(jsm, stream, base)).at(-1);
}

/** Deletes every consumer of the group; one already gone is what the caller wants. */
export async function deleteGroupConsumers(jsm: JetStreamManager, stream: string, base: string): Promise<void> {
  for (const c of await groupConsumers(jsm, stream, base)) {
    await jsm.consumers.delete(stream, c.name).catch((err: unknown) => {
      // Decision: deleted meanwhile (by another owner's takeover, or pruning) is the goal reached.
      if (!isConsumerNotFound(err)) throw err;
    });
  }
}

export interface TakeOverOptions {
  readonly base: string;
  readonly group: number;
  readonly batchSize: number;
  /** The lease revision of this ownership. */
  readonly epoch: number;
  /** First stream sequence to deliver: the checkpoint's plus one. */
  readonly startSeq: number;
}

/** Replaces the group's consumers with this epoch's, delivering from `startSeq`; returns its name. */
export async function takeOverGroupConsumer(jsm: JetStreamManager, config: Readonly<TallyConfig>, o: TakeOverOptions): Promise<string> {
  const stream = eventsStreamName(config.streams);
  const name = epochConsumerName(o.base, o.epoch);
  // Deleting first ends every pull still open on a former owner's consumer (it gets "consumer
  // deleted"); its late acks then reach nothing.
  await deleteGroupConsumers(jsm, stream, o.base);
  await jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: o.startSeq,
    filter_subjects: groupFilterSubjects(config.streams, o.group),
    ack_wait: nanos(config.consumers.ackWaitMs),
    max_ack_pending: o.batchSize * 4,
    max_waiting: 64,
    description: `Tally ${o.base} (ownership epoch ${o.epoch})`,
  });
  return name;
}
