// What every API route shares: its dependencies, cached lookups and the clock.
import type { Logger } from 'pino';
import type { ApiDeps } from './deps.ts';
import { Lookups } from './lookups.ts';

export interface ApiContext {
  readonly deps: ApiDeps;
  readonly lookups: Lookups;
  readonly log: Logger;
  /** Current time, ms since the epoch. */
  now(): number;
}

/** Builds the context and starts its change subscriptions (stopped by `stop`). */
export function createApiContext(deps: ApiDeps): ApiContext & { stop(): void } {
  const now = deps.clock ?? Date.now;
  const lookups = new Lookups(deps, now);
  lookups.start();
  return { deps, lookups, log: deps.log.child({ component: 'api' }), now, stop: () => lookups.stop() };
}
