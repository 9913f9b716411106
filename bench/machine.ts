// Facts about the machine and servers a run measured, stored with every result file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type { Db } from 'mongodb';
import { binaryPath } from '../scripts/services.ts';

export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly natsServer: string;
  readonly ferretdb: string;
  /** `managed` (started by the bench under a temp dir) or `external` (NATS_URL / MONGODB_URL). */
  readonly services: 'managed' | 'external';
}

/** First line of `<binary> --version` from .services/bin, or `unknown`. */
function binaryVersion(name: string): string {
  const path = binaryPath(name);
  if (!existsSync(path)) return 'unknown (not installed)';
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5_000 });
  const text = `${out.stdout}${out.stderr}`.trim();
  const line = text.split('\n').find((l) => /v?\d+\.\d+/.test(l)) ?? text.split('\n')[0] ?? 'unknown';
  return line.replace(/^(nats-server:|version:)\s*/, '').trim();
}

export interface ServerVersions {
  /** From the NATS INFO of the connection, when connected to external servers. */
  readonly nats?: string;
  readonly mongo?: string;
}

export function machineFacts(services: MachineFacts['services'], external: ServerVersions = {}): MachineFacts {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    natsServer: services === 'managed' ? binaryVersion('nats-server') : (external.nats ?? 'unknown'),
    ferretdb: services === 'managed' ? binaryVersion('ferretdb') : (external.mongo ?? 'unknown'),
    services,
  };
}

/** Versions reported by external servers: NATS INFO, and buildInfo (FerretDB adds its own). */
export async function externalVersions(natsVersion: string | undefined, mongo: Db): Promise<ServerVersions> {
  const info = await mongo.admin().command({ buildInfo: 1 });
  const ferret: unknown = info.ferretdbVersion;
  const version: unknown = info.version;
  const mongoVersion = typeof ferret === 'string' ? `FerretDB ${ferret}` : `MongoDB ${typeof version === 'string' ? version : 'unknown'}`;
  return { ...(natsVersion !== undefined ? { nats: natsVersion } : {}), mongo: mongoVersion };
}
