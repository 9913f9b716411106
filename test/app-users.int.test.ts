// `/i/app_users/create|update|delete` and `/o/app_users/list` (spec §6.1–6.4) against a running
// Tally: users come from countly-sdk-nodejs traffic, raw `/i` requests (a device merge with a
// metric change) and `/i/app_users/create`. Every message of §6.1 that Tally gives; refused
// updates and queries reach no database command; a deletion erases the user and its per-user
// documents, leaves the aggregates as they were, survives a rebuild of every projection, and
// the erasure check flags exactly that person's raw events.
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Countly from 'countly-sdk-nodejs';
import { MongoClient, type CommandStartedEvent, type Document } from 'mongodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/index.ts';
import { corePipeline, startRebuild } from '../processors/index.ts';
import { APP_USER_DELETIONS, AGGREGATE_COLLECTIONS, appUserId, erasureIndex, isErased, readTombstones, type TallyEvent } from '../projections/index.ts';
import { createLogger } from '../scripts/logger.ts';
import { apiGet, at, createMemberViaApi, resultOf, type Answer } from './support/api-client.ts';
import { adminApiKey, createApp, LogCapture, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { readEvents } from './support/stream.ts';
import { readVersion } from './support/versions.ts';
import { waitUntil } from './support/wait.ts';

const config = testConfig({ streams: { partitionGroups: 2, partitions: 4 }, consumers: { pinnedTtlMs: 1_500 } });
const owns = (logical: string) => corePipeline.owns(logical);
const storage = mkdtempSync(join(tmpdir(), 'countly-node-users-'));
let tally: TestTally;
let adminKey = '';
let app: { _id: string; key: string };
let monitored: MongoClient;
let watchedApi: FastifyInstance;
const commands: CommandStartedEvent[] = [];
const T0 = Math.floor(Date.now() / 1000) - 2 * 86_400;

beforeAll(async () => {
  tally = await startTestTally({ config });
  adminKey = await adminApiKey(tally.url);
  app = await createApp(tally.url, adminKey, { name: 'users', timezone: 'Europe/Berlin' });
  monitored = new MongoClient(config.mongodbUrl ?? '', { monitorCommands: true });
  monitored.on('commandStarted', (e) => commands.push(e));
  await monitored.connect();
  watchedApi = await buildApi({ config, db: monitored.db(config.mongodbDb), nc: tally.nc, js: tally.js, log: createLogger(config, new LogCapture()) });
}, 60_000);
afterAll(async () => {
  Countly.halt(true);
  await watchedApi.close();
  await monitored.close();
  await tally.destroy();
  rmSync(storage, { recursive: true, force: true });
});

const call = (path: string, params: Record<string, unknown>): Promise<Answer> => apiGet(tally.url, path, { api_key: adminKey, app_id: app._id, ...params });

async function list(query: unknown, extra: Record<string, unknown> = {}): Promise<{ total: number; shown: number; rows: Document[] }> {
  const res = await call('/o/app_users/list', { query, ...extra });
  expect(res.status).toBe(200);
  const rows = at(res.body, 'aaData');
  return {
    total: Number(at(res.body, 'iTotalRecords')),
    shown: Number(at(res.body, 'iTotalDisplayRecords')),
    rows: Array.isArray(rows) ? (rows as Document[]) : [],
  };
}

const userOf = async (did: string): Promise<Document | undefined> => (await list({ did })).rows[0];
const waitUser = (did: string, check: (u: Document) => boolean, what: string): Promise<Document> =>
  waitUntil(
    async () => {
      const u = await userOf(did);
      return u !== undefined && check(u) ? u : undefined;
    },
    20_000,
    what,
  );

async function sdkRequest(deviceId: string, params: Record<string, unknown>): Promise<void> {
  const url = new URL('/i', tally.url);
  for (const [k, v] of Object.entries({ app_key: app.key, device_id: deviceId, ...params }))
    url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(url);
  expect(res.status).toBe(200);
}

const versionCollection = async (logical: string, version: number): Promise<Document[]> =>
  (await readVersion(tally.db, owns, version)).byCollection.get(logical) ?? [];

async function aggregates(version: number): Promise<Record<string, Document[]>> {
  const docs = await readVersion(tally.db, owns, version);
  return Object.fromEntries(AGGREGATE_COLLECTIONS.map((c) => [c, (docs.byCollection.get(c) ?? []).map(({ _g, ...rest }) => rest)]));
}

describe('app users', () => {
  let survivorUid = '';
  let oldUid = '';

  it('users from countly-sdk-nodejs and from raw requests with a merge: history on the survivor, metric changes re-keyed', { timeout: 60_000 }, async () => {
    Countly.init({ app_key: app.key, url: tally.url, device_id: 'sdk-1', storage_path: `${storage}/`, interval: 50, metrics: { _os: 'Linux' } });
    Countly.begin_session(true);
    Countly.add_event({ key: 'purchase', count: 1, sum: 5 });
    Countly.user_details({ name: 'Ada', email: 'ada@example.com', custom: { tier: 'gold' } });
    Countly.end_session(20);
    await waitUser('sdk-1', (u) => u.name === 'Ada' && u.sc === 1, 'the SDK user');

    // raw-old: two sessions two hours apart with a changed app version (a metric change), then merged into raw-new.
    await sdkRequest('raw-old', { begin_session: 1, timestamp: T0, metrics: { _app_version: '1.0' } });
    await sdkRequest('raw-old', { end_session: 1, session_duration: 60, timestamp: T0 + 60 });
    await sdkRequest('raw-old', { begin_session: 1, timestamp: T0 + 7_200, metrics: { _app_version: '2.0' }, events: [{ key: 'buy', count: 2 }] });
    const old = await waitUser('raw-old', (u) => u.sc === 2, 'raw-old with two sessions');
    oldUid = String(old.uid);
    const changes = await waitUntil(
      async () => {
        const docs = await versionCollection(`metric_changes${app._id}`, 1);
        return docs.length > 0 ? docs : undefined;
      },
      20_000,
      'a metric change',
    );
    expect(changes.map((c): unknown => c.uid)).toEqual([oldUid]);
    await sdkRequest('raw-new', { begin_session: 1, timestamp: T0 + 8_000 });
    await sdkRequest('raw-new', { old_device_id: 'raw-old', timestamp: T0 + 8_100 });
    const survivor = await waitUser('raw-new', (u) => u.merges === 1, 'the merge');
    survivorUid = String(survivor.uid);
    expect(survivor.merge_history).toEqual([expect.objectContaining({ uid: oldUid, did: 'raw-old', into: survivorUid, ts: T0 + 8_100 })]);
    expect(await userOf('raw-old')).toBeUndefined();
    // §6.4 step 4: the old uid's metric change now belongs to the survivor.
    await waitUntil(
      async () => ((await versionCollection(`metric_changes${app._id}`, 1)).every((c) => c.uid === survivorUid) ? true : undefined),
      20_000,
      'metric changes re-keyed',
    );
  });

  it('create: every message, then the stored document with a uid from the sequence', async () => {
    const refusals: [Record<string, unknown>, number, string][] = [
      [{ app_id: '' }, 400, 'Missing parameter "app_id"'],
      [{}, 400, 'Missing parameter "data"'],
      [{ data: '{bad' }, 400, 'Could not parse parameter "data": {bad'],
      [{ data: {} }, 400, 'Parameter "data" cannot be empty'],
      [{ data: { name: 'x' } }, 400, 'Provide device_id as did property for data'],
      [
        { data: { did: 'made-9', _id: 'abc' } },
        400,
        `Based on app key and device_id, provided _id property should be ${appUserId(app.key, 'made-9')}. Do not provide _id if you want api to use correct one`,
      ],
      [{ data: { did: 'sdk-1' } }, 400, 'User with this did already exists'],
      [{ data: { did: 'made-9', $where: 1 } }, 400, 'Field "$where" cannot be written'],
      [{ data: { did: 'made-9' }, app_id: 'ffffffffffffffffffffffff' }, 401, 'App does not exist'],
    ];
    for (const [params, status, text] of refusals) {
      const res = await call('/i/app_users/create', params);
      expect({ params, status: res.status, result: resultOf(res) }).toEqual({ params, status, result: text });
    }
    const reader = await createMemberViaApi(tally.url, adminKey, { username: 'reader', email: 'reader@example.com' });
    const noRight = await apiGet(tally.url, '/i/app_users/create', { api_key: reader.api_key, app_id: app._id, data: { did: 'made-9' } });
    expect({ status: noRight.status, result: resultOf(noRight) }).toEqual({ status: 401, result: 'User does not have right' });

    const uids = new Set<string>();
    for (const n of [1, 2, 3]) {
      const res = await call('/i/app_users/create', { data: { did: `made-${n}`, name: `Made ${n}`, custom: { x: n } } });
      expect(res.status).toBe(200);
      const text = String(resultOf(res));
      expect(text.startsWith('User Created: ')).toBe(true);
      const doc: unknown = JSON.parse(text.slice('User Created: '.length));
      expect(doc).toMatchObject({ _id: appUserId(app.key, `made-${n}`), did: `made-${n}`, name: `Made ${n}`, custom: { x: n }, uid: expect.any(String) });
      uids.add(String(at(doc, 'uid')));
    }
    const given = await call('/i/app_users/create', { data: { did: 'made-4', uid: 'own-uid' } });
    expect(String(resultOf(given))).toContain('"uid":"own-uid"');
    expect(uids.size).toBe(3);
    for (const uid of [survivorUid, oldUid]) expect(uids.has(uid)).toBe(false);
  });

  it('search: filtered, sorted, paged, with counts; a did is found by its _id', async () => {
    const all = await list({});
    expect(all.total).toBe(6); // sdk-1, raw-new, made-1..4
    const page1 = await list({ 'custom.x': { $gte: 1 } }, { sort: { 'custom.x': -1 }, iDisplayLength: 2, iDisplayStart: 0, sEcho: '3' });
    expect({ shown: page1.shown, dids: page1.rows.map((r): unknown => r.did) }).toEqual({ shown: 3, dids: ['made-3', 'made-2'] });
    const page2 = await list({ 'custom.x': { $gte: 1 } }, { sort: { 'custom.x': -1 }, limit: 2, skip: 2 });
    expect(page2.rows.map((r): unknown => r.did)).toEqual(['made-1']);
    expect((await list({ 'custom.tier': 'gold' })).rows.map((r): unknown => r.did)).toEqual(['sdk-1']);
    const search = await list({}, { sSearch: 'made', sort: { did: 1 } });
    expect(search.rows.map((r): unknown => r.did)).toEqual(['made-1', 'made-2', 'made-3', 'made-4']);
  });

  it('update: every message; allowed operators applied by the fold, one user or all with force', { timeout: 30_000 }, async () => {
    const refusals: [Record<string, unknown>, string][] = [
      [{ query: { did: 'made-1' } }, 'Missing parameter "update"'],
      [{ update: '{x', query: { did: 'made-1' } }, 'Could not parse parameter "update": {x'],
      [{ update: {}, query: { did: 'made-1' } }, 'Parameter "update" cannot be empty'],
      [{ update: { $set: { a: 1 } } }, 'Missing parameter "query"'],
      [{ update: { $set: { a: 1 } }, query: '{x' }, 'Could not parse parameter "query": {x'],
      [{ update: { $set: { a: 1 } }, query: { did: 'nobody' } }, 'No users matching criteria'],
      [{ update: { $set: { a: 1 } }, query: { 'custom.x': { $gte: 1 } } }, 'This query would update more than one user'],
      [{ update: { name: 'A' }, query: { did: 'made-1' } }, 'Unkown modifier name in {"name":"A"} for {"did":"made-1"}'],
      [{ update: { $rename: { name: 'n' } }, query: { did: 'made-1' } }, 'Operator "$rename" is not allowed in "update"'],
      [{ update: { $set: { uid: 'x' } }, query: { did: 'made-1' } }, 'Field "uid" cannot be written'],
    ];
    for (const [params, text] of refusals) {
      const res = await call('/i/app_users/update', params);
      expect({ params, status: res.status, result: resultOf(res) }).toEqual({ params, status: 400, result: text });
    }
    const one = await call('/i/app_users/update', { update: { $set: { name: 'Renamed' }, $inc: { 'custom.x': 10 } }, query: { did: 'made-1' } });
    expect({ status: one.status, result: resultOf(one) }).toEqual({ status: 200, result: 'User Updated' });
    await waitUser('made-1', (u) => u.name === 'Renamed' && at(u, 'custom', 'x') === 11, 'made-1 updated');
    const many = await call('/i/app_users/update', { update: { $addToSet: { tags: 'vip' } }, query: { did: { $in: ['made-2', 'made-3'] } }, force: true });
    expect(many.status).toBe(200);
    for (const did of ['made-2', 'made-3']) await waitUser(did, (u) => JSON.stringify(u.tags) === '["vip"]', `${did} tagged`);
    expect((await userOf('made-4'))?.tags).toBeUndefined();
  });

  it('refused updates, queries and hostile operators reach no database command', async () => {
    const updates: Record<string, unknown>[] = [
      { update: { $where: { a: 1 } }, query: { did: 'made-1' } },
      { update: { $currentDate: { a: true } }, query: { did: 'made-1' } },
      { update: { $set: { 'a.$b': 1 } }, query: { did: 'made-1' } },
      { update: { $set: { _s: 0 } }, query: { did: 'made-1' } },
      { update: { name: 1 }, query: { did: 'made-1' } },
    ];
    const hostileQueries: unknown[] = [{ $where: 'sleep(1000)' }, { did: { $function: 'x' } }, { $expr: { $eq: ['$did', 'x'] } }, { 'a.$b': 1 }];
    const attempts: [string, Record<string, unknown>][] = [
      ...updates.map((p): [string, Record<string, unknown>] => ['/i/app_users/update', p]),
      ...hostileQueries.map((q): [string, Record<string, unknown>] => ['/i/app_users/update', { update: { $set: { a: 1 } }, query: q }]),
      ...hostileQueries.map((q): [string, Record<string, unknown>] => ['/i/app_users/delete', { query: q }]),
    ];
    const answers: { path: string; params: Record<string, unknown>; status: number }[] = [];
    commands.length = 0;
    for (const [path, params] of attempts) {
      const query = new URLSearchParams({ api_key: adminKey, app_id: app._id });
      for (const [k, v] of Object.entries(params)) query.set(k, JSON.stringify(v));
      const res = await watchedApi.inject({ method: 'GET', url: `${path}?${query.toString()}` });
      answers.push({ path, params, status: res.statusCode });
    }
    expect(answers.filter((a) => a.status !== 400)).toEqual([]);
    expect(commands.map((c) => c.commandName)).toEqual([]);
  });

  it('delete: every message; the user and its per-user documents go, the uid is logged, aggregates stay', { timeout: 30_000 }, async () => {
    const refusals: [Record<string, unknown>, string][] = [
      [{}, 'Missing parameter "query"'],
      [{ query: {} }, 'Parameter "query" cannot be empty, it would delete all users. Use clear app instead'],
      [{ query: { did: 'nobody' } }, 'No users matching criteria'],
      [{ query: { 'custom.x': { $gte: 1 } } }, 'This query would delete more than one user'],
    ];
    for (const [params, text] of refusals) {
      const res = await call('/i/app_users/delete', params);
      expect({ params, status: res.status, result: resultOf(res) }).toEqual({ params, status: 400, result: text });
    }
    const before = await aggregates(1);
    expect(before.users?.length).toBeGreaterThan(0);
    const res = await call('/i/app_users/delete', { query: { uid: survivorUid } });
    expect({ status: res.status, result: resultOf(res) }).toEqual({ status: 200, result: 'User deleted' });
    // Answered once folded: gone from every read at once.
    expect(await userOf('raw-new')).toBeUndefined();
    expect((await list({})).rows.map((r): unknown => r.did).sort()).toEqual(['made-1', 'made-2', 'made-3', 'made-4', 'sdk-1']);
    expect(await versionCollection(`metric_changes${app._id}`, 1)).toEqual([]);
    expect((await versionCollection('app_user_merges', 1)).filter((m) => String(m._id).startsWith(app._id))).toEqual([]);
    const tombstones = await readTombstones(tally.db, app._id);
    expect(tombstones).toEqual([
      {
        appId: app._id,
        uid: survivorUid,
        devices: [
          { did: 'raw-new', before: expect.any(Number) },
          { did: 'raw-old', before: expect.any(Number) },
        ],
      },
    ]);
    expect(await aggregates(1)).toEqual(before);
    const forced = await call('/i/app_users/delete', { query: { did: { $in: ['made-3', 'made-4'] } }, force: true });
    expect(forced.status).toBe(200);
    expect((await list({})).rows.map((r): unknown => r.did).sort()).toEqual(['made-1', 'made-2', 'sdk-1']);
  });

  it('the erasure check flags exactly the erased person’s raw events', async () => {
    const events: TallyEvent[] = await readEvents(tally.jsm, config.streams);
    const index = erasureIndex(await readTombstones(tally.db, app._id));
    const deviceOf = (e: TallyEvent): string => (e.type === 'AppDataReset' ? '' : e.deviceId);
    const erased = events.filter((e) => e.type !== 'AppDataReset' && isErased(index, { appId: e.appId, deviceId: e.deviceId, seq: e.seq }));
    const expected = events.filter((e) => {
      if (e.type === 'AppDataReset') return false;
      if (['raw-old', 'raw-new'].includes(e.deviceId)) return e.type !== 'AppUserDeleted' || e.deviceId !== 'raw-new';
      return ['made-3', 'made-4'].includes(e.deviceId) && e.type !== 'AppUserDeleted';
    });
    expect(erased.map((e) => [e.seq, deviceOf(e), e.type])).toEqual(expected.map((e) => [e.seq, deviceOf(e), e.type]));
  });

  it('export paths answer that they are not available yet; unknown sub-paths answer Countly’s text', async () => {
    for (const path of ['/i/app_users/export', '/i/app_users/deleteExport/appUser_x_1', '/o/app_users/download/appUser_x_1']) {
      const res = await call(path, { query: { uid: '1' } });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(String(resultOf(res))).toContain('not available yet');
    }
    for (const path of ['/i/app_users/nope', '/o/app_users/nope']) {
      const res = await call(path, {});
      expect({ path, status: res.status, result: resultOf(res) }).toEqual({ path, status: 400, result: 'Invalid path, must be one of /all or /me' });
    }
  });

  it('a rebuild of every projection keeps the erased users absent and the aggregates unchanged', { timeout: 120_000 }, async () => {
    const live = await readVersion(tally.db, owns, 1);
    const deps = { config, log: pino({ level: 'silent' }), db: tally.db, nc: tally.nc, js: tally.js, jsm: tally.jsm };
    const v2 = await startRebuild({ deps, pipeline: corePipeline });
    expect(await v2.done).toMatchObject({ version: 2, state: 'switched' });
    const rebuilt = await readVersion(tally.db, owns, 2);
    const strip = (docs: Document[] | undefined) => (docs ?? []).map(({ _g, ...rest }) => rest);
    for (const logical of [...AGGREGATE_COLLECTIONS, `app_users${app._id}`, `metric_changes${app._id}`, APP_USER_DELETIONS]) {
      expect({ logical, docs: strip(rebuilt.byCollection.get(logical)) }).toEqual({ logical, docs: strip(live.byCollection.get(logical)) });
    }
    const dids = strip(rebuilt.byCollection.get(`app_users${app._id}`)).map((u): unknown => u.did);
    expect(dids.sort()).toEqual(['made-1', 'made-2', 'sdk-1']);
    expect((await list({})).rows.map((r): unknown => r.did).sort()).toEqual(['made-1', 'made-2', 'sdk-1']);
  });
});
