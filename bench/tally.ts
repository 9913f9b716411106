// Tally for one scenario: its own stream prefix and database on the shared servers, a bench
// admin, and the workload's apps created the Countly way (/api-key, /i/apps/create).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { startTally, type Role, type TallyHandle } from '../scripts/runtime.ts';
import { loadConfig, type TallyConfig } from '../streams.config.ts';
import { withCommandMonitoring } from './db-commands.ts';
import { BenchSetupError } from './errors.ts';
import { APP_PROFILES, Rng, type WorkloadApp } from './workload.ts';

const ADMIN = { username: 'bench', password: 'Bench#pass1', email: 'bench@example.com' } as const;

export interface BenchTally {
  readonly handle: TallyHandle;
  readonly config: Readonly<TallyConfig>;
  /** The workload's apps with the ids Tally gave them (keys are the seed's). */
  readonly apps: readonly WorkloadApp[];
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The bench admin's API key (a global admin: every app, every read). */
  readonly apiKey: string;
  /** The MongoDB server, without the bench's monitoring option: for raw-driver baselines. */
  readonly mongoUrl: string;
  /** Drops this instance's streams and database, then closes it. */
  destroy(): Promise<void>;
}

/** The workload's apps with seed-derived keys and ids (ids are replaced by Tally's on creation). */
export function seededApps(seed: number): WorkloadApp[] {
  const rng = new Rng(seed);
  return APP_PROFILES.map((profile) => ({ profile, id: rng.hex(24), key: rng.hex(40) }));
}

async function apiKey(origin: string): Promise<string> {
  const res = await fetch(`${origin}/api-key`, {
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
  });
  if (res.status !== 200) throw new BenchSetupError(`/api-key answered ${res.status}`);
  return res.text();
}

async function createApp(origin: string, key: string, app: WorkloadApp): Promise<WorkloadApp> {
  const url = new URL('/i/apps/create', origin);
  url.searchParams.set('api_key', key);
  url.searchParams.set(
    'args',
    JSON.stringify({ name: app.profile.name, timezone: app.profile.timezone, country: app.profile.country, type: app.profile.platform, key: app.key }),
  );
  const res = await fetch(url);
  const body: unknown = await res.json();
  if (res.status !== 200 || typeof body !== 'object' || body === null || !('_id' in body) || typeof body._id !== 'string') {
    throw new BenchSetupError(`/i/apps/create answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return { ...app, id: body._id };
}

export interface StartBenchTallyOptions {
  readonly natsUrl: string;
  readonly mongoUrl: string;
  readonly dataDir: string;
  readonly log: Logger;
  readonly roles: readonly Role[];
  readonly seed: number;
  /** Emit command-monitoring events on Tally's MongoDB client (see db-commands.ts). */
  readonly monitorCommands?: boolean;
  /** Live batching other than streams.config.ts's defaults (the read history is seeded in large batches). */
  readonly consumers?: BenchConsumerSettings;
}

/** The batching settings a scenario may set for its Tally. */
export interface BenchConsumerSettings {
  readonly batchSize: number;
  readonly batchWaitMs: number;
}

/** Starts Tally with the roles plus `api` (apps are created through it), quiet logs, port 0. */
export async function startBenchTally(opts: StartBenchTallyOptions): Promise<BenchTally> {
  const id = randomBytes(4).toString('hex');
  const config = loadConfig({
    natsUrl: opts.natsUrl,
    mongodbUrl: opts.monitorCommands === true ? withCommandMonitoring(opts.mongoUrl) : opts.mongoUrl,
    mongodbDb: `bench_${id}`,
    dataDir: opts.dataDir,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    admin: { ...ADMIN },
    streams: { prefix: `bench${id}` },
    ...(opts.consumers === undefined ? {} : { consumers: { ...opts.consumers } }),
  });
  const roles = [...new Set<Role>([...opts.roles, 'api'])];
  const handle = await startTally({ config, log: opts.log.child({ component: 'tally' }, { level: 'warn' }), roles });
  const destroy = async (): Promise<void> => {
    for await (const name of handle.jsm.streams.names()) {
      if (name.startsWith(config.streams.prefix.toUpperCase())) await handle.jsm.streams.delete(name);
    }
    await handle.db.dropDatabase();
    await handle.close();
  };
  try {
    const key = await apiKey(handle.url);
    const apps: WorkloadApp[] = [];
    for (const app of seededApps(opts.seed)) apps.push(await createApp(handle.url, key, app));
    return { handle, config, apps, origin: handle.url, apiKey: key, mongoUrl: opts.mongoUrl, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
