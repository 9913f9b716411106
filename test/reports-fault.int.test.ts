// Fault injection for report jobs: a `tally start --role processor` process is SIGKILLed while it
// folds a report, after at least one checkpoint; another process takes the task's lease,
// resumes from the checkpoint and finishes. The result must equal an uninterrupted run and the
// counts the test computed from the traffic it generated.
import { spawn, type ChildProcess } from 'node:child_process';
import { Kvm } from '@nats-io/kv';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishAll } from '../ingest/index.ts';
import { startReportRunner } from '../processors/index.ts';
import { readReportCheckpoint, readTask, readTaskData } from '../projections/index.ts';
import { loadConfig, reportLeaseBucket, taskLeaseKey } from '../streams.config.ts';
import { adminApiKey, childEnv, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { apiGet, at } from './support/api-client.ts';
import { newApp, type TestApp } from './support/ingest-client.ts';
import { generateTraffic, localDay } from './support/traffic.ts';
import { waitUntil } from './support/wait.ts';

const TIMEZONE = 'America/Sao_Paulo';
const START_S = 1_769_800_000; // 2026-01-30 19:06 UTC: the traffic's four days cross into February in São Paulo.
const DAYS = 4;
const REQUESTS = 6_000;
const REPORTS = { requestThresholdMs: 1, checkpointEveryMs: 150, leaseTtlMs: 1_500, fetchSize: 25, pollEveryMs: 300 };
const config = testConfig({ reports: REPORTS });
let tally: TestTally;
let app: TestApp;
let adminKey: string;
const children = new Set<ChildProcess>();

function startRunnerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['bin/tally.mjs', 'start', '--role', 'processor', '--exit-with-parent'], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: childEnv(config, {
      TALLY_REPORTS_CHECKPOINT_EVERY_MS: String(REPORTS.checkpointEveryMs),
      TALLY_REPORTS_LEASE_TTL_MS: String(REPORTS.leaseTtlMs),
      TALLY_REPORTS_FETCH_SIZE: String(REPORTS.fetchSize),
      TALLY_REPORTS_POLL_EVERY_MS: String(REPORTS.pollEveryMs),
    }),
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

beforeAll(async () => {
  // The API only: no runner in this process until the uninterrupted run at the end.
  tally = await startTestTally({ config, roles: ['api'] });
  adminKey = await adminApiKey(tally.url);
  app = await newApp(tally, { timezone: TIMEZONE });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await tally.destroy();
});

const PARAMS = { event: 'k1', bucket: 'daily', breakdown_by: 'segment', breakdown: 'plan' };
const queue = async (reportName: string): Promise<string> => {
  const res = await apiGet(tally.url, '/o/tally/reports/segmentation', {
    api_key: adminKey,
    app_id: app._id,
    period: JSON.stringify([START_S * 1000, (START_S + DAYS * 86_400) * 1000]),
    report_name: reportName,
    ...PARAMS,
  });
  return String(at(res.body, 'result', 'task_id'));
};
/** Pid of the process holding a task's lease (owner ids are `<pid>-<uuid>`). */
async function leaseOwnerPid(id: string): Promise<number | undefined> {
  const kv = await new Kvm(tally.nc).open(reportLeaseBucket(config.streams));
  const entry = await kv.get(taskLeaseKey(id));
  return entry === null || entry.operation !== 'PUT' ? undefined : Number(entry.string().split('-')[0]);
}
const completed = (id: string) =>
  waitUntil(
    async () => {
      const t = await readTask(tally.db, id, true);
      return t?.status === 'completed' ? t : undefined;
    },
    60_000,
    `task ${id} completed`,
  );

it('a report killed mid-way resumes from its checkpoint in another process and equals an uninterrupted run', { timeout: 120_000 }, async () => {
  const { items, expected } = generateTraffic(config.streams, {
    apps: [{ id: app._id, key: app.key, timezone: TIMEZONE }],
    devicesPerApp: 300,
    requests: REQUESTS,
    eventsPerRequest: 3,
    startS: START_S,
    days: DAYS,
    seed: 16,
  });
  for (let i = 0; i < items.length; i += 2_000) await publishAll(tally.js, items.slice(i, i + 2_000), { timeoutMs: 20_000 });

  // 1. Two runner processes boot (booting is most of the time here); the task is queued; one takes
  //    it and checkpoints at least once, part-way.
  const procs = [startRunnerProcess(), startRunnerProcess()];
  const id = await queue('killed');
  const partWay = await waitUntil(
    async () => {
      const cp = await readReportCheckpoint(tally.db, id);
      return cp !== undefined && !cp.finished && cp.done > 0 ? cp : undefined;
    },
    60_000,
    'a checkpoint part-way',
  );
  // The lease names the process that holds the task: that one is killed.
  const holder = await leaseOwnerPid(id);
  const first = procs.find((p) => p.pid === holder);
  expect(first).toBeDefined();
  first!.kill('SIGKILL');
  await new Promise((r) => first!.once('exit', r));
  // The checkpoint the killed process left (it may have written more after the one we saw).
  const atKill = await readReportCheckpoint(tally.db, id);
  expect(partWay.done).toBeGreaterThan(0);
  expect(atKill?.finished).toBe(false);
  expect(atKill!.done).toBeLessThan(REQUESTS);
  expect((await readTask(tally.db, id))?.status).toBe('running');

  // 2. The other process (the only runner left) takes the lease once it expires and finishes from the checkpoint.
  const resumed = await completed(id);
  const cpAfter = await readReportCheckpoint(tally.db, id);
  expect(cpAfter?.finished).toBe(true);
  expect(resumed.progress?.done).toBe(REQUESTS);
  // Only what the checkpoint did not hold was folded by the second process.
  expect(resumed.progress?.folded).toBe(REQUESTS - atKill!.done);

  // 3. An uninterrupted run of the same report in this process.
  for (const c of children) c.kill('SIGKILL');
  const runner = await startReportRunner({
    ...tally,
    config: loadConfig({ ...config, reports: { ...REPORTS, checkpointEveryMs: 60_000 } }),
    log: pino({ level: 'silent' }),
  });
  try {
    const cleanId = await queue('uninterrupted');
    const clean = await completed(cleanId);
    expect(clean.progress?.folded).toBe(REQUESTS);
    const killedData = JSON.parse((await readTaskData(tally.db, resumed))!) as { series: Record<string, Record<string, { c: number }>> };
    const cleanData = JSON.parse((await readTaskData(tally.db, clean))!) as unknown;
    expect(killedData).toEqual(cleanData);
    // 4. And both match the counts of the generated traffic, per São Paulo day.
    const days = new Set(items.map((it) => localDay(Number(it.event.params.timestamp), TIMEZONE)));
    expect([...days]).toEqual(expect.arrayContaining(['2026.1.31', '2026.2.1']));
    for (const day of days) {
      const c = Object.values(killedData.series[day] ?? {}).reduce((s, cell) => s + cell.c, 0);
      expect(c).toBe(expected.eventCounts.get(`${app._id}|k1|${day}`) ?? 0);
    }
  } finally {
    await runner.stop();
  }
});
