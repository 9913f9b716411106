// Freshness: how long after a client's publish an event is applied to the projections, at a
// fixed rate (open loop). Latency runs from each message's *intended* send time, so a backlog
// cannot hide behind a slower publisher. Next to it, in the same window, a raw ordered
// consumer on the same stream measures publish → delivered: the floor any processor starts from.
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { GroupStatus } from '../processors/index.ts';
import { eventsStreamName, type StreamsConfig } from '../streams.config.ts';
import { BaselineFailedError } from './errors.ts';
import { appliedSeqs, groupOfSubject } from './fold-watch.ts';
import { createHistogram, recordMs, type Histogram } from './histogram.ts';
import type { CountedMessage } from './publish.ts';

export interface FreshnessOptions {
  readonly js: JetStreamClient;
  readonly streams: StreamsConfig;
  /** The in-process processors' status (applied sequence per group). */
  readonly status: () => readonly GroupStatus[];
  readonly messages: Iterator<CountedMessage>;
  readonly ratePerS: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Longest wait after the window for the measured messages to be applied, ms. */
  readonly drainTimeoutMs: number;
  readonly publishTimeoutMs: number;
}

export interface FreshnessResult {
  /** Intended publish → applied (checkpoint of its group covers it), measured window only. */
  readonly applied: Histogram;
  /** Intended publish → delivered to a raw ordered consumer, same messages. */
  readonly delivered: Histogram;
  /** Messages published in the measured window. */
  readonly measured: number;
  /** Messages (warm-up included) and their events, all applied when `notApplied` is 0. */
  readonly published: number;
  readonly events: number;
  /** Measured messages not applied within the drain timeout, or whose publish failed. */
  readonly notApplied: number;
  /** Measured messages still unapplied when the window closed: a growing backlog if large. */
  readonly behindAtClose: number;
  readonly failedPublishes: number;
  readonly firstError?: string;
}

interface Sent {
  readonly seq: number;
  readonly intendedMs: number;
  readonly measured: boolean;
}

const POLL_MS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Raw ordered consumer from "now on": records intended → delivered for measured message ids. */
async function rawDelivery(js: JetStreamClient, streams: StreamsConfig, intendedById: Map<string, number>, into: Histogram) {
  const consumer = await js.consumers.get(eventsStreamName(streams), { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume({ max_messages: 1_000 });
  const done = (async () => {
    for await (const m of messages) {
      const id = m.headers?.get('Nats-Msg-Id') ?? '';
      const intended = intendedById.get(id);
      if (intended === undefined) continue;
      recordMs(into, performance.now() - intended);
      intendedById.delete(id);
    }
  })();
  return {
    close: async (): Promise<void> => {
      const closed = await messages.close();
      if (closed instanceof Error) throw new BaselineFailedError('raw delivery consumer did not close cleanly', { cause: closed });
      await done;
    },
  };
}

export async function measureFreshness(o: FreshnessOptions): Promise<FreshnessResult> {
  const groupOf = groupOfSubject(o.streams);
  const queues = new Map<number, Sent[]>();
  const applied = createHistogram();
  const delivered = createHistogram();
  const deliveryIds = new Map<string, number>();
  const raw = await rawDelivery(o.js, o.streams, deliveryIds, delivered);
  let published = 0;
  let events = 0;
  let measured = 0;
  let failedPublishes = 0;
  let firstError: string | undefined;
  let inFlight = 0;

  const publish = (m: CountedMessage, intendedMs: number, isMeasured: boolean): void => {
    if (isMeasured) deliveryIds.set(m.msgID, intendedMs);
    inFlight++;
    o.js
      .publish(m.subject, m.data, { msgID: m.msgID, timeout: o.publishTimeoutMs })
      .then((ack) => {
        const q = queues.get(groupOf(m.subject)) ?? [];
        queues.set(groupOf(m.subject), q);
        q.push({ seq: ack.seq, intendedMs, measured: isMeasured });
        // Acks of one connection arrive in sequence order; keep the queue sorted if not.
        if (q.length > 1 && (q[q.length - 2]?.seq ?? 0) > ack.seq) q.sort((a, b) => a.seq - b.seq);
      })
      .catch((err: unknown) => {
        // Decision: a failed publish is a measured outcome (counted, first error shown), not a stop.
        failedPublishes++;
        firstError ??= err instanceof Error ? err.message : String(err);
        deliveryIds.delete(m.msgID);
      })
      .finally(() => inFlight--);
  };

  const settle = (): void => {
    const now = performance.now();
    for (const [g, seq] of appliedSeqs(o.status())) {
      const q = queues.get(g);
      let n = 0;
      while (q !== undefined && n < q.length && (q[n]?.seq ?? Infinity) <= seq) {
        const s = q[n++];
        if (s?.measured === true) recordMs(applied, now - s.intendedMs);
      }
      q?.splice(0, n);
    }
  };

  const startMs = performance.now();
  const opensMs = startMs + o.warmupMs;
  const closesMs = opensMs + o.durationMs;
  const intervalMs = 1000 / o.ratePerS;
  for (let now = startMs; now < closesMs; now = performance.now()) {
    const due = Math.min(Math.floor((now - startMs) / intervalMs) + 1, Math.ceil((closesMs - startMs) / intervalMs));
    while (published < due) {
      const next = o.messages.next();
      if (next.done === true) break;
      const intendedMs = startMs + published * intervalMs;
      const isMeasured = intendedMs >= opensMs;
      publish(next.value, intendedMs, isMeasured);
      published++;
      events += next.value.events;
      if (isMeasured) measured++;
    }
    settle();
    await sleep(POLL_MS);
  }
  settle();
  const behindAtClose = inFlight + [...queues.values()].reduce((n, q) => n + q.filter((x) => x.measured).length, 0);
  const drainBy = performance.now() + o.drainTimeoutMs;
  const waiting = () => inFlight > 0 || [...queues.values()].some((q) => q.some((s) => s.measured));
  while (waiting() && performance.now() < drainBy) {
    settle();
    await sleep(POLL_MS);
  }
  await raw.close();
  const notApplied = measured - applied.totalCount;
  return { applied, delivered, measured, published, events, notApplied, behindAtClose, failedPublishes, ...(firstError !== undefined ? { firstError } : {}) };
}
