// The run's output: one table on stdout, and the same figures as JSON under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BaselineFigure, Figure } from './figures.ts';
import type { GoalStatus } from './goals.ts';
import type { LatencySummary } from './histogram.ts';
import type { MachineFacts } from './machine.ts';
import type { NoisyPhase } from './phase.ts';
import type { BenchMode } from './modes.ts';
import type { ProfileSummary } from './profile.ts';

export interface ScenarioOutcome {
  readonly name: string;
  readonly status: 'ok' | 'not implemented yet' | 'failed';
  readonly durationMs: number;
  readonly error?: string;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly mode: BenchMode;
  readonly seed: number;
  readonly anchorMs: number;
  readonly durationMs: number;
  readonly machine: MachineFacts;
  readonly scenarios: readonly ScenarioOutcome[];
  readonly figures: readonly Figure[];
  readonly baselines: readonly BaselineFigure[];
  readonly baselineFailures: readonly { readonly id: string; readonly error: string }[];
  readonly goals: readonly GoalStatus[];
  readonly profiles: readonly ProfileSummary[];
  /** Phases disturbed by other processes on the machine. */
  readonly noisyPhases: readonly NoisyPhase[];
}

const num = (v: number): string => (!Number.isFinite(v) ? '—' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const latency = (l: LatencySummary): string => `p50 ${num(l.p50Ms)} p95 ${num(l.p95Ms)} p99 ${num(l.p99Ms)} max ${num(l.maxMs)} ms`;
const ratio = (r: number | undefined): string => (r === undefined ? '—' : `×${r >= 10 ? r.toFixed(1) : r >= 0.01 ? r.toFixed(2) : r.toPrecision(2)}`);

function valueText(f: Pick<Figure, 'value' | 'unit' | 'latency'>): string {
  return f.unit === 'ms p99' && f.latency !== undefined ? latency(f.latency) : `${num(f.value)} ${f.unit}`;
}

function baselineText(b: BaselineFigure, asLatency: boolean): string {
  return asLatency && b.latency !== undefined ? latency(b.latency) : `${num(b.value)} ${b.unit}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function figureRows(r: BenchReport): string[][] {
  const rows = r.figures.map((f) => {
    const isLatency = f.unit === 'ms p99';
    const ratios = isLatency ? `p50 ${ratio(f.ratio)}, p99 ${ratio(f.ratioP99)}` : ratio(f.ratio);
    const errors = f.errors !== undefined && f.errors > 0 ? ` (${f.errors} errors)` : '';
    return [
      f.scenario,
      f.label,
      `${valueText(f)}${errors}`,
      f.baseline?.label ?? '—',
      f.baseline === undefined ? '—' : baselineText(f.baseline, isLatency),
      ratios,
    ];
  });
  for (const s of r.scenarios.filter((x) => x.status !== 'ok')) {
    rows.push([s.name, s.status === 'failed' ? `failed: ${s.error ?? ''}`.slice(0, 120) : 'not implemented yet', '—', '—', '—', '—']);
  }
  return rows;
}

function goalRows(r: BenchReport): string[][] {
  return r.goals.map((g) => {
    const measured = g.measured === undefined ? '—' : num(g.measured);
    const status = g.status === 'missed' ? `missed by ${Math.round((g.shortBy ?? 0) * 100)} %` : g.status;
    return [g.goal.text, g.goal.figureId, measured, status];
  });
}

/** The human-readable report: figures with baselines and ratios, goals, baselines, profiles. */
export function formatReport(r: BenchReport): string {
  const m = r.machine;
  const out = [
    `Tally bench — ${r.mode} mode, seed ${r.seed}, ${Math.round(r.durationMs / 1000)} s`,
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; nats-server ${m.natsServer}; FerretDB ${m.ferretdb} (${m.services})`,
    '',
    table(['Scenario', 'Figure', 'Tally', 'Baseline (same run)', 'Baseline value', 'Ratio'], figureRows(r)),
    '',
    table(['Goal', 'Figure id', 'Measured', 'Status'], goalRows(r)),
    '',
    table(
      ['Baseline', 'Value', 'Latency', 'Note'],
      r.baselines.map((b) => [b.label, `${num(b.value)} ${b.unit}`, b.latency === undefined ? '—' : latency(b.latency), b.note ?? '']),
    ),
  ];
  for (const b of r.baselineFailures) out.push(`Baseline ${b.id} FAILED: ${b.error}`);
  if (r.noisyPhases.length > 0) {
    const list = r.noisyPhases.map((p) => `${p.phase} (${p.otherPct}%)`).join(', ');
    out.push('', `WARNING: other processes used CPU during ${list}; those figures are unreliable, rerun on a quiet machine.`);
  }
  const notes = new Map<string, string[]>();
  for (const f of r.figures) if (f.note !== undefined) notes.set(f.note, [...(notes.get(f.note) ?? []), f.id]);
  if (notes.size > 0) out.push('', 'Notes (per measured phase):', ...[...notes].map(([note, ids]) => `  ${ids.join(', ')}: ${note}`));
  for (const p of r.profiles) {
    out.push('', `Profile ${p.file}`, `  by area: ${p.byArea.map((h) => `${h.name} ${h.selfPct}%`).join(', ')}`);
    out.push(...p.byFunction.slice(0, 10).map((h) => `    ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}`));
  }
  return out.join('\n');
}

/** Writes `<dir>/<startedAt>.json` and returns its path. */
export function writeReport(r: BenchReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
