// What the API sends to MongoDB, observed with a command monitor on the API's own client:
// 1. hostile filter, sort and projection objects are refused with 400 and never reach the
//    database (api/query-guard.ts);
// 2. a 30-day or one-year read asks only for the bucket documents covering it (`a` + `m` list).
import type { FastifyInstance } from 'fastify';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/index.ts';
import { adminAndApp, at, resultOf, type Answer } from './support/api-client.ts';
import { createLogger } from '../scripts/logger.ts';
import { LogCapture, startTestTally, type TestTally } from './support/harness.ts';
import { HOSTILE_FILTERS, HOSTILE_PROJECTIONS, HOSTILE_SORTS } from './support/hostile-queries.ts';

let tally: TestTally;
let client: MongoClient;
let api: FastifyInstance;
let adminKey = '';
let appId = '';
const commands: CommandStartedEvent[] = [];

async function get(path: string, params: Record<string, unknown>): Promise<Answer> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries({ api_key: adminKey, app_id: appId, ...params })) query.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await api.inject({ method: 'GET', url: `${path}?${query.toString()}` });
  let body: unknown = res.body;
  try {
    body = JSON.parse(res.body);
  } catch (err) {
    // Decision: a body that is not JSON is kept as text.
    if (!(err instanceof SyntaxError)) throw err;
  }
  return { status: res.statusCode, body, text: res.body };
}

const target = (e: CommandStartedEvent): string => String(e.command[e.commandName] ?? '');
const FORBIDDEN =
  /\$(where|expr|function|accumulator|jsonSchema|text|nor|not|elemMatch|all|size|type|mod|geoWithin|near|bitsAllSet|oid|date|meta|slice|natural|comment)\b/;

beforeAll(async () => {
  tally = await startTestTally();
  ({
    adminKey,
    app: { _id: appId },
  } = await adminAndApp(tally.url, { timezone: 'Africa/Abidjan' }));
  client = new MongoClient(tally.config.mongodbUrl ?? '', { monitorCommands: true });
  client.on('commandStarted', (e) => commands.push(e));
  await client.connect();
  api = await buildApi({
    config: tally.config,
    db: client.db(tally.config.mongodbDb),
    nc: tally.nc,
    js: tally.js,
    log: createLogger(tally.config, new LogCapture()),
  });
});
afterAll(async () => {
  await api.close();
  await client.close();
  await tally.destroy();
});

describe('hostile client objects never reach MongoDB', () => {
  it('a valid filter, sort and projection do reach it (the monitor sees app-user reads)', async () => {
    commands.length = 0;
    const ok = await get('/o/app_users/consents', { query: { uid: { $in: ['1', '2'] }, did: { $regex: '^a' } }, sort: { ls: -1 }, projection: { did: 1 } });
    expect(ok.status).toBe(200);
    expect(at(ok.body, 'aaData')).toEqual([]);
    expect(commands.some((e) => e.commandName === 'find' && target(e).startsWith('app_users'))).toBe(true);
  });

  it('at least 50 hostile filters, and hostile sorts and projections, answer 400 without a query', async () => {
    await get('/o/app_users/loyalty', {});
    commands.length = 0;
    const answers: { what: string; answer: Answer }[] = [];
    expect(HOSTILE_FILTERS.length).toBeGreaterThanOrEqual(50);
    for (const hostile of HOSTILE_FILTERS) {
      answers.push({ what: `consents query ${JSON.stringify(hostile)}`, answer: await get('/o/app_users/consents', { query: hostile }) });
      answers.push({ what: `loyalty query ${JSON.stringify(hostile)}`, answer: await get('/o/app_users/loyalty', { query: hostile }) });
      answers.push({ what: `all_apps filter ${JSON.stringify(hostile)}`, answer: await get('/o', { method: 'all_apps', filter: hostile }) });
    }
    for (const hostile of HOSTILE_SORTS)
      answers.push({ what: `sort ${JSON.stringify(hostile)}`, answer: await get('/o/app_users/consents', { sort: hostile }) });
    for (const hostile of HOSTILE_PROJECTIONS)
      answers.push({ what: `projection ${JSON.stringify(hostile)}`, answer: await get('/o/app_users/consents', { projection: hostile }) });
    for (const { what, answer } of answers) {
      expect(answer.status, what).toBe(400);
      expect(String(resultOf(answer)), what).toMatch(/is not allowed in "(query|filter|sort|projection)"$|^Could not parse parameter/);
    }
    // Auth lookups (members, apps by id) may run; nothing else may.
    const leaked = commands.filter((e) => target(e).startsWith('app_users') || e.commandName === 'aggregate' || FORBIDDEN.test(JSON.stringify(e.command)));
    expect(leaked.map((e) => `${e.commandName} ${target(e)}`)).toEqual([]);
    const appFinds = commands.filter((e) => e.commandName === 'find' && target(e) === 'apps');
    const keysOf = (v: unknown): string[] => (typeof v === 'object' && v !== null ? Object.keys(v) : []);
    expect(appFinds.map((e) => keysOf(e.command.filter).join())).toEqual(appFinds.map(() => '_id'));
  });

  it('the refusal names the operator', async () => {
    expect(resultOf(await get('/o/app_users/consents', { query: { $where: 'sleep(100)' } }))).toBe('Operator "$where" is not allowed in "query"');
    expect(resultOf(await get('/o', { method: 'all_apps', filter: { name: { $expr: 1 } } }))).toBe('Operator "$expr" is not allowed in "filter"');
    expect(resultOf(await get('/o/app_users/loyalty', { query: { $function: {} } }))).toBe('Operator "$function" is not allowed in "query"');
  });
});

/** `Y:M` of every UTC day from `days - 1` days before today to today, and the previous period as long; plus `Y:0`. */
function expectedIds(days: number): string[] {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const ids = new Set<string>();
  for (let i = 0; i < days * 2; i++) {
    const d = new Date(today - i * 86_400_000);
    ids.add(`${d.getUTCFullYear()}:${d.getUTCMonth() + 1}`);
    ids.add(`${d.getUTCFullYear()}:0`);
  }
  return [...ids].sort();
}

describe('reads touch only the buckets covering the period', () => {
  // FerretDB serves only a plain `_id` equality from an index, so the users documents
  // (`<app>_<period>_g<group>`) are read one find per id (projections/store/by-ids.ts).
  for (const days of [30, 365]) {
    it(`${days}days: finds on users_v1 by _id, exactly the months and years needed for each partition group`, async () => {
      commands.length = 0;
      const before = expectedIds(days);
      expect((await get('/o', { method: 'sessions', period: `${days}days` })).status).toBe(200);
      const after = expectedIds(days);
      const finds = commands.filter((e) => e.commandName === 'find' && target(e) === 'users_v1');
      const filters = finds.map((e): unknown => e.command.filter);
      for (const f of filters) expect(Object.keys(f ?? {})).toEqual(['_id']);
      const ids = filters.map((f) => String(at(f, '_id'))).sort();
      const groups = Array.from({ length: tally.config.streams.partitionGroups }, (_, g) => g);
      const expected = (periods: string[]): string => JSON.stringify(periods.flatMap((p) => groups.map((g) => `${appId}_${p}_g${g}`)).sort());
      // Computed before and after the request, so a read at midnight matches one of them.
      expect([expected(before), expected(after)]).toContain(JSON.stringify(ids));
      expect(commands.filter((e) => e.commandName === 'find' && target(e).endsWith('_v1') && target(e) !== 'users_v1')).toEqual([]);
    });
  }
});
