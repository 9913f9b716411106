// How far a rebuild is (events applied, events left, a smoothed rate and an ETA), and whether
// live processing has work, which decides the rebuild's pacing.
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import type { Db } from 'mongodb';
import { listCheckpoints, readPointer, type RebuildProgress } from '../projections/index.ts';
import { consumerName, eventsStreamName, type StreamsConfig } from '../streams.config.ts';
import { currentGroupConsumer } from './consumers.ts';
import { checkpointPrefix } from './pipeline.ts';

/** Weights of the previous rate and of the latest measurement in the smoothed rate (exponential moving average). */
const PREVIOUS_RATE_WEIGHT = 0.7;
const LATEST_RATE_WEIGHT = 0.3;

/** Durable consumer names of the groups of one (pipeline, version). */
export const versionDurables = (streams: StreamsConfig, pipeline: string, version: number): string[] =>
  Array.from({ length: streams.partitionGroups }, (_, g) => consumerName(streams, `${pipeline}_v${version}`, g));

export interface ProgressSample extends RebuildProgress {
  readonly atMs: number;
  /** Events still to apply (pending and unacked at the rebuild's consumers). */
  readonly lag: number;
  /** True once every group's owner has created its consumer (before that, `lag` misses its events). */
  readonly consumersReady: boolean;
}

export interface ProgressSource {
  readonly db: Db;
  readonly jsm: JetStreamManager;
  readonly streams: StreamsConfig;
  readonly pipeline: string;
  readonly version: number;
}

/** Events pending or unacked at the current consumers of these groups, and how many groups have none yet. */
async function pendingAt(jsm: JetStreamManager, stream: string, durables: readonly string[]): Promise<{ pending: number; missing: number }> {
  let pending = 0;
  let missing = 0;
  for (const d of durables) {
    const info: ConsumerInfo | undefined = await currentGroupConsumer(jsm, stream, d);
    if (info === undefined) missing++;
    else pending += info.num_pending + info.num_ack_pending;
  }
  return { pending, missing };
}

/** The rate since `prev`, smoothed with the previous rate (the first sample is taken as it is). */
export function smoothedRatePerS(prev: { done: number; atMs: number; ratePerS: number }, done: number, atMs: number): number {
  const instant = atMs > prev.atMs ? ((done - prev.done) * 1_000) / (atMs - prev.atMs) : 0;
  return prev.ratePerS === 0 ? instant : PREVIOUS_RATE_WEIGHT * prev.ratePerS + LATEST_RATE_WEIGHT * instant;
}

/** Measures a rebuild's progress from its checkpoints and consumers. */
export async function measureProgress(s: ProgressSource, prev: { done: number; atMs: number; ratePerS: number }): Promise<ProgressSample> {
  const cps = await listCheckpoints(s.db, checkpointPrefix(s.pipeline, s.version));
  const done = cps.reduce((sum, cp) => sum + cp.appliedEvents + cp.deadLetters, 0);
  const stream = eventsStreamName(s.streams);
  // A group whose owner has not created its consumer yet is not ready to switch, whatever the lag says.
  const { pending: lag, missing } = await pendingAt(s.jsm, stream, versionDurables(s.streams, s.pipeline, s.version));
  const atMs = Date.now();
  const ratePerS = smoothedRatePerS(prev, done, atMs);
  return { done, total: done + lag, ratePerS, etaS: ratePerS > 0 ? lag / ratePerS : null, atMs, lag, consumersReady: missing === 0 };
}

/** True while the live version's consumers have events to apply; false while it is frozen for a switch. */
export async function liveHasWork(s: Omit<ProgressSource, 'version'>): Promise<boolean> {
  const pointer = await readPointer(s.db, s.pipeline);
  if (pointer.freeze === pointer.active) return false; // paused for our switch: catch up flat out
  const stream = eventsStreamName(s.streams);
  // A live consumer that does not exist yet has nothing pending.
  return (await pendingAt(s.jsm, stream, versionDurables(s.streams, s.pipeline, pointer.active))).pending > 0;
}

/**
 * Rebuild pacing: after a write command that took `busyMs`, a pause that leaves live processing
 * `1 - share` of the database time, while live processing has work. Alone, a rebuild runs flat out.
 */
export interface LivePacing {
  readonly pauseAfterMs: (busyMs: number) => number;
  readonly setLiveBusy: (busy: boolean) => void;
}

export function livePacing(share: number): LivePacing {
  let liveBusy = false;
  return {
    pauseAfterMs: (busyMs) => (share >= 1 || !liveBusy ? 0 : (busyMs * (1 - share)) / share),
    setLiveBusy: (busy) => {
      liveBusy = busy;
    },
  };
}
