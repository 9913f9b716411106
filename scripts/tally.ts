// The `tally` CLI: start roles, manage local services, show pipeline status, create admins.
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MongoClient, type Db } from 'mongodb';
import type { Logger } from 'pino';
import { createMember, ensureManagementIndexes, pipelineStatus } from '../api/index.ts';
import { ACTIVE_STATUSES, countMembers, findTasks, readMailStats, REPORT_TASK_TYPE } from '../projections/index.ts';
import { ConfigError, deadLetterStreamName, eventsStreamName, loadConfig, natsServers, type TallyConfig } from '../streams.config.ts';
import { createLogger } from './logger.ts';
import { cmdProjections, cmdRebuild } from './rebuild-cli.ts';
import { ROLES, resolveServices, startTally, type Role } from './runtime.ts';
import { servicesDown, servicesStatus, servicesUp, withRunningServices } from './services-cli.ts';

const USAGE = `Usage: tally <command>

  start [--role all|ingest|processor|api[,..]]   run Tally (default: all roles in one process)
  services up [--cluster N]|down|status|install  manage the local nats-server (or an N-node JetStream
                                                 cluster on loopback) and FerretDB
  status                                         stream and consumer state
  admin create --username U --password P --email E   create a global admin
  rebuild <projection|all> [--from SEQ|TIME] [--base VERSION]
                                                 build a new projection version from the stream,
                                                 switch readers to it at the live head
  projections [list|prune|rollback] [projection|all]   versions, drop old ones, switch back

Configuration comes from the environment: PORT, HOST, DATA_DIR, NATS_URL, MONGODB_URL,
MONGODB_DB, LOG_LEVEL, TALLY_ADMIN_USERNAME/PASSWORD/EMAIL (see README).`;

function parseRoles(value: string | undefined): Role[] {
  if (value === undefined || value === 'all') return [...ROLES];
  const roles = value.split(',').map((r) => r.trim());
  const bad = roles.filter((r): r is string => !ROLES.some((known) => known === r));
  if (bad.length > 0) throw new Error(`unknown role(s): ${bad.join(', ')}; use all, ${ROLES.join(', ')}`);
  return ROLES.filter((r) => roles.includes(r));
}

async function cmdStart(config: Readonly<TallyConfig>, log: Logger, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { role: { type: 'string' }, 'exit-with-parent': { type: 'boolean' } } });
  const roles = parseRoles(values.role);
  const handle = await startTally({ config: withRunningServices(config), log, roles });
  const members = await countMembers(handle.db);
  process.stdout.write(`\nTally is running (${roles.join(', ')}) at ${handle.url}\n`);
  process.stdout.write(`  health:   ${handle.url}/healthz\n`);
  if (config.admin.username !== undefined) {
    process.stdout.write(`  API key:  curl -u '${config.admin.username}:<password>' ${handle.url}/api-key\n\n`);
  } else if (members === 0) {
    process.stdout.write('  No admin yet: set TALLY_ADMIN_USERNAME, TALLY_ADMIN_PASSWORD, TALLY_ADMIN_EMAIL and restart,\n');
    process.stdout.write('  or run `npm run tally -- admin create --username U --password P --email E`.\n\n');
  } else {
    process.stdout.write(`  API key:  curl -u '<username>:<password>' ${handle.url}/api-key\n\n`);
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (values['exit-with-parent'] === true) {
    // `npm start` wraps us: if npm itself is SIGKILLed we are re-parented, and stop with it,
    // so neither Tally nor its services outlive the command the user ran.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) shutdown('parent exited');
    }, config.parentCheckEveryMs).unref();
  }
}

async function cmdStatus(config: Readonly<TallyConfig>, log: Logger): Promise<void> {
  const { natsUrl, mongoUrl, services } = await resolveServices(withRunningServices(config), log);
  const nc = await connect({ servers: natsServers(natsUrl) });
  const mongo = new MongoClient(mongoUrl);
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of [eventsStreamName(config.streams), deadLetterStreamName(config.streams)]) {
      const info = await jsm.streams.info(name).catch(() => undefined);
      if (info === undefined) process.stdout.write(`stream ${name}: not created yet\n`);
      else
        process.stdout.write(
          `stream ${name}: ${info.state.messages} messages, seq ${info.state.first_seq}..${info.state.last_seq}, ${info.state.bytes} bytes\n`,
        );
    }
    const rows = await pipelineStatus(config, mongo.db(config.mongodbDb), nc).catch(() => []);
    for (const r of rows) {
      const flushed = r.lastFlushAtMs > 0 ? new Date(r.lastFlushAtMs).toISOString() : 'never';
      process.stdout.write(
        `consumer ${r.consumer}: applied seq ${r.appliedSeq} of ${r.streamHead}, lag ${r.lag}, events ${r.appliedEvents}, dead letters ${r.deadLetters}, last flush ${flushed}${r.batchInFlight ? ', batch in flight' : ''}\n`,
      );
    }
    const mail = await readMailStats(mongo.db(config.mongodbDb)).catch(() => undefined);
    if (mail !== undefined)
      process.stdout.write(`mail: ${mail.sent} sent, ${mail.retried} retries, ${mail.failed} failed, ${mail.outbox} to the outbox of ${mail.queued} queued\n`);
    for (const line of await reportTaskLines(mongo.db(config.mongodbDb))) process.stdout.write(`${line}\n`);
  } finally {
    await nc.close();
    await mongo.close();
    await Promise.all(services.map((s) => s.stop()));
  }
}

/** One line per running report task: events done of total, rate and ETA (docs/reports.md). */
async function reportTaskLines(db: Db): Promise<string[]> {
  const tasks = await findTasks(db, { filter: { type: REPORT_TASK_TYPE, status: { $in: [...ACTIVE_STATUSES] } } });
  return tasks.map((t) => {
    const p = t.progress;
    const pct = p === undefined || p.total === 0 ? 0 : Math.floor((p.done * 100) / p.total);
    const eta = p?.etaMs === null || p?.etaMs === undefined ? '?' : `${Math.ceil(p.etaMs / 1_000)} s`;
    return `report task ${t._id} (${t.report_name || t.name}, ${t.status}): ${p?.done ?? 0} of ${p?.total ?? '?'} events (${pct}%), ${p?.rate ?? 0} events/s, ETA ${eta}`;
  });
}

async function cmdAdmin(config: Readonly<TallyConfig>, log: Logger, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { username: { type: 'string' }, password: { type: 'string' }, email: { type: 'string' }, 'full-name': { type: 'string' } },
  });
  if (positionals[0] !== 'create' || values.username === undefined || values.password === undefined || values.email === undefined) {
    throw new Error('usage: tally admin create --username U --password P --email E [--full-name N]');
  }
  const { mongoUrl, services } = await resolveServices(withRunningServices(config), log);
  const client = new MongoClient(mongoUrl);
  try {
    const db = client.db(config.mongodbDb);
    await ensureManagementIndexes(db);
    const res = await createMember(db, {
      full_name: values['full-name'] ?? values.username,
      username: values.username,
      password: values.password,
      email: values.email,
      global_admin: true,
    });
    if (!res.ok) throw new Error(res.errors.join('; '));
    process.stdout.write(`global admin ${values.username} created; API key: ${res.member.api_key}\n`);
  } finally {
    await client.close();
    await Promise.all(services.map((s) => s.stop()));
  }
}

/** `--cluster N`: nodes of a local JetStream cluster (1, the default, is a single server). */
function parseCluster(args: string[]): number {
  const i = args.indexOf('--cluster');
  if (i === -1) return 1;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new Error('usage: tally services up [--cluster N] (N from 1 to 5; 3 tolerates the loss of one node)');
  return n;
}

async function cmdServices(config: Readonly<TallyConfig>, log: Logger, args: string[]): Promise<void> {
  const sub = args[0];
  if (sub === 'up') return servicesUp(config, log, parseCluster(args.slice(1)));
  if (sub === 'down') return servicesDown(config);
  if (sub === 'status') return servicesStatus(config);
  if (sub === 'install') return void (await import('./install.ts')).ensureServiceBinaries(log);
  throw new Error('usage: tally services up|down|status|install');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig(process.env, { fromEnv: true });
  const log = createLogger(config);
  if (command === 'start') return cmdStart(config, log, rest);
  if (command === 'status') return cmdStatus(config, log);
  if (command === 'admin') return cmdAdmin(config, log, rest);
  if (command === 'services') return cmdServices(config, log, rest);
  if (command === 'rebuild') return cmdRebuild(config, log, rest);
  if (command === 'projections') return cmdProjections(config, log, rest);
  throw new Error(`unknown command ${command}\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`tally: ${err.message}\n`);
  else process.stderr.write(`tally: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
