// Ingest: GET /i flat out, POST /i/bulk (N items per call) flat out, and /i latency at half the
// measured rate. Each figure sits next to the raw JetStream async-publish rate and the bare
// fastify server measured in the same run with the same requests.
import type { BenchContext, Scenario } from '../context.ts';
import { latencyFigure, rateFigure, type Figure } from '../figures.ts';
import { decodeHistogram, summarize } from '../histogram.ts';
import type { LoadResult } from '../http-load.ts';
import { httpJob, type HttpJobKind } from '../jobs.ts';
import type { PhaseResult } from '../phase.ts';
import type { BenchTally } from '../tally.ts';

const SCENARIO = 'ingest';
const HALF_LOAD_SALT = 7;

function outcome(r: PhaseResult<LoadResult>): Pick<Figure, 'scenario' | 'count' | 'errors' | 'note' | 'phase'> {
  const res = r.result;
  const failures = Object.entries(res.statusCounts)
    .filter(([status]) => status !== '200')
    .map(([status, n]) => `${n}× ${status}`)
    .join(', ');
  const errors = res.failed > 0 ? `; failed: ${failures}; first: ${res.firstError ?? '?'}` : '';
  const warned = res.warned > 0 ? `; ${res.warned} answers with warnings, first: ${res.firstWarning ?? '?'}` : '';
  const phase = { cpu: r.cpu, loopDelay: r.loopDelay };
  return { scenario: SCENARIO, count: res.ok + res.failed, errors: res.failed, phase, note: `${r.note}${errors}${warned}` };
}

function drive(ctx: BenchContext, tally: BenchTally, kind: HttpJobKind, ratePerS: number, salt: number, label: string): Promise<PhaseResult<LoadResult>> {
  const job = httpJob({ budget: ctx.budget, seed: ctx.seed, anchorMs: ctx.anchorMs, apps: tally.apps, kind, ratePerS, salt });
  return ctx.tallyPhase(label, () => ctx.load.run(job.source, { ...job.load, origin: tally.origin }));
}

async function single(ctx: BenchContext, tally: BenchTally): Promise<Figure[]> {
  const bare = await ctx.baselines.bareHttp('i');
  const { baseline: publish, result: r } = await ctx.baselines.jsPublishAsyncAround('GET /i', () => drive(ctx, tally, 'i', 0, 0, 'ingest-i'));
  const common = outcome(r);
  const how = `${ctx.budget.iConnections} in flight`;
  return [
    rateFigure({ ...common, id: 'ingest.i.rate', label: `GET /i flat out (${how})`, value: r.result.okPerS, unit: 'req/s', baseline: publish }),
    rateFigure({ ...common, id: 'ingest.i.rate.http', label: 'GET /i, same run, vs bare fastify', value: r.result.okPerS, unit: 'req/s', baseline: bare }),
    latencyFigure({
      ...common,
      id: 'ingest.i.latency',
      label: `GET /i latency flat out (${how})`,
      latency: summarize(decodeHistogram(r.result.histogram)),
      baseline: bare,
    }),
  ];
}

async function bulk(ctx: BenchContext, tally: BenchTally): Promise<Figure[]> {
  const bare = await ctx.baselines.bareHttp('bulk');
  const { baseline: publish, result: r } = await ctx.baselines.jsPublishAsyncAround('/i/bulk', () => drive(ctx, tally, 'bulk', 0, 0, 'ingest-bulk'));
  const common = outcome(r);
  const how = `${ctx.budget.bulkItems} items/call, ${ctx.budget.bulkConnections} calls in flight`;
  return [
    rateFigure({
      ...common,
      id: 'ingest.bulk.rate',
      label: `POST /i/bulk flat out (${how})`,
      value: r.result.okItemsPerS,
      unit: 'events/s',
      baseline: publish,
    }),
    rateFigure({
      ...common,
      id: 'ingest.bulk.rate.http',
      label: 'POST /i/bulk, same run, vs bare fastify',
      value: r.result.okItemsPerS,
      unit: 'events/s',
      baseline: bare,
    }),
    latencyFigure({
      ...common,
      id: 'ingest.bulk.latency',
      label: `POST /i/bulk latency per call (${how})`,
      latency: summarize(decodeHistogram(r.result.histogram)),
      baseline: publish,
    }),
  ];
}

/** Open-loop /i at half the measured flat-out rate: the latency a client sees at normal load. */
async function halfLoad(ctx: BenchContext, tally: BenchTally, ratePerS: number): Promise<Figure[]> {
  const bare = await ctx.baselines.bareHttp('i', ratePerS, HALF_LOAD_SALT);
  const r = await drive(ctx, tally, 'i', ratePerS, HALF_LOAD_SALT, 'ingest-i-half-load');
  const label = `GET /i latency at half load (${Math.round(ratePerS)} req/s)`;
  return [latencyFigure({ ...outcome(r), id: 'ingest.i.halfload.latency', label, latency: summarize(decodeHistogram(r.result.histogram)), baseline: bare })];
}

export const ingest: Scenario = {
  name: SCENARIO,
  description: '/i req/s, /i/bulk events/s, latency; vs raw JetStream async publish and bare fastify',
  async run(ctx) {
    const tally = await ctx.startTally(['ingest']);
    try {
      const figures = [...(await single(ctx, tally)), ...(await bulk(ctx, tally))];
      const iRate = figures.find((f) => f.id === 'ingest.i.rate')?.value ?? 0;
      if (iRate > 0) figures.push(...(await halfLoad(ctx, tally, iRate / 2)));
      return figures;
    } finally {
      await tally.destroy();
    }
  },
};
