// `/o/openapi.json`: an OpenAPI 3.1 description of the read and management routes, generated
// from the same zod schemas the routes parse their parameters with.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { rebuildParams } from './rebuild.routes.ts';
import { sendJsonText } from '../http/index.ts';
import { updateArgs, resetArgs } from './app-admin.ts';
import { createArgs } from './app-create.ts';
import { eventGroupCreateArgs, eventGroupUpdateArgs } from './event-groups.ts';
import { analyticsParams, ANALYTICS_PATHS } from './analytics.routes.ts';
import { appUsersParams } from './app-users.routes.ts';
import { apiRoute } from './http.ts';
import { deleteArgs, updateMemberArgs } from './member-admin.ts';
import { O_METHODS, oParams } from './o.routes.ts';
import { tokenCreateParams } from './tokens.ts';
import { REPORT_KINDS, REPORT_SPECS } from '../projections/index.ts';
import { REPORTS_BASE } from './report-jobs.ts';
import { reportCommonParams, taskIdParams } from './tasks.ts';
import { taskListParams } from './tasks-read.ts';
import { taskEditParams } from './tasks-write.ts';

interface RouteDoc {
  readonly path: string;
  readonly summary: string;
  readonly validator:
    'none' | 'member' | 'global admin' | 'app admin' | 'read (core)' | 'user write (core)' | 'create/update/delete (core)' | 'update (events)';
  /** Query (or form) parameters. */
  readonly params?: z.ZodObject;
  /** The JSON `args` parameter of management calls. */
  readonly args?: z.ZodType;
}

/** What the task list reads take besides credentials (the query is allow-listed, §9.2). */
const taskQueryParams = z
  .object({ app_id: z.string().length(24), query: z.string().optional(), period: z.string().optional() })
  .extend(taskListParams.omit({ subtask_key: true }).shape);

const ROUTES: readonly RouteDoc[] = [
  { path: '/o', summary: `Read API; method = ${O_METHODS.join(' | ')}`, validator: 'read (core)', params: oParams },
  ...ANALYTICS_PATHS.map((p): RouteDoc => ({ path: `/o/analytics/${p}`, summary: `Analytics: ${p}`, validator: 'read (core)', params: analyticsParams })),
  { path: '/o/app_users/loyalty', summary: 'App users by session count; query is allow-listed', validator: 'read (core)', params: appUsersParams },
  { path: '/o/app_users/consents', summary: 'App users page; query, sort and projection are allow-listed', validator: 'read (core)', params: appUsersParams },
  { path: '/i/apps/create', summary: 'Create an app', validator: 'global admin', args: createArgs },
  { path: '/i/apps/update', summary: 'Update an app (app admin with top-level app_id)', validator: 'app admin', args: updateArgs },
  { path: '/i/apps/delete', summary: 'Delete an app and its data', validator: 'global admin', args: resetArgs.pick({ app_id: true }) },
  { path: '/i/apps/reset', summary: 'Reset app data (period reset|all|1month|3month|6month|1year|2year)', validator: 'global admin', args: resetArgs },
  { path: '/i/event_groups/create', summary: 'Create an event group', validator: 'create/update/delete (core)', args: eventGroupCreateArgs },
  {
    path: '/i/event_groups/update',
    summary: 'Update a group (args), order groups (event_order) or set status (update_status, status)',
    validator: 'create/update/delete (core)',
    args: eventGroupUpdateArgs,
  },
  { path: '/i/event_groups/delete', summary: 'Delete event groups (args: JSON array of ids)', validator: 'create/update/delete (core)' },
  {
    path: '/i/events/edit_map',
    summary: 'Event order, display names, visibility and overview (event_map, event_order, event_overview)',
    validator: 'update (events)',
  },
  { path: '/o/apps/all', summary: 'Every app', validator: 'global admin' },
  { path: '/o/apps/mine', summary: "The caller's apps", validator: 'member' },
  { path: '/o/apps/details', summary: 'Ownership and members of an app', validator: 'app admin', params: z.object({ app_id: z.string().length(24) }) },
  { path: '/i/users/update', summary: 'Update a member', validator: 'global admin', args: updateMemberArgs },
  { path: '/i/users/delete', summary: 'Delete members', validator: 'global admin', args: deleteArgs },
  { path: '/o/users/me', summary: 'The caller', validator: 'member' },
  { path: '/o/users/all', summary: 'Every member, with brute-force state', validator: 'global admin' },
  { path: '/o/users/reset_timeban', summary: 'Clear a brute-force block', validator: 'global admin', params: z.object({ username: z.string() }) },
  { path: '/i/token/create', summary: 'Create an auth token', validator: 'member', params: tokenCreateParams },
  { path: '/i/token/delete', summary: 'Delete an own token', validator: 'member', params: z.object({ tokenid: z.string() }) },
  { path: '/o/token/list', summary: 'Own tokens', validator: 'member' },
  { path: '/o/token/check', summary: 'Validity and time left of an own token', validator: 'member', params: z.object({ token: z.string() }) },
  { path: '/o/system/version', summary: 'Server version', validator: 'member' },
  { path: '/o/system/pipeline', summary: 'Consumer groups: head, applied sequence, lag, last flush, dead letters', validator: 'global admin' },
  { path: '/o/system/rebuilds', summary: 'Projection pointers and rebuild progress', validator: 'global admin' },
  { path: '/i/system/rebuild', summary: 'Start or cancel a projection rebuild', validator: 'global admin', params: rebuildParams },
  { path: '/o/ping', summary: 'Liveness', validator: 'none' },
  ...REPORT_KINDS.map((kind): RouteDoc => ({
    path: `${REPORTS_BASE}/${kind}`,
    summary: `Long report over the raw event stream: ${kind} (docs/reports.md). Answers the result within reports.requestThresholdMs, else {"result":{"task_id":...}}`,
    validator: 'read (core)',
    params: reportCommonParams.extend(REPORT_SPECS[kind].shape),
  })),
  { path: '/o/tasks/all', summary: 'Tasks of app_id (or app_ids), global or own, without data (§7.3)', validator: 'read (core)', params: taskQueryParams },
  { path: '/o/tasks/count', summary: 'Task count: [{_id: app_id, c}]', validator: 'read (core)', params: taskQueryParams },
  { path: '/o/tasks/list', summary: 'Task table page (DataTables): search, sort, paging', validator: 'read (core)', params: taskQueryParams },
  {
    path: '/o/tasks/task',
    summary: 'One task with its result (data), or its subtask by subtask_key',
    validator: 'read (core)',
    params: taskIdParams.extend({ subtask_key: z.string().optional() }),
  },
  {
    path: '/o/tasks/check',
    summary: 'Status of a task, or of a JSON array of tasks (deleted ones: "deleted")',
    validator: 'read (core)',
    params: taskIdParams,
  },
  { path: '/i/tasks/update', summary: 'Re-run a task from the start of its period', validator: 'user write (core)', params: taskIdParams },
  { path: '/i/tasks/delete', summary: 'Delete a task with its result, checkpoint and subtasks', validator: 'user write (core)', params: taskIdParams },
  { path: '/i/tasks/name', summary: 'Rename a task', validator: 'user write (core)', params: taskIdParams.extend({ name: z.string() }) },
  {
    path: '/i/tasks/edit',
    summary: 'Edit report_name, report_desc, global, autoRefresh, period_desc',
    validator: 'user write (core)',
    params: taskIdParams.extend(taskEditParams.shape),
  },
  { path: '/i/tasks/stop', summary: 'Stop a running task', validator: 'user write (core)', params: taskIdParams.extend({ op_id: z.string().optional() }) },
];

const CREDENTIALS = new Set(['api_key', 'auth_token']);
const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });

function parameters(doc: RouteDoc): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (doc.params !== undefined) {
    const schema = jsonSchema(doc.params);
    const required = new Set(schema.required ?? []);
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (!CREDENTIALS.has(name)) out.push({ name, in: 'query', required: required.has(name), schema: property });
    }
  }
  if (doc.args !== undefined) out.push({ name: 'args', in: 'query', required: true, content: { 'application/json': { schema: jsonSchema(doc.args) } } });
  return out;
}

function operation(doc: RouteDoc): Record<string, unknown> {
  return {
    summary: doc.summary,
    description: `Validator: ${doc.validator}. Errors answer {"result": <message>} with the status of spec §4.2.`,
    parameters: parameters(doc),
    security: doc.validator === 'none' ? [] : [{ apiKey: [] }, { authToken: [] }, { countlyToken: [] }],
    responses: {
      '200': { description: 'Output writer (raw JSON) or message writer ({"result": ...})' },
      '400': { description: 'Bad input' },
      '401': { description: 'Credentials or rights' },
    },
  };
}

/** The OpenAPI document. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths = Object.fromEntries(ROUTES.map((doc) => [doc.path, { get: operation(doc), post: operation(doc) }]));
  return {
    openapi: '3.1.0',
    info: { title: 'Tally read and management API (Countly-compatible)', version },
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'query', name: 'api_key' },
        authToken: { type: 'apiKey', in: 'query', name: 'auth_token' },
        countlyToken: { type: 'apiKey', in: 'header', name: 'countly-token' },
      },
    },
  };
}

export function registerOpenApiRoute(app: FastifyInstance, version: string): void {
  const body = JSON.stringify(openApiDocument(version));
  apiRoute(app, '/o/openapi.json', (request, reply) => sendJsonText(request, reply, 200, body));
}
