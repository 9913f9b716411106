// Raw driver baseline: unordered bulkWrite upserts with $inc into a scratch collection of the
// same MongoDB-protocol server, shaped like Countly event aggregates (one document per app,
// event key, month and segment; day and hour counters inside). This is the write ceiling a
// processor's flush works under.
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { partitionOf } from '../../projections/index.ts';
import { withDeadline } from '../deadline.ts';
import type { RateResult } from './jetstream.ts';
import type { CountlyEvent, Workload, WorkloadApp } from '../workload.ts';

/** A Countly-style event aggregate: counters under `d.<day>[.<hour>][.<segment value>]`. */
export interface AggregateDoc {
  _id: string;
  m: string;
  s: string;
  d?: Record<string, unknown>;
}

export interface BulkWriteSetup {
  readonly db: Db;
  readonly collection: string;
  readonly ops: readonly AnyBulkWriteOperation<AggregateDoc>[];
  readonly opsPerCall: number;
  readonly concurrency: number;
  readonly durationMs: number;
  /** Longest wait for one bulkWrite, ms. */
  readonly callTimeoutMs: number;
}

function eventUpserts(appId: string, e: CountlyEvent): AnyBulkWriteOperation<AggregateDoc>[] {
  const t = new Date(e.timestamp);
  const month = `${t.getUTCFullYear()}:${t.getUTCMonth() + 1}`;
  const day = t.getUTCDate();
  const hour = t.getUTCHours();
  const inc: Record<string, number> = { [`d.${day}.c`]: e.count, [`d.${day}.${hour}.c`]: e.count };
  if (e.sum !== undefined) Object.assign(inc, { [`d.${day}.s`]: e.sum, [`d.${day}.${hour}.s`]: e.sum });
  if (e.dur !== undefined) Object.assign(inc, { [`d.${day}.dur`]: e.dur, [`d.${day}.${hour}.dur`]: e.dur });
  const ops: AnyBulkWriteOperation<AggregateDoc>[] = [
    { updateOne: { filter: { _id: `${appId}_${e.key}_no-segment_${month}` }, update: { $inc: inc, $set: { m: month, s: 'no-segment' } }, upsert: true } },
  ];
  const [segment, value] = Object.entries(e.segmentation)[0] ?? [];
  if (segment !== undefined && value !== undefined) {
    const segInc = { [`d.${day}.${value}.c`]: e.count, [`d.${day}.${hour}.${value}.c`]: e.count };
    ops.push({
      updateOne: { filter: { _id: `${appId}_${e.key}_${segment}_${month}` }, update: { $inc: segInc, $set: { m: month, s: segment } }, upsert: true },
    });
  }
  return ops;
}

/** `count` upserts derived from workload events (so key skew matches real traffic). */
export function prepareUpserts(workload: Workload, apps: readonly WorkloadApp[], count: number): AnyBulkWriteOperation<AggregateDoc>[] {
  const idOf = new Map(apps.map((a) => [a.key, a.id]));
  const out: AnyBulkWriteOperation<AggregateDoc>[] = [];
  while (out.length < count) {
    const req = workload.next();
    for (const e of req.events ?? []) out.push(...eventUpserts(idOf.get(req.app_key) ?? 'unknown', e));
  }
  return out.slice(0, count);
}

/** Splits ops into `n` pools by document id, so no two writers ever upsert the same document. */
function byWriter(ops: readonly AnyBulkWriteOperation<AggregateDoc>[], n: number): AnyBulkWriteOperation<AggregateDoc>[][] {
  const pools = Array.from({ length: n }, (): AnyBulkWriteOperation<AggregateDoc>[] => []);
  for (const op of ops) {
    const id = 'updateOne' in op && typeof op.updateOne.filter._id === 'string' ? op.updateOne.filter._id : '';
    pools[partitionOf(id, n)]?.push(op);
  }
  return pools.filter((p) => p.length > 0);
}

/**
 * `concurrency` loops of bulkWrite(ordered: false) for a fixed time. Each loop owns its own
 * documents: two concurrent upserts of one new _id race to E11000 on FerretDB (and MongoDB),
 * so a processor has to keep writers on disjoint documents too, or retry that error. A call
 * that does not return in time fails the baseline (FerretDB 1.24 stalls, see modes.ts).
 */
export async function bulkWriteUpserts(s: BulkWriteSetup): Promise<RateResult> {
  const coll = s.db.collection<AggregateDoc>(s.collection);
  const startedMs = performance.now();
  const endMs = startedMs + s.durationMs;
  let count = 0;
  const loop = async (ops: readonly AnyBulkWriteOperation<AggregateDoc>[]): Promise<void> => {
    for (let from = 0; performance.now() < endMs; from = (from + s.opsPerCall) % ops.length) {
      const batch = ops.slice(from, from + s.opsPerCall);
      await withDeadline(coll.bulkWrite(batch, { ordered: false }), s.callTimeoutMs, `bulkWrite of ${batch.length} upserts`);
      count += batch.length;
    }
  };
  await Promise.all(byWriter(s.ops, s.concurrency).map(loop));
  const durationMs = performance.now() - startedMs;
  return { count, durationMs, perS: (count * 1000) / durationMs };
}
