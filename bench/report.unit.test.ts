// The table shows ratios, goals and scenarios that are not written yet.
import { describe, expect, it } from 'vitest';
import { latencyFigure, rateFigure, type BaselineFigure } from './figures.ts';
import { judgeGoals } from './goals.ts';
import { formatReport, type BenchReport } from './report.ts';

const publish: BaselineFigure = { id: 'js.publish.async', label: 'raw publish', value: 40_000, unit: 'msg/s' };
const bare: BaselineFigure = {
  id: 'http.bare.i',
  label: 'bare',
  value: 20_000,
  unit: 'req/s',
  latency: { count: 1, p50Ms: 1, p95Ms: 2, p99Ms: 4, maxMs: 5, meanMs: 1 },
};

const figures = [
  rateFigure({ id: 'ingest.i.rate', scenario: 'ingest', label: 'GET /i', value: 8_000, unit: 'req/s', baseline: publish }),
  latencyFigure({
    id: 'ingest.i.latency',
    scenario: 'ingest',
    label: 'GET /i latency',
    latency: { count: 1, p50Ms: 3, p95Ms: 6, p99Ms: 12, maxMs: 20, meanMs: 3 },
    baseline: bare,
  }),
];

const report: BenchReport = {
  startedAt: '2026-01-01T00:00:00.000Z',
  mode: 'quick',
  seed: 1,
  anchorMs: 0,
  durationMs: 1_000,
  machine: { cpuModel: 'cpu', cores: 2, memoryGiB: 4, os: 'Linux', node: 'v20', natsServer: 'v2', ferretdb: 'v1', services: 'managed' },
  scenarios: [
    { name: 'ingest', status: 'ok', durationMs: 1 },
    { name: 'processing', status: 'not implemented yet', durationMs: 0 },
  ],
  figures,
  baselines: [publish, bare],
  baselineFailures: [],
  goals: judgeGoals(figures),
  profiles: [],
  noisyPhases: [],
};

describe('report', () => {
  it('computes ratios against the baseline (latency on p50 and p99)', () => {
    expect(figures[0]?.ratio).toBe(0.2);
    expect([figures[1]?.ratio, figures[1]?.ratioP99]).toEqual([3, 3]);
  });

  it('judges goals by how far they are missed, and lists unmeasured ones', () => {
    const i = report.goals.find((g) => g.goal.figureId === 'ingest.i.rate');
    expect(i).toMatchObject({ status: 'missed', measured: 8_000 });
    expect(i?.shortBy).toBeCloseTo(0.2);
    expect(report.goals.find((g) => g.goal.figureId === 'processing.fold.rate')?.status).toBe('not measured yet');
  });

  it('prints ratios, goal status and not-implemented scenarios', () => {
    const text = formatReport(report);
    expect(text).toContain('×0.20');
    expect(text).toContain('p50 ×3.00, p99 ×3.00');
    expect(text).toContain('missed by 20 %');
    expect(text).toMatch(/processing\s+\| not implemented yet/);
  });
});
