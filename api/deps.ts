import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { MailDeps } from '../mail/index.ts';
import type { TallyConfig } from '../streams.config.ts';
import type { MetricsSource } from './metrics.route.ts';

/** What the read API needs; built by the process main and passed in. */
export interface ApiDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly log: Logger;
  /** Current time in ms since the epoch. Default `Date.now`; tests pass a controllable clock. */
  readonly clock?: () => number;
  /** The process's Prometheus metrics, served at `/metrics` to global admins; no route without it. */
  readonly metrics?: MetricsSource;
  /** Mail of this process; default: one made from `config.mail` (and closed with the API). */
  readonly mail?: MailDeps;
}
