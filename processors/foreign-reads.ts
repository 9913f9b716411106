// Merges across partition groups. A device-id change with merge is routed by the new device id,
// so group g folds it, but the old device's user is written by the group h of the old device's
// partition. g folds the merge only once h has applied every event of that partition (same
// app) that precedes the merge in the stream: the old user is then read as of the merge, live
// or in a rebuild, however far h lags. See docs/exactly-once.md, "Merges across partition groups".
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { partitionOf, readAppliedSeq } from '../projections/index.ts';
import { eventSubject, eventsStreamName, type StreamsConfig } from '../streams.config.ts';
import type { ForeignRead } from './pipeline.ts';
import { abortableSleep as sleep } from './sleep.ts';

/** How often a waiting merge re-reads the other group's checkpoint, ms. */
const POLL_MS = 50;
/** A merge waiting longer than this is logged once, ms. */
const LOG_AFTER_MS = 1_500;

/** A foreign read of a device in another partition group. */
export interface CrossGroupRead extends ForeignRead {
  readonly group: number;
  readonly partition: number;
  /** Stream subject of the device's app partition: every event that writes its state is on it. */
  readonly subject: string;
}

/** The reads whose device belongs to another partition group than `group`. */
export function crossGroupReads(reads: readonly ForeignRead[], streams: StreamsConfig, group: number): CrossGroupRead[] {
  const out: CrossGroupRead[] = [];
  for (const r of reads) {
    const partition = partitionOf(r.deviceId, streams.partitions);
    const owner = partition % streams.partitionGroups;
    if (owner !== group) out.push({ ...r, group: owner, partition, subject: eventSubject(streams, r.appId, partition) });
  }
  return out;
}

export interface ForeignWaitOptions {
  readonly db: Db;
  readonly jsm: JetStreamManager;
  readonly streams: StreamsConfig;
  readonly log: Logger;
  /** Checkpoint id of another group of the same pipeline and projection version. */
  checkpointIdOf(group: number): string;
}

/** Sequence of the first stored message on `subject` at or after `fromSeq`; undefined when there is none. */
async function firstSeqFrom(jsm: JetStreamManager, stream: string, subject: string, fromSeq: number): Promise<number | undefined> {
  // STREAM.MSG.GET is answered by the stream leader (a direct get may come from a lagging
  // replica) and accepts next_by_subj, which the client's MsgRequest type does not list.
  const query = { seq: fromSeq, next_by_subj: subject };
  return (await jsm.streams.getMessage(stream, query))?.seq;
}

/**
 * Resolves true once `read.group` has applied every event on `read.subject` before `read.seq`,
 * false when `stopped()` (polled, and `signal` wakes the wait) says to give up first.
 */
export async function waitForForeignRead(o: ForeignWaitOptions, read: CrossGroupRead, signal: AbortSignal, stopped: () => boolean): Promise<boolean> {
  const stream = eventsStreamName(o.streams);
  const checkpoint = o.checkpointIdOf(read.group);
  const startedMs = Date.now();
  let logged = false;
  // An event on the subject before the merge that the other group had not applied when last looked up.
  let needSeq = 0;
  for (;;) {
    const applied = await readAppliedSeq(o.db, checkpoint);
    if (applied >= needSeq) {
      if (applied >= read.seq - 1) break;
      const next = await firstSeqFrom(o.jsm, stream, read.subject, applied + 1);
      if (next === undefined || next >= read.seq) break;
      needSeq = next;
    }
    if (stopped()) return false;
    if (!logged && Date.now() - startedMs > LOG_AFTER_MS) {
      logged = true;
      o.log.info(
        { seq: read.seq, appId: read.appId, group: read.group, partition: read.partition, appliedSeq: applied, needSeq },
        "merge waits for the old device's partition group",
      );
    }
    await sleep(POLL_MS, signal);
  }
  if (logged) o.log.info({ seq: read.seq, group: read.group, waitedMs: Date.now() - startedMs }, 'merge may proceed');
  return true;
}
