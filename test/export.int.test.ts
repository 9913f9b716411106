// Exports (spec §8, §7.2) against a real server: every endpoint, type and refusal text; CSV and
// JSON compared cell by cell with the documents this test inserted; XLSX read back by openpyxl
// (not exceljs); member rights per collection; hostile queries that never reach MongoDB and a
// hang-up that stops the cursor (command monitor on the API's own client); exports as tasks.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { MongoClient, ObjectId, type CommandStartedEvent, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/index.ts';
import { deleteExportFile, exportFileWriter, LONG_TASKS, readExportFile } from '../projections/index.ts';
import { createLogger } from '../scripts/logger.ts';
import { adminAndApp, apiGet, createMemberViaApi, resultOf, type Answer, type Member } from './support/api-client.ts';
import { download, parseCsv, readThenHangUp, readXlsxWithOpenpyxl } from './support/export-files.ts';
import { createApp, LogCapture, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { send } from './support/ingest-client.ts';
import { processedThroughHead } from './support/processed.ts';
import { waitUntil } from './support/wait.ts';

/** `api.exportLimit` of this instance, below the size of the big collection. */
const EXPORT_LIMIT = 1_200;
const BIG_ROWS = 1_300;
/** 20 KB per document: 1,200 of them (24 MB) are more than the sockets between server and client buffer. */
const PAD = 'x'.repeat(20_000);

let tally: TestTally;
let adminKey = '';
let appA = { _id: '', key: '' };
let appB = '';
let reader: Member;
let client: MongoClient | undefined;
let monitored: FastifyInstance | undefined;
let monitoredUrl = '';
const commands: CommandStartedEvent[] = [];
/** Documents each find or getMore on the big collection returned. */
const replies: number[] = [];

const ID_1 = new ObjectId('65a0000000000000000000a1');
const ID_2 = new ObjectId('65a0000000000000000000a2');
const ID_3 = new ObjectId('65a0000000000000000000a3');
/** The documents of `app_users<appA>`: unicode, quotes, newlines, nested objects, arrays, injection-looking strings. */
const DOCS: Document[] = [
  { _id: ID_1, name: 'Émile "the \'quoted\'" Zoë', n: 1, ok: true, note: 'line 1\nline 2\r\nend', custom: { plan: 'pro', seats: { used: 3 } } },
  {
    _id: ID_2,
    name: '=HYPERLINK("http://x")',
    n: -2.5,
    ok: false,
    tags: ['a', 'b, c', 3],
    formula: '+1',
    at: '@SUM(A1)',
    dash: '-1',
    tab: '\tcmd',
    cr: '\rcmd',
  },
  { _id: ID_3, name: '日本語 🎉', n: 0, ok: null, list: [{ k: 'v' }, { m: [1, 2] }], custom: { plan: 'free' } },
];

/** What each document becomes, flattened (spec §8), written out by hand. */
const FLAT: Record<string, unknown>[] = [
  {
    _id: ID_1.toHexString(),
    name: 'Émile "the \'quoted\'" Zoë',
    n: 1,
    ok: true,
    note: 'line 1\nline 2\r\nend',
    custom_plan: 'pro',
    custom_seats_used: 3,
  },
  {
    _id: ID_2.toHexString(),
    name: '`=HYPERLINK("http://x")',
    n: -2.5,
    ok: false,
    tags: 'a, b, c, 3',
    formula: '`+1',
    at: '`@SUM(A1)',
    dash: '`-1',
    tab: '`\tcmd',
    cr: '`\rcmd',
  },
  { _id: ID_3.toHexString(), name: '日本語 🎉', n: 0, ok: null, list_0: '{"k":"v"}', list_1: '{"m":[1,2]}', custom_plan: 'free' },
];
/** Columns in first-seen order, as the header lists them. */
const COLUMNS = ['_id', 'name', 'n', 'ok', 'note', 'custom_plan', 'custom_seats_used', 'tags', 'formula', 'at', 'dash', 'tab', 'cr', 'list_0', 'list_1'];

const usersOf = (appId: string): string => `app_users${appId}`;
const tasks = () => tally.db.collection<{ _id: string; [field: string]: unknown }>(LONG_TASKS);
const exportDb = (params: Record<string, unknown>, key = adminKey) => download(tally.url, '/o/export/db', { api_key: key, ...params });
const sortById = { _id: 1 };

/** A CSV cell as the test expects it on the wire (after parsing): null → '', others → text. */
const csvText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

async function monitoredGet(params: Record<string, unknown>): Promise<Answer> {
  const res = await apiGet(monitoredUrl, '/o/export/db', { api_key: adminKey, ...params });
  return res;
}

beforeAll(async () => {
  tally = await startTestTally({ config: testConfig({ api: { exportLimit: EXPORT_LIMIT } }) });
  const setup = await adminAndApp(tally.url, { timezone: 'Africa/Abidjan' });
  adminKey = setup.adminKey;
  appA = setup.app;
  appB = (await createApp(tally.url, adminKey, { name: 'Other', timezone: 'Africa/Abidjan' }))._id;
  reader = await createMemberViaApi(tally.url, adminKey, { username: 'reader', email: 'reader@example.com', user_of: [appA._id] });
  await tally.db.collection(usersOf(appA._id)).insertMany(DOCS.map((d) => ({ ...d })));
  await tally.db
    .collection<{ _id: string }>(usersOf(appB))
    .insertMany(Array.from({ length: BIG_ROWS }, (_, i) => ({ _id: `u${String(i).padStart(5, '0')}`, i, pad: PAD })));
  const mc = new MongoClient(tally.config.mongodbUrl ?? '', { monitorCommands: true });
  client = mc;
  mc.on('commandStarted', (e) => commands.push(e));
  mc.on('commandSucceeded', (e) => {
    const reply: unknown = e.reply;
    const cursor: unknown = typeof reply === 'object' && reply !== null && 'cursor' in reply ? reply.cursor : undefined;
    if (typeof cursor !== 'object' || cursor === null || !('ns' in cursor) || !String(cursor.ns).endsWith(usersOf(appB))) return;
    const batch = 'firstBatch' in cursor ? cursor.firstBatch : 'nextBatch' in cursor ? cursor.nextBatch : [];
    replies.push(Array.isArray(batch) ? batch.length : 0);
  });
  await mc.connect();
  const api = await buildApi({
    config: tally.config,
    db: mc.db(tally.config.mongodbDb),
    nc: tally.nc,
    js: tally.js,
    log: createLogger(tally.config, new LogCapture()),
  });
  monitored = api;
  await api.listen({ port: 0, host: '127.0.0.1' });
  monitoredUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await monitored?.close();
  await client?.close();
  await tally?.destroy();
});

describe('/o/export/db: JSON and stream', () => {
  for (const type of ['json', 'stream'] as const) {
    it(`type=${type}: every document as inserted, ObjectIds as hex, with Countly's headers`, async () => {
      const res = await exportDb({ collection: usersOf(appA._id), type, sort: sortById });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const day = /_exported_on_\d{2}-[A-Z][a-z]{2}-\d{4}\.json$/;
      expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment;filename=App_users${appA._id}${day.source}`));
      const expected = DOCS.map((d) => ({ ...d, _id: (d._id as ObjectId).toHexString() }));
      expect(JSON.parse(res.bytes.toString('utf8'))).toEqual(expected);
    });
  }

  it('query with "__REGEXP /re/flags", an _id hex string, sort, skip and limit; file name with paging', async () => {
    const byRegex = await exportDb({ collection: usersOf(appA._id), query: { name: '__REGEXP /^émile/i' } });
    expect((JSON.parse(byRegex.bytes.toString('utf8')) as Document[]).map((d): unknown => d._id)).toEqual([ID_1.toHexString()]);
    const byId = await exportDb({ collection: usersOf(appA._id), query: { _id: ID_3.toHexString() } });
    expect((JSON.parse(byId.bytes.toString('utf8')) as Document[]).map((d): unknown => d.name)).toEqual(['日本語 🎉']);
    const page = await exportDb({ collection: usersOf(appA._id), sort: { n: -1 }, skip: '1', limit: '1', filename: 'my file' });
    expect((JSON.parse(page.bytes.toString('utf8')) as Document[]).map((d): unknown => d.n)).toEqual([0]);
    expect(page.headers['content-disposition']).toBe('attachment;filename=my%20file.json');
    const paged = await exportDb({ collection: usersOf(appA._id), skip: '1', limit: '2' });
    expect(paged.headers['content-disposition']).toMatch(/^attachment;filename=App_users[0-9a-f]{24}_from_1_to_3_exported_on_/);
  });

  it(`limit is capped at api.exportLimit (${EXPORT_LIMIT})`, async () => {
    const res = await exportDb({ collection: usersOf(appB), limit: '100000', projection: { i: 1 }, type: 'csv' });
    const rows = parseCsv(res.bytes.toString('utf8'));
    expect(rows[0]).toEqual(['i']);
    expect(rows.length - 1).toBe(EXPORT_LIMIT);
  });
});

describe('/o/export/db: CSV and XLSX cells', () => {
  it('CSV without a projection: flattened rows with the columns seen so far, the header last, CRLF', async () => {
    const res = await exportDb({ collection: usersOf(appA._id), type: 'csv', sort: sortById });
    expect(res.headers['content-type']).toBe('text/csv');
    expect(res.headers['content-disposition']).toMatch(/\.csv$/);
    const text = res.bytes.toString('utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows.at(-1)).toEqual(COLUMNS);
    let seen = 0;
    FLAT.forEach((flat, r) => {
      seen = Math.max(seen, ...Object.keys(flat).map((k) => COLUMNS.indexOf(k) + 1));
      expect(rows[r]).toEqual(COLUMNS.slice(0, seen).map((c) => csvText(flat[c])));
    });
    // Numbers and booleans bare, strings quoted (the raw text shows it).
    expect(text).toContain(`\r\n"${ID_2.toHexString()}","\`=HYPERLINK(""http://x"")",-2.5,false,`);
  });

  it('CSV with a projection: the header first in projection order, cells by dotted path', async () => {
    const res = await exportDb({ collection: usersOf(appA._id), type: 'csv', sort: sortById, projection: { 'custom.plan': 1, name: 1, tags: 1 } });
    const rows = parseCsv(res.bytes.toString('utf8'));
    expect(rows).toEqual([
      ['custom.plan', 'name', 'tags'],
      ['pro', FLAT[0]!.name, ''],
      ['', FLAT[1]!.name, 'a, b, c, 3'],
      ['free', FLAT[2]!.name, ''],
    ]);
  });

  for (const type of ['xlsx', 'xls'] as const) {
    it(`type=${type}: an XLSX workbook that openpyxl reads back with typed cells, header last`, async () => {
      const res = await exportDb({ collection: usersOf(appA._id), type, sort: sortById });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.ms-excel');
      expect(res.headers['content-disposition']).toMatch(new RegExp(`\\.${type}$`));
      const rows = readXlsxWithOpenpyxl(res.bytes);
      expect(rows.at(-1)).toEqual(COLUMNS);
      let seen = 0;
      FLAT.forEach((flat, r) => {
        seen = Math.max(seen, ...Object.keys(flat).map((k) => COLUMNS.indexOf(k) + 1));
        // XML has no carriage return in text: the writer turns \r\n and \r into \n (docs/countly-differences.md).
        const expected = COLUMNS.slice(0, seen).map((c) => {
          const v = flat[c] ?? null;
          return typeof v === 'string' ? v.replace(/\r\n?/g, '\n') : v;
        });
        while (expected.length > 0 && expected.at(-1) === null) expected.pop();
        expect(rows[r]).toEqual(expected);
      });
    });
  }

  it('XLSX with a projection: header first', async () => {
    const res = await exportDb({ collection: usersOf(appA._id), type: 'xlsx', sort: sortById, projection: { n: 1, ok: 1 } });
    expect(readXlsxWithOpenpyxl(res.bytes)).toEqual([['n', 'ok'], [1, true], [-2.5, false], [0]]);
  });
});

describe('/o/export/db: refusals', () => {
  it("Countly's texts: no credentials, no collection, a query that is not JSON", async () => {
    const none = await apiGet(tally.url, '/o/export/db', { collection: usersOf(appA._id) });
    expect({ status: none.status, result: resultOf(none) }).toEqual({ status: 400, result: 'Missing parameter "api_key" or "auth_token"' });
    const missing = await apiGet(tally.url, '/o/export/db', { api_key: adminKey });
    expect({ status: missing.status, result: resultOf(missing) }).toEqual({ status: 400, result: 'Missing parameter "collection"' });
    const bad = await apiGet(tally.url, '/o/export/db', { api_key: adminKey, collection: usersOf(appA._id), query: '{"a":' });
    expect(bad.status).toBe(400);
    expect(String(resultOf(bad))).toMatch(/^Failed to parse query\. /);
    const path = await apiGet(tally.url, '/o/export/nothing', { api_key: adminKey });
    expect({ status: path.status, result: resultOf(path) }).toEqual({ status: 400, result: 'Invalid path' });
  });

  it('a member reads the collections of apps it can read, and gets 401 for the others', async () => {
    const own = await exportDb({ collection: usersOf(appA._id), sort: sortById }, reader.api_key);
    expect(own.status).toBe(200);
    expect((JSON.parse(own.bytes.toString('utf8')) as unknown[]).length).toBe(DOCS.length);
    for (const collection of [usersOf(appB), 'users_v1', 'apps', 'members']) {
      const res = await apiGet(tally.url, '/o/export/db', { api_key: reader.api_key, collection });
      expect({ status: res.status, result: resultOf(res) }, collection).toEqual({ status: 401, result: 'User does not have access right for this collection' });
    }
    // Secrets stay out even for a global admin (docs/countly-differences.md).
    for (const collection of ['members', 'auth_tokens']) expect((await apiGet(tally.url, '/o/export/db', { api_key: adminKey, collection })).status).toBe(401);
  });

  it('$where, $function and unknown operators answer 400 and reach no database command', async () => {
    await monitoredGet({ collection: usersOf(appA._id) }); // warms the member cache
    commands.length = 0;
    const hostile = [
      { $where: 'sleep(100)' },
      { name: { $function: { body: 'return true', args: [], lang: 'js' } } },
      { name: { $foo: 1 } },
      { $expr: { $eq: [1, 1] } },
    ];
    for (const query of hostile) {
      const res = await monitoredGet({ collection: usersOf(appA._id), query });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(String(resultOf(res))).toMatch(/^Operator "\$(where|function|foo|expr)" is not allowed in "query"$/);
    }
    const regex = await monitoredGet({ collection: usersOf(appA._id), query: { name: '__REGEXP /(a+)+$/' } });
    expect(regex.status).toBe(400);
    const touched = commands.filter(
      (e) => String(e.command[e.commandName] ?? '').startsWith('app_users') || /\$(where|function|foo|expr)/.test(JSON.stringify(e.command)),
    );
    expect(touched.map((e) => e.commandName)).toEqual([]);
  });

  it('a client that hangs up stops the cursor: killCursors, and not every document was read', async () => {
    commands.length = 0;
    replies.length = 0;
    const url = `${monitoredUrl}/o/export/db?api_key=${adminKey}&collection=${usersOf(appB)}&type=csv`;
    const read = await readThenHangUp(url, 1, 300);
    expect(read).toBeGreaterThan(0);
    await waitUntil(async () => Promise.resolve(commands.some((e) => e.commandName === 'killCursors') || undefined), 10_000, 'killCursors');
    const served = replies.reduce((n, r) => n + r, 0);
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(EXPORT_LIMIT);
  });
});

describe('/o/export/data', () => {
  const data = [
    { a: 'x', b: { c: 1 } },
    { a: '=1+1', d: [1, 2] },
  ];
  it('json, csv (header first) and xlsx of given data; an object becomes the array of its values', async () => {
    const json = await download(tally.url, '/o/export/data', { api_key: adminKey, data });
    expect(json.headers['content-disposition']).toMatch(/^attachment;filename=Data_export_on_\d{2}-[A-Z][a-z]{2}-\d{4}\.json$/);
    expect(JSON.parse(json.bytes.toString('utf8'))).toEqual(data);
    const csv = await download(tally.url, '/o/export/data', { api_key: adminKey, data: { one: data[0], two: data[1] }, type: 'csv', filename: 'x' });
    expect(csv.headers['content-disposition']).toBe('attachment;filename=x.csv');
    expect(parseCsv(csv.bytes.toString('utf8'))).toEqual([
      ['a', 'b_c', 'd'],
      ['x', '1', ''],
      ['`=1+1', '', '1, 2'],
    ]);
    const xlsx = await download(tally.url, '/o/export/data', { api_key: adminKey, data, type: 'xlsx', columnNames: { b_c: 'C' } });
    expect(readXlsxWithOpenpyxl(xlsx.bytes)).toEqual([
      ['a', 'C', 'd'],
      ['x', 1],
      ['`=1+1', null, '1, 2'],
    ]);
  });

  it('raw=true sends the text as given; refusals', async () => {
    const raw = await download(tally.url, '/o/export/data', { api_key: adminKey, data: 'a,b\r\n1,2\r\n', raw: 'true', type: 'csv' });
    expect(raw.bytes.toString('utf8')).toBe('a,b\r\n1,2\r\n');
    const missing = await apiGet(tally.url, '/o/export/data', { api_key: adminKey });
    expect({ status: missing.status, result: resultOf(missing) }).toEqual({ status: 400, result: 'Missing parameter "data"' });
    const bad = await apiGet(tally.url, '/o/export/data', { api_key: adminKey, data: '[1,' });
    expect({ status: bad.status, result: resultOf(bad) }).toEqual({ status: 400, result: 'Incorrect parameter "data"' });
  });
});

/** October 2024 (UTC days): the sessions this test sends, per day. */
const SESSIONS: readonly [device: string, isoTime: string][] = [
  ['d1', '2024-10-15T10:00:00Z'],
  ['d2', '2024-10-15T11:00:00Z'],
  ['d1', '2024-10-17T08:00:00Z'],
];
const OCTOBER = JSON.stringify([Date.UTC(2024, 9, 1), Date.UTC(2024, 9, 31)]);

describe('/o/export/request and requestQuery: time objects by period bucket, tasks', () => {
  beforeAll(async () => {
    for (const [device, iso] of SESSIONS) {
      const res = await send(tally.url, { query: { app_key: appA.key, device_id: device, begin_session: 1, timestamp: Date.parse(iso) / 1000 } });
      expect(res.status).toBe(200);
    }
    await processedThroughHead(tally);
  });
  const sessionsData = () => ({ method: 'sessions', app_id: appA._id, period: OCTOBER });

  it('path=/o, method=sessions as CSV: one row per day with its counters', async () => {
    const res = await download(tally.url, '/o/export/request', { api_key: adminKey, path: '/o', data: sessionsData(), type: 'csv' });
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment;filename=_o_on_\d{2}-[A-Z][a-z]{2}-\d{4}\.csv$/);
    const rows = parseCsv(res.bytes.toString('utf8'));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    expect(col('period')).toBe(0);
    expect(rows.slice(1).map((r) => [r[col('period')], r[col('t')], r[col('n')]])).toEqual([
      ['2024-10-15', '2', '2'],
      ['2024-10-17', '1', ''],
    ]);
  });

  it('prop picks a part of the answer; refusals of path', async () => {
    const res = await download(tally.url, '/o/export/request', { api_key: adminKey, path: '/o', data: sessionsData(), prop: '2024.10.15', type: 'json' });
    expect(JSON.parse(res.bytes.toString('utf8'))).toMatchObject({ t: 2, n: 2 });
    const missing = await apiGet(tally.url, '/o/export/request', { api_key: adminKey });
    expect({ status: missing.status, result: resultOf(missing) }).toEqual({ status: 400, result: 'Missing parameter "path"' });
    const write = await apiGet(tally.url, '/o/export/request', { api_key: adminKey, path: '/i/apps/delete', data: { args: { app_id: appB } } });
    expect({ status: write.status, result: resultOf(write) }).toEqual({ status: 400, result: 'Invalid parameter "path"' });
    // The inner read's own refusal comes back as it is.
    const inner = await apiGet(tally.url, '/o/export/request', { api_key: reader.api_key, path: '/o', data: { method: 'sessions', app_id: appB } });
    expect({ status: inner.status, result: resultOf(inner) }).toEqual({ status: 401, result: 'User does not have right' });
  });

  it('requestQuery: a task at once; its file downloads as the same CSV; deleting the file removes it', async () => {
    const direct = await download(tally.url, '/o/export/request', { api_key: adminKey, path: '/o', data: sessionsData(), type: 'csv', filename: 'sessions' });
    const res = await apiGet(tally.url, '/o/export/requestQuery', {
      api_key: adminKey,
      app_id: appA._id,
      path: '/o',
      data: sessionsData(),
      type: 'csv',
      filename: 'sessions',
    });
    expect(res.status).toBe(200);
    const taskId = String((resultOf(res) as { task_id?: unknown }).task_id);
    expect(taskId).toMatch(/^[0-9a-f]{40}$/);
    const task = await waitUntil(
      async () => {
        const doc = await tasks().findOne({ _id: taskId });
        return doc !== null && doc.status !== 'running' ? doc : undefined;
      },
      10_000,
      'task completed',
    );
    expect(task).toMatchObject({
      status: 'completed',
      type: 'tableExport',
      report_name: 'sessions.csv',
      app_id: appA._id,
      gridfs: true,
      hasData: true,
      global: false,
    });
    for (const field of [
      'ts',
      'start',
      'end',
      'meta',
      'name',
      'view',
      'request',
      'creator',
      'r_hour',
      'autoRefresh',
      'report_desc',
      'period_desc',
      'manually_create',
      'subtasks',
    ])
      expect(task, field).toHaveProperty(field);
    const stored = JSON.parse(String(task.request)) as { uri: string; method: string; json: Record<string, unknown> };
    expect(stored).toMatchObject({ uri: '/o/export/requestQuery', method: 'POST' });
    expect(stored.json).not.toHaveProperty('api_key');

    const file = await download(tally.url, `/o/export/download/${taskId}`, { api_key: adminKey, app_id: appA._id });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('text/csv');
    expect(file.headers['content-disposition']).toBe('attachment;filename=sessions.csv');
    expect(file.bytes.toString('utf8')).toBe(direct.bytes.toString('utf8'));

    const other = await apiGet(tally.url, `/o/export/download/${taskId}`, { api_key: adminKey, app_id: appB });
    expect({ status: other.status, result: resultOf(other) }).toEqual({ status: 400, result: 'Export stream does not exist' });
    const noRight = await apiGet(tally.url, `/o/export/download/${taskId}`, { api_key: reader.api_key, app_id: appB });
    expect({ status: noRight.status, result: resultOf(noRight) }).toEqual({ status: 401, result: 'User does not have right' });

    await deleteExportFile(tally.db, taskId);
    expect(await tally.db.collection('export_chunks').countDocuments({})).toBe(0);
    const gone = await apiGet(tally.url, `/o/export/download/${taskId}`, { api_key: adminKey, app_id: appA._id });
    expect({ status: gone.status, result: resultOf(gone) }).toEqual({ status: 400, result: 'Export stream does not exist' });
  });

  it('download refusals: Missing filename, Export size is 0', async () => {
    const base = { status: 'completed', app_id: appA._id, creator: 'x', global: true, gridfs: true };
    const noName = 'a'.repeat(40);
    const empty = 'b'.repeat(40);
    await tasks().insertMany([
      { _id: noName, ...base },
      { _id: empty, ...base, report_name: 'empty.json' },
    ]);
    await new Promise<void>((resolve, reject) => exportFileWriter(tally.db, empty, 'empty.json').end(resolve).on('error', reject));
    const a = await apiGet(tally.url, `/o/export/download/${noName}`, { api_key: adminKey, app_id: appA._id });
    expect({ status: a.status, result: resultOf(a) }).toEqual({ status: 400, result: 'Missing filename' });
    const b = await apiGet(tally.url, `/o/export/download/${empty}`, { api_key: adminKey, app_id: appA._id });
    expect({ status: b.status, result: resultOf(b) }).toEqual({ status: 400, result: 'Export size is 0' });
  });

  it('an XLSX task (type_name kept) reads back with openpyxl', async () => {
    const res = await apiGet(tally.url, '/o/export/requestQuery', {
      api_key: adminKey,
      app_id: appA._id,
      path: '/o',
      data: sessionsData(),
      type: 'xlsx',
      filename: 'big',
      type_name: 'sessionsExport',
    });
    const taskId = String((resultOf(res) as { task_id?: unknown }).task_id);
    const task = await waitUntil(
      async () => {
        const doc = await tasks().findOne({ _id: taskId });
        return doc?.status === 'completed' ? doc : undefined;
      },
      10_000,
      'xlsx task',
    );
    expect(task.type).toBe('sessionsExport');
    const file = await download(tally.url, `/o/export/download/${taskId}`, { api_key: adminKey, app_id: appA._id });
    expect(file.headers['content-disposition']).toBe('attachment;filename=big.xlsx');
    const sheet = readXlsxWithOpenpyxl(file.bytes);
    expect(sheet[0]?.[0]).toBe('period');
    expect(sheet.slice(1).map((r) => r[0])).toEqual(['2024-10-15', '2024-10-17']);
  });

  it('a stored file in many bounded chunks reads back byte for byte, each chunk by _id', async () => {
    const id = 'c'.repeat(40);
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => `${i} é🎉\r\n`).join(''));
    const writer = exportFileWriter(tally.db, id, 'many.csv', 4_096);
    await new Promise<void>((resolve, reject) => {
      writer.on('error', reject);
      for (let at = 0; at < bytes.length; at += 1_000) writer.write(bytes.subarray(at, at + 1_000));
      writer.end(resolve);
    });
    const chunks = await tally.db.collection<{ _id: string; data: { buffer: Uint8Array } }>('export_chunks').find({}).toArray();
    const mine = chunks.filter((c) => c._id.startsWith(`${id}:`));
    expect(mine.length).toBe(Math.ceil(bytes.length / 4_096));
    for (const c of mine) expect(c.data.buffer.length).toBeLessThanOrEqual(4_096);
    const parts: Buffer[] = [];
    for await (const part of readExportFile(tally.db, id)) parts.push(part);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    await deleteExportFile(tally.db, id);
    expect((await tally.db.collection<{ _id: string }>('export_chunks').find({}).toArray()).filter((c) => c._id.startsWith(`${id}:`))).toEqual([]);
  });
});
