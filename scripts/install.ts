import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { servicesInstalled } from './services.ts';

export class ServicesMissingError extends Error {
  override readonly name = 'ServicesMissingError';
  readonly code = 'TALLY_SERVICES_MISSING';
}

/** Builds nats-server and FerretDB on first use (cached), or explains how to proceed without Go. */
export function ensureServiceBinaries(log: Logger): void {
  if (servicesInstalled()) return;
  log.info('local nats-server / FerretDB not built yet: building them now (first run only, may take minutes)');
  const script = join(dirname(fileURLToPath(import.meta.url)), 'install-services.mjs');
  spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (!servicesInstalled()) {
    throw new ServicesMissingError(
      'nats-server and FerretDB are not available. Install Go and run `npm run tally -- services install`, ' +
        'or set NATS_URL and MONGODB_URL to existing servers.',
    );
  }
}
