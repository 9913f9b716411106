// `/o/export/requestQuery` and `/o/export/download/<task_id>` (spec §8, §7.2): the export always
// becomes a task. The answer is the task handle at once; the export runs after it, its bytes go
// into a stored file (projections/store/export-tasks.store.ts), and the task is completed or
// errored. Only the task document an export needs is built here; the task manager (issue 16)
// owns `/o/tasks/*` and `/i/tasks/*`, and calls `deleteExportFile` when it deletes a task.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendMessage } from '../../http/index.ts';
import {
  completeExportTask,
  deleteExportFile,
  exportFileLength,
  exportFileWriter,
  failExportTask,
  findExportTask,
  findRunningTask,
  insertExportTask,
  readExportFile,
  type MemberRecord,
} from '../../projections/index.ts';
import { requireAppRight, requireMember } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { parseParams, type Params } from '../http.ts';
import { CORE_FEATURE } from '../rights.ts';
import { convertValue, tableOptionsOf } from './convert.ts';
import { contentDisposition, contentTypeOf, extensionOf, requestFileName, typeOfFileName } from './formats.ts';
import { innerPathOf, innerRead, requestExportParams, type RequestExportParams } from './request-export.ts';

/** Parameters never stored in a task's `request` (spec §7.1). */
const UNSTORED = new Set(['api_key', 'auth_token', 'task_id', 'callback', '_']);

/** Exports running after their answer; `stop` waits for them. */
export class ExportTasks {
  private readonly running = new Set<Promise<void>>();
  track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }
  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}

/** The `long_tasks` document of an export (every field of spec §7.1). */
function taskDocument(id: string, member: MemberRecord, params: Params, p: RequestExportParams, path: string, reportName: string, nowMs: number) {
  const json = Object.fromEntries(Object.entries(params).filter(([k]) => !UNSTORED.has(k)));
  const data = typeof p.data === 'object' && p.data !== null ? (p.data as Record<string, unknown>) : {};
  const appId = typeof params.app_id === 'string' ? params.app_id : typeof data.app_id === 'string' ? data.app_id : '';
  return {
    _id: id,
    ts: nowMs,
    start: nowMs,
    end: 0,
    status: 'running',
    type: p.type_name !== undefined && p.type_name !== '' ? p.type_name : 'tableExport',
    meta: JSON.stringify({ path, prop: p.prop ?? '', type: p.type }),
    name: reportName,
    view: '',
    request: JSON.stringify({ uri: '/o/export/requestQuery', method: 'POST', json }),
    app_id: appId,
    creator: member._id.toHexString(),
    global: false,
    r_hour: 0,
    autoRefresh: false,
    report_name: reportName,
    report_desc: '',
    period_desc: '',
    manually_create: false,
    subtask_key: '',
    taskgroup: false,
    subtask: null,
    subtasks: {},
    linked_to: null,
    hasData: false,
    gridfs: true,
    errormsg: '',
  };
}

/** Runs the export of a task into its file; the task ends `completed` or `errored`, never `running`. */
async function runExportTask(
  app: FastifyInstance,
  ctx: ApiContext,
  request: FastifyRequest,
  params: Params,
  p: RequestExportParams,
  taskId: string,
  reportName: string,
) {
  const db = ctx.deps.db;
  try {
    const answer = await innerRead(app, request, params, p);
    if (!answer.ok) {
      const parsed: unknown = JSON.parse(answer.body);
      const message = typeof parsed === 'object' && parsed !== null && 'result' in parsed ? String(parsed.result) : answer.body;
      await failExportTask(db, taskId, ctx.now(), message);
      return;
    }
    await pipeline(convertValue(answer.value, p.type, tableOptionsOf(p)), exportFileWriter(db, taskId, reportName));
    const hasData = Array.isArray(answer.value) ? answer.value.length > 0 : answer.value !== undefined && answer.value !== null;
    await completeExportTask(db, taskId, ctx.now(), hasData);
  } catch (err) {
    ctx.log.error({ err, taskId }, 'export task failed');
    // Decision: the half-written file goes, the task says why; a store that is down for these
    // writes too leaves the task `running` (the task manager marks such tasks on restart).
    await deleteExportFile(db, taskId).catch((cleanup: unknown) => ctx.log.error({ err: cleanup, taskId }, 'export file cleanup failed'));
    await failExportTask(db, taskId, ctx.now(), 'Export failed').catch((update: unknown) =>
      ctx.log.error({ err: update, taskId }, 'export task update failed'),
    );
  }
}

export async function exportRequestQuery(
  app: FastifyInstance,
  ctx: ApiContext,
  tasks: ExportTasks,
  request: FastifyRequest,
  reply: FastifyReply,
  params: Params,
): Promise<FastifyReply> {
  const member = await requireMember(ctx, request, params);
  const p = parseParams(requestExportParams, params);
  const path = innerPathOf(p);
  tableOptionsOf(p);
  const filename = p.filename !== undefined && p.filename !== '' ? p.filename : requestFileName(path, ctx.now());
  const reportName = `${filename}.${extensionOf(p.type)}`;
  const id = randomBytes(20).toString('hex');
  const doc = taskDocument(id, member, params, p, path, reportName, ctx.now());
  const same = await findRunningTask(ctx.deps.db, doc.creator, doc.request);
  if (same !== undefined) return sendMessage(request, reply, 200, { task_id: same });
  await insertExportTask(ctx.deps.db, doc);
  tasks.track(runExportTask(app, ctx, request, params, p, id, reportName));
  return sendMessage(request, reply, 200, { task_id: id });
}

export const downloadParams = z.looseObject({ task_id: z.string().max(100) });

/** The stored file of an export task, typed by its report name's extension. */
export async function exportDownload(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params): Promise<FastifyReply> {
  const { member, app } = await requireAppRight(ctx, request, params, CORE_FEATURE);
  const { task_id: taskId } = parseParams(downloadParams, params);
  const missing = (): never => {
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Export stream does not exist');
  };
  const task = /^[0-9a-f]{40}$/.test(taskId) ? await findExportTask(ctx.deps.db, taskId) : undefined;
  // A task of another app, or another member's private task, does not exist for this caller.
  if (task === undefined || task.app_id !== app._id.toHexString()) return missing();
  if (!task.global && task.creator !== member._id.toHexString() && !member.global_admin) return missing();
  const reportName = task.report_name ?? '';
  const type = typeOfFileName(reportName);
  if (reportName === '' || type === undefined) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Missing filename');
  const length = await exportFileLength(ctx.deps.db, taskId);
  if (length === undefined) return missing();
  if (length === 0) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Export size is 0');
  return reply
    .code(200)
    .header('Content-Type', contentTypeOf(type))
    .header('Content-Disposition', contentDisposition(reportName.slice(0, -(type.length + 1)), type))
    .header('Content-Length', String(length))
    .send(Readable.from(readExportFile(ctx.deps.db, taskId)));
}
