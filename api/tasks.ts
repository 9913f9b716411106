// Task manager helpers shared by the task routes and the report routes (spec §7): creating a
// task document exactly as §7.1 lays it out, who may see a task, and reading its result.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ACTIVE_STATUSES, findTasks, readTaskData, type LongTask } from '../projections/index.ts';
import type { MemberRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import type { Params } from './http.ts';
import { hasRight } from './rights.ts';
import { CORE_FEATURE } from './rights.ts';

/** Parameters Countly leaves out of a stored request (credentials, the task handle, JSONP, cache busting). */
const NOT_STORED = new Set(['api_key', 'auth_token', 'task_id', 'callback', '_']);

/** `request` field: `{uri, method: "POST", json: {...parameters}}` as JSON text (§7.1). */
export function storedRequest(uri: string, params: Params): string {
  const json: Record<string, unknown> = {};
  for (const key of Object.keys(params).sort()) if (!NOT_STORED.has(key)) json[key] = params[key];
  return JSON.stringify({ uri, method: 'POST', json });
}

/** A new task id: 40 lowercase hex characters (§7.1). */
export const newTaskId = (): string => randomBytes(20).toString('hex');

export const memberIdOf = (member: MemberRecord): string => member._id.toHexString();

const truthy = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

/** Countly's report parameters, common to every task-mode request. */
export interface ReportOptions {
  readonly saveReport: boolean;
  readonly reportName: string;
  readonly reportDesc: string;
  readonly periodDesc: string;
  readonly global: boolean;
  readonly autoRefresh: boolean;
  readonly manuallyCreate: boolean;
}

const text = (v: unknown, max = 500): string => (typeof v === 'string' ? v.slice(0, max) : typeof v === 'number' ? String(v) : '');

export function reportOptionsOf(params: Params): ReportOptions {
  const saveReport = truthy(params.save_report);
  return {
    saveReport,
    reportName: text(params.report_name),
    reportDesc: text(params.report_desc, 2_000),
    periodDesc: text(params.period_desc, 100),
    // Countly: visible to every member unless `global` is false.
    global: params.global === undefined || params.global === '' ? true : truthy(params.global),
    autoRefresh: truthy(params.autoRefresh),
    manuallyCreate: truthy(params.manually_create) || saveReport,
  };
}

export interface NewTask {
  readonly id?: string;
  readonly nowMs: number;
  readonly type: string;
  readonly meta: string;
  readonly name: string;
  readonly view: string;
  readonly request: string;
  readonly appId: string;
  readonly creator: string;
  readonly options: ReportOptions;
}

/** A `running` task document, every §7.1 field present. */
export function taskDocument(t: NewTask): LongTask {
  return {
    _id: t.id ?? newTaskId(),
    ts: t.nowMs,
    start: t.nowMs,
    end: 0,
    status: 'running',
    type: t.type,
    meta: t.meta,
    name: t.name,
    view: t.view,
    request: t.request,
    app_id: t.appId,
    creator: t.creator,
    global: t.options.global,
    r_hour: null,
    autoRefresh: t.options.autoRefresh,
    report_name: t.options.reportName,
    report_desc: t.options.reportDesc,
    period_desc: t.options.periodDesc,
    manually_create: t.options.manuallyCreate,
    subtask_key: '',
    taskgroup: false,
    hasData: false,
  };
}

/** Whether a member may see a task: read right on its app, and the task is global or theirs. */
export function canSee(member: MemberRecord, task: Pick<LongTask, 'app_id' | 'global' | 'creator'>): boolean {
  return hasRight(member, 'r', task.app_id, CORE_FEATURE) && (task.global !== false || task.creator === memberIdOf(member));
}

/** The running task of the same creator with the same stored request, if any (§7.2). */
export async function runningTwin(ctx: ApiContext, appId: string, creator: string, request: string): Promise<LongTask | undefined> {
  const found = await findTasks(ctx.deps.db, { filter: { app_id: appId, creator, request, status: { $in: [...ACTIVE_STATUSES] } }, limit: 1 });
  return found[0];
}

/** The task with its result parsed into `data` (`/o/tasks/task` answers the full task). */
export async function taskWithData(ctx: ApiContext, task: LongTask): Promise<Record<string, unknown>> {
  const data = await readTaskData(ctx.deps.db, task);
  const { data_parts: _parts, data_gen: _gen, ...rest } = task;
  return { ...rest, ...(data === undefined ? {} : { data }) };
}

/** Countly's report parameters, for the OpenAPI description (parsed by `reportOptionsOf`). */
export const reportCommonParams = z.object({
  app_id: z.string().length(24),
  /** Countly period grammar (§4.4); resolved in the app's timezone when the task starts. Default 30days. */
  period: z.string().optional(),
  save_report: z.enum(['true', 'false']).optional(),
  report_name: z.string().max(500).optional(),
  report_desc: z.string().max(2_000).optional(),
  period_desc: z.string().max(100).optional(),
  global: z.enum(['true', 'false']).optional(),
  autoRefresh: z.enum(['true', 'false']).optional(),
  manually_create: z.enum(['true', 'false']).optional(),
});

/** `task_id` and `app_id`, what every task endpoint takes. */
export const taskIdParams = z.object({ app_id: z.string().length(24), task_id: z.string().max(2_000) });
