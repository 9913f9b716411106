// What a scenario reports: figures, each with the baseline measured in the same run and the
// ratio between them, so a slower or faster machine shifts both and the ratio stays put.
import type { LatencySummary } from './histogram.ts';

/** A baseline measurement (raw JetStream, raw driver, bare fastify). */
export interface BaselineFigure {
  /** Stable id, e.g. `js.publish.async`. */
  readonly id: string;
  readonly label: string;
  /** Rate, or p50 latency for latency-only baselines. */
  readonly value: number;
  readonly unit: string;
  readonly latency?: LatencySummary;
  readonly note?: string;
}

/** One Tally measurement. */
export interface Figure {
  /** Stable id goals refer to, e.g. `ingest.i.rate`. */
  readonly id: string;
  readonly scenario: string;
  readonly label: string;
  /** The headline number: a rate, or a latency percentile for latency figures (see `unit`). */
  readonly value: number;
  readonly unit: string;
  readonly latency?: LatencySummary;
  readonly baseline?: BaselineFigure;
  /** value ÷ baseline value (for latencies: Tally's p50 ÷ the baseline's p50). */
  readonly ratio?: number;
  /** Latency figures: Tally's p99 ÷ the baseline's p99. */
  readonly ratioP99?: number;
  /** Requests or messages in the measured window, and how many failed. */
  readonly count?: number;
  readonly errors?: number;
  /** The measured phase: CPU per process (% of one core) and Tally's event-loop delay. */
  readonly phase?: {
    readonly cpu: Readonly<Record<string, number>>;
    readonly loopDelay: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  };
  readonly note?: string;
}

const safeRatio = (a: number, b: number): number | undefined => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : undefined);

/** A rate figure next to its baseline rate. */
export function rateFigure(f: Omit<Figure, 'ratio' | 'ratioP99'>): Figure {
  const ratio = f.baseline === undefined ? undefined : safeRatio(f.value, f.baseline.value);
  return { ...f, ...(ratio !== undefined ? { ratio } : {}) };
}

/** A latency figure (headline p99) next to the baseline's latency; ratios on p50 and p99. */
export function latencyFigure(f: Omit<Figure, 'value' | 'unit' | 'ratio' | 'ratioP99'> & { latency: LatencySummary }): Figure {
  const b = f.baseline?.latency;
  const ratio = b === undefined ? undefined : safeRatio(f.latency.p50Ms, b.p50Ms);
  const ratioP99 = b === undefined ? undefined : safeRatio(f.latency.p99Ms, b.p99Ms);
  return { ...f, value: f.latency.p99Ms, unit: 'ms p99', ...(ratio !== undefined ? { ratio } : {}), ...(ratioP99 !== undefined ? { ratioP99 } : {}) };
}
