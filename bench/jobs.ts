// The HTTP load jobs scenarios and baselines share: the same seed gives Tally and the bare
// fastify server byte-identical requests.
import type { LoadOptions } from './http-load.ts';
import type { RequestSourceSpec } from './load-protocol.ts';
import type { Budget } from './modes.ts';
import { deriveSeed, type WorkloadApp } from './workload.ts';

export type HttpJobKind = 'i' | 'bulk';

export interface HttpJob {
  readonly source: RequestSourceSpec;
  readonly load: Omit<LoadOptions, 'origin'>;
}

export interface HttpJobOptions {
  readonly budget: Budget;
  readonly seed: number;
  readonly anchorMs: number;
  readonly apps: readonly WorkloadApp[];
  readonly kind: HttpJobKind;
  /** 0 = flat out. */
  readonly ratePerS: number;
  /** Distinguishes workload streams (e.g. flat-out vs half-load traffic). */
  readonly salt: number;
}

export function httpJob(o: HttpJobOptions): HttpJob {
  const workload = { seed: deriveSeed(o.seed, o.salt, o.kind === 'i' ? 1 : 2), anchorMs: o.anchorMs, apps: [...o.apps] };
  const b = o.budget;
  const source: RequestSourceSpec = o.kind === 'i' ? { kind: 'i-get', workload } : { kind: 'bulk-post', workload, itemsPerRequest: b.bulkItems };
  const connections = o.kind === 'i' ? b.iConnections : b.bulkConnections;
  return {
    source,
    load: {
      connections,
      warmupMs: b.loadWarmupMs,
      durationMs: b.loadDurationMs,
      maxRequests: b.maxRequests,
      ratePerS: o.ratePerS,
      requestTimeoutMs: b.requestTimeoutMs,
    },
  };
}
