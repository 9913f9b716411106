// The process main: starts or finds the services, opens connections, ensures streams and the
// bootstrap admin, starts the requested roles on one HTTP server, and closes all of it in
// reverse order from one path.
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import { MongoClient, type Db } from 'mongodb';
import type { Logger } from 'pino';
import { ensureAdmin, ensureManagementIndexes, registerApi, registerMetricsOnly } from '../api/index.ts';
import { createHttpServer } from '../http/index.ts';
import { loadGeoIp, registerIngest, type GeoIp } from '../ingest/index.ts';
import { createMailDeps, notifyError, notifyTaskFinished, type MailDeps } from '../mail/index.ts';
import {
  ensureStreams,
  LIVE_PIPELINES,
  serveRebuildCommands,
  startProcessors,
  startReportRunner,
  type IncidentReporter,
  type LivePipeline,
  type NotifyTaskFinished,
  type ProcessorsHandle,
  type ReportRunner,
} from '../processors/index.ts';
import { loadConfig, natsServers, type TallyConfig } from '../streams.config.ts';
import { registerHealth } from './health.ts';
import { ensureServiceBinaries } from './install.ts';
import { createMetrics } from './metrics.ts';
import { startFerret, startNats, type ManagedService } from './services.ts';

export const ROLES = ['ingest', 'processor', 'api'] as const;
export type Role = (typeof ROLES)[number];

export interface StartOptions {
  readonly config: Readonly<TallyConfig>;
  readonly log: Logger;
  /** Roles to run in this process. Default: all. */
  readonly roles?: readonly Role[];
  /** Pipelines the processor role runs. Default: the live projections. */
  readonly pipelines?: readonly LivePipeline[];
  /** Completion notice of tasks created by hand (the mail issue wires it); default none. */
  readonly notifyTaskFinished?: NotifyTaskFinished;
}

export interface TallyHandle {
  /** Base URL the HTTP server listens on. */
  readonly url: string;
  readonly http: FastifyInstance;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly db: Db;
  readonly mongo: MongoClient;
  readonly services: readonly ManagedService[];
  /** The processor role's handle, when this process runs it. */
  readonly processors: ProcessorsHandle | undefined;
  /** The processor role's report runner, when this process runs it. */
  readonly reports: ReportRunner | undefined;
  close(): Promise<void>;
}

/** True when a server of the kind already answers on the loopback port (another Tally's services). */
async function answers(kind: 'nats' | 'mongo', port: number, timeoutMs: number): Promise<boolean> {
  if (port === 0) return false;
  try {
    if (kind === 'nats') {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false, timeout: timeoutMs });
      await nc.close();
    } else {
      const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: timeoutMs, directConnection: true });
      try {
        await client.db('admin').command({ ping: 1 });
      } finally {
        await client.close();
      }
    }
    return true;
  } catch {
    // Decision: nothing answering is the normal case; we start our own server there.
    return false;
  }
}

/**
 * Uses NATS_URL / MONGODB_URL when set; otherwise the local services of a Tally already running
 * on the configured ports (so `tally status` or a second `--role processor` share them);
 * otherwise starts the pinned local servers under dataDir.
 */
export async function resolveServices(config: Readonly<TallyConfig>, log: Logger): Promise<{ natsUrl: string; mongoUrl: string; services: ManagedService[] }> {
  if (config.natsUrl === undefined && (await answers('nats', config.services.natsPort, config.services.detectTimeoutMs))) {
    log.info({ port: config.services.natsPort }, 'using the nats-server already running on the local port');
    return resolveServices(loadConfig({ ...config, natsUrl: `nats://127.0.0.1:${config.services.natsPort}` }), log);
  }
  if (config.mongodbUrl === undefined && (await answers('mongo', config.services.mongoPort, config.services.detectTimeoutMs))) {
    log.info({ port: config.services.mongoPort }, 'using the MongoDB-protocol server already running on the local port');
    return resolveServices(loadConfig({ ...config, mongodbUrl: `mongodb://127.0.0.1:${config.services.mongoPort}/` }), log);
  }
  const services: ManagedService[] = [];
  if (config.natsUrl === undefined || config.mongodbUrl === undefined) ensureServiceBinaries(log);
  try {
    const nats = config.natsUrl === undefined ? await startNats(config.dataDir, config.services.natsPort, config.services) : undefined;
    if (nats !== undefined) services.push(nats);
    const mongo = config.mongodbUrl === undefined ? await startFerret(config.dataDir, config.services.mongoPort, config.services) : undefined;
    if (mongo !== undefined) services.push(mongo);
    for (const s of services) log.info({ service: s.name, url: s.url, logFile: s.logFile }, 'managed service ready');
    return { natsUrl: config.natsUrl ?? nats?.url ?? '', mongoUrl: config.mongodbUrl ?? mongo?.url ?? '', services };
  } catch (err) {
    await Promise.all(services.map((s) => s.stop()));
    throw err;
  }
}

export async function connectAll(natsUrl: string, mongoUrl: string, config: Readonly<TallyConfig>) {
  // Reconnect forever: an outage answers 503 at the edge and the process recovers when NATS returns.
  // noAsyncTraces: nats.js otherwise builds two error objects per request for stack traces
  // (13% of /i CPU in the bench profile; BENCHMARKS.md).
  const nc = await connect({
    servers: natsServers(natsUrl),
    name: `tally-${process.pid}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: config.connections.natsReconnectWaitMs,
    noAsyncTraces: true,
  });
  const mongo = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: config.connections.mongoServerSelectionTimeoutMs, appName: 'tally' });
  try {
    await mongo.connect();
  } catch (err) {
    await nc.close();
    throw err;
  }
  return { nc, mongo, db: mongo.db(config.mongodbDb), js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Incidents of the processors go to global admins by mail (rate-limited per kind, mail/notices.ts). */
const mailIncidents =
  (mail: MailDeps): IncidentReporter =>
  (incident) =>
    mail.mailer.track(`incident ${incident.kind}`, async () => {
      await notifyError(mail, incident);
    });

/**
 * A finished report task: its creator is mailed (the runner calls this only for tasks created by
 * hand), and a failed one is also an incident for global admins (rate-limited per kind).
 */
const mailTaskNotices =
  (mail: MailDeps): NotifyTaskFinished =>
  (task, outcome) => {
    mail.mailer.track(`task ${task._id} ${outcome}`, async () => {
      await notifyTaskFinished(mail, { task, outcome });
      if (outcome === 'errored')
        await notifyError(mail, { kind: 'task-failed', title: `Task ${task.report_name || task.name} failed`, detail: task.errormsg ?? '' });
    });
    return Promise.resolve();
  };

/** The geo-IP database when config.ingest.geoIp is on: read once here, handed to ingest. */
function geoIpFor(config: Readonly<TallyConfig>, log: Logger): GeoIp | null {
  if (!config.ingest.geoIp) return null;
  const geo = loadGeoIp();
  log.info({ builtAt: geo.builtAt }, 'geo-IP database loaded (DB-IP city lite, CC-BY-4.0)');
  return geo;
}

/** Starts Tally with the given roles and listens on config.host:config.port (0 picks a free port). */
export async function startTally(opts: StartOptions): Promise<TallyHandle> {
  const { config, log } = opts;
  const roles = new Set<Role>(opts.roles ?? ROLES);
  const { natsUrl, mongoUrl, services } = await resolveServices(config, log);
  const closers: (() => Promise<void>)[] = [() => Promise.all(services.map((s) => s.stop())).then(() => undefined)];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const conn = await connectAll(natsUrl, mongoUrl, config);
    closers.push(
      () => conn.mongo.close(),
      () => conn.nc.drain(),
    );
    await ensureStreams(conn.jsm, config.streams);
    await ensureManagementIndexes(conn.db);
    await ensureAdmin(conn.db, config.admin, log);

    // One mailer per process, for the API's mails and the processors' incidents; closed after both stop.
    const mail = createMailDeps({ config, db: conn.db, log });
    closers.push(() => mail.mailer.close());
    const http = await createHttpServer({ log, bodyLimitBytes: config.ingest.bodyLimitBytes, retryAfterS: config.ingest.retryAfterS });
    const deps = { config, log, db: conn.db, nc: conn.nc, js: conn.js, mail, incidents: mailIncidents(mail) };
    const metrics = createMetrics(config, { db: conn.db, nc: conn.nc, log: log.child({ component: 'metrics' }) });
    metrics.observeHttp(http);
    let processors: ProcessorsHandle | undefined;
    let reports: ReportRunner | undefined;
    if (roles.has('processor')) {
      const processorDeps = { ...deps, jsm: conn.jsm, log: log.child({ component: 'processors' }), observer: metrics.processors };
      processors = await startProcessors(processorDeps, opts.pipelines ?? LIVE_PIPELINES);
      const p = processors;
      closers.push(() => p.stop());
      const rebuilds = serveRebuildCommands(processorDeps, opts.pipelines ?? LIVE_PIPELINES);
      closers.push(() => rebuilds.stop());
      const runner = await startReportRunner({
        ...deps,
        jsm: conn.jsm,
        log: log.child({ component: 'reports' }),
        notifyTaskFinished: opts.notifyTaskFinished ?? mailTaskNotices(mail),
      });
      reports = runner;
      closers.push(() => runner.stop());
    }
    registerHealth(http, {
      nc: conn.nc,
      db: conn.db,
      timeoutMs: config.healthCheckTimeoutMs,
      roles: () => ({
        ...(roles.has('ingest') ? { ingest: true } : {}),
        ...(roles.has('api') ? { api: true } : {}),
        ...(processors ? { processor: processors.running() } : {}),
      }),
    });
    if (roles.has('ingest')) registerIngest(http, { ...deps, observer: metrics.ingest, geo: geoIpFor(config, log) });
    if (roles.has('api')) registerApi(http, { ...deps, metrics });
    else registerMetricsOnly(http, { ...deps, metrics });
    closers.push(() => http.close());
    await http.listen({ port: config.port, host: config.host });
    const addr = http.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    return { url, http, ...conn, services, processors, reports, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
