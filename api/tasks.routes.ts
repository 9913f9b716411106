// The task manager's routes (spec §7.3) and the long report routes (docs/reports.md).
import type { FastifyInstance } from 'fastify';
import { CountlyReplyError, sendOutput } from '../http/index.ts';
import { requireAppRight } from './auth.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, apiRoute } from './http.ts';
import { isReportKind, REPORTS_BASE, runReport } from './report-jobs.ts';
import { CORE_FEATURE } from './rights.ts';
import { taskIdParam, taskCheck, taskRead, tasksAll, tasksCount, tasksList } from './tasks-read.ts';
import { taskWrite } from './tasks-write.ts';

const READS = new Set(['all', 'count', 'list', 'task', 'check']);
const WRITES = new Set(['update', 'delete', 'name', 'edit', 'stop']);

export function registerTaskRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/o/tasks', async (request, reply, params) => {
    const action = actionOf(request);
    if (!READS.has(action)) throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH');
    const { member, app: appRecord } = await requireAppRight(ctx, request, params, CORE_FEATURE);
    const appId = appRecord._id.toHexString();
    switch (action) {
      case 'all':
        return sendOutput(request, reply, params, await tasksAll(ctx, member, params, appRecord.timezone, appId));
      case 'count':
        return sendOutput(request, reply, params, await tasksCount(ctx, member, params, appRecord.timezone, appId));
      case 'list':
        return sendOutput(request, reply, params, await tasksList(ctx, member, params, appRecord.timezone, appId));
      case 'task':
        return taskRead(ctx, request, reply, member, params);
      default:
        return taskCheck(ctx, request, reply, member, params);
    }
  });
  apiFamily(app, '/i/tasks', async (request, reply, params) => {
    // §7.3: every /i/tasks call first needs task_id, then a known sub-path, then the write right.
    taskIdParam(params);
    const action = actionOf(request);
    if (!WRITES.has(action)) throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH');
    const { member, app: appRecord } = await requireAppRight(ctx, request, params, CORE_FEATURE, 'u');
    return taskWrite(ctx, request, reply, member, params, action, appRecord._id.toHexString());
  });
  apiRoute(app, `${REPORTS_BASE}/:action`, async (request, reply, params) => {
    const kind = actionOf(request);
    if (!isReportKind(kind)) throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH');
    if (params.app_id === undefined || params.app_id === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "app_id"');
    const access = await requireAppRight(ctx, request, params, CORE_FEATURE);
    return runReport(ctx, request, reply, params, kind, access);
  });
}
