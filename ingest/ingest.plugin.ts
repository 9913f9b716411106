// Mounts `/i` and `/i/bulk` on a Countly HTTP server (see http.ts) and owns what they share:
// the app cache and its invalidation subscription, the rate limiter, the NATS link and metrics.
import type { Subscription } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import { sendMessage, trustedProxies } from '../http/index.ts';
import { appChangedSubject } from '../streams.config.ts';
import { AppCache } from './app-cache.ts';
import type { IngestContext } from './context.ts';
import type { IngestDeps } from './deps.ts';
import { registerBulkRoute } from './ingest-bulk.route.ts';
import { registerSingleRoute } from './ingest-single.route.ts';
import { IngestMetrics } from './metrics.ts';
import { NatsLink } from './nats-link.ts';
import { RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Ingest counters; present when the ingest role is mounted on this server. */
    ingestMetrics?: IngestMetrics;
  }
}

/** What registerIngest hands back (the same objects are reachable from the fastify instance). */
export interface IngestHandle {
  readonly metrics: IngestMetrics;
  readonly apps: AppCache;
}

/** Drops the app cache whenever the API announces an app change. */
function subscribeAppChanges(deps: IngestDeps, apps: AppCache): Subscription {
  return deps.nc.subscribe(appChangedSubject(deps.config.streams), {
    callback: (err, msg) => {
      apps.invalidateAll();
      if (err !== null) deps.log.warn({ err }, 'app-changed subscription failed: cache dropped, TTL alone keeps it fresh');
      else deps.log.debug({ appId: msg.string() }, 'app changed: app cache dropped');
    },
  });
}

/** Registers the ingest routes. Does not listen; closing the server unsubscribes. */
export function registerIngest(app: FastifyInstance, deps: IngestDeps): IngestHandle {
  const log = deps.log.child({ component: 'ingest' });
  const metrics = new IngestMetrics(deps.observer);
  const apps = new AppCache({ db: deps.db, ttlMs: deps.config.ingest.appCacheTtlMs, stats: metrics.appCache });
  const link = new NatsLink(deps.nc, log);
  const perS = deps.config.ingest.rateLimitPerAppPerS;
  const ctx: IngestContext = {
    deps: { ...deps, log },
    apps,
    metrics,
    link,
    limiter: perS > 0 ? new RateLimiter(perS) : undefined,
    trusted: trustedProxies(deps.config.ingest.trustedProxies),
    geo: deps.geo,
  };
  link.start(() => apps.invalidateAll());
  const sub = subscribeAppChanges(ctx.deps, apps);
  app.addHook('onClose', (_instance, done) => {
    link.stop();
    if (!deps.nc.isClosed()) sub.unsubscribe();
    done();
  });
  registerSingleRoute(app, ctx);
  registerBulkRoute(app, ctx);
  for (const url of ['/i', '/i/bulk']) {
    app.route({ method: 'HEAD', url, handler: (request, reply) => sendMessage(request, reply, 405, 'Method not allowed') });
  }
  app.decorate('ingestMetrics', metrics);
  return { metrics, apps };
}
