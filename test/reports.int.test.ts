// Long reports and the task manager, driven by countly-sdk-nodejs traffic (its bulk API, backdated
// across the January/February boundary in Asia/Kolkata). Every expected value comes from
// support/reports-model.ts, computed from what the test sent.
import { DeliverPolicy } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoRefreshDue, startReportRunner, type ReportRunner } from '../processors/index.ts';
import { insertTask, readReportCheckpoint, readTask, REPORT_CHECKPOINTS, type LongTask } from '../projections/index.ts';
import { appEventsFilterSubject, eventsStreamName, loadConfig, reportLeaseBucket, taskLeaseKey } from '../streams.config.ts';
import { adminAndApp, apiGet, at, createMemberViaApi, resultOf, type Answer, type Member } from './support/api-client.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { expectedFunnel, expectedRetention, expectedSegmentation, localMs, periodBounds, Traffic, TZ, type FunnelStepModel } from './support/reports-model.ts';
import { BulkScript } from './support/sdk-bulk-script.ts';
import { readRequests, waitForRequests } from './support/stream.ts';
import { waitUntil } from './support/wait.ts';

const config = testConfig({ reports: { requestThresholdMs: 20_000, checkpointEveryMs: 200, pollEveryMs: 300 } });
let tally: TestTally;
/** A second API on the same database and stream whose threshold is 1 ms: every report request becomes a task. */
let slow: TestTally;
let adminKey: string;
let app: { _id: string; key: string };
let reader: Member;
let outsider: Member;
const traffic = new Traffic(8);
/** The runner the task-manager tests start themselves (the instance's own one is stopped for them). */
let runner: ReportRunner | undefined;
let testRunner: ReportRunner | undefined;
/** Completion notices the test runner sent: [task id, outcome]. */
const notices: [string, string][] = [];
const HELD_EXPORT = 'e'.repeat(40);
const ORPHAN_EXPORT = 'd'.repeat(40);
/** A running task of another kind, as the exports code writes one (spec §7.1). */
const exportTask = (id: string): LongTask => ({
  _id: id,
  ts: Date.now(),
  start: Date.now(),
  end: 0,
  status: 'running',
  type: 'tableExport',
  meta: '{}',
  name: 'export',
  view: '',
  request: '{}',
  app_id: app._id,
  creator: 'someone',
  global: true,
  r_hour: null,
  autoRefresh: false,
  report_name: 'export.csv',
  report_desc: '',
  period_desc: '',
  manually_create: false,
  subtask_key: '',
  taskgroup: false,
  hasData: false,
});

const PERIOD = [localMs(1, 29, 12), localMs(2, 2, 12)];
const BOUNDS = periodBounds(PERIOD[0]!, PERIOD[1]!);
const FUNNEL: FunnelStepModel[] = [{ event: 'view' }, { event: 'cart' }, { event: 'purchase', plan: 'pro' }];
const FUNNEL_STEPS = FUNNEL.map((s) => ({ event: s.event, ...(s.plan === undefined ? {} : { segments: { plan: [s.plan] } }) }));

async function send(fill: (s: BulkScript) => void): Promise<void> {
  const before = (await readRequests(tally.jsm, tally.config.streams)).length;
  const script = new BulkScript(app.key, tally.url);
  fill(script);
  script.start();
  try {
    await waitForRequests(tally.jsm, tally.config.streams, (rs) => rs.length === before + script.requests, 30_000);
  } finally {
    script.stop();
  }
}

const ev = (key: string, ms: number, plan = 'pro', count = 1, sum = 0, dur = 0) => ({ key, ms, plan, count, sum, dur });

/** January (and the last minutes of it) events; the funnel cases of docs/reports.md's example. */
function januaryEvents(s: BulkScript): void {
  traffic.deviceEvents(s, 'dev-0', [
    ev('view', localMs(1, 30, 10)),
    ev('cart', localMs(1, 30, 10, 10)),
    ev('purchase', localMs(1, 30, 10, 20), 'pro', 2, 10, 5),
  ]);
  traffic.deviceEvents(s, 'dev-1', [
    ev('view', localMs(1, 30, 10)),
    ev('cart', localMs(1, 30, 10, 30)),
    ev('purchase', localMs(1, 30, 10, 40), 'basic', 1, 3.5, 2),
  ]);
  traffic.deviceEvents(s, 'dev-2', [ev('view', localMs(1, 31, 23, 30)), ev('purchase', localMs(1, 31, 23, 50), 'basic', 3, 7.25, 0)]);
  traffic.deviceEvents(s, 'dev-3', [
    ev('view', localMs(1, 30, 10)),
    ev('cart', localMs(1, 30, 12)),
    ev('view', localMs(1, 30, 13)),
    ev('cart', localMs(1, 30, 13, 30)),
  ]);
  traffic.deviceEvents(s, 'dev-4', [ev('cart', localMs(1, 31, 9)), ev('purchase', localMs(1, 31, 9, 5), 'pro', 1, 1.5, 1)]);
  traffic.deviceEvents(s, 'dev-5', [ev('view', localMs(1, 28, 9)), ev('cart', localMs(1, 28, 9, 10)), ev('purchase', localMs(1, 30, 9), 'pro', 4, 20, 8)]);
  traffic.deviceEvents(s, 'dev-7', [
    ev('view', localMs(1, 31, 10)),
    ev('view', localMs(1, 31, 10, 50)),
    ev('cart', localMs(1, 31, 11)),
    ev('purchase', localMs(1, 31, 11, 40), 'pro', 1, 9.99, 3),
  ]);
}

function februaryEvents(s: BulkScript): void {
  traffic.deviceEvents(s, 'dev-2', [ev('cart', localMs(2, 1, 0, 10)), ev('purchase', localMs(2, 1, 0, 20), 'pro', 1, 4, 1)]);
  traffic.deviceEvents(s, 'dev-6', [ev('view', localMs(2, 1, 9)), ev('cart', localMs(2, 1, 9, 30)), ev('purchase', localMs(2, 1, 10, 30), 'pro', 2, 6, 4)]);
  traffic.deviceEvents(s, 'dev-0', [ev('purchase', localMs(2, 2, 15), 'basic', 1, 2, 0), ev('purchase', localMs(2, 3, 9), 'pro', 5, 50, 0)]);
  traffic.deviceEvents(s, 'dev-1', [ev('purchase', localMs(2, 1, 18), 'pro', 2, 8, 6)]);
}

beforeAll(async () => {
  tally = await startTestTally({ config });
  slow = await startTestTally({ config: loadConfig({ ...config, reports: { ...config.reports, requestThresholdMs: 1 } }), roles: ['api'] });
  ({ adminKey, app } = await adminAndApp(tally.url, { timezone: TZ }));
  reader = await createMemberViaApi(tally.url, adminKey, { username: 'reader', email: 'reader@example.com', user_of: [app._id] });
  outsider = await createMemberViaApi(tally.url, adminKey, { username: 'outsider', email: 'outsider@example.com' });
  // 1. Profiles, then sessions (first days Jan 29–31, returns on some later days), then January events.
  await send((s) => traffic.details(s, (i) => (i % 2 === 0 ? 'gold' : 'silver')));
  await send((s) =>
    traffic.devices.forEach((d, i) => {
      const first = 29 + (i % 3);
      traffic.session(s, d, localMs(1, first, 10));
      for (const back of [i % 2 === 0 ? 1 : 0, i % 3 === 0 ? 2 : 0, i < 4 ? 3 : 0]) if (back > 0) traffic.session(s, d, localMs(1, first + back, 11));
    }),
  );
  await send(januaryEvents);
  // 2. Half the devices change tier, then February events: the tier filter must see each event's tier of its time.
  await send((s) => traffic.details(s, (i) => (i < 4 ? 'platinum' : undefined)));
  await send(februaryEvents);
}, 120_000);
afterAll(async () => {
  await testRunner?.stop();
  await slow?.close();
  await tally?.destroy();
});

const report = (base: string, kind: string, params: Record<string, unknown>, key = adminKey): Promise<Answer> =>
  apiGet(base, `/o/tally/reports/${kind}`, { api_key: key, app_id: app._id, period: JSON.stringify(PERIOD), ...params });

const SEGMENTATION = {
  event: 'purchase',
  bucket: 'daily',
  properties: JSON.stringify({ 'custom.tier': ['gold', 'platinum'] }),
  breakdown_by: 'segment',
  breakdown: 'plan',
};

describe('report kinds over the raw stream', () => {
  it('event segmentation per local day, filtered by the tier each event was sent with, broken down by plan', async () => {
    const res = await report(tally.url, 'segmentation', SEGMENTATION);
    expect(res.status).toBe(200);
    const expected = expectedSegmentation(traffic, { key: 'purchase', bucket: 'daily', bounds: BOUNDS, tiers: ['gold', 'platinum'], breakdown: 'plan' });
    // The month boundary in Kolkata time: Jan 31 23:50 and Feb 1 00:20 fall on different local days.
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['2026.1.31', '2026.2.1']));
    expect(at(res.body, 'series')).toEqual(expected);
    // Answered within the threshold: no task is left behind.
    const all = await apiGet(tally.url, '/o/tasks/all', { api_key: adminKey, app_id: app._id });
    expect(all.body).toEqual([]);
  });

  it('monthly buckets broken down by the user property as it was at the time of each event', async () => {
    const res = await report(tally.url, 'segmentation', { event: 'purchase', bucket: 'monthly', breakdown_by: 'property', breakdown: 'custom.tier' });
    const expected = expectedSegmentation(traffic, { key: 'purchase', bucket: 'monthly', bounds: BOUNDS, breakdown: 'tier' });
    expect(Object.keys(expected).sort()).toEqual(['2026.1', '2026.2']);
    expect(at(res.body, 'series')).toEqual(expected);
  });

  it('funnel: devices reaching each ordered step within the window, and the conversions', async () => {
    const res = await report(tally.url, 'funnel', { steps: JSON.stringify(FUNNEL_STEPS), window_s: 3600 });
    const users = expectedFunnel(traffic, FUNNEL, 3600, BOUNDS);
    expect(users[0]).toBeGreaterThan(users[2]!);
    expect(at(res.body, 'steps')).toEqual(
      users.map((n, i) => ({
        step: i + 1,
        event: FUNNEL[i]!.event,
        users: n,
        percent: Math.round((n * 10_000) / users[0]!) / 100,
        percentOfPrevious: i === 0 ? 100 : Math.round((n * 10_000) / users[i - 1]!) / 100,
      })),
    );
  });

  it('retention: cohorts by first local day seen, and returns on each following day', async () => {
    const res = await report(tally.url, 'retention', { cohort: 'daily', periods: 4 });
    const expected = expectedRetention(traffic, 4, BOUNDS);
    expect(expected.length).toBeGreaterThan(1);
    expect(at(res.body, 'cohorts')).toEqual(expected.map((c) => ({ ...c, percent: c.returned.map((n) => Math.round((n * 10_000) / c.size) / 100) })));
  });

  it('refuses bad report parameters with 400 and writes no task', async () => {
    const bad = await report(tally.url, 'funnel', { steps: JSON.stringify([{ event: 'only-one' }]) });
    expect(bad.status).toBe(400);
    expect(resultOf(bad)).toBe('Invalid parameter "steps"');
    const unknown = await report(tally.url, 'cohorts', {});
    expect(resultOf(unknown)).toBe('Invalid path');
    const none = await report(tally.url, 'segmentation', SEGMENTATION, outsider.api_key);
    expect(none.status).toBe(401);
    expect(resultOf(none)).toBe('User does not have right');
  });
});

describe('task manager (spec §7)', () => {
  let taskId: string;
  let privateId: string;

  it('past the threshold a request answers with its task id; the same request again gets the same id; check goes running → completed', async () => {
    // 1. No runner anywhere: the task stays running, deterministically.
    await tally.reports!.stop();
    const first = await report(slow.url, 'segmentation', { ...SEGMENTATION, report_name: 'tiers', global: 'true' });
    expect(first.status).toBe(200);
    taskId = String(at(first.body, 'result', 'task_id'));
    expect(taskId).toMatch(/^[0-9a-f]{40}$/);
    const twin = await report(slow.url, 'segmentation', { ...SEGMENTATION, report_name: 'tiers', global: 'true' });
    expect(at(twin.body, 'result', 'task_id')).toBe(taskId);
    const check = await apiGet(tally.url, '/o/tasks/check', { api_key: adminKey, app_id: app._id, task_id: taskId });
    expect(resultOf(check)).toBe('running');
    // 2. Two running tasks of another kind (exports): one held by a live process's lease, one by nobody.
    const kv = await new Kvm(tally.nc).create(reportLeaseBucket(config.streams), { ttl: config.reports.leaseTtlMs, history: 1 });
    await kv.create(taskLeaseKey(HELD_EXPORT), 'another-process');
    for (const id of [HELD_EXPORT, ORPHAN_EXPORT]) await insertTask(tally.db, { ...exportTask(id) });
    // 3. A runner starts: it errors the orphan only, takes the queued report task and completes it.
    testRunner = runner = await startReportRunner({
      ...tally,
      log: pino({ level: 'silent' }),
      notifyTaskFinished: (t, outcome) => Promise.resolve(void notices.push([t._id, outcome])),
    });
    expect(await readTask(tally.db, ORPHAN_EXPORT)).toMatchObject({ status: 'errored', errormsg: 'Task was killed during server restart.' });
    expect((await readTask(tally.db, HELD_EXPORT))?.status).toBe('running');
    await waitUntil(
      async () => {
        const r = await apiGet(tally.url, '/o/tasks/check', { api_key: adminKey, app_id: app._id, task_id: taskId });
        return resultOf(r) === 'completed' ? true : undefined;
      },
      30_000,
      'task completed',
    );
    const task = await apiGet(tally.url, '/o/tasks/task', { api_key: adminKey, app_id: app._id, task_id: taskId });
    expect(at(task.body, 'status')).toBe('completed');
    expect(at(task.body, 'report_name')).toBe('tiers');
    expect(at(task.body, 'type')).toBe('tallyReport');
    const request = JSON.parse(String(at(task.body, 'request'))) as { uri: string; method: string; json: Record<string, unknown> };
    expect(request).toMatchObject({ uri: '/o/tally/reports/segmentation', method: 'POST', json: { event: 'purchase', report_name: 'tiers' } });
    expect(request.json.api_key).toBeUndefined();
    const data = JSON.parse(String(at(task.body, 'data'))) as unknown;
    expect(at(data, 'series')).toEqual(
      expectedSegmentation(traffic, { key: 'purchase', bucket: 'daily', bounds: BOUNDS, tiers: ['gold', 'platinum'], breakdown: 'plan' }),
    );
    expect(at(task.body, 'progress', 'done')).toBe(at(task.body, 'progress', 'total'));
    // Not created by hand: no completion notice.
    expect(notices.filter(([id]) => id === taskId)).toEqual([]);
  });

  it('all, count, list: visibility, search, sorting, paging; a member without the read right sees nothing', async () => {
    const priv = await report(slow.url, 'retention', { report_name: 'mine only', global: 'false', manually_create: 'true' }, adminKey);
    privateId = String(at(priv.body, 'result', 'task_id'));
    // Created by hand: its creator is notified when it completes.
    await waitUntil(() => Promise.resolve(notices.some(([id]) => id === privateId) ? true : undefined), 30_000, 'completion notice');
    expect(notices.filter(([id]) => id === privateId)).toEqual([[privateId, 'completed']]);
    const all = await apiGet(tally.url, '/o/tasks/all', { api_key: adminKey, app_id: app._id, query: JSON.stringify({ type: 'tallyReport' }) });
    expect((all.body as { _id: string }[]).map((t) => t._id).sort()).toEqual([taskId, privateId].sort());
    expect((all.body as Record<string, unknown>[]).every((t) => !('data' in t))).toBe(true);
    const count = await apiGet(tally.url, '/o/tasks/count', { api_key: adminKey, app_id: app._id, query: JSON.stringify({ type: 'tallyReport' }) });
    expect(count.body).toEqual([{ _id: app._id, c: 2 }]);
    // The reader sees the global task only; the outsider (no right on the app) is refused.
    const readerAll = await apiGet(tally.url, '/o/tasks/all', { api_key: reader.api_key, app_id: app._id });
    expect((readerAll.body as { _id: string }[]).map((t) => t._id).filter((id) => id !== HELD_EXPORT && id !== ORPHAN_EXPORT)).toEqual([taskId]);
    const readerPrivate = await apiGet(tally.url, '/o/tasks/task', { api_key: reader.api_key, app_id: app._id, task_id: privateId });
    expect([readerPrivate.status, resultOf(readerPrivate)]).toEqual([400, 'Task does not exist']);
    const outsiderAll = await apiGet(tally.url, '/o/tasks/all', { api_key: outsider.api_key, app_id: app._id });
    expect([outsiderAll.status, resultOf(outsiderAll)]).toEqual([401, 'User does not have right']);
    // list: search on report_name, sort by report_name ascending, paging.
    const reports = JSON.stringify({ type: 'tallyReport' });
    const list = await apiGet(tally.url, '/o/tasks/list', {
      api_key: adminKey,
      app_id: app._id,
      query: reports,
      iSortCol_0: '0',
      sSortDir_0: 'asc',
      sEcho: '3',
    });
    expect(at(list.body, 'iTotalRecords')).toBe(2);
    expect((at(list.body, 'aaData') as { report_name: string }[]).map((t) => t.report_name)).toEqual(['mine only', 'tiers']);
    expect(at(list.body, 'sEcho')).toBe('3');
    const page2 = await apiGet(tally.url, '/o/tasks/list', {
      api_key: adminKey,
      app_id: app._id,
      query: reports,
      iSortCol_0: '0',
      sSortDir_0: 'asc',
      iDisplayStart: '1',
      iDisplayLength: '1',
    });
    expect((at(page2.body, 'aaData') as { report_name: string }[]).map((t) => t.report_name)).toEqual(['tiers']);
    const search = await apiGet(tally.url, '/o/tasks/list', { api_key: adminKey, app_id: app._id, sSearch: 'MINE' });
    expect((at(search.body, 'aaData') as { _id: string }[]).map((t) => t._id)).toEqual([privateId]);
    const refused = await apiGet(tally.url, '/o/tasks/all', { api_key: adminKey, app_id: app._id, query: JSON.stringify({ $where: 'sleep(1)' }) });
    expect(refused.status).toBe(400);
  });

  it('check with a list of ids reports deleted ones; errors of §7.3', async () => {
    const multi = await apiGet(tally.url, '/o/tasks/check', { api_key: adminKey, app_id: app._id, task_id: JSON.stringify([taskId, 'f'.repeat(40)]) });
    expect(resultOf(multi)).toEqual([
      { _id: taskId, result: 'completed', report_name: 'tiers', type: 'tallyReport', manually_create: false, view: expect.stringContaining(taskId) as unknown },
      { _id: 'f'.repeat(40), result: 'deleted' },
    ]);
    const missing = await apiGet(tally.url, '/o/tasks/task', { api_key: adminKey, app_id: app._id });
    expect([missing.status, resultOf(missing)]).toEqual([400, 'Missing parameter "task_id"']);
    const noTask = await apiGet(tally.url, '/i/tasks/delete', { api_key: adminKey, app_id: app._id });
    expect([noTask.status, resultOf(noTask)]).toEqual([400, 'Missing parameter "task_id"']);
    const badPath = await apiGet(tally.url, '/i/tasks/explode', { api_key: adminKey, app_id: app._id, task_id: taskId });
    expect([badPath.status, resultOf(badPath)]).toEqual([400, 'Invalid path']);
    const readerWrite = await apiGet(tally.url, '/i/tasks/delete', { api_key: reader.api_key, app_id: app._id, task_id: taskId });
    expect([readerWrite.status, resultOf(readerWrite)]).toEqual([401, 'User does not have right']);
    const stopDone = await apiGet(tally.url, '/i/tasks/stop', { api_key: adminKey, app_id: app._id, task_id: taskId });
    expect(resultOf(stopDone)).toBe('Operation could not be stopped');
  });

  it('name and edit change the stored task; period_desc rewrites the stored request period', async () => {
    const named = await apiGet(tally.url, '/i/tasks/name', { api_key: adminKey, app_id: app._id, task_id: taskId, name: 'Tier revenue' });
    expect(resultOf(named)).toBe('Success');
    const edited = await apiGet(tally.url, '/i/tasks/edit', {
      api_key: adminKey,
      app_id: app._id,
      task_id: privateId,
      report_name: 'renamed',
      report_desc: 'desc',
      global: 'true',
      autoRefresh: 'false',
      period_desc: 'today',
    });
    expect(resultOf(edited)).toBe('Success');
    const t = await readTask(tally.db, privateId);
    expect(t).toMatchObject({ report_name: 'renamed', report_desc: 'desc', global: true, autoRefresh: false, period_desc: 'today' });
    expect((JSON.parse(t!.request) as { json: { period: string } }).json.period).toBe('hour');
    expect((await readTask(tally.db, taskId))?.name).toBe('Tier revenue');
  });

  it('stop cancels a running task; delete removes a task with its checkpoint', async () => {
    await runner!.stop();
    const queued = await report(slow.url, 'funnel', { steps: JSON.stringify(FUNNEL_STEPS), report_name: 'to stop' });
    const id = String(at(queued.body, 'result', 'task_id'));
    const stopped = await apiGet(tally.url, '/i/tasks/stop', { api_key: adminKey, app_id: app._id, task_id: id });
    expect(resultOf(stopped)).toBe('Success');
    testRunner = runner = await startReportRunner({ ...tally, log: pino({ level: 'silent' }) });
    const check = await apiGet(tally.url, '/o/tasks/check', { api_key: adminKey, app_id: app._id, task_id: id });
    expect(resultOf(check)).toBe('stopped');
    const del = await apiGet(tally.url, '/i/tasks/delete', { api_key: adminKey, app_id: app._id, task_id: privateId });
    expect(resultOf(del)).toBe('Success');
    expect(await readTask(tally.db, privateId)).toBeUndefined();
    expect(await tally.db.collection(REPORT_CHECKPOINTS).countDocuments({ _id: privateId as never })).toBe(0);
    const gone = await apiGet(tally.url, '/o/tasks/check', { api_key: adminKey, app_id: app._id, task_id: privateId });
    expect([gone.status, resultOf(gone)]).toEqual([400, 'Task does not exist']);
  });

  it('after new traffic, auto-refresh folds only the new events and equals a fresh run; /i/tasks/update re-runs everything', async () => {
    // 1. Make the first task auto-refreshing; note where its checkpoint stands.
    await apiGet(tally.url, '/i/tasks/edit', {
      api_key: adminKey,
      app_id: app._id,
      task_id: taskId,
      report_name: 'tiers',
      autoRefresh: 'true',
      global: 'true',
    });
    const before = await readReportCheckpoint(tally.db, taskId);
    // 2. New traffic inside the period.
    await send((s) => traffic.deviceEvents(s, 'dev-6', [ev('purchase', localMs(2, 2, 9), 'basic', 2, 5, 1)]));
    await send((s) => traffic.deviceEvents(s, 'dev-0', [ev('purchase', localMs(1, 30, 18), 'pro', 1, 1, 0)]));
    const newAppEvents = await countAppMessagesAfter(before!.seq);
    expect(newAppEvents).toBe(2);
    // 3. The auto-refresh job (regenerate interval 1 ms) marks it rerunning; the runner continues from the checkpoint.
    const due = await autoRefreshDue(tally.db, loadConfig({ ...config, reports: { ...config.reports, regenerateIntervalMs: 1 } }), Date.now());
    expect(due).toEqual([taskId]);
    await runner!.poll();
    const refreshed = await waitForStatus(taskId, 'completed');
    expect(refreshed.progress?.folded).toBe(newAppEvents);
    const expected = expectedSegmentation(traffic, { key: 'purchase', bucket: 'daily', bounds: BOUNDS, tiers: ['gold', 'platinum'], breakdown: 'plan' });
    const fresh = await report(tally.url, 'segmentation', { ...SEGMENTATION, report_name: 'fresh' });
    expect(at(fresh.body, 'series')).toEqual(expected);
    expect(at(JSON.parse(refreshed.data!), 'series')).toEqual(expected);
    // 4. A full re-run replays every event of the period.
    const rerun = await apiGet(tally.url, '/i/tasks/update', { api_key: adminKey, app_id: app._id, task_id: taskId });
    expect(resultOf(rerun)).toBe('Success');
    const again = await waitForStatus(taskId, 'completed');
    expect(again.progress?.folded).toBe(await countAppMessagesAfter(0));
    expect(at(JSON.parse(again.data!), 'series')).toEqual(expected);
  });

  it('a period that starts before the oldest event the stream still holds is refused', async () => {
    const name = eventsStreamName(tally.config.streams);
    const info = await tally.jsm.streams.info(name);
    await tally.jsm.streams.purge(name, { seq: info.state.last_seq });
    const res = await report(tally.url, 'segmentation', SEGMENTATION);
    expect(res.status).toBe(400);
    expect(String(resultOf(res))).toMatch(/^Period starts at 2026-01-29T00:00:00\.000Z, before the oldest event the stream still holds/);
    await runner?.stop();
  });
});

async function waitForStatus(id: string, status: string) {
  return waitUntil(
    async () => {
      const t = await readTask(tally.db, id, true);
      return t?.status === status ? t : undefined;
    },
    30_000,
    `task ${status}`,
  );
}

/** Messages of the app's subjects after `seq`, counted by a consumer of our own. */
async function countAppMessagesAfter(seq: number): Promise<number> {
  const c = await tally.js.consumers.get(eventsStreamName(tally.config.streams), {
    filter_subjects: [appEventsFilterSubject(tally.config.streams, app._id)],
    ...(seq === 0 ? {} : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: seq + 1 }),
  });
  return (await c.info()).num_pending;
}
