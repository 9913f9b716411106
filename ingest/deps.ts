import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { TallyConfig } from '../streams.config.ts';
import type { IngestObserver } from './metrics.ts';
import type { GeoIp } from './geo-ip.ts';

/** What the ingest routes need; built by the process main and passed in. */
export interface IngestDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly log: Logger;
  /** Reports ingest counters as they change (Prometheus); none by default. */
  readonly observer?: IngestObserver;
  /** The geo-IP database, loaded once by the process main; null when config.ingest.geoIp is off. */
  readonly geo: GeoIp | null;
}
