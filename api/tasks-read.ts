// `/o/tasks/all|count|list|task|check` (spec §7.3). Every answer holds only tasks the caller may
// see: of an app it may read, and global or its own (§7.3 "only global ones or own"); subtasks
// are listed only through their parent. A client `query` goes through the query guard.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Document, Sort } from 'mongodb';
import { z } from 'zod';
import { CountlyReplyError, sendMessage, sendOutput } from '../http/index.ts';
import { countTasks, findTasks, readTask, type LongTask, type MemberRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { parseParams, type Params } from './http.ts';
import { guardFilter } from './query-guard.ts';
import { parsePeriod } from './read/index.ts';
import { readableAppIds } from './rights.ts';
import { canSee, memberIdOf, taskWithData } from './tasks.ts';

const count = z.union([z.string().regex(/^\d{1,7}$/), z.number().int().nonnegative()]).optional();
export const taskListParams = z.looseObject({
  app_ids: z.string().max(2_000).optional(),
  data_source: z.string().max(30).optional(),
  iDisplayStart: count,
  iDisplayLength: count,
  sEcho: z.union([z.string().max(20), z.number()]).optional(),
  sSearch: z.string().max(200).optional(),
  iSortCol_0: z.union([z.string().max(3), z.number()]).optional(),
  sSortDir_0: z.enum(['asc', 'desc']).optional(),
  subtask_key: z.string().max(200).optional(),
});

/** `iSortCol_0` → field (§7.3); anything else sorts by `end`. */
const SORT_COLUMNS: Readonly<Record<string, string>> = { '0': 'report_name', '2': 'status', '3': 'type', '7': 'end', '8': 'start' };
const DEFAULT_PAGE = 10;

const present = (v: unknown): boolean => v !== undefined && v !== '';
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Apps whose tasks the caller may see, limited to `wanted` when given. */
function visibleApps(member: MemberRecord, wanted: readonly string[]): string[] {
  const readable = member.global_admin ? wanted : readableAppIds(member).filter((id) => wanted.includes(id));
  return [...new Set(readable)];
}

function visibility(member: MemberRecord, appIds: readonly string[]): Document {
  return { app_id: { $in: [...appIds] }, $or: [{ global: { $ne: false } }, { creator: memberIdOf(member) }], subtask: { $exists: false } };
}

function periodFilter(ctx: ApiContext, params: Params, timezone: string): Document {
  if (!present(params.period)) return {};
  const p = parsePeriod(params.period, ctx.now(), timezone, { maxDays: ctx.deps.config.api.maxPeriodDays });
  return { ts: { $gte: p.start, $lte: p.end } };
}

function clientQuery(params: Params): Document {
  return present(params.query) ? guardFilter(params.query, 'query') : {};
}

/** `/o/tasks/all`: tasks of `app_id` (or `app_ids`), without data. */
export async function tasksAll(ctx: ApiContext, member: MemberRecord, params: Params, timezone: string, appId: string): Promise<LongTask[]> {
  const p = parseParams(taskListParams, params);
  const ids = p.app_ids !== undefined && p.app_ids.includes(',') ? p.app_ids.split(',').map((s) => s.trim()) : [appId];
  const filter = { $and: [visibility(member, visibleApps(member, ids)), clientQuery(params), periodFilter(ctx, params, timezone)] };
  return findTasks(ctx.deps.db, { filter, sort: { ts: -1 } });
}

/** `/o/tasks/count`: `[{_id: <app_id>, c: N}]` per app with tasks. */
export async function tasksCount(
  ctx: ApiContext,
  member: MemberRecord,
  params: Params,
  timezone: string,
  appId: string,
): Promise<{ _id: string; c: number }[]> {
  const filter = { $and: [visibility(member, visibleApps(member, [appId])), clientQuery(params), periodFilter(ctx, params, timezone)] };
  const n = await countTasks(ctx.deps.db, filter);
  return n === 0 ? [] : [{ _id: appId, c: n }];
}

function listSort(p: z.infer<typeof taskListParams>): Sort {
  const field = SORT_COLUMNS[String(p.iSortCol_0 ?? '')] ?? 'end';
  const dir = p.iSortCol_0 === undefined ? -1 : p.sSortDir_0 === 'asc' ? 1 : -1;
  return { [field]: dir, _id: 1 };
}

/** `/o/tasks/list`: the DataTables page. */
export async function tasksList(ctx: ApiContext, member: MemberRecord, params: Params, timezone: string, appId: string): Promise<Record<string, unknown>> {
  const p = parseParams(taskListParams, params);
  const q = clientQuery(params);
  const mine = q.creator !== undefined && q.creator === memberIdOf(member);
  // data_source: `all` = every app the caller reads, `independent` = tasks of no app, else the request's app.
  const apps = p.data_source === 'all' ? visibleApps(member, member.global_admin ? await allTaskApps(ctx) : readableAppIds(member)) : [appId];
  const base =
    p.data_source === 'independent'
      ? { app_id: 'undefined', subtask: { $exists: false }, $or: [{ global: { $ne: false } }, { creator: memberIdOf(member) }] }
      : visibility(member, visibleApps(member, apps));
  const parts: Document[] = [base, q, periodFilter(ctx, params, timezone)];
  if (mine) parts.push({ creator: memberIdOf(member) });
  if (present(p.sSearch)) {
    const re = { $regex: escapeRegex(p.sSearch ?? ''), $options: 'i' };
    parts.push({ $or: [{ report_name: re }, { report_desc: re }] });
  }
  const filter = { $and: parts };
  const limit = Number(p.iDisplayLength ?? DEFAULT_PAGE) || DEFAULT_PAGE;
  const skip = Number(p.iDisplayStart ?? 0);
  try {
    const [total, page] = await Promise.all([countTasks(ctx.deps.db, filter), findTasks(ctx.deps.db, { filter, sort: listSort(p), skip, limit })]);
    return { aaData: page, iTotalDisplayRecords: total, iTotalRecords: total, sEcho: p.sEcho };
  } catch (err) {
    ctx.log.error({ err }, 'task list query failed');
    throw new CountlyReplyError('TALLY_HTTP_QUERY_FAILED', '"Query failed"', { cause: err });
  }
}

async function allTaskApps(ctx: ApiContext): Promise<string[]> {
  const tasks = await findTasks(ctx.deps.db, { filter: {} });
  return [...new Set(tasks.map((t) => t.app_id))];
}

/** A task the caller may see, by id; undefined otherwise (answered as "does not exist"). */
export async function visibleTask(ctx: ApiContext, member: MemberRecord, id: string): Promise<LongTask | undefined> {
  const task = await readTask(ctx.deps.db, id);
  return task !== undefined && canSee(member, task) ? task : undefined;
}

export const taskIdParam = (params: Params): string => {
  const id = params.task_id;
  if (id === undefined || id === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "task_id"');
  if (typeof id !== 'string' || id.length > 2_000) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid parameter "task_id"');
  return id;
};

/** `/o/tasks/task`: the full task with its result; with `subtask_key`, that subtask of it. */
export async function taskRead(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, member: MemberRecord, params: Params): Promise<FastifyReply> {
  const id = taskIdParam(params);
  const p = parseParams(taskListParams, params);
  let task = await visibleTask(ctx, member, id);
  if (task !== undefined && present(p.subtask_key)) task = (await findTasks(ctx.deps.db, { filter: { subtask: id, subtask_key: p.subtask_key }, limit: 1 }))[0];
  if (task === undefined) throw new CountlyReplyError('TALLY_HTTP_TASK_NOT_FOUND');
  const full = await readTask(ctx.deps.db, task._id, true);
  if (full === undefined) throw new CountlyReplyError('TALLY_HTTP_TASK_NOT_FOUND');
  return sendOutput(request, reply, params, await taskWithData(ctx, full));
}

function parseJsonOr(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    // Decision: text that is not JSON is not a list of ids; the schema refuses it as such.
    if (err instanceof SyntaxError) return raw;
    throw err;
  }
}

const idList = z.array(z.string().max(100)).max(100);

/** `/o/tasks/check`: one status, or `[{_id, result, report_name, type, manually_create, view}]` for a JSON array of ids. */
export async function taskCheck(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, member: MemberRecord, params: Params): Promise<FastifyReply> {
  const raw = taskIdParam(params);
  let ids: string[] | undefined;
  if (raw.startsWith('[')) {
    const parsed = idList.safeParse(parseJsonOr(raw));
    if (!parsed.success) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid parameter "task_id"', { cause: parsed.error });
    ids = parsed.data;
  }
  if (ids === undefined) {
    const task = await visibleTask(ctx, member, raw);
    if (task === undefined) throw new CountlyReplyError('TALLY_HTTP_TASK_NOT_FOUND');
    return sendMessage(request, reply, 200, task.status);
  }
  const rows = await Promise.all(
    ids.map(async (id) => {
      const t = await visibleTask(ctx, member, id);
      return t === undefined
        ? { _id: id, result: 'deleted' }
        : { _id: id, result: t.status, report_name: t.report_name, type: t.type, manually_create: t.manually_create, view: t.view };
    }),
  );
  return sendMessage(request, reply, 200, rows);
}
