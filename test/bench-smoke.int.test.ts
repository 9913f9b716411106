// The benchmark harness runs end to end in seconds: servers, load generator, baselines, the
// ingest scenario against a real Tally, the table and the JSON report; then the processing and
// read scenarios, which wait on the processors and so take longer. Timings are not judged
// here (STYLE.md §7); only that every figure is a finite positive rate next to its baseline.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { formatReport } from '../bench/report.ts';
import { runBench } from '../bench/run.ts';
import { createLogger } from '../scripts/logger.ts';

const outDir = mkdtempSync(join(tmpdir(), 'tally-bench-smoke-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const BASELINES = ['js.publish.sync', 'js.publish.async', 'js.read.ordered', 'mongo.bulkWrite', 'http.bare.i', 'http.bare.bulk'];
const positive = (n: number | undefined): boolean => n !== undefined && Number.isFinite(n) && n > 0;

/** The whole harness in smoke mode against the test servers. */
const smokeRun = (scenarios: string[]) =>
  runBench({ scenarios, mode: 'smoke', seed: 7, outDir, natsUrl: inject('natsUrl'), mongoUrl: inject('mongoUrl'), log: createLogger({ logLevel: 'warn' }) });

describe('bench harness (smoke mode)', () => {
  it('runs the ingest scenario and reports rates next to same-run baselines', async () => {
    const { report, file } = await smokeRun(['ingest']);

    expect(report.scenarios.map((s) => [s.name, s.status])).toEqual([['ingest', 'ok']]);
    for (const id of ['ingest.i.rate', 'ingest.i.rate.http', 'ingest.bulk.rate', 'ingest.bulk.rate.http']) {
      const f = report.figures.find((x) => x.id === id);
      expect(f, id).toBeDefined();
      expect(positive(f?.value), `${id} value ${f?.value}`).toBe(true);
      expect(positive(f?.ratio), `${id} ratio ${f?.ratio}`).toBe(true);
      expect(f?.errors, `${id}: ${f?.note}`).toBe(0);
    }
    const latency = report.figures.find((x) => x.id === 'ingest.i.latency');
    expect(positive(latency?.latency?.p50Ms) && positive(latency?.ratioP99)).toBe(true);
    expect(report.baselineFailures).toEqual([]);
    expect(report.baselines.map((b) => b.id)).toEqual(expect.arrayContaining(BASELINES));
    for (const b of report.baselines) expect(positive(b.value), `${b.id} ${b.value}`).toBe(true);

    const written: unknown = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toMatchObject({ mode: 'smoke', machine: { cores: report.machine.cores }, figures: report.figures.map((f) => ({ id: f.id })) });
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(formatReport(report)).toMatch(/GET \/i flat out .*×\d/);
  });

  // The processors share FerretDB with the other test files, so this waits on their folding.
  it('runs the processing, read and cardinality scenarios against processors and the read API', { timeout: 240_000 }, async () => {
    const { report } = await smokeRun(['processing', 'read', 'cardinality']);

    expect(report.scenarios.map((s) => [s.name, s.status, s.error])).toEqual([
      ['processing', 'ok', undefined],
      ['read', 'ok', undefined],
      ['cardinality', 'ok', undefined],
    ]);
    const largest = report.figures.find((x) => x.id === 'cardinality.largestDocument');
    expect(positive(largest?.value) && (largest?.value ?? Infinity) < 1024 * 1024).toBe(true);
    expect(positive(report.figures.find((x) => x.id === 'cardinality.fold.rate')?.ratio)).toBe(true);
    for (const id of ['processing.fold.rate', 'processing.fold.writes']) {
      const f = report.figures.find((x) => x.id === id);
      expect(positive(f?.value) && positive(f?.ratio), `${id}: ${f?.value} ×${f?.ratio}`).toBe(true);
      expect(f?.errors, `${id}: ${f?.note}`).toBe(0);
    }
    expect(positive(report.figures.find((x) => x.id === 'processing.fold.eventsPerWrite')?.value)).toBe(true);
    for (const id of ['processing.freshness', 'read.o.30d', 'read.o.1y', 'read.o.events.30d', 'read.o.events.1y', 'read.dashboard']) {
      const f = report.figures.find((x) => x.id === id);
      expect(positive(f?.latency?.p50Ms) && positive(f?.ratio), `${id}: ${f?.note}`).toBe(true);
      expect(f?.errors, `${id}: ${f?.note}`).toBe(0);
    }
    expect(report.goals.find((g) => g.goal.figureId === 'read.o.1y')?.status).not.toBe('not measured yet');
  });

  it('runs the export scenario: CSV and XLSX rates next to a raw cursor, peak RSS of the API child', { timeout: 120_000 }, async () => {
    const { report } = await smokeRun(['export']);

    expect(report.scenarios.map((s) => [s.name, s.status, s.error])).toEqual([['export', 'ok', undefined]]);
    for (const type of ['csv', 'xlsx']) {
      const rate = report.figures.find((x) => x.id === `export.${type}.rate`);
      expect(positive(rate?.value) && positive(rate?.ratio), `${type}: ${rate?.note}`).toBe(true);
      expect(positive(report.figures.find((x) => x.id === `export.${type}.peakRssMb`)?.value)).toBe(true);
      expect(positive(report.figures.find((x) => x.id === `export.${type}.ttfb`)?.value)).toBe(true);
    }
  });
});
