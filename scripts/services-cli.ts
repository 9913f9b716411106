// `tally services up|down|status`: long-lived local services that outlive the command, recorded
// in <dataDir>/services.json so `tally start` uses them instead of starting its own.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loadConfig, type TallyConfig } from '../streams.config.ts';
import { ensureServiceBinaries } from './install.ts';
import { startFerret, startNats, startNatsCluster } from './services.ts';

const stateSchema = z.object({
  // `pids` lists a cluster's nodes (`url` then lists every node, comma-separated); `pid` is the first.
  nats: z.object({ pid: z.number().int(), url: z.string(), pids: z.array(z.number().int()).optional() }),
  mongo: z.object({ pid: z.number().int(), url: z.string() }),
});
type ServicesState = z.infer<typeof stateSchema>;

const stateFile = (config: Pick<TallyConfig, 'dataDir'>): string => join(resolve(config.dataDir), 'services.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: no such process; that is the answer, not an error to surface.
    return false;
  }
}

function readState(config: Pick<TallyConfig, 'dataDir'>): ServicesState | undefined {
  const file = stateFile(config);
  if (!existsSync(file)) return undefined;
  const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

/** When `tally services up` left services running, point the config at them. */
export function withRunningServices(config: Readonly<TallyConfig>): Readonly<TallyConfig> {
  const state = readState(config);
  if (state === undefined) return config;
  const natsUrl = config.natsUrl ?? (natsPids(state).some(alive) ? state.nats.url : undefined);
  const mongodbUrl = config.mongodbUrl ?? (alive(state.mongo.pid) ? state.mongo.url : undefined);
  return loadConfig({ ...config, natsUrl, mongodbUrl });
}

const natsPids = (state: ServicesState): number[] => state.nats.pids ?? [state.nats.pid];

/** Starts nats-server (or a `cluster`-node JetStream cluster on loopback) and FerretDB as daemons. */
export async function servicesUp(config: Readonly<TallyConfig>, log: Logger, cluster = 1): Promise<void> {
  const state = readState(config);
  if (state !== undefined && natsPids(state).every(alive) && alive(state.mongo.pid)) {
    process.stdout.write(`services already running: ${state.nats.url} ${state.mongo.url}\n`);
    return;
  }
  ensureServiceBinaries(log);
  const nodes =
    cluster === 1
      ? [await startNats(config.dataDir, config.services.natsPort, config.services, true)]
      : (await startNatsCluster(config.dataDir, cluster, config.services, true)).nodes;
  const mongo = await startFerret(config.dataDir, config.services.mongoPort, config.services, true);
  const pids = nodes.map((n) => n.pid ?? 0);
  const url = nodes.map((n) => n.url).join(',');
  const next: ServicesState = { nats: { pid: pids[0] ?? 0, url, pids }, mongo: { pid: mongo.pid ?? 0, url: mongo.url } };
  writeFileSync(stateFile(config), JSON.stringify(next, null, 2));
  for (const n of nodes) process.stdout.write(`nats-server ${n.url} (log ${n.logFile})\n`);
  if (cluster > 1)
    process.stdout.write(`a ${cluster}-node JetStream cluster: set TALLY_STREAM_REPLICAS=${Math.min(cluster, 3)} so streams survive a node's loss\n`);
  process.stdout.write(`ferretdb ${mongo.url} (pid ${next.mongo.pid}, log ${mongo.logFile})\nNATS_URL=${url}\n`);
}

export function servicesDown(config: Readonly<TallyConfig>): Promise<void> {
  const state = readState(config);
  if (state === undefined) {
    process.stdout.write('no services recorded as running\n');
    return Promise.resolve();
  }
  for (const pid of [...natsPids(state), state.mongo.pid]) if (alive(pid)) process.kill(pid, 'SIGTERM');
  rmSync(stateFile(config), { force: true });
  process.stdout.write('services stopped\n');
  return Promise.resolve();
}

export function servicesStatus(config: Readonly<TallyConfig>): Promise<void> {
  const state = readState(config);
  if (state === undefined) process.stdout.write('no services recorded as running (tally start manages its own)\n');
  else {
    const pids = natsPids(state);
    process.stdout.write(`nats: ${state.nats.url} pids ${pids.join(',')}: ${pids.filter(alive).length} of ${pids.length} running\n`);
    process.stdout.write(`mongo: ${state.mongo.url} pid ${state.mongo.pid} ${alive(state.mongo.pid) ? 'running' : 'not running'}\n`);
  }
  return Promise.resolve();
}
