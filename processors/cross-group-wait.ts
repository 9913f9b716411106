// The group runner's side of merges across partition groups (foreign-reads.ts): which pulled
// events read another group's devices, and the wait, with the messages in hand kept from
// redelivery, until those groups have caught up. docs/exactly-once.md, "Merges across partition groups".
import type { JsMsg } from '@nats-io/jetstream';
import type { TallyEvent } from '../projections/index.ts';
import { eventsOf, type Delivered } from './batch-fold.ts';
import type { Batcher } from './batcher.ts';
import { crossGroupReads, waitForForeignRead, type CrossGroupRead } from './foreign-reads.ts';
import { isContentFailure } from './isolate.ts';
import type { Lease } from './lease.ts';
import type { ForeignRead } from './pipeline.ts';
import type { RunnerContext } from './runner-context.ts';

/**
 * The pipeline's foreign reads. An event whose content makes that throw has none: its fold
 * throws the same way, and the batch writer isolates it then.
 */
function foreignReadsOf<P>(ctx: RunnerContext<P>, events: readonly TallyEvent[]): ForeignRead[] {
  const reads = ctx.pipeline.foreignReads?.bind(ctx.pipeline);
  if (reads === undefined) return [];
  try {
    return reads(events);
  } catch (err) {
    if (!isContentFailure(err)) throw err;
    return events.flatMap((e) => {
      try {
        return reads([e]);
      } catch (single) {
        // Decision: no foreign read for an event its pipeline cannot read; its fold isolates it.
        if (!isContentFailure(single)) throw single;
        return [];
      }
    });
  }
}

/** Cross-group reads of the pulled messages, by the sequence of the reading event. */
export function crossGroupReadsBySeq<P>(ctx: RunnerContext<P>, delivered: readonly Delivered[]): Map<number, CrossGroupRead[]> {
  const bySeq = new Map<number, CrossGroupRead[]>();
  for (const r of crossGroupReads(foreignReadsOf(ctx, eventsOf(delivered)), ctx.config.streams, ctx.group)) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r]);
  return bySeq;
}

/**
 * Waits, outside the flush semaphore (a group it waits for may need the permit), until the
 * groups these reads depend on have caught up. Meanwhile the messages in hand are kept from
 * redelivery. False when stopping or the lease is lost: the messages stay unacked.
 */
export async function awaitReads<P>(
  ctx: RunnerContext<P>,
  reads: readonly CrossGroupRead[],
  inHand: () => readonly JsMsg[],
  b: Batcher,
  lease: Lease,
): Promise<boolean> {
  if (reads.length === 0) return true;
  const keepAlive = setInterval(
    () => {
      for (const m of inHand()) m.working();
      b.working();
    },
    Math.max(1_000, Math.floor(ctx.config.consumers.ackWaitMs / 3)),
  );
  const waitOptions = { db: ctx.db, jsm: ctx.jsm, streams: ctx.config.streams, log: ctx.log, checkpointIdOf: ctx.checkpointOf };
  const stopped = () => ctx.signal.aborted || !lease.held();
  try {
    for (const read of reads) {
      if (!(await waitForForeignRead(waitOptions, read, ctx.signal, stopped))) return false;
    }
    return true;
  } finally {
    clearInterval(keepAlive);
  }
}
