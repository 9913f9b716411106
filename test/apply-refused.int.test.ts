// A write the database refuses for its content (here: $inc on a text field, TypeMismatch) is set
// aside with the database's reason, and every other op of the batch is applied exactly once, on
// first application and on the replay of the same journal (recovery). Real FerretDB.
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { applyOps, type WriteOp } from '../projections/index.ts';
import { uniqueSuffix } from './support/harness.ts';

let client: MongoClient;
let db: Db;
const collectionName = (logical: string) => `${logical}_v1`;

beforeAll(async () => {
  client = await MongoClient.connect(inject('mongoUrl'));
  db = client.db(`t_${uniqueSuffix()}`);
  await db.collection<{ _id: string; n: string }>('c_v1').insertOne({ _id: 'text', n: 'not a number' });
});
afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

it('sets aside a refused update and applies the rest exactly once, also when replayed', async () => {
  // 1. 40 counters in three bulkWrite commands of 16; the refused op sits inside the second.
  const ops: WriteOp[] = Array.from({ length: 40 }, (_, i) => ({ kind: 'upsert', collection: 'c', id: `d${i}`, inc: { n: i + 1 } }));
  ops.splice(20, 0, { kind: 'upsert', collection: 'c', id: 'text', inc: { n: 1 } });
  const first = await applyOps(db, ops, { toSeq: 7, group: 0, collectionName, freshlyClaimed: true });
  expect(first.refused).toEqual([{ collection: 'c_v1', id: 'text', reason: expect.stringMatching(/^14: /) as unknown, op: ops[20] }]);
  const counters = async () => new Map((await db.collection<{ _id: string; n: unknown }>('c_v1').find({}).toArray()).map((d) => [d._id, d.n]));
  const expected = new Map<string, unknown>([['text', 'not a number'], ...Array.from({ length: 40 }, (_, i) => [`d${i}`, i + 1] as [string, number])]);
  expect(await counters()).toEqual(expected);

  // 2. Recovery replays the same journal: applied documents are skipped, the refusal repeats.
  const again = await applyOps(db, ops, { toSeq: 7, group: 0, collectionName });
  expect(again.refused.map((r) => r.id)).toEqual(['text']);
  expect(again.skipped).toBe(40);
  expect(await counters()).toEqual(expected);
});
