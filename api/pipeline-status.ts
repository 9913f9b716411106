// Pipeline visibility shared by `GET /o/system/pipeline` and `tally status`: per consumer group,
// the stream head, the last applied sequence, lag, last flush time and dead letters.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import { listCheckpoints } from '../projections/index.ts';
import { consumerName, eventsStreamName, type TallyConfig } from '../streams.config.ts';

export interface ConsumerStatus {
  readonly consumer: string;
  readonly checkpoint: string;
  readonly streamHead: number;
  readonly appliedSeq: number;
  /** Messages of the group not yet delivered plus delivered but not acknowledged. */
  readonly lag: number;
  readonly lastFlushAtMs: number;
  readonly appliedEvents: number;
  readonly deadLetters: number;
  readonly batchInFlight: boolean;
}

async function consumerLag(jsm: JetStreamManager, stream: string, name: string): Promise<number> {
  try {
    const info = await jsm.consumers.info(stream, name);
    return info.num_pending + info.num_ack_pending;
  } catch {
    // Decision: a consumer not created yet has no lag to report; -1 says "unknown" to the reader.
    return -1;
  }
}

/** Status of every checkpointed consumer group (checkpoint ids are `<pipeline>:v<version>:g<group>`). */
export async function pipelineStatus(config: Readonly<TallyConfig>, db: Db, nc: NatsConnection): Promise<ConsumerStatus[]> {
  const jsm = await jetstreamManager(nc);
  const stream = eventsStreamName(config.streams);
  const head = (await jsm.streams.info(stream)).state.last_seq;
  const checkpoints = await listCheckpoints(db, '');
  return Promise.all(
    checkpoints.map(async (cp) => {
      const [pipeline = '', version = '', group = ''] = cp._id.split(':');
      const consumer = consumerName(config.streams, `${pipeline}_${version}`, Number(group.slice(1)));
      return {
        consumer,
        checkpoint: cp._id,
        streamHead: head,
        appliedSeq: cp.seq,
        lag: await consumerLag(jsm, stream, consumer),
        lastFlushAtMs: cp.updatedAtMs,
        appliedEvents: cp.appliedEvents,
        deadLetters: cp.deadLetters,
        batchInFlight: cp.pending !== null,
      };
    }),
  );
}
