// The performance goals (issue 7), each tied to the figure id that measures it. Scenarios not
// written yet show their goals as "not measured yet" until a figure with that id appears.
import type { Figure } from './figures.ts';

export interface Goal {
  readonly figureId: string;
  readonly text: string;
  /** Which number of the figure is judged. */
  readonly pick: 'value' | 'p95' | 'p99';
  readonly op: '>=' | '<=';
  readonly target: number;
}

export const GOALS: readonly Goal[] = [
  { figureId: 'ingest.i.rate', text: '/i ≥ 10k req/s', pick: 'value', op: '>=', target: 10_000 },
  { figureId: 'ingest.bulk.rate', text: '/i/bulk ≥ 50k events/s', pick: 'value', op: '>=', target: 50_000 },
  { figureId: 'processing.fold.rate', text: 'folding ≥ 50k events/s', pick: 'value', op: '>=', target: 50_000 },
  { figureId: 'processing.fold.eventsPerWrite', text: '≥ 20 events per write op', pick: 'value', op: '>=', target: 20 },
  { figureId: 'processing.freshness', text: 'freshness p99 ≤ 1 s at half load', pick: 'p99', op: '<=', target: 1_000 },
  { figureId: 'cardinality.largestDocument', text: 'every projection document < 1 MB at high cardinality', pick: 'value', op: '<=', target: 1_048_576 },
  { figureId: 'rebuild.speedup', text: 'rebuild ≥ 5× live', pick: 'value', op: '>=', target: 5 },
  { figureId: 'read.o.30d', text: '/o p95 ≤ 50 ms for 30 days', pick: 'p95', op: '<=', target: 50 },
  { figureId: 'report.scan.share', text: 'report scan ≥ 0.3× the raw ordered read', pick: 'value', op: '>=', target: 0.3 },
  { figureId: 'read.o.1y', text: '/o p95 ≤ 200 ms for one year', pick: 'p95', op: '<=', target: 200 },
  { figureId: 'export.csv.peakRssMb', text: 'CSV export of 1M rows in ≤ 200 MB RSS', pick: 'value', op: '<=', target: 200 },
  { figureId: 'export.xlsx.peakRssMb', text: 'XLSX export of 1M rows in ≤ 200 MB RSS', pick: 'value', op: '<=', target: 200 },
];

export interface GoalStatus {
  readonly goal: Goal;
  readonly measured?: number;
  /** `met`, `missed`, or `not measured yet`. */
  readonly status: 'met' | 'missed' | 'not measured yet';
  /** How far off, as a fraction of the target (0.25 = 25 % short or over). */
  readonly shortBy?: number;
}

function pickValue(f: Figure, pick: Goal['pick']): number {
  if (pick === 'p95') return f.latency?.p95Ms ?? NaN;
  if (pick === 'p99') return f.latency?.p99Ms ?? NaN;
  return f.value;
}

export function judgeGoals(figures: readonly Figure[]): GoalStatus[] {
  return GOALS.map((goal) => {
    const f = figures.find((x) => x.id === goal.figureId);
    if (f === undefined) return { goal, status: 'not measured yet' };
    const measured = pickValue(f, goal.pick);
    const met = goal.op === '>=' ? measured >= goal.target : measured <= goal.target;
    if (met) return { goal, measured, status: 'met' };
    const shortBy = goal.op === '>=' ? (goal.target - measured) / goal.target : (measured - goal.target) / goal.target;
    return { goal, measured, status: 'missed', shortBy };
  });
}
