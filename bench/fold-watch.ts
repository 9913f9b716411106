// When have the processors applied what the bench published? Each partition group's consumer
// sees only its own subjects, and its checkpoint moves to the last sequence of each applied
// batch, so a message is applied once its group's checkpoint reaches the message's sequence.
// Waiting polls the in-process runners (cheap, 5 ms resolution); the checkpoint documents in
// the database are read once at the end to confirm it and count what was applied.
import type { Db } from 'mongodb';
import type { GroupStatus } from '../processors/index.ts';
import { listCheckpoints } from '../projections/index.ts';
import { partitionsOfGroup, type StreamsConfig } from '../streams.config.ts';
import type { BenchContext } from './context.ts';
import { BenchSetupError, BenchTimeoutError } from './errors.ts';
import type { BaselineFigure } from './figures.ts';
import { publishBatched, type CountedMessage } from './publish.ts';
import type { BenchTally } from './tally.ts';

/** Checkpoint ids of the live core pipeline (processors/start-processors.ts: `core:v1:g<n>`). */
export const CORE_CHECKPOINTS = 'core:v1:';

const POLL_MS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Maps event subjects (`<prefix>.ev.<appId>.<partition>`) to their partition group. */
export function groupOfSubject(streams: StreamsConfig): (subject: string) => number {
  const groupOf = new Map<number, number>();
  for (let g = 0; g < streams.partitionGroups; g++) for (const p of partitionsOfGroup(streams, g)) groupOf.set(p, g);
  return (subject) => {
    const group = groupOf.get(Number(subject.slice(subject.lastIndexOf('.') + 1)));
    if (group === undefined) throw new BenchSetupError(`no partition group for subject ${subject}`);
    return group;
  };
}

/** The last published sequence of each group. */
export class Coverage {
  private readonly lastSeq = new Map<number, number>();
  private readonly groupOf: (subject: string) => number;

  constructor(streams: StreamsConfig) {
    this.groupOf = groupOfSubject(streams);
  }

  published(subject: string, seq: number): void {
    const g = this.groupOf(subject);
    this.lastSeq.set(g, Math.max(seq, this.lastSeq.get(g) ?? 0));
  }

  /** True when every group's applied sequence reaches its last published one. */
  coveredBy(applied: ReadonlyMap<number, number>): boolean {
    for (const [g, seq] of this.lastSeq) if ((applied.get(g) ?? 0) < seq) return false;
    return true;
  }
}

/** The applied sequence of each group from the runners' status. */
export const appliedSeqs = (status: readonly GroupStatus[]): Map<number, number> => new Map(status.map((s) => [s.group, s.appliedSeq]));

/** Resolves with performance.now() at the first poll where `coverage` is applied. */
export async function waitApplied(status: () => readonly GroupStatus[], coverage: Coverage, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const now = performance.now();
    if (coverage.coveredBy(appliedSeqs(status()))) return now;
    if (now > deadline) {
      const lag = status().map((s) => `g${s.group} at ${s.appliedSeq}${s.lastError === undefined ? '' : ` (${s.lastError})`}`);
      throw new BenchTimeoutError(`processors did not apply the published events within ${timeoutMs} ms: ${lag.join(', ')}`);
    }
    await sleep(POLL_MS);
  }
}

/** Envelopes the core checkpoints count as applied and dead-lettered, summed over groups. */
export interface CheckpointTotals {
  readonly applied: number;
  readonly deadLetters: number;
  /** Groups with a batch sealed but not completed. */
  readonly pending: number;
}

export async function checkpointTotals(db: Db): Promise<CheckpointTotals> {
  const cps = await listCheckpoints(db, CORE_CHECKPOINTS);
  return {
    applied: cps.reduce((n, c) => n + c.appliedEvents, 0),
    deadLetters: cps.reduce((n, c) => n + c.deadLetters, 0),
    pending: cps.filter((c) => c.pending !== null).length,
  };
}

/** The in-process processors' status; fails when this Tally runs without the processor role. */
export function processorStatus(tally: BenchTally): () => readonly GroupStatus[] {
  const processors = tally.handle.processors;
  if (processors === undefined) throw new BenchSetupError('this scenario needs Tally with the processor role');
  return () => processors.status();
}

/** A backlog published and applied. */
export interface Applied {
  readonly envelopes: number;
  readonly events: number;
  readonly firstSeq: number;
  /** From the first publish until every group's checkpoint covered its last message, ms. */
  readonly durationMs: number;
}

/** Publishes `messages` as one backlog (500 in flight) and resolves when the processors have applied them all. */
export async function publishAndApply(tally: BenchTally, messages: Iterable<CountedMessage>, timeoutMs: number): Promise<Applied> {
  const coverage = new Coverage(tally.config.streams);
  let events = 0;
  let firstSeq = Infinity;
  const startedMs = performance.now();
  const pub = await publishBatched<CountedMessage>(tally.handle.js, messages, {
    batch: 500,
    timeoutMs: 10_000,
    onAck: (m, seq) => {
      coverage.published(m.subject, seq);
      firstSeq = Math.min(firstSeq, seq);
      events += m.events;
    },
  });
  const doneMs = await waitApplied(processorStatus(tally), coverage, timeoutMs);
  return { envelopes: pub.count, events, firstSeq, durationMs: doneMs - startedMs };
}

/** The raw baseline of an applied backlog: an ordered-consumer read of the same envelopes, in this run. */
export const readOfApplied = (ctx: BenchContext, tally: BenchTally, applied: Applied): Promise<BaselineFigure> =>
  ctx.baselines.jsOrderedReadOf(
    tally.handle.js,
    tally.config.streams,
    applied.firstSeq,
    applied.envelopes,
    `raw JetStream ordered-consumer read of the same ${applied.envelopes} envelopes`,
  );
