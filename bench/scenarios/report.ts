// Report: a long report job (processors/report-job.ts) scanning ≥ 1M stored envelopes of one
// app from the stream, next to a raw ordered-consumer read of the same stream in the same run;
// peak RSS of the process while the job runs. Goal of issue 16: the scan ≥ 0.3× the raw read.
import { REPORT_TASK_TYPE, insertTask, readTask, reportJob } from '../../projections/index.ts';
import { runReportJob } from '../../processors/index.ts';
import { BenchSetupError, BenchTimeoutError } from '../errors.ts';
import type { Scenario } from '../context.ts';
import { rateFigure, type Figure } from '../figures.ts';
import { publishWorkload } from '../publish.ts';

const SCENARIO = 'report';
const SALT = 16;
const RSS_SAMPLE_MS = 100;

/** Envelopes to scan: the mode's, or `TALLY_BENCH_REPORT_EVENTS` (to try it with fewer while developing). */
function envelopesToScan(modeDefault: number): number {
  const raw = process.env.TALLY_BENCH_REPORT_EVENTS;
  const n = raw === undefined ? modeDefault : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : modeDefault;
}

export const report: Scenario = {
  name: SCENARIO,
  description: 'report job scan events/s vs raw ordered-consumer read of the same stream; peak RSS',
  async run(ctx) {
    const tally = await ctx.startTally([]);
    try {
      const n = envelopesToScan(ctx.budget.reportEnvelopes);
      const app = tally.apps[0];
      if (app === undefined) throw new BenchSetupError('the workload has no app');
      // 1. One app's backlog (a report reads one app's subjects): all of the workload goes to it.
      const workload = ctx.workload([app], SALT);
      await publishWorkload(tally.handle.js, tally.config.streams, workload, [app], n, { idPrefix: 'report', batch: 1_000, timeoutMs: 60_000 });
      // 2. The report job: event segmentation of sessions per hour over everything stored.
      const job = reportJob.parse({
        kind: 'segmentation',
        spec: { event: '[CLY]_session', bucket: 'hourly' },
        appId: app.id,
        startMs: 0,
        endMs: 8_640_000_000_000,
      });
      const id = `bench-report-${Date.now()}`;
      const now = Date.now();
      await insertTask(tally.handle.db, {
        _id: id,
        ts: now,
        start: now,
        end: 0,
        status: 'running',
        type: REPORT_TASK_TYPE,
        meta: JSON.stringify(job),
        name: 'bench',
        view: '',
        request: '{}',
        app_id: app.id,
        creator: 'bench',
        global: true,
        r_hour: null,
        autoRefresh: false,
        report_name: 'bench',
        report_desc: '',
        period_desc: '',
        manually_create: false,
        subtask_key: '',
        taskgroup: false,
        hasData: false,
      });
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), RSS_SAMPLE_MS);
      const h = tally.handle;
      const scan = await ctx.tallyPhase('report-scan', async () => {
        const t0 = performance.now();
        const outcome = await runReportJob(
          { config: tally.config, db: h.db, js: h.js, jsm: h.jsm, log: ctx.log.child({ scenario: SCENARIO }), now: Date.now },
          id,
          new AbortController().signal,
        );
        const t1 = performance.now();
        const task = await readTask(h.db, id);
        if (outcome.kind !== 'completed' || task?.progress?.done !== n)
          throw new BenchTimeoutError(`report job ended ${outcome.kind} after ${task?.progress?.done ?? 0} of ${n}`);
        return (n * 1_000) / (t1 - t0);
      });
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const raw = await ctx.baselines.jsOrderedReadOf(h.js, tally.config.streams, 1, n, `raw JetStream ordered-consumer read of the same ${n} envelopes`);
      const note = `${n} envelopes of one app (reference workload), segmentation of sessions per hour; checkpoint every ${tally.config.reports.checkpointEveryMs} ms, fetch ${tally.config.reports.fetchSize}`;
      const figures: Figure[] = [
        rateFigure({
          scenario: SCENARIO,
          id: 'report.scan.rate',
          label: 'report job scan (decode + fold + checkpoints), envelopes/s',
          value: scan.result,
          unit: 'envelopes/s',
          baseline: raw,
          count: n,
          phase: { cpu: scan.cpu, loopDelay: scan.loopDelay },
          note,
        }),
        rateFigure({
          scenario: SCENARIO,
          id: 'report.scan.share',
          label: 'report scan rate ÷ raw ordered-consumer read of the same stream',
          value: scan.result / raw.value,
          unit: '×',
          count: n,
          note,
        }),
        rateFigure({
          scenario: SCENARIO,
          id: 'report.peakRss',
          label: 'peak RSS of the bench process while the report job ran (sampled every 100 ms)',
          value: rssPeak,
          unit: 'bytes',
          note: `RSS before the job ${Math.round(rssBefore / 1_048_576)} MiB, peak ${Math.round(rssPeak / 1_048_576)} MiB`,
        }),
      ];
      return figures;
    } finally {
      await tally.destroy();
    }
  },
};
