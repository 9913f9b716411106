// Raw driver baseline for read latency: the exact read commands an API request sent (captured
// with a command listener on Tally's client), replayed with the driver, all at once, one
// replay at a time. That is the floor of any API answering with those documents: no HTTP, no
// credentials, no time-object building, and no waiting of one query on another.
import { createHistogram, recordMs, summarize, type LatencySummary } from '../histogram.ts';
import type { CapturedRead } from '../db-commands.ts';
import type { Document, MongoClient } from 'mongodb';

const isDocument = (v: unknown): v is Document => typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (doc: Document, key: string): unknown => doc[key];
const docOr = (v: unknown): Document => (isDocument(v) ? v : {});

/** Runs one captured read; resolves with the number of documents it returned. */
async function replayOne(client: MongoClient, r: CapturedRead): Promise<number> {
  const db = client.db(r.databaseName);
  const c = r.command;
  if (r.commandName === 'find') {
    const limit = field(c, 'limit');
    const cursor = db.collection(String(field(c, 'find'))).find(docOr(field(c, 'filter')), {
      projection: docOr(field(c, 'projection')),
      sort: docOr(field(c, 'sort')),
      ...(typeof limit === 'number' ? { limit } : {}),
    });
    return (await cursor.toArray()).length;
  }
  if (r.commandName === 'aggregate') {
    const stages = field(c, 'pipeline');
    const pipeline = Array.isArray(stages) ? stages.filter(isDocument) : [];
    return (
      await db
        .collection(String(field(c, 'aggregate')))
        .aggregate(pipeline)
        .toArray()
    ).length;
  }
  // count and distinct answer in one reply: send them as they were sent.
  await db.command(c);
  return 1;
}

/** The reads a replay runs: getMore is left out, since replaying a find fetches every batch. */
export const replayable = (reads: readonly CapturedRead[]): CapturedRead[] => reads.filter((r) => r.commandName !== 'getMore');

export interface ReplayResult {
  readonly latency: LatencySummary;
  /** Documents one replay returns. */
  readonly documents: number;
  readonly replays: number;
}

/** Replays `reads` back to back: a warm-up, then a window whose replays are timed. */
export async function replayReads(client: MongoClient, reads: readonly CapturedRead[], warmupMs: number, durationMs: number): Promise<ReplayResult> {
  const list = replayable(reads);
  const once = async (): Promise<number> => (await Promise.all(list.map((r) => replayOne(client, r)))).reduce((a, b) => a + b, 0);
  const warmEnd = performance.now() + warmupMs;
  let documents = await once();
  while (performance.now() < warmEnd) await once();
  const h = createHistogram();
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const t0 = performance.now();
    documents = await once();
    recordMs(h, performance.now() - t0);
  }
  return { latency: summarize(h), documents, replays: h.totalCount };
}
