// Poison isolation. A batch whose prepare or fold throws because of what an event holds (any
// error that is not an infrastructure TallyError), or that folds into a write the store cannot
// take, is bisected: the shortest failing prefix ends with the poison event, which is set aside
// with its reason, and the rest is tried again. A poison event costs log2(batch) extra folds; an
// infrastructure failure (FlushFailedError, StoreReadFailedError, StoreUnavailableError, ...) passes through to the
// runner, which retries the same batch.
import { firstUnwritable, TallyError, UnwritableFoldError } from '../projections/index.ts';
import type { FoldResult, Poisoned } from './pipeline.ts';

/** True for a failure caused by the events' content: retrying the same events cannot help. */
export const isContentFailure = (err: unknown): boolean => err instanceof UnwritableFoldError || !(err instanceof TallyError);

const reasonOf = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : `fold failed: ${String(err)}`);

type Attempt<E> = (events: readonly E[]) => Promise<FoldResult>;
type Tried = { readonly ok: true; readonly result: FoldResult } | { readonly ok: false; readonly reason: string };

async function tryFold<E>(attempt: Attempt<E>, events: readonly E[]): Promise<Tried> {
  try {
    return { ok: true, result: await attempt(events) };
  } catch (err) {
    // Decision: a content failure marks this subset as holding poison; anything else is retried by the runner.
    if (!isContentFailure(err)) throw err;
    return { ok: false, reason: reasonOf(err) };
  }
}

/** Index of the last event of the shortest prefix of `events` that fails, and why it fails. */
async function shortestFailingPrefix<E>(attempt: Attempt<E>, events: readonly E[], fullReason: string): Promise<{ index: number; reason: string }> {
  let lo = 1;
  let hi = events.length;
  let reason = fullReason;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const tried = await tryFold(attempt, events.slice(0, mid));
    if (tried.ok) lo = mid + 1;
    else {
      hi = mid;
      reason = tried.reason;
    }
  }
  return { index: lo - 1, reason };
}

/**
 * Folds `events` with `attempt`, setting aside each event that makes it fail for its content.
 * Returns the fold of the rest, with the set-aside events added to its `poisoned` list.
 */
export async function foldIsolatingPoison<E extends { readonly seq: number }>(events: readonly E[], attempt: Attempt<E>): Promise<FoldResult> {
  const isolated: Poisoned[] = [];
  let rest = events;
  for (;;) {
    const tried = await tryFold(attempt, rest);
    if (tried.ok) return { ops: tried.result.ops, poisoned: [...isolated, ...tried.result.poisoned] };
    const { index, reason } = await shortestFailingPrefix(attempt, rest, tried.reason);
    // An empty batch cannot fail for its content, so a failing prefix always has a last event.
    const bad = rest[index]!;
    isolated.push({ seq: bad.seq, reason });
    rest = rest.filter((_, i) => i !== index);
  }
}

/** Throws UnwritableFoldError when a folded op could not be stored as it is. */
export function assertWritable(result: FoldResult): FoldResult {
  const reason = firstUnwritable(result.ops);
  if (reason !== undefined) throw new UnwritableFoldError(reason);
  return result;
}
