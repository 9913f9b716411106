// Given/when/then helpers: a Tally instance on the shared test servers, with its own stream
// prefix and database, listening on a free port.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { loadConfig, natsServers, type ConfigInput, type TallyConfig } from '../../streams.config.ts';
import { createLogger } from '../../scripts/logger.ts';
import { startTally, type Role, type TallyHandle } from '../../scripts/runtime.ts';
import { LIVE_PIPELINES, startProcessors, type LivePipeline } from '../../processors/index.ts';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MongoClient } from 'mongodb';

export const ADMIN = { username: 'admin', password: 'Adm1n#pass', email: 'admin@example.com' } as const;

/** A unique lowercase suffix for stream prefixes and database names. */
export const uniqueSuffix = (): string => randomBytes(4).toString('hex');

/** Test config: the shared servers, a random prefix and database, port 0, quiet logs. */
export function testConfig(overrides: ConfigInput = {}): Readonly<TallyConfig> {
  const id = uniqueSuffix();
  return loadConfig({
    natsUrl: inject('natsUrl'),
    mongodbUrl: inject('mongoUrl'),
    mongodbDb: `t_${id}`,
    // Its own data directory, so mail written to the outbox (no SMTP in tests) stays out of the repository.
    dataDir: join(tmpdir(), `tally-test-${id}`),
    port: 0,
    logLevel: 'warn',
    admin: { ...ADMIN },
    ...overrides,
    streams: { prefix: `t${id}`, ...overrides.streams },
  });
}

/** Environment for a child `tally` process (bin/tally.mjs) that joins this test instance. */
export function childEnv(config: Readonly<TallyConfig>, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    NATS_URL: config.natsUrl,
    MONGODB_URL: config.mongodbUrl,
    MONGODB_DB: config.mongodbDb,
    DATA_DIR: config.dataDir,
    TALLY_STREAM_PREFIX: config.streams.prefix,
    TALLY_PARTITIONS: String(config.streams.partitions),
    TALLY_PARTITION_GROUPS: String(config.streams.partitionGroups),
    TALLY_LEASE_TTL_MS: String(config.consumers.pinnedTtlMs),
    PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Log lines captured in memory, parsed from pino's JSON output. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    cb();
  }
}

export interface TestTally extends TallyHandle {
  readonly config: Readonly<TallyConfig>;
  readonly logs: LogCapture;
  /** Starts a fresh processor role in this process (after `processors.stop()`), as a restarted process would. */
  restartProcessors(): Promise<void>;
  /** Drops this instance's streams and database, then closes it. */
  destroy(): Promise<void>;
}

export async function startTestTally(
  opts: { config?: Readonly<TallyConfig>; roles?: readonly Role[]; pipelines?: readonly LivePipeline[] } = {},
): Promise<TestTally> {
  const config = opts.config ?? testConfig();
  const logs = new LogCapture();
  const log = createLogger(config, logs);
  const handle = await startTally({ config, log, roles: opts.roles, pipelines: opts.pipelines });
  let processors = handle.processors;
  return {
    ...handle,
    get processors() {
      return processors;
    },
    config,
    logs,
    async restartProcessors() {
      processors = await startProcessors({ config, log, db: handle.db, nc: handle.nc, js: handle.js, jsm: handle.jsm }, opts.pipelines ?? LIVE_PIPELINES);
    },
    async destroy() {
      await processors?.stop();
      await handle.close();
      await dropAll(config);
    },
  };
}

/** Removes the streams, KV bucket and database of one test instance, on fresh connections. */
export async function dropAll(config: Readonly<TallyConfig>): Promise<void> {
  const nc = await connect({ servers: natsServers(config.natsUrl ?? '') });
  const mongo = new MongoClient(config.mongodbUrl ?? '');
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (
        name.startsWith(config.streams.prefix.toUpperCase()) ||
        name === `KV_${config.streams.prefix}_leases` ||
        name === `KV_${config.streams.prefix}_report_leases`
      )
        await jsm.streams.delete(name);
    }
    await mongo.db(config.mongodbDb).dropDatabase();
    await rm(config.dataDir, { recursive: true, force: true });
  } finally {
    await nc.close();
    await mongo.close();
  }
}

/** Fetches the admin's API key through /api-key (the Countly bootstrap path). */
export async function adminApiKey(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api-key`, {
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
  });
  if (res.status !== 200) throw new Error(`api-key answered ${res.status}`);
  return res.text();
}

/** Creates an app through /i/apps/create and returns the stored app. */
export async function createApp(baseUrl: string, apiKey: string, args: Record<string, unknown>): Promise<{ _id: string; key: string; timezone: string }> {
  const url = new URL('/i/apps/create', baseUrl);
  url.searchParams.set('api_key', apiKey);
  url.searchParams.set('args', JSON.stringify(args));
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`apps/create answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { _id: string; key: string; timezone: string };
}
