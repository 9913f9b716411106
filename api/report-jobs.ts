// Long reports over HTTP: `/o/tally/reports/<kind>` (docs/reports.md). The API never folds: it
// writes a `running` task whose `meta` is the resolved job, wakes a runner over NATS, and waits
// up to `reports.requestThresholdMs` (Countly's `api.request_threshold`, §7.2). Done by then:
// the normal answer (and the task is dropped unless it was saved); still running: the task id.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, RelayedRefusalError, sendMessage, sendOutput } from '../http/index.ts';
import {
  deleteTaskAndParts,
  insertTask,
  readTask,
  readTaskData,
  REPORT_KINDS,
  REPORT_SPECS,
  REPORT_TASK_TYPE,
  reportJob,
  type AppRecord,
  type LongTask,
  type MemberRecord,
  type ReportJob,
  type ReportKind,
} from '../projections/index.ts';
import { reportQueuedSubject } from '../streams.config.ts';
import type { ApiContext } from './context.ts';
import { parseParams, type Params } from './http.ts';
import { parsePeriod } from './read/index.ts';
import { memberIdOf, reportOptionsOf, runningTwin, storedRequest, taskDocument } from './tasks.ts';

export const REPORTS_BASE = '/o/tally/reports';
/** Pause between reads of a task while a request waits for it, ms. */
const WAIT_POLL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const isReportKind = (k: string): k is ReportKind => (REPORT_KINDS as readonly string[]).includes(k);

/** The job a request asks for: its kind's spec, and its period resolved now in the app's timezone. */
export function resolveJob(ctx: ApiContext, kind: ReportKind, params: Params, app: Pick<AppRecord, '_id' | 'timezone'>): ReportJob {
  const period = parsePeriod(params.period, ctx.now(), app.timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  const appId = app._id.toHexString();
  const base = { appId, startMs: period.start, endMs: period.end };
  switch (kind) {
    case 'segmentation':
      return { kind, spec: parseParams(REPORT_SPECS.segmentation, params), ...base };
    case 'funnel':
      return { kind, spec: parseParams(REPORT_SPECS.funnel, params), ...base };
    case 'retention':
      return { kind, spec: parseParams(REPORT_SPECS.retention, params), ...base };
  }
}

const storedRequestShape = z.object({ uri: z.string(), json: z.record(z.string(), z.unknown()) });

/** A re-run's `meta`: the stored request resolved again (a relative period moves on); undefined when it cannot be. */
export async function rerunJob(ctx: ApiContext, task: LongTask): Promise<string | undefined> {
  const stored = storedRequestShape.safeParse(JSON.parse(task.request));
  const kind = stored.success ? stored.data.uri.slice(REPORTS_BASE.length + 1) : '';
  const app = await ctx.lookups.appById(task.app_id);
  if (!stored.success || !isReportKind(kind) || app === undefined) return undefined;
  return JSON.stringify(resolveJob(ctx, kind, stored.data.json, app));
}

/** Waits for the task to leave `running` or for the threshold; the task as last read (undefined: deleted). */
async function waitForTask(ctx: ApiContext, id: string, untilMs: number): Promise<LongTask | undefined> {
  for (;;) {
    const task = await readTask(ctx.deps.db, id, true);
    if (task === undefined || task.status !== 'running' || ctx.now() >= untilMs) return task;
    await sleep(Math.min(WAIT_POLL_MS, Math.max(1, untilMs - ctx.now())));
  }
}

const taskHandle = (request: FastifyRequest, reply: FastifyReply, id: string) => sendMessage(request, reply, 200, { task_id: id });

export async function runReport(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: Params,
  kind: ReportKind,
  access: { member: MemberRecord; app: AppRecord },
): Promise<FastifyReply> {
  const job = reportJob.parse(resolveJob(ctx, kind, params, access.app));
  const options = reportOptionsOf(params);
  const creator = memberIdOf(access.member);
  const stored = storedRequest(`${REPORTS_BASE}/${kind}`, params);
  // §7.2: the same request of the same creator, still running, answers with that task.
  const twin = await runningTwin(ctx, job.appId, creator, stored);
  if (twin !== undefined) return taskHandle(request, reply, twin._id);
  const task = taskDocument({
    nowMs: ctx.now(),
    type: REPORT_TASK_TYPE,
    meta: JSON.stringify(job),
    name: options.reportName !== '' ? options.reportName : `${kind} report`,
    view: `#/analytics/tally-reports/${kind}/task/`,
    request: stored,
    appId: job.appId,
    creator,
    options,
  });
  task.view += task._id;
  await insertTask(ctx.deps.db, task);
  ctx.deps.nc.publish(reportQueuedSubject(ctx.deps.config.streams), task._id);
  request.log.info({ taskId: task._id, kind, appId: job.appId }, 'report task queued');
  if (options.manuallyCreate) return taskHandle(request, reply, task._id);
  const done = await waitForTask(ctx, task._id, ctx.now() + ctx.deps.config.reports.requestThresholdMs);
  return answerOrHandle(ctx, request, reply, params, task._id, done);
}

async function answerOrHandle(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: Params,
  id: string,
  task: LongTask | undefined,
): Promise<FastifyReply> {
  if (task === undefined) throw new CountlyReplyError('TALLY_HTTP_TASK_NOT_FOUND');
  if (task.status === 'running') return taskHandle(request, reply, id);
  if (task.status === 'completed') {
    const data = await readTaskData(ctx.deps.db, task);
    // Answered within the threshold: no task remains (Countly creates one only after it).
    await deleteTaskAndParts(ctx.deps.db, task);
    return sendOutput(request, reply, params, data === undefined ? {} : (JSON.parse(data) as unknown));
  }
  await deleteTaskAndParts(ctx.deps.db, task);
  if (task.status === 'errored' && task.errormsg?.startsWith('Period ') === true) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', task.errormsg);
  throw new RelayedRefusalError(500, task.errormsg ?? task.status);
}
