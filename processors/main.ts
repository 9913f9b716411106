// The processors role: one runner per (pipeline, partition group). Every process runs a runner
// for every group; a KV lease lets exactly one of them own a group at a time, and another takes
// over within about one lease TTL when the owner dies.
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { consumerName, type TallyConfig } from '../streams.config.ts';
import { ensureGroupConsumer } from './consumers.ts';
import { startGroupRunner, type GroupRunner, type GroupStatus } from './group-runner.ts';
import { openLeaseBucket } from './lease.ts';
import { Semaphore } from './mutex.ts';
import { targetFor, type Pipeline } from './pipeline.ts';

export interface ProcessorsDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
}

export interface ProcessorsHandle {
  /** True while no runner is failing. */
  running(): boolean;
  status(): GroupStatus[];
  /** Stops pulling, finishes (flushes and acks) the batch in hand, then resolves. */
  stop(): Promise<void>;
}

export interface LivePipeline {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of pipelines with different prepared-state types
  readonly pipeline: Pipeline<any>;
  /** Projection version live traffic is written to. */
  readonly version: number;
}

export const leaseBucketName = (config: Readonly<TallyConfig>): string => `${config.streams.prefix}_leases`;
export const checkpointId = (pipeline: string, version: number, group: number): string => `${pipeline}:v${version}:g${group}`;

export async function startProcessors(deps: ProcessorsDeps, pipelines: readonly LivePipeline[]): Promise<ProcessorsHandle> {
  const { config } = deps;
  const kv = await openLeaseBucket(deps.nc, leaseBucketName(config), config.consumers.pinnedTtlMs);
  const owner = `${process.pid}-${randomUUID()}`;
  const flushes = new Semaphore(config.consumers.maxConcurrentFlushes);
  const runners: GroupRunner[] = [];
  for (const { pipeline, version } of pipelines) {
    for (let group = 0; group < config.streams.partitionGroups; group++) {
      const durable = consumerName(config.streams, `${pipeline.name}_v${version}`, group);
      await ensureGroupConsumer(deps.jsm, config, durable, group, config.consumers.batchSize);
      runners.push(
        startGroupRunner({
          ...deps, kv, pipeline, group, durable, owner, flushes,
          target: targetFor(version, group, config.streams.partitionGroups),
          checkpointId: checkpointId(pipeline.name, version, group),
          batchSize: config.consumers.batchSize,
          batchWaitMs: config.consumers.batchWaitMs,
        }),
      );
    }
  }
  deps.log.info({ pipelines: pipelines.map((p) => p.pipeline.name), groups: config.streams.partitionGroups }, 'processors started');
  return {
    running: () => runners.every((r) => r.status().healthy),
    status: () => runners.map((r) => r.status()),
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}
