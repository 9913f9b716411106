// Reading what ingest stored: the events stream of one Tally instance, decoded with the contract.
import type { JetStreamManager } from '@nats-io/jetstream';
import { decodeEvent, type SdkRequestReceived, type TallyEvent } from '../../projections/index.ts';
import { eventsStreamName, type StreamsConfig } from '../../streams.config.ts';

export type StoredRequest = SdkRequestReceived & { readonly seq: number };

/** Sequence of the last message in the events stream (0 when empty). */
export async function lastSeq(jsm: JetStreamManager, streams: StreamsConfig): Promise<number> {
  const info = await jsm.streams.info(eventsStreamName(streams));
  return info.state.last_seq;
}

/** Every event stored after `afterSeq`, decoded (throws if any does not match the envelope). */
export async function readEvents(jsm: JetStreamManager, streams: StreamsConfig, afterSeq = 0): Promise<TallyEvent[]> {
  const name = eventsStreamName(streams);
  const info = await jsm.streams.info(name);
  const out: TallyEvent[] = [];
  for (let seq = Math.max(afterSeq + 1, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(name, { seq });
    if (msg !== null) out.push(decodeEvent(msg.data, seq));
  }
  return out;
}

/** Only the SDK requests among the events. */
export async function readRequests(jsm: JetStreamManager, streams: StreamsConfig, afterSeq = 0): Promise<StoredRequest[]> {
  const events = await readEvents(jsm, streams, afterSeq);
  return events.filter((e): e is StoredRequest => e.type === 'SdkRequestReceived');
}

/** Polls the stream until `done` holds for the stored requests, or fails after `timeoutMs`. */
export async function waitForRequests(
  jsm: JetStreamManager,
  streams: StreamsConfig,
  done: (requests: StoredRequest[]) => boolean,
  timeoutMs = 20_000,
): Promise<StoredRequest[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const requests = await readRequests(jsm, streams);
    if (done(requests)) return requests;
    if (Date.now() > deadline) throw new Error(`stream did not reach the expected state in ${timeoutMs} ms (${requests.length} requests stored)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Own property names of Object.prototype (plus `prototype`): as keys they shadow what every object inherits. */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Finds keys that could act as MongoDB operators or paths or shadow prototype properties, except the user_details operators. */
export function unsafeKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v: unknown, i) => unsafeKeys(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const here = `${path}.${k}`;
    const isOperator = /^\.user_details\.custom\.[^.]+$/.test(path) && ['$inc', '$mul', '$max', '$min', '$setOnce', '$push', '$addToSet', '$pull'].includes(k);
    if (!isOperator && (k.startsWith('$') || k.includes('.') || k.includes('\u0000') || PROTOTYPE_NAMES.has(k))) out.push(here);
    out.push(...unsafeKeys(v, here));
  }
  return out;
}
