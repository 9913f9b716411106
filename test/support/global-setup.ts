// Starts one real nats-server (JetStream) and one real FerretDB per test run, on free ports with
// temp data dirs, and hands their URLs to the test files. Each file then uses its own stream
// prefix and database (see harness.ts), so files run in parallel without sharing state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startServices } from '../../scripts/services.ts';
import { ensureServiceBinaries } from '../../scripts/install.ts';
import { createLogger } from '../../scripts/logger.ts';
import { assertChromiumInstalled } from './chromium.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    mongoUrl: string;
    natsDataDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Checked before anything starts, so a fresh machine learns what is missing in one line
  // instead of after minutes of other tests (the page tests need it; nothing is skipped).
  assertChromiumInstalled();
  ensureServiceBinaries(createLogger({ logLevel: 'warn' }));
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-test-'));
  const services = await startServices({ dataDir, natsPort: 0, mongoPort: 0 });
  project.provide('natsUrl', services.nats.url);
  project.provide('mongoUrl', services.mongo.url);
  project.provide('natsDataDir', dataDir);
  return async () => {
    await services.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
