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
  type TallyEvent,
} from '../projections/index.ts';
import { deadLetterSubject, eventsStreamName, type TallyConfig } from '../streams.config.ts';
import { batcher } from './batcher.ts';
import { OwnershipLostError } from './errors.ts';
import type { Semaphore } from './mutex.ts';
import { acquireLease, type Lease } from './lease.ts';
import type { Pipeline, Poisoned, Target } from './pipeline.ts';

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
  readonly checkpointId: string;
  readonly batchSize: number;
  readonly batchWaitMs: number;
  /** Unique id of this process (lease owner). */
  readonly owner: string;
  /** Shared by the runners of a process: bounds concurrent flushes (consumers.maxConcurrentFlushes). */
  readonly flushes: Semaphore;
  /** Pause after a batch that took `flushMs`, ms (rebuild throttling); none when absent. */
  readonly pauseAfterMs?: (flushMs: number) => number;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RESET_MARK = new TextEncoder().encode('"type":"AppDataReset"');

function contains(data: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(needle) >= 0;
}

/**
 * Splits a batch after every app reset: state loaded for a batch (uid ranges, device state)
 * is stale after a reset, so the events after it are folded with freshly loaded state.
 */
export function cutAfterResets(msgs: readonly JsMsg[]): JsMsg[][] {
  const chunks: JsMsg[][] = [];
  let current: JsMsg[] = [];
  for (const m of msgs) {
    current.push(m);
    if (contains(m.data, RESET_MARK)) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The messages after the checkpoint, in stream order, each once. A message whose ack wait ran
 * out while it sat in the pull buffer (slow flushes) is redelivered and can arrive again in the
 * same batch as its first copy; without this it would be folded twice.
 */
export function freshInOrder<M extends { readonly seq: number }>(msgs: readonly M[], afterSeq: number): M[] {
  const out: M[] = [];
  let last = afterSeq;
  for (const m of [...msgs].sort((a, b) => a.seq - b.seq)) {
    if (m.seq <= last) continue;
    out.push(m);
    last = m.seq;
  }
  return out;
}

/** The message with the highest sequence: acking it (AckPolicy.All) acks the whole chunk. */
export function lastBySeq<M extends { readonly seq: number }>(msgs: readonly M[]): M | undefined {
  return msgs.reduce<M | undefined>((best, m) => (best === undefined || m.seq > best.seq ? m : best), undefined);
}

export function startGroupRunner<P>(o: GroupRunnerOptions<P>): GroupRunner {
  const log = o.log.child({ consumer: o.durable });
  const stream = eventsStreamName(o.config.streams);
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

  function decodeAll(msgs: readonly JsMsg[]): { events: TallyEvent[]; poisoned: Poisoned[] } {
    const events: TallyEvent[] = [];
    const poisoned: Poisoned[] = [];
    for (const m of msgs) {
      try {
        events.push(decodeEvent(m.data, m.seq));
      } catch (err) {
        if (!(err instanceof EventDecodeError)) throw err;
        poisoned.push({ seq: m.seq, reason: err.message });
      }
    }
    return { events, poisoned };
  }

  async function recover(cp: Checkpoint): Promise<Checkpoint> {
    if (cp.pending === null) return cp;
    log.warn({ batch: cp.pending }, 'recovering a sealed batch left by a crash');
    const ops = await readJournal(o.db, cp.pending);
    await applyOps(o.db, ops, { toSeq: cp.pending.toSeq, group: o.group, collectionName: (c) => o.target.collectionName(c) });
    await completeBatch(o.db, o.checkpointId, cp.pending);
    return readCheckpoint(o.db, o.checkpointId, o.config.streams.partitionGroups);
  }

  async function applyBatch(cp: Checkpoint, msgs: readonly JsMsg[]): Promise<Checkpoint> {
    const fresh = freshInOrder(msgs, cp.seq);
    if (fresh.length === 0) return cp;
    const startedMs = Date.now();
    const decoded = decodeAll(fresh);
    const prepared = await o.pipeline.prepare(o.db, decoded.events, o.target);
    const preparedMs = Date.now() - startedMs;
    const folded = o.pipeline.fold(prepared, decoded.events, o.target);
    const foldedMs = Date.now() - startedMs - preparedMs;
    const poisoned = [...decoded.poisoned, ...folded.poisoned];
    await deadLetter(fresh, poisoned);
    const fromSeq = fresh[0]?.seq ?? cp.seq + 1;
    const toSeq = fresh[fresh.length - 1]?.seq ?? cp.seq;
    const counts = { events: decoded.events.length - folded.poisoned.length, deadLetters: poisoned.length };
    let writeOps = 0;
    if (folded.ops.length === 0) {
      if (!(await advanceCheckpoint(o.db, o.checkpointId, cp.seq, toSeq, counts))) throw new OwnershipLostError(`checkpoint ${o.checkpointId} moved`);
    } else {
      const parts = journalParts(folded.ops);
      const pending = { batchId: `${o.checkpointId}:${fromSeq}-${toSeq}:${randomUUID()}`, fromSeq, toSeq, parts: parts.length, ...counts };
      await writeJournal(o.db, o.checkpointId, pending.batchId, parts);
      if (!(await claimBatch(o.db, o.checkpointId, cp.seq, pending))) throw new OwnershipLostError(`checkpoint ${o.checkpointId} moved`);
      writeOps = (await applyOps(o.db, folded.ops, { toSeq, group: o.group, collectionName: (c) => o.target.collectionName(c) })).writeOps;
      await completeBatch(o.db, o.checkpointId, pending);
    }
    Object.assign(state, { appliedSeq: toSeq, lastFlushAtMs: Date.now(), lastBatchEvents: fresh.length, lastFlushMs: Date.now() - startedMs });
    state.deadLetters += poisoned.length;
    log.debug({ events: fresh.length, writeOps, preparedMs, foldedMs, flushMs: state.lastFlushMs, toSeq }, 'batch applied');
    return { ...cp, seq: toSeq, pending: null };
  }

  /** Applies a batch, retrying flush failures in place: never skips ahead, never acks early. */
  async function applyWithRetry(cp: Checkpoint, msgs: readonly JsMsg[]): Promise<Checkpoint | undefined> {
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        const next = await o.flushes.run(() => applyBatch(cp, msgs));
        state.healthy = true;
        state.lastError = undefined;
        return next;
      } catch (err) {
        if (!(err instanceof FlushFailedError)) throw err;
        state.healthy = false;
        state.lastError = err.message;
        log.error({ err, seq: msgs[0]?.seq, attempt }, 'flush failed; retrying the same batch');
        await sleep(Math.min(5_000, 100 * 2 ** attempt));
        cp = await o.flushes.run(async () => recover(await readCheckpoint(o.db, o.checkpointId, o.config.streams.partitionGroups)));
      }
    }
    return undefined;
  }

  async function own(lease: Lease): Promise<void> {
    let cp = await recover(await readCheckpoint(o.db, o.checkpointId, o.config.streams.partitionGroups));
    if (cp.groups !== o.config.streams.partitionGroups) {
      throw new OwnershipLostError(`checkpoint ${o.checkpointId} was written with ${cp.groups} partition groups; rebuild after changing partitionGroups`);
    }
    // Restart delivery exactly after the checkpoint: no out-of-order redeliveries survive a takeover.
    await o.jsm.consumers.reset(stream, o.durable, cp.seq + 1);
    state.appliedSeq = cp.seq;
    state.deadLetters = cp.deadLetters;
    const consumer = await o.js.consumers.get(stream, o.durable);
    const b = batcher(await consumer.consume({ max_messages: o.batchSize * 2 }));
    try {
      while (!abort.signal.aborted && lease.held()) {
        const msgs = await b.next(o.batchSize, o.batchWaitMs, abort.signal);
        for (const chunk of cutAfterResets(msgs)) {
          const next = await applyWithRetry(cp, chunk);
          if (next === undefined) return; // stopping: the batch is left unacked for redelivery
          cp = next;
          lastBySeq(chunk)?.ack(); // AckPolicy.All: acks the whole chunk
          const pauseMs = o.pauseAfterMs?.(state.lastFlushMs) ?? 0;
          if (pauseMs > 0) await sleep(pauseMs);
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
