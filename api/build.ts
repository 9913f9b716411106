import type { FastifyInstance } from 'fastify';
import { createHttpServer, sendMessage } from '../ingest/index.ts';
import { registerApiKeyRoute } from './api-key.route.ts';
import { registerAppRoutes } from './apps.routes.ts';
import type { ApiDeps } from './deps.ts';
import { registerUserRoutes } from './users.routes.ts';

/** Registers every read and management route on an existing server (used by `tally start`). */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/o/ping', (request, reply) => sendMessage(request, reply, 200, 'Success'));
  registerApiKeyRoute(app, deps);
  registerAppRoutes(app, deps);
  registerUserRoutes(app, deps);
}

/** A server with the read API only, not listening (tests and the `api` role). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = await createHttpServer({ log: deps.log, bodyLimitBytes: deps.config.ingest.bodyLimitBytes, retryAfterS: deps.config.ingest.retryAfterS });
  registerApi(app, deps);
  return app;
}
