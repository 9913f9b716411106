// What a group runner's parts share: its options, its child logger and checkpoint ids, the status
// it reports, and the signal that stops it. Each part (group-runner.ts: lease loop and delivery;
// batch-fold.ts; batch-write.ts; cross-group-wait.ts) receives it as an argument.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { FirstWrites } from '../projections/index.ts';
import { eventsStreamName, type TallyConfig } from '../streams.config.ts';
import { OwnershipLostError } from './errors.ts';
import type { Lease } from './lease.ts';
import { checkpointId, type Pipeline, type Target } from './pipeline.ts';
import type { Semaphore } from './semaphore.ts';
import { sleep } from './sleep.ts';

export interface GroupRunnerOptions<P> {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly kv: KV;
  readonly pipeline: Pipeline<P>;
  readonly target: Target;
  readonly group: number;
  /** Durable consumer name (also the lease key and DLQ subject token). */
  readonly durable: string;
  readonly batchSize: number;
  readonly batchWaitMs: number;
  /** Unique id of this process (lease owner). */
  readonly owner: string;
  /** Shared by the runners of a process: bounds concurrent flushes (consumers.maxConcurrentFlushes). */
  readonly flushes: Semaphore;
  /** Pause after each write command that took `writeMs`, ms (rebuild pacing); none when absent. */
  readonly pauseAfterMs?: (writeMs: number) => number;
  /**
   * Fold a batch as soon as the consumer has nothing more pending, without waiting out
   * `batchWaitMs` (a rebuild: nothing is gained by waiting for live traffic). Live processing
   * waits, so that a batch at low load merges more events.
   */
  readonly cutWhenCaughtUp?: boolean;
  /**
   * Documents known not to exist yet (a rebuild into an empty version): their first write is an
   * insert, and the batch inputs they would hold are not read (Target.absent). Valid while this
   * runner owns the group for the first time; forgotten when that ends or a journal is recovered.
   */
  readonly firstWrites?: FirstWrites;
  /** Told when this group's dead letters cross `mail.deadLetterThreshold` (start-processors.ts). */
  readonly incidents?: (incident: { kind: 'dead-letters'; title: string; detail: string }) => void;
  /** Told about every applied batch; none by default. */
  readonly observer?: BatchObserver;
}

/** One applied batch, as the process's metrics count it. */
export interface AppliedBatch {
  readonly pipeline: string;
  readonly version: number;
  readonly group: number;
  readonly events: number;
  /** Write statements the batch sent to the database (its journal and checkpoint writes aside). */
  readonly writeOps: number;
  readonly deadLetters: number;
  /** From the batch's first message in hand to its completion, ms. */
  readonly flushMs: number;
}

export interface BatchObserver {
  batch(b: AppliedBatch): void;
}

export interface GroupStatus {
  readonly durable: string;
  readonly group: number;
  readonly owned: boolean;
  readonly healthy: boolean;
  readonly appliedSeq: number;
  readonly lastFlushAtMs: number;
  readonly lastBatchEvents: number;
  readonly lastFlushMs: number;
  readonly deadLetters: number;
  /** Document updates the database refused for their content, set aside since this process started (projections/store/refusals.ts). */
  readonly refusedWrites: number;
  readonly lastError: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface RunnerContext<P> extends GroupRunnerOptions<P> {
  /** Bound to the consumer (`consumer: durable`). */
  readonly log: Logger;
  /** The event stream's name. */
  readonly stream: string;
  /** This group's checkpoint document id. */
  readonly cpId: string;
  /** Checkpoint id of a group of the same pipeline and version (a rebuild's groups wait for each other, not for live ones). */
  readonly checkpointOf: (group: number) => string;
  /** What status() reports; the runner's parts update it. */
  readonly status: Mutable<GroupStatus>;
  /** Aborted when the runner stops. */
  readonly signal: AbortSignal;
}

export function runnerContext<P>(o: GroupRunnerOptions<P>, signal: AbortSignal): RunnerContext<P> {
  const checkpointOf = (group: number) => checkpointId(o.pipeline.name, o.target.version, group);
  return {
    ...o,
    log: o.log.child({ consumer: o.durable }),
    stream: eventsStreamName(o.config.streams),
    cpId: checkpointOf(o.group),
    checkpointOf,
    status: {
      durable: o.durable,
      group: o.group,
      owned: false,
      healthy: true,
      appliedSeq: 0,
      lastFlushAtMs: 0,
      lastBatchEvents: 0,
      lastFlushMs: 0,
      deadLetters: 0,
      refusedWrites: 0,
      lastError: undefined,
    },
    signal,
  };
}

/** Rebuild pacing: a pause after each write command, so live processing keeps the database. */
export const pacer =
  <P>(ctx: RunnerContext<P>) =>
  async (writeMs: number): Promise<void> => {
    const pauseMs = ctx.pauseAfterMs?.(writeMs) ?? 0;
    if (pauseMs > 0) await sleep(pauseMs);
  };

/** Throws when the lease is no longer ours: another owner may be applying the same batch. */
export const ownerCheck =
  <P>(ctx: RunnerContext<P>, lease: Lease) =>
  (): void => {
    if (!lease.held()) throw new OwnershipLostError(`lease of ${ctx.durable} lost while applying`);
  };
