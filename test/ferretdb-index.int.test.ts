// The FerretDB that the tests (and `npm start`) run gets, for every collection, an index SQLite
// can use for FerretDB's own `{_id: <value>}` lookups (scripts/ferretdb-idindex, docs/ferretdb.md).
// FerretDB's explain returns SQLite's query plan, so the plan says whether the index is used.
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { uniqueSuffix } from './support/harness.ts';
import { waitUntil } from './support/wait.ts';

let client: MongoClient;
const dbName = `idindex_${uniqueSuffix()}`;

beforeAll(async () => {
  client = new MongoClient(inject('mongoUrl'));
  await client.connect();
});
afterAll(async () => {
  await client.db(dbName).dropDatabase();
  await client.close();
});

/**
 * SQLite's plan for FerretDB's query of `filter`. A real query runs first: EXPLAIN QUERY PLAN
 * alone is planned against the connection's cached schema, and only a statement that reads the
 * table notices that the schema changed (an index was added) and reloads it.
 */
async function plan(collection: string, filter: Record<string, unknown>): Promise<string> {
  await client.db(dbName).collection(collection).findOne(filter);
  const res = await client.db(dbName).command({ explain: { find: collection, filter } });
  return JSON.stringify(res.queryPlanner);
}

it('a new collection gets an _id index that FerretDB lookups by _id use; other filters still scan', async () => {
  // 1. A collection created by an ordinary upsert, as the processors create theirs.
  await client
    .db(dbName)
    .collection<{ _id: string }>('fresh')
    .updateOne({ _id: 'a' }, { $inc: { n: 1 } }, { upsert: true });
  // 2. Within a few sidecar rounds (200 ms each) the lookup by _id searches the added index.
  const byId = await waitUntil(
    async () => {
      const p = await plan('fresh', { _id: 'a' });
      return p.includes('__tally_id_path') ? p : undefined;
    },
    10_000,
    'the _id lookup to use the added index',
  );
  expect(byId).toMatch(/SEARCH .* USING INDEX .*__tally_id_path/);
  // 3. Anything but a plain _id equality is not pushed down by FerretDB: a scan (why reads go by id).
  expect(await plan('fresh', { n: 1 })).toMatch(/SCAN/);
});
