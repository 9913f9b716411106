// Rebuilds: a new projection version folded from the stream equals the live-built one document
// by document (mixed workload with merges, an app reset, v0 envelopes and injected
// redeliveries), also when the rebuilding process is SIGKILLed and started again; and readers
// never fail or go backwards while a rebuild switches under live traffic.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPrefix, corePipeline } from '../processors/index.ts';
import { listCheckpoints, readPointer, readRebuild } from '../projections/index.ts';
import { consumerName, eventsStreamName } from '../streams.config.ts';
import { apiGet, at } from './support/api-client.ts';
import { adminApiKey, childEnv, createApp, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { rewindGroup } from './support/rewind.ts';
import { mergeTraffic, mixedTraffic, type MixedApp } from './support/mixed-traffic.ts';
import { publishMessages, readVersion, waitForVersion } from './support/versions.ts';
import { waitUntil } from './support/wait.ts';

const GROUPS = 2;
const config = testConfig({
  streams: { partitionGroups: GROUPS, partitions: 8 },
  consumers: { batchSize: 200, pinnedTtlMs: 1_500 },
  rebuild: { batchSize: 500, progressEveryMs: 200, flushShare: 0.8 },
});
const owns = (logical: string) => corePipeline.owns(logical);
let tally: TestTally;
let adminKey: string;
let apps: MixedApp[];

beforeAll(async () => {
  tally = await startTestTally({ config });
  adminKey = await adminApiKey(tally.url);
  apps = [];
  for (const [name, timezone] of [
    ['one', 'America/New_York'],
    ['two', 'Asia/Kolkata'],
    ['three', 'Europe/Berlin'],
  ] as const) {
    apps.push(await createApp(tally.url, adminKey, { name, timezone }));
  }
}, 120_000);
afterAll(async () => {
  await tally.destroy();
});

function rebuildProcess(): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['bin/tally.mjs', 'rebuild', 'core'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Small batches, so the rebuild (about a second at full batch size) is seen part-way.
    env: childEnv(config, { TALLY_REBUILD_BATCH_SIZE: '40' }),
  });
}

async function injectRedeliveries(): Promise<void> {
  const stream = eventsStreamName(config.streams);
  for (let g = 0; g < GROUPS; g++) await rewindGroup(tally.jsm, stream, consumerName(config.streams, 'core_v1', g), 1);
}

describe('rebuild', () => {
  it('rebuilds a version equal to the live one, document by document, across a SIGKILL of the rebuild', { timeout: 300_000 }, async () => {
    // 1. Live processing of a mixed workload, with consumers rewound to 1 twice while it runs.
    const first = mixedTraffic(config.streams, { apps, devicesPerApp: 50, requests: 700, seed: 11, startS: 1_730_000_000, days: 4, v0Every: 7 });
    await publishMessages(tally.js, first.slice(0, 350));
    await injectRedeliveries();
    await publishMessages(tally.js, first.slice(350));
    await injectRedeliveries();
    await waitForVersion(tally.db, tally.jsm, config.streams, 'core', 1, 120_000);
    // 2. Merges, a reset of app three, and more traffic after it.
    await publishMessages(tally.js, mergeTraffic(config.streams, apps, 6, 1_731_100_000, 11));
    await waitForVersion(tally.db, tally.jsm, config.streams, 'core', 1, 60_000);
    const reset = await apiGet(tally.url, '/i/apps/reset', { api_key: adminKey, args: JSON.stringify({ app_id: apps[2]?._id, period: 'reset' }) });
    expect(reset.status).toBe(200);
    await publishMessages(
      tally.js,
      mixedTraffic(config.streams, { apps, devicesPerApp: 30, requests: 300, seed: 12, startS: 1_731_200_000, days: 2, v0Every: 5 }),
    );
    await waitForVersion(tally.db, tally.jsm, config.streams, 'core', 1, 120_000);
    const live = await readVersion(tally.db, owns, 1);
    expect(live.byCollection.get('events_data')?.length ?? 0).toBeGreaterThan(0);
    expect(live.byCollection.get('app_user_merges')?.length).toBe(18); // 6 per app; merge records outlive an app reset

    // 3. A rebuild process is SIGKILLed part-way, then started again: it resumes version 2.
    //    Part-way is read from version 2's checkpoints (the rebuild record's progress is only
    //    written once a second).
    const killed = rebuildProcess();
    const total = (await tally.jsm.streams.info(eventsStreamName(config.streams))).state.messages;
    const partial = await waitUntil(
      async () => {
        const r = await readRebuild(tally.db, 'core');
        const applied = (await listCheckpoints(tally.db, checkpointPrefix(corePipeline.name, 2))).reduce((n, c) => n + c.appliedEvents + c.deadLetters, 0);
        return r !== null && r.state === 'running' && applied > 0 && applied < total / 2 ? r : undefined;
      },
      60_000,
      'the rebuild to be part-way',
    );
    killed.kill('SIGKILL');
    await new Promise((res) => killed.once('exit', res));
    expect(partial.version).toBe(2);
    expect((await readPointer(tally.db, 'core')).active).toBe(1);

    const resumed = rebuildProcess();
    let stderr = '';
    resumed.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((res) => resumed.once('exit', res));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('resuming core version 2');
    expect(stderr).toContain('version 2 is live (was 1)');
    expect(await readPointer(tally.db, 'core')).toMatchObject({ active: 2, previous: 1 });
    expect(await readRebuild(tally.db, 'core')).toMatchObject({ version: 2, state: 'switched', switchedFrom: 1 });

    // 4. The live processors continue version 2 from the rebuild's checkpoints (it switched
    //    within switchLagEvents of the head); then every document of every collection of
    //    version 2 equals version 1's.
    await waitForVersion(tally.db, tally.jsm, config.streams, 'core', 2, 60_000);
    const rebuilt = await readVersion(tally.db, owns, 2);
    expect([...rebuilt.byCollection.keys()].sort()).toEqual([...live.byCollection.keys()].sort());
    for (const [logical, docs] of live.byCollection) expect({ logical, docs: rebuilt.byCollection.get(logical) }).toEqual({ logical, docs });
    expect(rebuilt.documents).toBe(live.documents);

    // 5. An uninterrupted rebuild (version 3) never resumes, so every group knows what it has
    //    written throughout: first writes are inserts and the inputs of documents it never wrote
    //    are not read, across the merges and the reset too. It equals the live version as well.
    const again = rebuildProcess();
    let againErr = '';
    again.stderr?.on('data', (chunk: Buffer) => (againErr += chunk.toString('utf8')));
    expect(await new Promise<number | null>((res) => again.once('exit', res)), againErr).toBe(0);
    expect(againErr).toContain('version 3 is live (was 2)');
    await waitForVersion(tally.db, tally.jsm, config.streams, 'core', 3, 60_000);
    const third = await readVersion(tally.db, owns, 3);
    for (const [logical, docs] of live.byCollection) expect({ logical, docs: third.byCollection.get(logical) }).toEqual({ logical, docs });
    expect(third.documents).toBe(live.documents);
  });

  it('switches under live traffic without a failed or backward read, and loses nothing', { timeout: 300_000 }, async () => {
    const app = await createApp(tally.url, adminKey, { name: 'load', timezone: 'Europe/Berlin' });
    // 1. A load generator begins one session per request on new devices, through HTTP ingest.
    let sent = 0;
    let loading = true;
    const load = (async () => {
      while (loading) {
        const res = await apiGet(tally.url, '/i', { app_key: app.key, device_id: `load-${sent}`, begin_session: 1 });
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
        sent++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // 2. A reader polls the app's total sessions; each answer must be 200 and never below the last.
    const seen: number[] = [];
    let reading = true;
    const total = async () => {
      const res = await apiGet(tally.url, '/o', { api_key: adminKey, app_id: app._id, method: 'sessions', period: 'month' });
      if (res.status !== 200) throw new Error(`read answered ${res.status}: ${res.text}`);
      const t = at(res.body, String(new Date().getUTCFullYear()), 't');
      return typeof t === 'number' ? t : 0;
    };
    const reader = (async () => {
      while (reading) {
        seen.push(await total());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // The reader is stopped and awaited on every path, so a failing step never leaves it polling.
    try {
      try {
        await waitUntil(async () => ((await total()) > 10 ? true : undefined), 60_000, 'live sessions to be visible');

        // 3. Start a rebuild over HTTP; follow it through /o/system/rebuilds until it has switched.
        const next = (await readPointer(tally.db, 'core')).active + 1;
        const started = await apiGet(tally.url, '/i/system/rebuild', { api_key: adminKey, action: 'start', projection: 'core' });
        expect(started.status, started.text).toBe(200);
        expect(started.body).toMatchObject({ result: 'Rebuild started', projection: 'core', version: next });
        const again = await apiGet(tally.url, '/i/system/rebuild', { api_key: adminKey, action: 'start', projection: 'core' });
        expect(again.status).toBe(409);
        await waitUntil(
          async () => {
            const res = await apiGet(tally.url, '/o/system/rebuilds', { api_key: adminKey });
            return at(res.body, 'rebuilds', 0, 'rebuild', 'state') === 'switched' ? true : undefined;
          },
          240_000,
          'the rebuild to switch',
        );
        expect((await readPointer(tally.db, 'core')).active).toBe(next);
        await new Promise((r) => setTimeout(r, 1_000));
      } finally {
        loading = false;
        await load;
      }
      // 4. Live processors follow the pointer and apply the rest to the new version: nothing is lost.
      const next = (await readPointer(tally.db, 'core')).active;
      await waitForVersion(tally.db, tally.jsm, config.streams, 'core', next, 120_000);
      await waitUntil(async () => ((await total()) === sent ? true : undefined), 30_000, `all ${sent} sessions to be visible`);
    } finally {
      reading = false;
      await reader;
    }
    expect(seen.length).toBeGreaterThan(20);
    for (let i = 1; i < seen.length; i++) expect(seen[i], `read ${i} went from ${seen[i - 1]} to ${seen[i]}`).toBeGreaterThanOrEqual(seen[i - 1] ?? 0);
  });
});
