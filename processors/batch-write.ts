// A group runner's writes, under the flush permit: dead letters, journal, claim, apply, complete;
// recovery of a sealed batch; and the retry of a failed flush in place (never skipping ahead,
// never acking early). See docs/exactly-once.md, "One batch" and "Why a crash anywhere is safe".
import { randomUUID } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import {
  advanceCheckpoint,
  applyOps,
  claimBatch,
  completeBatch,
  FlushFailedError,
  StoreReadFailedError,
  journalParts,
  readCheckpoint,
  readJournal,
  writeJournal,
  type Checkpoint,
  type RefusedWrite,
} from '../projections/index.ts';
import { deadLetterSubject } from '../streams.config.ts';
import { foldChunk, type Delivered, type FoldedChunk } from './batch-fold.ts';
import { OwnershipLostError } from './errors.ts';
import type { Lease } from './lease.ts';
import type { Poisoned } from './pipeline.ts';
import { ownerCheck, pacer, type RunnerContext } from './runner-context.ts';
import { sleep } from './sleep.ts';

/** This group's checkpoint as stored now. */
export const readOwnCheckpoint = <P>(ctx: RunnerContext<P>): Promise<Checkpoint> => readCheckpoint(ctx.db, ctx.cpId, ctx.config.streams.partitionGroups);

async function deadLetter<P>(ctx: RunnerContext<P>, msgs: readonly JsMsg[], items: readonly Poisoned[]): Promise<void> {
  const bySeq = new Map(msgs.map((m) => [m.seq, m]));
  for (const p of items) {
    const h = headers();
    h.set('Tally-Reason', p.reason.slice(0, 1000));
    h.set('Tally-Seq', String(p.seq));
    h.set('Tally-Consumer', ctx.durable);
    await ctx.js.publish(deadLetterSubject(ctx.config.streams, ctx.durable), bySeq.get(p.seq)?.data ?? new Uint8Array(), {
      msgID: `${ctx.durable}:${p.seq}`,
      headers: h,
    });
    ctx.log.warn({ seq: p.seq, reason: p.reason }, 'poison message dead-lettered');
  }
}

/** A refused write's dead-letter record stays below NATS's default 1 MB payload limit, bytes. */
const MAX_REFUSAL_RECORD_BYTES = 512 * 1024;

/** The record of a refusal: the document, the batch, the reason and the update (left out, with its size, when too large to publish). */
function refusalRecord(r: RefusedWrite, range: { fromSeq: number; toSeq: number }): Uint8Array {
  const whole = new TextEncoder().encode(JSON.stringify({ ...r, ...range }));
  if (whole.length <= MAX_REFUSAL_RECORD_BYTES) return whole;
  return new TextEncoder().encode(JSON.stringify({ collection: r.collection, id: r.id, reason: r.reason, ...range, opBytes: whole.length }));
}

/**
 * Reports the writes the database refused for their content: each goes to the dead-letter
 * stream as a record of the document, the batch and the reason (the batch's events were
 * applied to every other document), and the group moves on instead of retrying a batch that
 * would be refused again.
 */
async function setAsideRefused<P>(ctx: RunnerContext<P>, refused: readonly RefusedWrite[], range: { fromSeq: number; toSeq: number }): Promise<void> {
  for (const r of refused) {
    const h = headers();
    h.set('Tally-Reason', `write refused by the database: ${r.collection}/${r.id}: ${r.reason}`.slice(0, 1000));
    h.set('Tally-Seq', `${range.fromSeq}-${range.toSeq}`);
    h.set('Tally-Consumer', ctx.durable);
    h.set('Tally-Kind', 'refused-write');
    const record = refusalRecord(r, range);
    await ctx.js.publish(deadLetterSubject(ctx.config.streams, ctx.durable), record, {
      msgID: `${ctx.durable}:refused:${range.toSeq}:${r.collection}/${r.id}`,
      headers: h,
    });
    ctx.log.error({ collection: r.collection, id: r.id, reason: r.reason, ...range }, 'write refused by the database; set aside');
  }
  ctx.status.refusedWrites += refused.length;
}

/**
 * Completes a sealed batch from its journal. `graceMs`: when taking over a batch another
 * owner sealed, that owner may still be applying it (its lease ran out while its event loop
 * was starved); it stops before its next write once it sees the lease gone, so the new owner
 * first waits one lease TTL, which outlasts a write command in flight.
 */
export async function recover<P>(ctx: RunnerContext<P>, cp: Checkpoint, lease: Lease, graceMs = 0): Promise<Checkpoint> {
  if (cp.pending === null) return cp;
  // The journal is applied without the tracker, so it no longer knows what exists.
  ctx.firstWrites?.forget();
  if (graceMs > 0) await sleep(graceMs);
  ctx.log.warn({ batch: cp.pending }, 'recovering a sealed batch left by a crash');
  const ops = await readJournal(ctx.db, cp.pending);
  const applied = await applyOps(ctx.db, ops, {
    toSeq: cp.pending.toSeq,
    group: ctx.group,
    collectionName: (c) => ctx.target.collectionName(c),
    assertOwner: ownerCheck(ctx, lease),
  });
  await setAsideRefused(ctx, applied.refused, { fromSeq: cp.pending.fromSeq, toSeq: cp.pending.toSeq });
  await completeBatch(ctx.db, ctx.cpId, cp.pending);
  return readOwnCheckpoint(ctx);
}

interface Sealed {
  readonly writeOps: number;
  readonly inserted: number;
  readonly journaledMs: number;
}

/** Journal, claim, apply, complete: the ops of a chunk from `fromSeq` to `toSeq` after checkpoint `cp`. */
async function writeSealed<P>(ctx: RunnerContext<P>, cp: Checkpoint, f: FoldedChunk, lease: Lease, range: { fromSeq: number; toSeq: number }): Promise<Sealed> {
  const { cpId } = ctx;
  const { fromSeq, toSeq } = range;
  const assertOwner = ownerCheck(ctx, lease);
  const startedMs = Date.now();
  const parts = journalParts(f.ops);
  const pending = {
    batchId: `${cpId}:${fromSeq}-${toSeq}:${randomUUID()}`,
    fromSeq,
    toSeq,
    parts: parts.length,
    events: f.events,
    deadLetters: f.poisoned.length,
  };
  await writeJournal(ctx.db, cpId, pending.batchId, parts);
  assertOwner();
  if (!(await claimBatch(ctx.db, cpId, cp.seq, pending))) throw new OwnershipLostError(`checkpoint ${cpId} moved`);
  const journaledMs = Date.now() - startedMs;
  const applied = await applyOps(ctx.db, f.ops, {
    toSeq,
    group: ctx.group,
    collectionName: (c) => ctx.target.collectionName(c),
    assertOwner,
    afterWrite: pacer(ctx),
    freshlyClaimed: true,
    firstWrites: ctx.firstWrites,
  });
  await setAsideRefused(ctx, applied.refused, range);
  await completeBatch(ctx.db, cpId, pending);
  return { writeOps: applied.writeOps, inserted: applied.inserted, journaledMs };
}

/** Global admins hear once when a group's dead letters cross the threshold (counted from its checkpoint, so once per group). */
function reportDeadLetters<P>(ctx: RunnerContext<P>, before: number, after: number): void {
  const threshold = ctx.config.mail.deadLetterThreshold;
  if (ctx.incidents === undefined || threshold === 0 || before >= threshold || after < threshold) return;
  ctx.incidents({
    kind: 'dead-letters',
    title: `${after} dead letters on ${ctx.durable}`,
    detail: `Consumer ${ctx.durable} has set aside ${after} events it could not process (threshold ${threshold}); they are in the dead-letter stream with their reasons.`,
  });
}

/** Writes a folded chunk: dead letters, journal, claim, apply, complete (under the flush permit). */
async function writeChunk<P>(ctx: RunnerContext<P>, cp: Checkpoint, f: FoldedChunk, lease: Lease): Promise<Checkpoint> {
  await deadLetter(
    ctx,
    f.fresh.map((d) => d.msg),
    f.poisoned,
  );
  const fromSeq = f.fresh[0]?.msg.seq ?? cp.seq + 1;
  const toSeq = f.fresh[f.fresh.length - 1]?.msg.seq ?? cp.seq;
  const writeStartedMs = Date.now();
  let sealed: Sealed = { writeOps: 0, inserted: 0, journaledMs: 0 };
  if (f.ops.length === 0) {
    const counts = { events: f.events, deadLetters: f.poisoned.length };
    if (!(await advanceCheckpoint(ctx.db, ctx.cpId, cp.seq, toSeq, counts))) throw new OwnershipLostError(`checkpoint ${ctx.cpId} moved`);
  } else {
    sealed = await writeSealed(ctx, cp, f, lease, { fromSeq, toSeq });
  }
  const nowMs = Date.now();
  const { status } = ctx;
  Object.assign(status, { appliedSeq: toSeq, lastFlushAtMs: nowMs, lastBatchEvents: f.fresh.length, lastFlushMs: nowMs - f.startedMs });
  const deadBefore = status.deadLetters;
  status.deadLetters += f.poisoned.length;
  reportDeadLetters(ctx, deadBefore, status.deadLetters);
  ctx.observer?.batch({
    pipeline: ctx.pipeline.name,
    version: ctx.target.version,
    group: ctx.group,
    events: f.fresh.length,
    writeOps: sealed.writeOps,
    deadLetters: f.poisoned.length,
    flushMs: status.lastFlushMs,
  });
  const { preparedMs, foldedMs } = f;
  ctx.log.debug(
    { events: f.fresh.length, ...sealed, preparedMs, foldedMs, writeMs: nowMs - writeStartedMs, flushMs: status.lastFlushMs, toSeq },
    'batch applied',
  );
  return { ...cp, seq: toSeq, pending: null };
}

/**
 * Applies a batch, retrying flush failures in place: never skips ahead, never acks early. Only
 * the writes hold a flush permit, so one group folds while another writes. Undefined when the
 * runner stops first.
 */
export async function applyWithRetry<P>(ctx: RunnerContext<P>, cp: Checkpoint, chunk: readonly Delivered[], lease: Lease): Promise<Checkpoint | undefined> {
  const { status } = ctx;
  for (let attempt = 0; !ctx.signal.aborted; attempt++) {
    try {
      const folded = await foldChunk(ctx, cp, chunk);
      const next = folded === undefined ? cp : await ctx.flushes.run(() => writeChunk(ctx, cp, folded, lease));
      status.healthy = true;
      status.lastError = undefined;
      return next;
    } catch (err) {
      if (!(err instanceof FlushFailedError || err instanceof StoreReadFailedError)) throw err;
      status.healthy = false;
      status.lastError = err.message;
      ctx.log.error({ err, seq: chunk[0]?.msg.seq, attempt }, 'flush failed; retrying the same batch');
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
      cp = await ctx.flushes.run(async () => recover(ctx, await readOwnCheckpoint(ctx), lease));
    }
  }
  return undefined;
}
