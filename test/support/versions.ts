// Comparing two versions of a projection document by document, and waiting for a version to
// cover the stream.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Db, Document } from 'mongodb';
import { listCheckpoints, listVersionCollections, parseVersionedCollection } from '../../projections/index.ts';
import { eventsStreamName, type StreamsConfig } from '../../streams.config.ts';
import type { MixedMessage } from './mixed-traffic.ts';
import { waitUntil } from './wait.ts';

/** Per-document write watermark: the last batch's sequence, which differs with batch boundaries by design. */
const WATERMARK = '_s';

/**
 * Float sums (event `s`, durations) are added in batch order, and IEEE addition is not
 * associative: a rebuild with other batch boundaries can differ in the last bits
 * (237.2 vs 237.20000000000002). Non-integers are compared at 12 significant digits.
 */
function comparable(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  }
  return value;
}

function withoutWatermark(doc: Document): Document {
  const { [WATERMARK]: _ignored, ...rest } = doc;
  const out = comparable(rest);
  return typeof out === 'object' && out !== null ? out : rest;
}

export interface VersionDocs {
  /** Logical collection → documents sorted by `_id`, watermark removed. */
  readonly byCollection: Map<string, Document[]>;
  readonly documents: number;
}

/** Every document of one version of a projection. */
export async function readVersion(db: Db, owns: (logical: string) => boolean, version: number): Promise<VersionDocs> {
  const names = (await listVersionCollections(db, owns)).get(version) ?? [];
  const byCollection = new Map<string, Document[]>();
  let documents = 0;
  for (const name of names) {
    const logical = parseVersionedCollection(name)?.logical ?? name;
    const docs = (await db.collection(name).find({}).sort({ _id: 1 }).toArray()).map(withoutWatermark);
    documents += docs.length;
    byCollection.set(logical, docs);
  }
  return { byCollection, documents };
}

/** Publishes messages in windows of `window` unacknowledged publishes. */
export async function publishMessages(js: JetStreamClient, msgs: readonly MixedMessage[], window = 500): Promise<number> {
  let lastSeq = 0;
  for (let i = 0; i < msgs.length; i += window) {
    const acks = await Promise.all(msgs.slice(i, i + window).map((m) => js.publish(m.subject, m.data, { msgID: m.msgID, timeout: 20_000 })));
    for (const a of acks) lastSeq = Math.max(lastSeq, a.seq);
  }
  return lastSeq;
}

/** Waits until every group checkpoint of `pipeline` v`version` accounts for the whole stream. */
export async function waitForVersion(
  db: Db,
  jsm: JetStreamManager,
  streams: StreamsConfig,
  pipeline: string,
  version: number,
  timeoutMs: number,
): Promise<void> {
  const total = (await jsm.streams.info(eventsStreamName(streams))).state.messages;
  await waitUntil(
    async () => {
      const cps = await listCheckpoints(db, `${pipeline}:v${version}:`);
      const accounted = cps.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0);
      return cps.length === streams.partitionGroups && accounted === total && cps.every((c) => c.pending === null) ? true : undefined;
    },
    timeoutMs,
    `${pipeline} v${version} to cover ${total} events`,
  );
}
