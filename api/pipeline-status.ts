// Pipeline visibility shared by `GET /o/system/pipeline` and `tally status`: per consumer group,
// the stream head, the last applied sequence, lag, last flush time and dead letters.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import { listCheckpoints } from '../projections/index.ts';
import { consumerEpoch, consumerName, eventsStreamName, type TallyConfig } from '../streams.config.ts';

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

/** Lag of each group's current consumer (the newest ownership epoch), by the group's base name. */
async function lagByGroup(jsm: JetStreamManager, stream: string, bases: readonly string[]): Promise<Map<string, number>> {
  const newest = new Map<string, { epoch: number; lag: number }>();
  for await (const info of jsm.consumers.list(stream)) {
    for (const base of bases) {
      const epoch = consumerEpoch(base, info.name);
      if (epoch === undefined || (newest.get(base)?.epoch ?? -1) > epoch) continue;
      newest.set(base, { epoch, lag: info.num_pending + info.num_ack_pending });
    }
  }
  return new Map([...newest].map(([base, c]) => [base, c.lag]));
}

/** Status of every checkpointed consumer group (checkpoint ids are `<pipeline>:v<version>:g<group>`). */
export async function pipelineStatus(config: Readonly<TallyConfig>, db: Db, nc: NatsConnection): Promise<ConsumerStatus[]> {
  const jsm = await jetstreamManager(nc);
  const stream = eventsStreamName(config.streams);
  const head = (await jsm.streams.info(stream)).state.last_seq;
  const checkpoints = await listCheckpoints(db, '');
  const baseOf = (id: string) => {
    const [pipeline = '', version = '', group = ''] = id.split(':');
    return consumerName(config.streams, `${pipeline}_${version}`, Number(group.slice(1)));
  };
  const lags = await lagByGroup(
    jsm,
    stream,
    checkpoints.map((cp) => baseOf(cp._id)),
  );
  return checkpoints.map((cp) => {
    const consumer = baseOf(cp._id);
    return {
      consumer,
      checkpoint: cp._id,
      streamHead: head,
      appliedSeq: cp.seq,
      // A group whose owner has not created its consumer yet: -1 says "unknown" to the reader.
      lag: lags.get(consumer) ?? -1,
      lastFlushAtMs: cp.updatedAtMs,
      appliedEvents: cp.appliedEvents,
      deadLetters: cp.deadLetters,
      batchInFlight: cp.pending !== null,
    };
  });
}
