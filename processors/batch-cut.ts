// Pure: turns a pulled batch into the chunks a group runner folds one after another.

/**
 * The messages after the checkpoint, in stream order, each once. A message whose ack wait ran
 * out while it sat in the pull buffer (slow flushes) is redelivered and can arrive again in the
 * same batch as its first copy; without this it would be folded twice.
 */
export function freshInOrder<M extends { readonly seq: number }>(msgs: readonly M[], afterSeq: number): M[] {
  const out: M[] = [];
  let last = afterSeq;
  for (const m of [...msgs].sort((a, b) => a.seq - b.seq)) {
    if (m.seq <= last) continue;
    out.push(m);
    last = m.seq;
  }
  return out;
}

/** The message with the highest sequence: acking it (AckPolicy.All) acks the whole chunk. */
export function lastBySeq<M extends { readonly seq: number }>(msgs: readonly M[]): M | undefined {
  return msgs.reduce<M | undefined>((best, m) => (best === undefined || m.seq > best.seq ? m : best), undefined);
}

export interface CutRules<T> {
  /** The chunk ends after this item (an app reset: state loaded for the batch is stale after it). */
  endsChunk(item: T): boolean;
  /** A chunk starts at this item (a merge waiting for another group: nothing after it may be folded first). */
  startsChunk(item: T): boolean;
}

/** Splits items, keeping their order, after every `endsChunk` item and before every `startsChunk` item. */
export function cutChunks<T>(items: readonly T[], rules: CutRules<T>): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (current.length > 0 && rules.startsChunk(item)) {
      chunks.push(current);
      current = [];
    }
    current.push(item);
    if (rules.endsChunk(item)) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
