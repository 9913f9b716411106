// `/o/export/*` (spec §8): db, request, requestQuery, download/<task_id>, data.
import type { FastifyInstance } from 'fastify';
import { CountlyReplyError } from '../../http/index.ts';
import type { ApiContext } from '../context.ts';
import { actionOf, apiFamily, apiRoute } from '../http.ts';
import { exportDb } from './db-export.ts';
import { exportDownload, exportRequestQuery, ExportTasks } from './export-task.ts';
import { exportData, exportRequest } from './request-export.ts';

/** Registers the export routes; exports still running as tasks are awaited when the server closes. */
export function registerExportRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tasks = new ExportTasks();
  app.addHook('onClose', () => tasks.stop());
  apiFamily(app, '/o/export', (request, reply, params) => {
    const action = actionOf(request);
    if (action === 'db') return exportDb(ctx, request, reply, params);
    if (action === 'request') return exportRequest(app, ctx, request, reply, params);
    if (action === 'requestQuery') return exportRequestQuery(app, ctx, tasks, request, reply, params);
    if (action === 'data') return exportData(ctx, request, reply, params);
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH');
  });
  apiRoute(app, '/o/export/download/:task_id', (request, reply, params) => {
    const p = request.params;
    const taskId = typeof p === 'object' && p !== null && 'task_id' in p && typeof p.task_id === 'string' ? p.task_id : '';
    return exportDownload(ctx, request, reply, { ...params, task_id: taskId });
  });
}
