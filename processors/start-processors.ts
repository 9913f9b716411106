// The processors role as a library: `startProcessors` runs one runner per (pipeline, partition
// group); scripts/runtime.ts is the process main that calls it. Every process runs a runner
// for every group; a KV lease lets exactly one of them own a group at a time, and another takes
// over within about one lease TTL when the owner dies.
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { readPointer, type ProjectionPointer } from '../projections/index.ts';
import { consumerName, projectionSwitchedSubject, type TallyConfig } from '../streams.config.ts';
import { startGroupRunner, type GroupRunner } from './group-runner.ts';
import { openLeaseBucket } from './lease.ts';
import type { BatchObserver, GroupStatus } from './runner-context.ts';
import { Semaphore } from './semaphore.ts';
import { targetFor, type Pipeline } from './pipeline.ts';

export interface ProcessorsDeps {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  /** Told about every applied batch (the process's Prometheus metrics); none by default. */
  readonly observer?: BatchObserver;
  /** Told about incidents global admins should hear of (the process main mails them); none: only logged. */
  readonly incidents?: IncidentReporter;
}

/** An incident for global admins: dead letters crossing `mail.deadLetterThreshold`, a failed rebuild. */
export interface ProcessorIncident {
  /** Stable kind; notices are rate-limited per kind. */
  readonly kind: 'dead-letters' | 'rebuild-failed';
  readonly title: string;
  readonly detail: string;
}
export type IncidentReporter = (incident: ProcessorIncident) => void;

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
  /** Fixed projection version (tests); absent: the version the projection's pointer names, followed across switches. */
  readonly version?: number;
}

export const leaseBucketName = (config: Readonly<TallyConfig>): string => `${config.streams.prefix}_leases`;

/** `Live.version` while the active version is frozen for a switch: no runners. */
const PAUSED = 0;

/** The version live processing runs for a pointer: PAUSED while the active one is frozen for a switch. */
const runnableVersion = (pointer: ProjectionPointer): number => (pointer.freeze === pointer.active ? PAUSED : pointer.active);

/** How often live processors re-read the pointers, in case a switch message was missed, ms. */
const POINTER_POLL_MS = 2_000;

interface Live {
  readonly entry: LivePipeline;
  version: number;
  runners: GroupRunner[];
}

/** What the live runners of a process share. */
interface LiveRunnersContext {
  readonly deps: ProcessorsDeps;
  readonly kv: KV;
  /** Unique id of this process (lease owner). */
  readonly owner: string;
  readonly flushes: Semaphore;
}

function runnersFor(ctx: LiveRunnersContext, pipeline: LivePipeline['pipeline'], version: number): GroupRunner[] {
  const { deps, kv, owner, flushes } = ctx;
  const { config } = deps;
  const groups = config.streams.partitionGroups;
  const runners: GroupRunner[] = [];
  for (let group = 0; group < groups; group++) {
    const durable = consumerName(config.streams, `${pipeline.name}_v${version}`, group);
    runners.push(
      startGroupRunner({
        ...deps,
        kv,
        pipeline,
        group,
        durable,
        owner,
        flushes,
        target: targetFor(version, group, groups),
        batchSize: config.consumers.batchSize,
        batchWaitMs: config.consumers.batchWaitMs,
      }),
    );
  }
  return runners;
}

/**
 * Following the pointer: after a switch, stop the old version's runners (the batch in hand is
 * finished and acked) and run the new version's, which continue from its checkpoints.
 */
async function follow(ctx: LiveRunnersContext, lives: readonly Live[]): Promise<void> {
  for (const live of lives) {
    if (live.entry.version !== undefined) continue;
    // A frozen active version is paused for a switch: run nothing until the pointer moves.
    const active = runnableVersion(await readPointer(ctx.deps.db, live.entry.pipeline.name));
    if (active === live.version) continue;
    ctx.deps.log.info({ pipeline: live.entry.pipeline.name, from: live.version, to: active }, 'following the projection pointer');
    await Promise.all(live.runners.map((r) => r.stop()));
    live.runners = active === PAUSED ? [] : runnersFor(ctx, live.entry.pipeline, active);
    live.version = active;
  }
}

export async function startProcessors(deps: ProcessorsDeps, pipelines: readonly LivePipeline[]): Promise<ProcessorsHandle> {
  const { config } = deps;
  const kv = await openLeaseBucket(deps.nc, leaseBucketName(config), config.consumers.pinnedTtlMs, config.streams.replicas);
  const ctx: LiveRunnersContext = { deps, kv, owner: `${process.pid}-${randomUUID()}`, flushes: new Semaphore(config.consumers.maxConcurrentFlushes) };

  const lives: Live[] = [];
  for (const entry of pipelines) {
    const version = entry.version ?? runnableVersion(await readPointer(deps.db, entry.pipeline.name));
    lives.push({ entry, version, runners: version === PAUSED ? [] : runnersFor(ctx, entry.pipeline, version) });
  }

  const switching = new Semaphore(1);
  const followSafely = () => {
    switching.run(() => follow(ctx, lives)).catch((err: unknown) => deps.log.error({ err }, 'pointer check failed; retrying at the next poll'));
  };
  const sub = deps.nc.subscribe(projectionSwitchedSubject(config.streams), { callback: followSafely });
  const poll = setInterval(followSafely, POINTER_POLL_MS);
  poll.unref();

  deps.log.info({ pipelines: lives.map((l) => `${l.entry.pipeline.name}_v${l.version}`), groups: config.streams.partitionGroups }, 'processors started');
  const all = () => lives.flatMap((l) => l.runners);
  return {
    running: () => all().every((r) => r.status().healthy),
    status: () => all().map((r) => r.status()),
    async stop() {
      clearInterval(poll);
      sub.unsubscribe();
      await switching.run(() => Promise.all(all().map((r) => r.stop())));
    },
  };
}
