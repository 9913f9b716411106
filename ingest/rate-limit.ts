// Per-app rate limit (config.ingest.rateLimitPerAppPerS): a token bucket per app that refills at
// the configured rate and holds one second of burst. A request is admitted while the bucket holds
// a whole token and may take it below zero (a large bulk is one request), so the average rate holds.

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  /** `perSecond` > 0; the owner does not create a limiter when the limit is off. */
  constructor(
    private readonly perSecond: number,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /** Takes `cost` tokens (one per request or bulk item) from the app's bucket. */
  take(appId: string, cost: number): RateDecision {
    const nowMs = this.now();
    const bucket = this.buckets.get(appId) ?? { tokens: this.perSecond, atMs: nowMs };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.perSecond);
    bucket.atMs = nowMs;
    this.buckets.set(appId, bucket);
    if (bucket.tokens < 1) {
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
    }
    bucket.tokens -= cost;
    return { ok: true };
  }
}
