// Runs one pipeline over one partition group: lease → recover → reset the durable consumer to
// the checkpoint → pull batches → decode → fold → journal → claim → apply → complete → ack.
// See docs/exactly-once.md for why each step is where it is.
import { randomUUID } from 'node:crypto';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import {
  advanceCheckpoint,
  applyOps,
  claimBatch,
  completeBatch,
  decodeEvent,
  EventDecodeError,
  FlushFailedError,
  journalParts,
  readCheckpoint,
  readJournal,
  writeJournal,
  type Checkpoint,
  type FirstWrites,
  type TallyEvent,
} from '../projections/index.ts';
import { deadLetterSubject, eventsStreamName, type TallyConfig } from '../streams.config.ts';
import { cutChunks, freshInOrder, lastBySeq } from './batch-cut.ts';
import { batcher, type Batcher } from './batcher.ts';
import { OwnershipLostError } from './errors.ts';
import { crossGroupReads, waitForForeignRead, type CrossGroupRead } from './foreign-reads.ts';
import type { Semaphore } from './semaphore.ts';
import { acquireLease, type Lease } from './lease.ts';
import { assertWritable, foldIsolatingPoison, isContentFailure } from './isolate.ts';
import { checkpointId, type FoldResult, type ForeignRead, type Pipeline, type Poisoned, type Target } from './pipeline.ts';
import { sleep } from './sleep.ts';

export interface GroupRunnerOptions<P> {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly kv: KV;
  readonly pipeline: Pipeline<P>;
  readonly target: Target;
  readonly group: number;
  /** Durable consumer name (also the lease key and DLQ subject token). */
  readonly durable: string;
  readonly batchSize: number;
  readonly batchWaitMs: number;
  /** Unique id of this process (lease owner). */
  readonly owner: string;
  /** Shared by the runners of a process: bounds concurrent flushes (consumers.maxConcurrentFlushes). */
  readonly flushes: Semaphore;
  /** Pause after each write command that took `writeMs`, ms (rebuild pacing); none when absent. */
  readonly pauseAfterMs?: (writeMs: number) => number;
  /**
   * Fold a batch as soon as the consumer has nothing more pending, without waiting out
   * `batchWaitMs` (a rebuild: nothing is gained by waiting for live traffic). Live processing
   * waits, so that a batch at low load merges more events.
   */
  readonly cutWhenCaughtUp?: boolean;
  /**
   * Documents known not to exist yet (a rebuild into an empty version): their first write is an
   * insert, and the batch inputs they would hold are not read (Target.absent). Valid while this
   * runner owns the group for the first time; forgotten when that ends or a journal is recovered.
   */
  readonly firstWrites?: FirstWrites;
}

export interface GroupStatus {
  readonly durable: string;
  readonly group: number;
  readonly owned: boolean;
  readonly healthy: boolean;
  readonly appliedSeq: number;
  readonly lastFlushAtMs: number;
  readonly lastBatchEvents: number;
  readonly lastFlushMs: number;
  readonly deadLetters: number;
  readonly lastError: string | undefined;
}

export interface GroupRunner {
  status(): GroupStatus;
  stop(): Promise<void>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A delivered message, decoded once: its event, or why it is not one. */
type Delivered = { readonly msg: JsMsg; readonly event: TallyEvent } | { readonly msg: JsMsg; readonly undecodable: string };

/** A chunk read and folded, ready to be written. */
interface FoldedChunk {
  readonly fresh: readonly Delivered[];
  readonly ops: FoldResult['ops'];
  readonly poisoned: readonly Poisoned[];
  readonly events: number;
  readonly startedMs: number;
  readonly preparedMs: number;
  readonly foldedMs: number;
}

const isReset = (d: Delivered): boolean => 'event' in d && d.event.type === 'AppDataReset';

export function startGroupRunner<P>(o: GroupRunnerOptions<P>): GroupRunner {
  const log = o.log.child({ consumer: o.durable });
  const stream = eventsStreamName(o.config.streams);
  // Checkpoints are per (pipeline, version, group): a rebuild's groups wait for each other, not for live ones.
  const checkpointOf = (group: number) => checkpointId(o.pipeline.name, o.target.version, group);
  const cpId = checkpointOf(o.group);
  const state: Mutable<GroupStatus> = {
    durable: o.durable, group: o.group, owned: false, healthy: true, appliedSeq: 0, lastFlushAtMs: 0, lastBatchEvents: 0, lastFlushMs: 0, deadLetters: 0, lastError: undefined,
  };
  const abort = new AbortController();

  async function deadLetter(msgs: readonly JsMsg[], items: readonly Poisoned[]): Promise<void> {
    const bySeq = new Map(msgs.map((m) => [m.seq, m]));
    for (const p of items) {
      const h = headers();
      h.set('Tally-Reason', p.reason.slice(0, 1000));
      h.set('Tally-Seq', String(p.seq));
      h.set('Tally-Consumer', o.durable);
      await o.js.publish(deadLetterSubject(o.config.streams, o.durable), bySeq.get(p.seq)?.data ?? new Uint8Array(), { msgID: `${o.durable}:${p.seq}`, headers: h });
      log.warn({ seq: p.seq, reason: p.reason }, 'poison message dead-lettered');
    }
  }

  function decodeAll(msgs: readonly JsMsg[]): Delivered[] {
    return msgs.map((msg) => {
      try {
        return { msg, event: decodeEvent(msg.data, msg.seq) };
      } catch (err) {
        // Decision: an undecodable message is dead-lettered with its reason when its chunk is applied.
        if (!(err instanceof EventDecodeError)) throw err;
        return { msg, undecodable: err.message };
      }
    });
  }

  /** Rebuild pacing: a pause after each write command, so live processing keeps the database. */
  const pace = async (writeMs: number): Promise<void> => {
    const pauseMs = o.pauseAfterMs?.(writeMs) ?? 0;
    if (pauseMs > 0) await sleep(pauseMs);
  };

  /** Throws when the lease is no longer ours: another owner may be applying the same batch. */
  const ownerCheck = (lease: Lease) => () => {
    if (!lease.held()) throw new OwnershipLostError(`lease of ${o.durable} lost while applying`);
  };

  /**
   * Completes a sealed batch from its journal. `graceMs`: when taking over a batch another
   * owner sealed, that owner may still be applying it (its lease ran out while its event loop
   * was starved); it stops before its next write once it sees the lease gone, so the new owner
   * first waits one lease TTL, which outlasts a write command in flight.
   */
  async function recover(cp: Checkpoint, lease: Lease, graceMs = 0): Promise<Checkpoint> {
    if (cp.pending === null) return cp;
    // The journal is applied without the tracker, so it no longer knows what exists.
    o.firstWrites?.forget();
    if (graceMs > 0) await sleep(graceMs);
    log.warn({ batch: cp.pending }, 'recovering a sealed batch left by a crash');
    const ops = await readJournal(o.db, cp.pending);
    await applyOps(o.db, ops, { toSeq: cp.pending.toSeq, group: o.group, collectionName: (c) => o.target.collectionName(c), assertOwner: ownerCheck(lease) });
    await completeBatch(o.db, cpId, cp.pending);
    return readCheckpoint(o.db, cpId, o.config.streams.partitionGroups);
  }

  async function prepareOrContentFailure(events: readonly TallyEvent[]): Promise<{ ok: true; prepared: P } | { ok: false }> {
    try {
      return { ok: true, prepared: await o.pipeline.prepare(o.db, events, o.target) };
    } catch (err) {
      // Decision: inputs that cannot be read for an event's content are read per subset while isolating it.
      if (!isContentFailure(err)) throw err;
      return { ok: false };
    }
  }

  /**
   * Reads the batch inputs and folds the chunk. Runs outside the flush permit: the inputs are
   * this group's own documents, which only this runner writes and whose previous batch is
   * complete, or other groups' documents at a sequence awaitReads has already waited for.
   */
  async function foldChunk(cp: Checkpoint, chunk: readonly Delivered[]): Promise<FoldedChunk | undefined> {
    const fresh = chunk.filter((d) => d.msg.seq > cp.seq);
    if (fresh.length === 0) return undefined;
    const startedMs = Date.now();
    const events = fresh.flatMap((d) => ('event' in d ? [d.event] : []));
    const undecodable = fresh.flatMap((d) => ('undecodable' in d ? [{ seq: d.msg.seq, reason: d.undecodable }] : []));
    // The whole batch's inputs serve every subset the isolation folds (a subset needs less).
    // Only when reading them fails for an event's content is each subset read on its own.
    const whole = await prepareOrContentFailure(events);
    const preparedMs = Date.now() - startedMs;
    await pace(preparedMs);
    const attempt = async (subset: readonly TallyEvent[]): Promise<FoldResult> => {
      const prepared = whole.ok ? whole.prepared : await o.pipeline.prepare(o.db, subset, o.target);
      return assertWritable(o.pipeline.fold(prepared, subset, o.target));
    };
    const folded = await foldIsolatingPoison(events, attempt);
    const foldedMs = Date.now() - startedMs - preparedMs;
    return { fresh, ops: folded.ops, poisoned: [...undecodable, ...folded.poisoned], events: events.length - folded.poisoned.length, startedMs, preparedMs, foldedMs };
  }

  /** Writes a folded chunk: dead letters, journal, claim, apply, complete (under the flush permit). */
  async function writeChunk(cp: Checkpoint, f: FoldedChunk, lease: Lease): Promise<Checkpoint> {
    const assertOwner = ownerCheck(lease);
    await deadLetter(f.fresh.map((d) => d.msg), f.poisoned);
    const fromSeq = f.fresh[0]?.msg.seq ?? cp.seq + 1;
    const toSeq = f.fresh[f.fresh.length - 1]?.msg.seq ?? cp.seq;
    const counts = { events: f.events, deadLetters: f.poisoned.length };
    let writeOps = 0;
    let inserted = 0;
    let journaledMs = 0;
    const writeStartedMs = Date.now();
    if (f.ops.length === 0) {
      if (!(await advanceCheckpoint(o.db, cpId, cp.seq, toSeq, counts))) throw new OwnershipLostError(`checkpoint ${cpId} moved`);
    } else {
      const parts = journalParts(f.ops);
      const pending = { batchId: `${cpId}:${fromSeq}-${toSeq}:${randomUUID()}`, fromSeq, toSeq, parts: parts.length, ...counts };
      await writeJournal(o.db, cpId, pending.batchId, parts);
      assertOwner();
      if (!(await claimBatch(o.db, cpId, cp.seq, pending))) throw new OwnershipLostError(`checkpoint ${cpId} moved`);
      journaledMs = Date.now() - writeStartedMs;
      const applied = await applyOps(o.db, f.ops, { toSeq, group: o.group, collectionName: (c) => o.target.collectionName(c), assertOwner, afterWrite: pace, freshlyClaimed: true, firstWrites: o.firstWrites });
      ({ writeOps, inserted } = applied);
      await completeBatch(o.db, cpId, pending);
    }
    const nowMs = Date.now();
    Object.assign(state, { appliedSeq: toSeq, lastFlushAtMs: nowMs, lastBatchEvents: f.fresh.length, lastFlushMs: nowMs - f.startedMs });
    state.deadLetters += f.poisoned.length;
    const { preparedMs, foldedMs } = f;
    log.debug({ events: f.fresh.length, writeOps, inserted, preparedMs, foldedMs, journaledMs, writeMs: nowMs - writeStartedMs, flushMs: state.lastFlushMs, toSeq }, 'batch applied');
    return { ...cp, seq: toSeq, pending: null };
  }

  /**
   * Applies a batch, retrying flush failures in place: never skips ahead, never acks early. Only
   * the writes hold a flush permit, so one group folds while another writes.
   */
  async function applyWithRetry(cp: Checkpoint, chunk: readonly Delivered[], lease: Lease): Promise<Checkpoint | undefined> {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        const folded = await foldChunk(cp, chunk);
        const next = folded === undefined ? cp : await o.flushes.run(() => writeChunk(cp, folded, lease));
        state.healthy = true;
        state.lastError = undefined;
        return next;
      } catch (err) {
        if (!(err instanceof FlushFailedError)) throw err;
        state.healthy = false;
        state.lastError = err.message;
        log.error({ err, seq: chunk[0]?.msg.seq, attempt }, 'flush failed; retrying the same batch');
        await sleep(Math.min(5_000, 100 * 2 ** attempt));
        cp = await o.flushes.run(async () => recover(await readCheckpoint(o.db, cpId, o.config.streams.partitionGroups), lease));
      }
    }
    return undefined;
  }

  /**
   * The pipeline's foreign reads. An event whose content makes that throw has none: its fold
   * throws the same way, and the batch writer isolates it then.
   */
  function foreignReadsOf(events: readonly TallyEvent[]): ForeignRead[] {
    const reads = o.pipeline.foreignReads?.bind(o.pipeline);
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
  function crossGroupReadsBySeq(delivered: readonly Delivered[]): Map<number, CrossGroupRead[]> {
    const events = delivered.flatMap((d) => ('event' in d ? [d.event] : []));
    const bySeq = new Map<number, CrossGroupRead[]>();
    for (const r of crossGroupReads(foreignReadsOf(events), o.config.streams, o.group)) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r]);
    return bySeq;
  }

  /**
   * Waits, outside the flush semaphore (a group it waits for may need the permit), until the
   * groups these reads depend on have caught up. Meanwhile the messages in hand are kept from
   * redelivery. False when stopping or the lease is lost: the messages stay unacked.
   */
  async function awaitReads(reads: readonly CrossGroupRead[], inHand: () => readonly JsMsg[], b: Batcher, lease: Lease): Promise<boolean> {
    if (reads.length === 0) return true;
    const keepAlive = setInterval(() => {
      for (const m of inHand()) m.working();
      b.working();
    }, Math.max(1_000, Math.floor(o.config.consumers.ackWaitMs / 3)));
    const waitOptions = { db: o.db, jsm: o.jsm, streams: o.config.streams, log, checkpointIdOf: checkpointOf };
    try {
      for (const read of reads) {
        if (!(await waitForForeignRead(waitOptions, read, abort.signal, () => abort.signal.aborted || !lease.held()))) return false;
      }
      return true;
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function own(lease: Lease): Promise<void> {
    let cp = await recover(await readCheckpoint(o.db, cpId, o.config.streams.partitionGroups), lease, o.config.consumers.pinnedTtlMs);
    if (cp.groups !== o.config.streams.partitionGroups) {
      throw new OwnershipLostError(`checkpoint ${cpId} was written with ${cp.groups} partition groups; rebuild after changing partitionGroups`);
    }
    // Restart delivery exactly after the checkpoint: no out-of-order redeliveries survive a takeover.
    await o.jsm.consumers.reset(stream, o.durable, cp.seq + 1);
    state.appliedSeq = cp.seq;
    state.deadLetters = cp.deadLetters;
    const consumer = await o.js.consumers.get(stream, o.durable);
    const b = batcher(await consumer.consume({ max_messages: o.batchSize * 2 }));
    try {
      while (!abort.signal.aborted && lease.held()) {
        const pulled = await b.next(o.batchSize, o.batchWaitMs, abort.signal, o.cutWhenCaughtUp);
        const delivered = decodeAll(freshInOrder(pulled, cp.seq));
        // Only redeliveries of applied messages: settle them (otherwise the chunk acks cover them).
        if (delivered.length === 0) lastBySeq(pulled)?.ack();
        const reads = crossGroupReadsBySeq(delivered);
        // A chunk ends after a reset (state loaded before it is stale) and starts at a cross-group
        // merge, so a waiting group has applied everything before its merge: no two groups can
        // wait for each other (the one at the smaller sequence always proceeds).
        const chunks = cutChunks(delivered, { endsChunk: isReset, startsChunk: (d) => reads.has(d.msg.seq) });
        for (const [i, chunk] of chunks.entries()) {
          const first = chunk[0];
          const inHand = () => chunks.slice(i).flatMap((c) => c.map((d) => d.msg));
          if (first === undefined || !(await awaitReads(reads.get(first.msg.seq) ?? [], inHand, b, lease))) return;
          const next = await applyWithRetry(cp, chunk, lease);
          if (next === undefined) return; // stopping: the batch is left unacked for redelivery
          cp = next;
          lastBySeq(chunk.map((d) => d.msg))?.ack(); // AckPolicy.All: acks the whole chunk
        }
      }
    } finally {
      await b.stop();
    }
  }

  const loop = (async () => {
    while (!abort.signal.aborted) {
      const lease = await acquireLease(o.kv, o.durable, o.owner, o.config.consumers.pinnedTtlMs, log, abort.signal);
      if (lease === undefined) break;
      state.owned = true;
      log.info({ group: o.group }, 'consumer group owned');
      try {
        await own(lease);
      } catch (err) {
        state.healthy = false;
        state.lastError = err instanceof Error ? err.message : String(err);
        log.error({ err }, 'consumer group loop failed; releasing and retrying');
        await sleep(1_000);
      } finally {
        state.owned = false;
        // Another owner may write the group's documents before this runner owns it again.
        o.firstWrites?.forget();
        await lease.release();
      }
    }
  })();

  return {
    status: () => ({ ...state }),
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
