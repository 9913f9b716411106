// `GET /metrics` (global admin): the process's Prometheus metrics, rendered by the registry the
// process main built (scripts/metrics.ts). Prometheus passes the key as a parameter:
// `params: { api_key: [KEY] }` in its scrape config (docs/metrics.md).
import type { FastifyInstance } from 'fastify';
import { requireGlobalAdmin } from './auth.ts';
import type { ApiContext } from './context.ts';
import { apiRoute } from './http.ts';

/** What the route renders: the metrics of this process, in Prometheus's text format. */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export function registerMetricsRoute(app: FastifyInstance, ctx: ApiContext, source: MetricsSource): void {
  apiRoute(app, '/metrics', async (request, reply, params) => {
    await requireGlobalAdmin(ctx, request, params);
    const body = await source.render();
    return reply.type(source.contentType).send(body);
  });
}
