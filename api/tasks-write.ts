// `/i/tasks/update|delete|name|edit|stop` (spec §7.3–7.4). The caller needs the write right on
// the request's app and must be able to see the task; a task of another app does not exist here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendMessage } from '../http/index.ts';
import {
  ACTIVE_STATUSES,
  deleteReportCheckpoint,
  deleteTaskAndParts,
  findTasks,
  readTask,
  REPORT_TASK_TYPE,
  updateTask,
  type LongTask,
  type MemberRecord,
} from '../projections/index.ts';
import { reportQueuedSubject, reportStopSubject } from '../streams.config.ts';
import type { ApiContext } from './context.ts';
import { parseParams, type Params } from './http.ts';
import { isAppAdmin } from './rights.ts';
import { rerunJob } from './report-jobs.ts';
import { memberIdOf } from './tasks.ts';
import { taskIdParam, visibleTask } from './tasks-read.ts';

export const taskEditParams = z.object({
  name: z.string().max(500).optional(),
  report_name: z.string().max(500).optional(),
  report_desc: z.string().max(2_000).optional(),
  global: z.unknown().optional(),
  autoRefresh: z.unknown().optional(),
  period_desc: z.string().max(100).optional(),
});

async function taskOfApp(ctx: ApiContext, member: MemberRecord, params: Params, appId: string): Promise<LongTask> {
  const task = await visibleTask(ctx, member, taskIdParam(params));
  if (task === undefined || task.app_id !== appId) throw new CountlyReplyError('TALLY_HTTP_TASK_NOT_FOUND');
  return task;
}

/** Deletes a task with its result, checkpoint and subtasks. */
async function deleteWithSubtasks(ctx: ApiContext, task: LongTask): Promise<void> {
  for (const sub of await findTasks(ctx.deps.db, { filter: { subtask: task._id } })) await deleteTaskAndParts(ctx.deps.db, sub);
  await deleteTaskAndParts(ctx.deps.db, task);
  ctx.deps.nc.publish(reportStopSubject(ctx.deps.config.streams), task._id);
}

/** Re-run (§7.4): the stored request again from the start of its period; `rerunning` until the runner finishes. */
async function rerun(ctx: ApiContext, member: MemberRecord, task: LongTask): Promise<string> {
  if (task.creator !== memberIdOf(member) && !isAppAdmin(member, task.app_id) && task.global === false) return 'No permission to run this task';
  if (task.type !== REPORT_TASK_TYPE || ACTIVE_STATUSES.includes(task.status)) return 'This task cannot be run again';
  const meta = await rerunJob(ctx, task);
  if (meta === undefined) return 'This task cannot be run again';
  // A full re-run replays everything: the checkpoint goes, so the runner starts from the period's start.
  await deleteReportCheckpoint(ctx.deps.db, task._id);
  const ok = await updateTask(ctx.deps.db, task._id, { status: 'rerunning', start: ctx.now(), end: 0, meta, errormsg: '' }, [task.status]);
  if (!ok) return 'This task cannot be run again';
  ctx.deps.nc.publish(reportQueuedSubject(ctx.deps.config.streams), task._id);
  return 'Success';
}

function editedRequest(request: string, periodDesc: string | undefined): string | undefined {
  if (periodDesc === undefined || periodDesc === '') return undefined;
  const parsed = z.object({ uri: z.string(), method: z.string(), json: z.record(z.string(), z.unknown()) }).safeParse(JSON.parse(request));
  if (!parsed.success) return undefined;
  return JSON.stringify({ ...parsed.data, json: { ...parsed.data.json, period: periodDesc === 'today' ? 'hour' : periodDesc } });
}

async function edit(ctx: ApiContext, task: LongTask, params: Params): Promise<void> {
  const p = parseParams(taskEditParams, params);
  const request = editedRequest(task.request, p.period_desc);
  const set: Partial<LongTask> = {
    report_name: p.report_name ?? '',
    report_desc: p.report_desc ?? '',
    global: String(p.global) === 'true',
    autoRefresh: String(p.autoRefresh) === 'true',
    period_desc: p.period_desc ?? '',
    ...(request === undefined ? {} : { request }),
  };
  try {
    await updateTask(ctx.deps.db, task._id, set);
  } catch (err) {
    throw new CountlyReplyError('TALLY_HTTP_TASK_EDIT_FAILED', 'Error', { cause: err });
  }
}

async function stop(ctx: ApiContext, task: LongTask): Promise<string> {
  if (task.type !== REPORT_TASK_TYPE || !(await updateTask(ctx.deps.db, task._id, { status: 'stopped', end: ctx.now() }, ACTIVE_STATUSES)))
    return 'Operation could not be stopped';
  ctx.deps.nc.publish(reportStopSubject(ctx.deps.config.streams), task._id);
  return 'Success';
}

export async function taskWrite(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  member: MemberRecord,
  params: Params,
  action: string,
  appId: string,
): Promise<FastifyReply> {
  const task = await taskOfApp(ctx, member, params, appId);
  switch (action) {
    case 'update':
      return sendMessage(request, reply, 200, await rerun(ctx, member, task));
    case 'delete':
      await deleteWithSubtasks(ctx, task);
      request.log.info({ taskId: task._id }, 'task deleted');
      return sendMessage(request, reply, 200, 'Success');
    case 'name':
      await updateTask(ctx.deps.db, task._id, { name: parseParams(taskEditParams, params).name ?? '' });
      return sendMessage(request, reply, 200, 'Success');
    case 'edit':
      await edit(ctx, task, params);
      return sendMessage(request, reply, 200, 'Success');
    case 'stop': {
      const fresh = await readTask(ctx.deps.db, task._id);
      if (fresh === undefined) throw new CountlyReplyError('TALLY_HTTP_TASK_NOT_FOUND');
      return sendMessage(request, reply, 200, await stop(ctx, fresh));
    }
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH');
  }
}
