// `tally services up|down|status`: long-lived local services that outlive the command, recorded
// in <dataDir>/services.json so `tally start` uses them instead of starting its own.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { loadConfig, type TallyConfig } from '../streams.config.ts';
import { ensureServiceBinaries } from './install.ts';
import { startFerret, startNats } from './services.ts';

const stateSchema = z.object({
  nats: z.object({ pid: z.number().int(), url: z.string() }),
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
  const natsUrl = config.natsUrl ?? (alive(state.nats.pid) ? state.nats.url : undefined);
  const mongodbUrl = config.mongodbUrl ?? (alive(state.mongo.pid) ? state.mongo.url : undefined);
  return loadConfig({ ...config, natsUrl, mongodbUrl });
}

export async function servicesUp(config: Readonly<TallyConfig>, log: Logger): Promise<void> {
  const state = readState(config);
  if (state !== undefined && alive(state.nats.pid) && alive(state.mongo.pid)) {
    process.stdout.write(`services already running: ${state.nats.url} ${state.mongo.url}\n`);
    return;
  }
  ensureServiceBinaries(log);
  const nats = await startNats(config.dataDir, config.services.natsPort, config.services, true);
  const mongo = await startFerret(config.dataDir, config.services.mongoPort, config.services, true);
  const next: ServicesState = { nats: { pid: nats.pid ?? 0, url: nats.url }, mongo: { pid: mongo.pid ?? 0, url: mongo.url } };
  writeFileSync(stateFile(config), JSON.stringify(next, null, 2));
  process.stdout.write(
    `nats-server ${nats.url} (pid ${next.nats.pid}, log ${nats.logFile})\nferretdb ${mongo.url} (pid ${next.mongo.pid}, log ${mongo.logFile})\n`,
  );
}

export function servicesDown(config: Readonly<TallyConfig>): Promise<void> {
  const state = readState(config);
  if (state === undefined) {
    process.stdout.write('no services recorded as running\n');
    return Promise.resolve();
  }
  for (const s of [state.nats, state.mongo]) if (alive(s.pid)) process.kill(s.pid, 'SIGTERM');
  rmSync(stateFile(config), { force: true });
  process.stdout.write('services stopped\n');
  return Promise.resolve();
}

export function servicesStatus(config: Readonly<TallyConfig>): Promise<void> {
  const state = readState(config);
  if (state === undefined) process.stdout.write('no services recorded as running (tally start manages its own)\n');
  else for (const [name, s] of Object.entries(state)) process.stdout.write(`${name}: ${s.url} pid ${s.pid} ${alive(s.pid) ? 'running' : 'not running'}\n`);
  return Promise.resolve();
}
