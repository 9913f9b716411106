// Latency histograms (HdrHistogram, 3 significant digits), recorded in microseconds. They cross
// the process boundary from the load generator as compressed base64 and merge losslessly.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Percentiles of one histogram, ms. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Up to 10 minutes at 3 significant digits; larger values grow the histogram. */
export function createHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records one duration given in ms (stored as whole µs, at least 1). */
export function recordMs(h: Histogram, durationMs: number): void {
  h.recordValue(Math.max(1, Math.round(durationMs * 1000)));
}

export const encodeHistogram = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h);
export const decodeHistogram = (text: string): Histogram => hdr.decodeFromCompressedBase64(text);

const ms = (us: number): number => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN, meanMs: NaN };
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    maxMs: ms(h.maxValue),
    meanMs: ms(h.mean),
  };
}
