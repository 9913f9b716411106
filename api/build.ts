import type { FastifyInstance } from 'fastify';
import { createHttpServer, sendMessage } from '../http/index.ts';
import { registerAnalyticsRoutes } from './analytics.routes.ts';
import { registerApiKeyRoute } from './api-key.route.ts';
import { registerExportRoutes } from './export/index.ts';
import { registerAppUserRoutes } from './app-users.routes.ts';
import { registerAppRoutes } from './apps.routes.ts';
import { createApiContext } from './context.ts';
import type { ApiDeps } from './deps.ts';
import { registerReadRoute } from './o.routes.ts';
import { registerRebuildRoutes } from './rebuild.routes.ts';
import { registerOpenApiRoute } from './openapi.ts';
import { packageVersion, registerSystemRoutes } from './system.routes.ts';
import { registerTokenRoutes } from './token.routes.ts';
import { registerUserRoutes } from './users.routes.ts';

/** Registers every read and management route on an existing server (used by `tally start`). */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const ctx = createApiContext(deps);
  app.addHook('onClose', async () => {
    ctx.stop();
    return Promise.resolve();
  });
  app.get('/o/ping', (request, reply) => sendMessage(request, reply, 200, 'Success'));
  registerApiKeyRoute(app, ctx);
  registerAppRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerReadRoute(app, ctx);
  registerAnalyticsRoutes(app, ctx);
  registerAppUserRoutes(app, ctx);
  registerExportRoutes(app, ctx);
  registerSystemRoutes(app, ctx);
  registerRebuildRoutes(app, ctx);
  registerOpenApiRoute(app, packageVersion());
}

/** A server with the read API only, not listening (tests and the `api` role). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = await createHttpServer({ log: deps.log, bodyLimitBytes: deps.config.ingest.bodyLimitBytes, retryAfterS: deps.config.ingest.retryAfterS });
  registerApi(app, deps);
  return app;
}
