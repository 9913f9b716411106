// What every API route shares: its dependencies, cached lookups and the clock.
import type { Logger } from 'pino';
import { createMailDeps, type MailDeps } from '../mail/index.ts';
import type { ApiDeps } from './deps.ts';
import { Lookups } from './lookups.ts';

export interface ApiContext {
  readonly deps: ApiDeps;
  readonly lookups: Lookups;
  readonly log: Logger;
  /** Mail: notices to members and admins, sent in the background. */
  readonly mail: MailDeps;
  /** Current time, ms since the epoch. */
  now(): number;
}

/** Builds the context and starts its change subscriptions (stopped by `stop`). */
export function createApiContext(deps: ApiDeps): ApiContext & { stop(): Promise<void> } {
  const now = deps.clock ?? Date.now;
  const lookups = new Lookups(deps, now);
  const mail = deps.mail ?? createMailDeps({ config: deps.config, db: deps.db, log: deps.log, now });
  lookups.start();
  const stop = async () => {
    lookups.stop();
    // A mailer handed in belongs to whoever made it; ours goes with the API.
    if (deps.mail === undefined) await mail.mailer.close();
  };
  return { deps, lookups, log: deps.log.child({ component: 'api' }), mail, now, stop };
}
