// A group runner's batch, decoded and folded: reads the chunk's inputs and folds it purely,
// isolating poison events (processors/isolate.ts). Nothing here writes.
import type { JsMsg } from '@nats-io/jetstream';
import { decodeEvent, EventDecodeError, isAppUserChange, type Checkpoint, type TallyEvent } from '../projections/index.ts';
import { assertWritable, foldIsolatingPoison, isContentFailure } from './isolate.ts';
import type { FoldResult, Poisoned } from './pipeline.ts';
import { pacer, type RunnerContext } from './runner-context.ts';

/** A delivered message, decoded once: its event, or why it is not one. */
export type Delivered = { readonly msg: JsMsg; readonly event: TallyEvent } | { readonly msg: JsMsg; readonly undecodable: string };

/** A chunk read and folded, ready to be written. */
export interface FoldedChunk {
  readonly fresh: readonly Delivered[];
  readonly ops: FoldResult['ops'];
  readonly poisoned: readonly Poisoned[];
  readonly events: number;
  readonly startedMs: number;
  readonly preparedMs: number;
  readonly foldedMs: number;
}

/**
 * A chunk ends after an app reset and after an operator's change to an app user: state loaded
 * for the chunk (devices' session state, users) is stale after them, and chunk boundaries must
 * not depend on how messages were pulled, or a rebuild would fold differently.
 */
export const endsChunk = (d: Delivered): boolean => 'event' in d && (d.event.type === 'AppDataReset' || isAppUserChange(d.event));

export const eventsOf = (delivered: readonly Delivered[]): TallyEvent[] => delivered.flatMap((d) => ('event' in d ? [d.event] : []));

export function decodeAll(msgs: readonly JsMsg[]): Delivered[] {
  return msgs.map((msg) => {
    try {
      return { msg, event: decodeEvent(msg.data, msg.seq) };
    } catch (err) {
      // Decision: an undecodable message is dead-lettered with its reason when its chunk is applied.
      if (!(err instanceof EventDecodeError)) throw err;
      return { msg, undecodable: err.message };
    }
  });
}

async function prepareOrContentFailure<P>(ctx: RunnerContext<P>, events: readonly TallyEvent[]): Promise<{ ok: true; prepared: P } | { ok: false }> {
  try {
    return { ok: true, prepared: await ctx.pipeline.prepare(ctx.db, events, ctx.target) };
  } catch (err) {
    // Decision: inputs that cannot be read for an event's content are read per subset while isolating it.
    if (!isContentFailure(err)) throw err;
    return { ok: false };
  }
}

/**
 * Reads the batch inputs and folds the chunk; undefined when the checkpoint already covers it.
 * Runs outside the flush permit: the inputs are this group's own documents, which only this
 * runner writes and whose previous batch is complete, or other groups' documents at a sequence
 * the cross-group wait (cross-group-wait.ts) has already waited for.
 */
export async function foldChunk<P>(ctx: RunnerContext<P>, cp: Checkpoint, chunk: readonly Delivered[]): Promise<FoldedChunk | undefined> {
  const fresh = chunk.filter((d) => d.msg.seq > cp.seq);
  if (fresh.length === 0) return undefined;
  const startedMs = Date.now();
  const events = eventsOf(fresh);
  const undecodable = fresh.flatMap((d) => ('undecodable' in d ? [{ seq: d.msg.seq, reason: d.undecodable }] : []));
  // The whole batch's inputs serve every subset the isolation folds (a subset needs less).
  // Only when reading them fails for an event's content is each subset read on its own.
  const whole = await prepareOrContentFailure(ctx, events);
  const preparedMs = Date.now() - startedMs;
  await pacer(ctx)(preparedMs);
  const attempt = async (subset: readonly TallyEvent[]): Promise<FoldResult> => {
    const prepared = whole.ok ? whole.prepared : await ctx.pipeline.prepare(ctx.db, subset, ctx.target);
    return assertWritable(ctx.pipeline.fold(prepared, subset, ctx.target));
  };
  const folded = await foldIsolatingPoison(events, attempt);
  const foldedMs = Date.now() - startedMs - preparedMs;
  return {
    fresh,
    ops: folded.ops,
    poisoned: [...undecodable, ...folded.poisoned],
    events: events.length - folded.poisoned.length,
    startedMs,
    preparedMs,
    foldedMs,
  };
}
