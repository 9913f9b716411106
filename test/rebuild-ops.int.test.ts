// Rebuild operations: refusal when retention has removed events, `--from` as an explicit
// choice, rights on the HTTP routes, rollback to the previous version, a base version, pruning.
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { corePipeline, describeProjection, pruneProjection, RebuildRefusedError, rollbackProjection, startRebuild } from '../processors/index.ts';
import { listCheckpoints, listVersionCollections, readPointer } from '../projections/index.ts';
import { eventsStreamName } from '../streams.config.ts';
import { apiGet, createMemberViaApi } from './support/api-client.ts';
import { adminApiKey, createApp, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { mixedTraffic } from './support/mixed-traffic.ts';
import { publishMessages, readVersion, waitForVersion } from './support/versions.ts';
import { waitUntil } from './support/wait.ts';

const config = testConfig({ streams: { partitionGroups: 2, partitions: 4 }, consumers: { pinnedTtlMs: 1_500 }, rebuild: { progressEveryMs: 200 } });
const owns = (logical: string) => corePipeline.owns(logical);
let tally: TestTally;
let adminKey: string;

beforeAll(async () => {
  tally = await startTestTally({ config });
  adminKey = await adminApiKey(tally.url);
  const app = await createApp(tally.url, adminKey, { name: 'ops', timezone: 'Europe/Berlin' });
  await publishMessages(
    tally.js,
    mixedTraffic(config.streams, { apps: [app], devicesPerApp: 20, requests: 120, seed: 3, startS: 1_730_000_000, days: 2, v0Every: 0 }),
  );
  await waitForVersion(tally.db, tally.jsm, config.streams, 'core', 1, 120_000);
}, 180_000);
afterAll(async () => {
  await tally.destroy();
});

const log = pino({ level: 'silent' });
const deps = () => ({ config, log, db: tally.db, nc: tally.nc, js: tally.js, jsm: tally.jsm });

it('refuses routes to members who are not global admins', async () => {
  const member = await createMemberViaApi(tally.url, adminKey, { full_name: 'Reader', username: 'reader', password: 'Re@der#123', email: 'r@example.com' });
  for (const path of ['/o/system/rebuilds', '/i/system/rebuild']) {
    const res = await apiGet(tally.url, path, { api_key: member.api_key, action: 'start', projection: 'core' });
    expect({ path, status: res.status }).toEqual({ path, status: 401 });
  }
  const bad = await apiGet(tally.url, '/i/system/rebuild', { api_key: adminKey, action: 'start', projection: 'sessions$' });
  expect(bad).toMatchObject({ status: 400, body: { result: 'Invalid parameter "projection"' } });
  const none = await apiGet(tally.url, '/i/system/rebuild', { api_key: adminKey, action: 'cancel', projection: 'core' });
  expect(none).toMatchObject({ status: 404, body: { result: 'No rebuild of core is running' } });
});

it('refuses a rebuild of the live version as its own base', async () => {
  await expect(startRebuild({ deps: deps(), pipeline: corePipeline, start: { base: 1 } })).rejects.toThrow(/version 1 is live/);
});

it('builds version 2, rolls back to 1, rebuilds 3 onto the frozen 2, and prunes', { timeout: 120_000 }, async () => {
  // 1. A full rebuild switches readers to version 2.
  const v2 = await startRebuild({ deps: deps(), pipeline: corePipeline });
  expect(await v2.done).toMatchObject({ version: 2, state: 'switched', switchedFrom: 1 });
  // 2. Rollback points readers at version 1 again.
  expect(await rollbackProjection(deps(), corePipeline)).toEqual({ from: 2, to: 1 });
  expect(await readPointer(tally.db, 'core')).toMatchObject({ active: 1, previous: 2 });
  // 3. Version 3 starts from version 2's documents and checkpoints and folds nothing twice.
  const v3 = await startRebuild({ deps: deps(), pipeline: corePipeline, start: { base: 2 } });
  expect(await v3.done).toMatchObject({ version: 3, base: 2, state: 'switched', switchedFrom: 1 });
  const [two, three] = [await readVersion(tally.db, owns, 2), await readVersion(tally.db, owns, 3)];
  expect(three.byCollection).toEqual(two.byCollection);
  // 4. Prune keeps only the active version 3, once the live processors have followed it.
  await waitUntil(
    () => Promise.resolve(tally.processors?.status().every((s) => s.durable.includes('_core_v3_')) === true ? true : undefined),
    10_000,
    'processors on v3',
  );
  const info = await describeProjection(deps(), corePipeline);
  expect(info.versions.map((v) => [v.version, v.role])).toEqual([
    [1, 'previous'],
    [2, 'inactive'],
    [3, 'active'],
  ]);
  expect(await pruneProjection(deps(), corePipeline)).toEqual([1, 2]);
  expect([...(await listVersionCollections(tally.db, owns)).keys()]).toEqual([3]);
  expect((await listCheckpoints(tally.db, 'core:v')).map((c) => c._id).sort()).toEqual(['core:v3:g0', 'core:v3:g1']);
});

it('refuses a rebuild from the start once retention removed events, over the CLI path and HTTP', { timeout: 120_000 }, async () => {
  const stream = eventsStreamName(config.streams);
  await tally.jsm.streams.purge(stream, { seq: 21 });
  const first = (await tally.jsm.streams.info(stream)).state.first_seq;
  expect(first).toBe(21);
  const refused = startRebuild({ deps: deps(), pipeline: corePipeline });
  await expect(refused).rejects.toBeInstanceOf(RebuildRefusedError);
  await expect(refused).rejects.toThrow(/stream starts at sequence 21: events 1–20 have aged out/);
  const http = await apiGet(tally.url, '/i/system/rebuild', { api_key: adminKey, action: 'start', projection: 'core' });
  expect(http.status).toBe(400);
  expect(String((http.body as { result?: string }).result)).toContain('would silently produce partial history');
  // An explicit --from at the first held sequence is a choice, not a silent loss.
  const partial = await startRebuild({ deps: deps(), pipeline: corePipeline, start: { from: { seq: first } } });
  expect(await partial.done).toMatchObject({ version: 4, fromSeq: 21, state: 'switched' });
});

it('takes its lease again when this process stalled past the lease TTL, and still switches', { timeout: 120_000 }, async () => {
  const first = (await tally.jsm.streams.info(eventsStreamName(config.streams))).state.first_seq;
  const lines: string[] = [];
  const captured = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const rebuild = await startRebuild({ deps: { ...deps(), log: captured }, pipeline: corePipeline, start: { from: { seq: first } } });
  // 1. Block this process (the rebuild runs in it) for twice the lease TTL: no refresh can run,
  //    so the rebuild lease and the group leases all age out.
  const until = Date.now() + 2 * config.consumers.pinnedTtlMs;
  while (Date.now() < until) Math.sqrt(Date.now());
  // 2. The rebuild takes its lease again instead of failing, and its groups carry on.
  expect(await rebuild.done).toMatchObject({ version: 5, state: 'switched', error: null });
  expect(lines.map((l) => (JSON.parse(l) as { msg?: string }).msg)).toContain('rebuild lease refreshed late; taken again');
});
