import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { TallyConfig } from '../streams.config.ts';

export interface ProcessorsDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
}

export interface ProcessorsHandle {
  /** True while every consumer loop is running. */
  running(): boolean;
  /** Stops pulling, finishes (flushes and acks) the batch in hand, then resolves. */
  stop(): Promise<void>;
}

/** Starts the projection consumers. The consumers arrive with the processors issue. */
export function startProcessors(deps: ProcessorsDeps): Promise<ProcessorsHandle> {
  deps.log.info('processors role started (no projections registered yet)');
  let stopped = false;
  return Promise.resolve({
    running: () => !stopped,
    stop: () => {
      stopped = true;
      return Promise.resolve();
    },
  });
}
