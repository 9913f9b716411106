// Runs one pipeline over one partition group: lease → recover → take the group's consumer over
// from the checkpoint → pull batches → decode → fold → journal → claim → apply → complete → ack.
// This file is the lease loop and the delivery loop; the batch is folded in batch-fold.ts,
// written in batch-write.ts, and merges wait for other groups in cross-group-wait.ts.
// See docs/exactly-once.md for why each step is where it is.
import type { JsMsg } from '@nats-io/jetstream';
import type { Checkpoint } from '../projections/index.ts';
import { cutChunks, freshInOrder, lastBySeq } from './batch-cut.ts';
import { decodeAll, endsChunk } from './batch-fold.ts';
import { applyWithRetry, readOwnCheckpoint, recover } from './batch-write.ts';
import { batcher, type Batcher } from './batcher.ts';
import { takeOverGroupConsumer } from './consumers.ts';
import { awaitReads, crossGroupReadsBySeq } from './cross-group-wait.ts';
import { OwnershipLostError } from './errors.ts';
import { acquireLease, type Lease } from './lease.ts';
import { runnerContext, type GroupRunnerOptions, type GroupStatus, type RunnerContext } from './runner-context.ts';
import { sleep } from './sleep.ts';

export interface GroupRunner {
  status(): GroupStatus;
  stop(): Promise<void>;
}

/**
 * Folds and applies one pulled batch, chunk by chunk, acking each chunk once applied. Returns the
 * new checkpoint, or undefined when the runner stops or loses its lease (the rest stays unacked).
 */
async function applyBatch<P>(ctx: RunnerContext<P>, cp: Checkpoint, pulled: readonly JsMsg[], b: Batcher, lease: Lease): Promise<Checkpoint | undefined> {
  const delivered = decodeAll(freshInOrder(pulled, cp.seq));
  // Only redeliveries of applied messages: settle them (otherwise the chunk acks cover them).
  if (delivered.length === 0) lastBySeq(pulled)?.ack();
  const reads = crossGroupReadsBySeq(ctx, delivered);
  // A chunk ends after a reset or an app-user change (state loaded before it is stale) and starts at a cross-group
  // merge, so a waiting group has applied everything before its merge: no two groups can
  // wait for each other (the one at the smaller sequence always proceeds).
  const chunks = cutChunks(delivered, { endsChunk, startsChunk: (d) => reads.has(d.msg.seq) });
  for (const [i, chunk] of chunks.entries()) {
    const first = chunk[0];
    const inHand = () => chunks.slice(i).flatMap((c) => c.map((d) => d.msg));
    if (first === undefined || !(await awaitReads(ctx, reads.get(first.msg.seq) ?? [], inHand, b, lease))) return undefined;
    const next = await applyWithRetry(ctx, cp, chunk, lease);
    if (next === undefined) return undefined; // stopping: the batch is left unacked for redelivery
    cp = next;
    lastBySeq(chunk.map((d) => d.msg))?.ack(); // AckPolicy.All: acks the whole chunk
  }
  return cp;
}

/** While the lease is held: recover, restart delivery after the checkpoint, apply batches. */
async function own<P>(ctx: RunnerContext<P>, lease: Lease): Promise<void> {
  const { config, cpId } = ctx;
  let cp: Checkpoint | undefined = await recover(ctx, await readOwnCheckpoint(ctx), lease, config.consumers.pinnedTtlMs);
  if (cp.groups !== config.streams.partitionGroups) {
    throw new OwnershipLostError(`checkpoint ${cpId} was written with ${cp.groups} partition groups; rebuild after changing partitionGroups`);
  }
  // Restart delivery exactly after the checkpoint, on a consumer of this ownership epoch: no
  // out-of-order redelivery survives a takeover, and a former owner's open pull gets nothing.
  const name = await takeOverGroupConsumer(ctx.jsm, ctx.config, {
    base: ctx.durable,
    group: ctx.group,
    batchSize: ctx.batchSize,
    epoch: lease.epoch,
    startSeq: cp.seq + 1,
  });
  ctx.status.appliedSeq = cp.seq;
  ctx.status.deadLetters = cp.deadLetters;
  const consumer = await ctx.js.consumers.get(ctx.stream, name);
  // Deleted under us means a newer owner took over: stop pulling rather than wait for it back.
  const b = batcher(await consumer.consume({ max_messages: ctx.batchSize * 2, abort_on_missing_resource: true }));
  ctx.status.owned = true;
  try {
    while (cp !== undefined && !ctx.signal.aborted && lease.held()) {
      const pulled = await b.next(ctx.batchSize, ctx.batchWaitMs, ctx.signal, ctx.cutWhenCaughtUp);
      cp = await applyBatch(ctx, cp, pulled, b, lease);
    }
  } finally {
    await b.stop();
  }
}

/** Takes the group's lease, owns the group until stopped or the lease is lost, and starts over. */
async function leaseLoop<P>(ctx: RunnerContext<P>): Promise<void> {
  const { status, log } = ctx;
  while (!ctx.signal.aborted) {
    const lease = await acquireLease(ctx.kv, ctx.durable, ctx.owner, ctx.config.consumers.pinnedTtlMs, log, ctx.signal);
    if (lease === undefined) break;
    log.info({ group: ctx.group }, 'consumer group owned');
    try {
      await own(ctx, lease);
    } catch (err) {
      status.healthy = false;
      status.lastError = err instanceof Error ? err.message : String(err);
      log.error({ err }, 'consumer group loop failed; releasing and retrying');
      await sleep(1_000);
    } finally {
      status.owned = false;
      // Another owner may write the group's documents before this runner owns it again.
      ctx.firstWrites?.forget();
      await lease.release();
    }
  }
}

export function startGroupRunner<P>(o: GroupRunnerOptions<P>): GroupRunner {
  const abort = new AbortController();
  const ctx = runnerContext(o, abort.signal);
  const loop = leaseLoop(ctx);
  return {
    status: () => ({ ...ctx.status }),
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
