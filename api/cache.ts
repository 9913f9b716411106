// A small TTL cache with in-flight deduplication and generation-based invalidation: a lookup
// started before an invalidation never stores its (possibly stale) answer.

export interface TtlCacheOptions {
  /** How long an entry is trusted, ms. */
  readonly ttlMs: number;
  /** Most entries kept; the oldest is evicted first. */
  readonly maxEntries: number;
  readonly now: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAtMs: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inflight = new Map<string, Promise<V>>();
  private generation = 0;

  constructor(private readonly opts: TtlCacheOptions) {}

  /** The cached value of `key`, or the result of `load` (stored unless invalidated meanwhile). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAtMs > this.opts.now()) return Promise.resolve(hit.value);
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending;
    const generation = this.generation;
    const lookup = load()
      .then((value) => {
        if (generation === this.generation) this.store(key, value);
        return value;
      })
      .finally(() => {
        if (this.inflight.get(key) === lookup) this.inflight.delete(key);
      });
    this.inflight.set(key, lookup);
    return lookup;
  }

  /** Forgets every entry and every lookup in flight. */
  invalidateAll(): void {
    this.generation += 1;
    this.entries.clear();
    this.inflight.clear();
  }

  private store(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs: this.opts.now() + this.opts.ttlMs });
  }
}
