// GET /healthz: 200 when NATS, MongoDB and every role of this process are up; else 503 naming what is not.
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import type { Db } from 'mongodb';

export interface HealthDeps {
  readonly nc: NatsConnection;
  readonly db: Db;
  /** Role name → is it running. */
  readonly roles: () => Readonly<Record<string, boolean>>;
  /** Longest wait for each dependency check, ms. */
  readonly timeoutMs: number;
}

async function within(ms: number, run: () => Promise<unknown>): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([run(), new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms)))]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealth(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async (_request, reply) => {
    const [natsErr, mongoErr] = await Promise.all([
      deps.nc.isClosed() ? Promise.resolve('connection closed') : within(deps.timeoutMs, () => deps.nc.flush()),
      within(deps.timeoutMs, () => deps.db.command({ ping: 1 })),
    ]);
    const roles = deps.roles();
    const body = {
      status: 'ok' as 'ok' | 'unavailable',
      nats: natsErr === undefined ? { ok: true } : { ok: false, error: natsErr },
      mongodb: mongoErr === undefined ? { ok: true } : { ok: false, error: mongoErr },
      roles: Object.fromEntries(Object.entries(roles).map(([k, v]) => [k, { running: v }])),
    };
    const healthy = natsErr === undefined && mongoErr === undefined && Object.values(roles).every(Boolean);
    if (!healthy) body.status = 'unavailable';
    return reply.code(healthy ? 200 : 503).send(body);
  });
}
