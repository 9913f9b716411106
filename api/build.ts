import type { FastifyInstance } from 'fastify';
import { createHttpServer, sendMessage } from '../http/index.ts';
import { registerAnalyticsRoutes } from './analytics.routes.ts';
import { registerApiKeyRoute } from './api-key.route.ts';
import { registerExportRoutes } from './export/index.ts';
import { registerAppUserRoutes } from './app-users.routes.ts';
import { registerAppRoutes } from './apps.routes.ts';
import { registerEventGroupRoutes } from './event-groups.ts';
import { registerEventMapRoutes } from './event-map.ts';
import { createApiContext } from './context.ts';
import type { ApiDeps } from './deps.ts';
import { registerMetricsRoute, type MetricsSource } from './metrics.route.ts';
import { registerReadRoute } from './o.routes.ts';
import { registerRebuildRoutes } from './rebuild.routes.ts';
import { registerResetRoutes } from './reset.routes.ts';
import { registerSigninRoutes } from './signin.routes.ts';
import { registerOpenApiRoute } from './openapi.ts';
import { packageVersion, registerSystemRoutes } from './system.routes.ts';
import { registerTaskRoutes } from './tasks.routes.ts';
import { registerTokenRoutes } from './token.routes.ts';
import { registerUserRoutes } from './users.routes.ts';

/**
 * Only `/metrics` (global admins), for a process without the API role: every process has its
 * own metrics, so each one serves them.
 */
export function registerMetricsOnly(app: FastifyInstance, deps: ApiDeps & { readonly metrics: MetricsSource }): void {
  const ctx = createApiContext(deps);
  app.addHook('onClose', () => ctx.stop());
  registerMetricsRoute(app, ctx, deps.metrics);
}

/** Registers every read and management route on an existing server (used by `tally start`). */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const ctx = createApiContext(deps);
  app.addHook('onClose', () => ctx.stop());
  app.get('/o/ping', (request, reply) => sendMessage(request, reply, 200, 'Success'));
  registerApiKeyRoute(app, ctx);
  registerSigninRoutes(app, ctx);
  registerResetRoutes(app, ctx);
  registerAppRoutes(app, ctx);
  registerEventGroupRoutes(app, ctx);
  registerEventMapRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerReadRoute(app, ctx);
  registerAnalyticsRoutes(app, ctx);
  registerAppUserRoutes(app, ctx);
  registerExportRoutes(app, ctx);
  registerSystemRoutes(app, ctx);
  if (deps.metrics !== undefined) registerMetricsRoute(app, ctx, deps.metrics);
  registerRebuildRoutes(app, ctx);
  registerTaskRoutes(app, ctx);
  registerOpenApiRoute(app, packageVersion());
}

/** A server with the read API only, not listening (tests and the `api` role). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = await createHttpServer({ log: deps.log, bodyLimitBytes: deps.config.ingest.bodyLimitBytes, retryAfterS: deps.config.ingest.retryAfterS });
  registerApi(app, deps);
  return app;
}
