// Compares the ratios of two result files: the check behind "two consecutive runs agree within
// a stated tolerance" (BENCHMARKS.md). Absolute figures move with the machine; ratios should not.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Largest relative difference of a throughput ratio between two quiet runs. */
export const RATIO_TOLERANCE = 0.1;
/**
 * Wider for p50-latency ratios (milliseconds at different half-load rates per run) and for
 * anything against raw JetStream publish, whose own windows vary ±10 % from one to the next on
 * this VM (measured: 30.5k–38.7k msg/s in eight 3-second windows).
 */
export const WIDE_RATIO_TOLERANCE = 0.15;

const toleranceFor = (f: { ratioP99?: number; baseline?: { id: string } }): number =>
  f.ratioP99 !== undefined || f.baseline?.id.startsWith('js.publish') === true ? WIDE_RATIO_TOLERANCE : RATIO_TOLERANCE;

const reportFile = z.object({
  startedAt: z.string(),
  figures: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      ratio: z.number().optional(),
      ratioP99: z.number().optional(),
      baseline: z.object({ id: z.string() }).optional(),
    }),
  ),
  noisyPhases: z.array(z.object({ phase: z.string(), otherPct: z.number() })).default([]),
});

export interface RatioDrift {
  readonly id: string;
  readonly kind: 'ratio' | 'p99 ratio';
  readonly a: number;
  readonly b: number;
  /** |b − a| ÷ a. */
  readonly drift: number;
  readonly tolerance: number;
  /** p99 ratios are shown but not judged: tails of 10-second windows are not repeatable. */
  readonly judged: boolean;
}

export function loadReport(file: string): z.infer<typeof reportFile> {
  return reportFile.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function ratioDrifts(a: z.infer<typeof reportFile>, b: z.infer<typeof reportFile>): RatioDrift[] {
  const out: RatioDrift[] = [];
  for (const fa of a.figures) {
    const fb = b.figures.find((f) => f.id === fa.id);
    if (fb === undefined) continue;
    const pairs: [RatioDrift['kind'], number | undefined, number | undefined, boolean][] = [
      ['ratio', fa.ratio, fb.ratio, true],
      ['p99 ratio', fa.ratioP99, fb.ratioP99, false],
    ];
    for (const [kind, ra, rb, judged] of pairs) {
      if (ra === undefined || rb === undefined || ra <= 0) continue;
      out.push({ id: fa.id, kind, a: ra, b: rb, drift: Math.abs(rb - ra) / ra, tolerance: toleranceFor(fa), judged });
    }
  }
  return out;
}

/** The comparison as text, and whether every judged ratio is within tolerance. */
export function formatComparison(fileA: string, fileB: string): { text: string; ok: boolean } {
  const a = loadReport(fileA);
  const b = loadReport(fileB);
  const drifts = ratioDrifts(a, b);
  const lines = [`Ratios: ${a.startedAt} vs ${b.startedAt}`];
  for (const d of drifts) {
    const verdict = !d.judged ? 'not judged' : d.drift <= d.tolerance ? `ok (±${d.tolerance * 100} %)` : `OUT OF TOLERANCE (±${d.tolerance * 100} %)`;
    lines.push(`  ${d.id.padEnd(28)} ${d.kind.padEnd(9)} ×${d.a.toFixed(3)}  ×${d.b.toFixed(3)}  ${(d.drift * 100).toFixed(1).padStart(5)} %  ${verdict}`);
  }
  for (const n of [...a.noisyPhases, ...b.noisyPhases]) lines.push(`  note: noisy phase ${n.phase} (other processes ${n.otherPct} %)`);
  return { text: lines.join('\n'), ok: drifts.every((d) => !d.judged || d.drift <= d.tolerance) };
}
