// In-process counters of the ingest edge, one object per registered ingest (no module state).
import type { WarningList, WarningReason } from './warnings.ts';

/** What happened to a request (or bulk item) as a whole. */
export type IngestOutcome =
  | 'accepted'
  | 'accepted_bulk_item'
  | 'duplicate'
  | 'rejected_missing_identity'
  | 'rejected_invalid_param'
  | 'rejected_unknown_app'
  | 'rejected_app_paused'
  | 'rejected_app_locked'
  | 'rejected_too_many_events'
  | 'rejected_too_large'
  | 'rejected_rate_limited'
  | 'rejected_bad_requests_param'
  | 'ignored_zero_idfa'
  | 'ignored_checksum'
  | 'unavailable';

/** Where the counters are also reported as they change (the process's Prometheus metrics, scripts/metrics.ts). */
export interface IngestObserver {
  outcome(outcome: IngestOutcome, n: number): void;
  drop(reason: WarningReason): void;
  /** One publish of `messages` envelopes that took `ms` until every PubAck, or until it failed. */
  publish(ms: number, ok: boolean, messages: number): void;
}

export class IngestMetrics {
  constructor(private readonly observer?: IngestObserver) {}

  /** Dropped or rewritten parts of accepted requests, by warning reason. */
  readonly drops = new Map<WarningReason, number>();
  /** Requests and bulk items by outcome. */
  readonly outcomes = new Map<IngestOutcome, number>();
  /** App-key lookups answered from the cache, and lookups that went to the database. */
  readonly appCache = { hits: 0, misses: 0 };

  countWarnings(warnings: WarningList): void {
    for (const w of warnings.items) {
      this.drops.set(w.reason, (this.drops.get(w.reason) ?? 0) + 1);
      this.observer?.drop(w.reason);
    }
  }

  count(outcome: IngestOutcome, n = 1): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + n);
    this.observer?.outcome(outcome, n);
  }

  publish(ms: number, ok: boolean, messages: number): void {
    this.observer?.publish(ms, ok, messages);
  }

  /** Plain-object copy for logs, health output or tests. */
  snapshot(): { drops: Record<string, number>; outcomes: Record<string, number>; appCache: { hits: number; misses: number } } {
    return { drops: Object.fromEntries(this.drops), outcomes: Object.fromEntries(this.outcomes), appCache: { ...this.appCache } };
  }
}
