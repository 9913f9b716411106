// The app registry as ingest sees it: app key → app summary, cached so the hot path makes no
// database round trip per request. Entries expire after a TTL, and the whole cache is dropped
// when the API announces an app change on core NATS (or when NATS reconnects, since an
// announcement may have been missed while disconnected).
import type { Db } from 'mongodb';
import { findAppByKey, toAppSummary, type AppSummary } from '../projections/index.ts';

/** Most app keys kept (unknown keys are cached too, so a flood of random keys stays bounded). */
export const APP_CACHE_MAX_ENTRIES = 10_000;

export interface AppCacheOptions {
  readonly db: Db;
  /** How long an entry is trusted without an invalidation, ms (config.ingest.appCacheTtlMs). */
  readonly ttlMs: number;
  /** Counters to update (IngestMetrics.appCache). */
  readonly stats: { hits: number; misses: number };
  readonly now?: () => number;
}

interface Entry {
  readonly app: AppSummary | undefined;
  readonly expiresAtMs: number;
}

export class AppCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<AppSummary | undefined>>();
  /** Bumped by every invalidation; a lookup started before it does not store its answer. */
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly opts: AppCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The app with this key, or undefined when none exists. Throws StoreUnavailableError (503). */
  resolve(key: string): Promise<AppSummary | undefined> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAtMs > this.now()) {
      this.opts.stats.hits += 1;
      return Promise.resolve(hit.app);
    }
    const pending = this.inflight.get(key);
    if (pending !== undefined) {
      this.opts.stats.hits += 1;
      return pending;
    }
    this.opts.stats.misses += 1;
    const lookup = this.load(key, this.generation).finally(() => {
      if (this.inflight.get(key) === lookup) this.inflight.delete(key);
    });
    this.inflight.set(key, lookup);
    return lookup;
  }

  /** Forgets everything: app changes are rare, and an id does not say which keys it affects. */
  invalidateAll(): void {
    this.generation += 1;
    this.entries.clear();
    this.inflight.clear();
  }

  private async load(key: string, generation: number): Promise<AppSummary | undefined> {
    const record = await findAppByKey(this.opts.db, key);
    const app = record === undefined ? undefined : toAppSummary(record);
    if (generation === this.generation) this.store(key, app);
    return app;
  }

  private store(key: string, app: AppSummary | undefined): void {
    this.entries.delete(key);
    if (this.entries.size >= APP_CACHE_MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { app, expiresAtMs: this.now() + this.opts.ttlMs });
  }
}
