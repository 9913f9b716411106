// Managed local services: a pinned nats-server (JetStream) and FerretDB (SQLite backend).
// Each runs under scripts/watchdog.mjs, whose stdin we hold: if this process dies, even by
// SIGKILL, the watchdog sees the pipe close and stops its service. Nothing outlives Tally.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { MongoClient } from 'mongodb';
import { servicesSchema, type ServicesConfig } from '../streams.config.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const servicesBinDir = join(root, '.services', 'bin');
const watchdog = join(root, 'scripts', 'watchdog.mjs');

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  readonly code = 'TALLY_SERVICE_START';
}

export interface ManagedService {
  readonly name: 'nats-server' | 'ferretdb';
  readonly url: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Kills the service with SIGKILL (no shutdown of its own), as a crash would. */
  crash(): Promise<void>;
}

export interface StartServicesOptions {
  /** Root data directory; services use `<dataDir>/nats`, `<dataDir>/ferretdb`, logs in `<dataDir>/logs`. */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly natsPort: number;
  readonly mongoPort: number;
  /** How long to wait for each service to answer. Default: the config defaults. */
  readonly timing?: ReadyTiming;
}

/** How a starting service is waited for (the `services` config section has them). */
export type ReadyTiming = Pick<ServicesConfig, 'readyTimeoutMs' | 'readyPollMs' | 'readyProbeTimeoutMs'>;
/** The config defaults, for callers without a config (tests, bench). */
export const DEFAULT_READY_TIMING: ReadyTiming = servicesSchema.parse({});

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export function binaryPath(name: string): string {
  return join(servicesBinDir, name);
}

export function servicesInstalled(): boolean {
  return ['nats-server', 'ferretdb', 'ferretdb-idindex'].every((b) => existsSync(binaryPath(b)));
}

function launch(name: ManagedService['name'] | 'ferretdb-idindex', args: string[], logFile: string, detached: boolean): ChildProcess {
  if (detached) {
    // `tally services up`: a daemon in its own process group that outlives this command.
    const out = openSync(logFile, 'a');
    const daemon = spawn(binaryPath(name), args, { stdio: ['ignore', out, out], detached: true });
    daemon.unref();
    return daemon;
  }
  const child = spawn(process.execPath, [watchdog, logFile, binaryPath(name), ...args], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // The pipe must not keep this process alive, and must stay open until we exit.
  child.stdin?.on('error', () => undefined);
  return child;
}

async function waitFor(what: string, timing: ReadyTiming, child: ChildProcess, probe: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timing.readyTimeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new ServiceStartError(`${what} exited with code ${child.exitCode} during start`);
    try {
      await probe();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, timing.readyPollMs));
    }
  }
  throw new ServiceStartError(`${what} did not answer within ${timing.readyTimeoutMs} ms`, { cause: last });
}

/** Stops a launched service: SIGTERM, or `SIGKILL` for a crash (the watchdog passes it on as SIGKILL on SIGUSR2). */
function stopper(child: ChildProcess, crash = false): () => Promise<void> {
  return () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      if (crash) {
        // A watchdog (stdin piped) is told to SIGKILL its service; a detached daemon is killed directly.
        child.kill(child.stdin === null ? 'SIGKILL' : 'SIGUSR2');
        return;
      }
      child.stdin?.end();
      child.kill('SIGTERM');
    });
}

/** A nats-server node's place in a cluster: its cluster port, its name and every node's cluster port. */
export interface ClusterNode {
  readonly name: string;
  readonly clusterPort: number;
  readonly routePorts: readonly number[];
}

function natsArgs(storeDir: string, port: number, node: ClusterNode | undefined): string[] {
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port), '--server_name', node?.name ?? 'tally-local'];
  if (node === undefined) return args;
  const routes = node.routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  return [...args, '--cluster_name', 'tally', '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes];
}

async function natsReady(url: string, timing: ReadyTiming): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false, timeout: timing.readyProbeTimeoutMs });
  try {
    // On a cluster this answers once a JetStream meta leader is elected (a quorum of nodes is up).
    await (await jetstreamManager(nc)).getAccountInfo();
  } finally {
    await nc.close();
  }
}

/** Starts one nats-server (alone, or as a node of a cluster) and waits until JetStream answers. */
export async function startNats(
  dataDir: string,
  port: number,
  timing: ReadyTiming = DEFAULT_READY_TIMING,
  detached = false,
  node?: ClusterNode,
): Promise<ManagedService> {
  const suffix = node === undefined ? '' : `-${node.name}`;
  const storeDir = join(dataDir, `nats${suffix}`);
  const logFile = join(dataDir, 'logs', `nats-server${suffix}.log`);
  mkdirSync(storeDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const p = port === 0 ? await freePort() : port;
  const child = launch('nats-server', natsArgs(storeDir, p, node), logFile, detached);
  const url = `nats://127.0.0.1:${p}`;
  await waitFor('nats-server', timing, child, () => natsReady(url, timing));
  return { name: 'nats-server', url, logFile, pid: child.pid, stop: stopper(child), crash: stopper(child, true) };
}

/** Where a cluster's nodes listen; keep it to restart a node on the same ports and store. */
export interface ClusterLayout {
  readonly clientPorts: readonly number[];
  readonly clusterPorts: readonly number[];
}

export async function clusterLayout(nodes: number): Promise<ClusterLayout> {
  const ports: number[] = [];
  while (ports.length < nodes * 2) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return { clientPorts: ports.slice(0, nodes), clusterPorts: ports.slice(nodes) };
}

/** Node `i` of a cluster laid out by `clusterLayout` (also how a stopped node is started again). */
export function startClusterNode(dataDir: string, layout: ClusterLayout, i: number, timing: ReadyTiming = DEFAULT_READY_TIMING, detached = false) {
  const node: ClusterNode = { name: `n${i + 1}`, clusterPort: layout.clusterPorts[i] ?? 0, routePorts: layout.clusterPorts };
  return startNats(dataDir, layout.clientPorts[i] ?? 0, timing, detached, node);
}

/**
 * Starts a JetStream cluster of `nodes` nats-servers on loopback. Nodes start together, since
 * none answers for JetStream before a quorum of them is up. Its URL lists every node.
 */
export async function startNatsCluster(dataDir: string, nodes: number, timing: ReadyTiming = DEFAULT_READY_TIMING, detached = false) {
  const layout = await clusterLayout(nodes);
  const started = await Promise.allSettled(Array.from({ length: nodes }, (_, i) => startClusterNode(dataDir, layout, i, timing, detached)));
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(ok.map((n) => n.stop()));
    throw failed.reason;
  }
  return { layout, nodes: ok, url: ok.map((n) => n.url).join(',') };
}

export async function startFerret(dataDir: string, port: number, timing: ReadyTiming = DEFAULT_READY_TIMING, detached = false): Promise<ManagedService> {
  const dbDir = join(dataDir, 'ferretdb');
  const logFile = join(dataDir, 'logs', 'ferretdb.log');
  mkdirSync(dbDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const p = port === 0 ? await freePort() : port;
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${dbDir}/`,
    `--listen-addr=127.0.0.1:${p}`,
    `--state-dir=${dbDir}`,
    '--debug-addr=127.0.0.1:0',
    '--telemetry=disable',
    '--log-level=warn',
  ];
  const child = launch('ferretdb', args, logFile, detached);
  const url = `mongodb://127.0.0.1:${p}/`;
  await waitFor('ferretdb', timing, child, async () => {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: timing.readyProbeTimeoutMs, directConnection: true });
    try {
      await client.db('admin').command({ ping: 1 });
    } finally {
      await client.close();
    }
  });
  // FerretDB's SQLite tables need an `_id` index it never creates usably: see
  // scripts/ferretdb-idindex/main.go. The sidecar lives as long as FerretDB does.
  const indexer = launch('ferretdb-idindex', ['-dir', dbDir, '-watch-pid', String(child.pid)], logFile, detached);
  const stopFerret = stopper(child);
  const stopIndexer = stopper(indexer);
  return {
    name: 'ferretdb',
    url,
    logFile,
    pid: child.pid,
    async stop() {
      await Promise.all([stopIndexer(), stopFerret()]);
    },
    crash: stopper(child, true),
  };
}

/** Starts both services (in parallel) and waits until each really answers. */
export async function startServices(opts: StartServicesOptions): Promise<{ nats: ManagedService; mongo: ManagedService; stop(): Promise<void> }> {
  const timing = opts.timing ?? DEFAULT_READY_TIMING;
  const dataDir = resolve(opts.dataDir);
  const [nats, mongo] = await Promise.allSettled([startNats(dataDir, opts.natsPort, timing), startFerret(dataDir, opts.mongoPort, timing)]);
  if (nats.status === 'rejected' || mongo.status === 'rejected') {
    if (nats.status === 'fulfilled') await nats.value.stop();
    if (mongo.status === 'fulfilled') await mongo.value.stop();
    throw nats.status === 'rejected' ? nats.reason : (mongo as PromiseRejectedResult).reason;
  }
  return {
    nats: nats.value,
    mongo: mongo.value,
    async stop() {
      await Promise.all([nats.value.stop(), mongo.value.stop()]);
    },
  };
}
