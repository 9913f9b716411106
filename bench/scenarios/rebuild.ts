// Rebuild: the same backlog of workload envelopes folded three ways in one run — by the live
// processors (live batch sizes), by `startRebuild` into a new version (rebuild batch sizes,
// no live traffic), and read raw by an ordered consumer — plus the live fold rate while a
// rebuild shares the database. `rebuild.speedup` = rebuild rate ÷ live rate (goal ≥ 5).
import { checkpointPrefix, corePipeline, LIVE_PIPELINES, startProcessors, startRebuild, type ProcessorsDeps } from '../../processors/index.ts';
import { listCheckpoints } from '../../projections/index.ts';
import { BenchTimeoutError } from '../errors.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { rateFigure, type BaselineFigure, type Figure } from '../figures.ts';
import { publishWorkload } from '../publish.ts';
import type { BenchTally } from '../tally.ts';

const SCENARIO = 'rebuild';
const SALT = 21;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function depsOf(tally: BenchTally, ctx: BenchContext): ProcessorsDeps {
  const h = tally.handle;
  return { config: tally.config, log: ctx.log.child({ scenario: SCENARIO }), db: h.db, nc: h.nc, js: h.js, jsm: h.jsm };
}

/** Waits until the checkpoints of `core:v<version>` account for `envelopes`; resolves with performance.now(). */
async function appliedAt(tally: BenchTally, version: number, envelopes: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const cps = await listCheckpoints(tally.handle.db, checkpointPrefix(corePipeline.name, version));
    const n = cps.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0);
    if (n >= envelopes && cps.every((c) => c.pending === null)) return performance.now();
    if (performance.now() > deadline) throw new BenchTimeoutError(`core v${version} applied ${n} of ${envelopes} envelopes within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Live processors drain a backlog of `count` envelopes on the active version; envelopes/s. */
async function liveDrain(ctx: BenchContext, tally: BenchTally, version: number, already: number, count: number): Promise<number> {
  const processors = await startProcessors(depsOf(tally, ctx), LIVE_PIPELINES);
  try {
    const t0 = performance.now();
    const t1 = await appliedAt(tally, version, already + count, ctx.budget.foldTimeoutMs);
    return (count * 1_000) / (t1 - t0);
  } finally {
    await processors.stop();
  }
}

/** A fresh instance drains `count` envelopes live, alone or while a rebuild replays the same stream; envelopes/s. */
async function besideRun(ctx: BenchContext, count: number, withRebuild: boolean): Promise<number> {
  const tally = await ctx.startTally([]);
  try {
    await publishWorkload(tally.handle.js, tally.config.streams, ctx.workload(tally.apps, SALT + 1), tally.apps, count, { idPrefix: 'beside' });
    // switchLagEvents -1: this rebuild only shares the database, it never switches readers.
    const deps = depsOf(tally, ctx);
    const noSwitch = { ...deps, config: { ...tally.config, rebuild: { ...tally.config.rebuild, switchLagEvents: -1 } } };
    const beside = withRebuild ? await startRebuild({ deps: noSwitch, pipeline: corePipeline }) : undefined;
    try {
      return await liveDrain(ctx, tally, 1, 0, count);
    } finally {
      beside?.cancel();
      await beside?.done;
    }
  } finally {
    await tally.destroy();
  }
}

export const rebuild: Scenario = {
  name: SCENARIO,
  description: 'rebuild events/s vs live fold events/s and raw ordered-consumer read of the same stream',
  async run(ctx) {
    const tally = await ctx.startTally([]);
    try {
      const n = ctx.budget.foldEnvelopes;
      const workload = ctx.workload(tally.apps, SALT);
      const streams = tally.config.streams;
      // 1. A backlog, folded by the live processors.
      await publishWorkload(tally.handle.js, streams, workload, tally.apps, n, { idPrefix: 'rebuild-a' });
      const live = await ctx.tallyPhase('rebuild-live', () => liveDrain(ctx, tally, 1, 0, n));
      // 2. The same stream rebuilt into version 2 with nothing else running.
      const rb = await ctx.tallyPhase('rebuild-replay', async () => {
        const h = await startRebuild({ deps: depsOf(tally, ctx), pipeline: corePipeline });
        const t0 = performance.now();
        const t1 = await appliedAt(tally, h.version, n, ctx.budget.foldTimeoutMs);
        const record = await h.done;
        return { perS: (n * 1_000) / (t1 - t0), state: record.state, version: h.version };
      });
      const raw = await ctx.baselines.jsOrderedReadOf(tally.handle.js, streams, 1, n, `raw JetStream ordered-consumer read of the same ${n} envelopes`);
      // 3. Live processing beside a rebuild: two fresh instances get the same backlog; one drains
      //    it alone, the other while a rebuild replays the same stream. (Successive backlogs in
      //    one instance are not comparable on FerretDB: a later one drained 5x slower with no
      //    rebuild running at all.)
      const half = Math.max(1, Math.floor(n / 2));
      const alone = await ctx.tallyPhase('rebuild-live-alone', () => besideRun(ctx, half, false));
      const during = await ctx.tallyPhase('rebuild-live-during', () => besideRun(ctx, half, true));

      const liveBase: BaselineFigure = {
        id: 'tally.live.fold',
        label: 'live processors draining the same backlog (same run)',
        value: live.result,
        unit: 'envelopes/s',
      };
      const note = `${n} envelopes of the reference workload; rebuild batch ${tally.config.rebuild.batchSize}, live batch ${tally.config.consumers.batchSize}, flushShare ${tally.config.rebuild.flushShare}; rebuild ended ${rb.result.state}`;
      const phase = { cpu: rb.cpu, loopDelay: rb.loopDelay };
      const figures: Figure[] = [
        rateFigure({
          scenario: SCENARIO,
          id: 'rebuild.rate',
          label: 'rebuild (replay into a new version), envelopes/s',
          value: rb.result.perS,
          unit: 'envelopes/s',
          baseline: raw,
          count: n,
          phase,
          note,
        }),
        rateFigure({
          scenario: SCENARIO,
          id: 'rebuild.speedup',
          label: 'rebuild rate ÷ live fold rate of the same backlog',
          value: rb.result.perS / live.result,
          unit: '×',
          baseline: liveBase,
          count: n,
          note,
        }),
        rateFigure({
          scenario: SCENARIO,
          id: 'rebuild.liveShare',
          label: 'live fold rate while a rebuild runs ÷ live fold rate alone (same backlog, fresh instances)',
          value: during.result / alone.result,
          unit: '×',
          count: half,
          note: `two fresh instances, the same ${half} envelopes: live ${during.result.toFixed(1)} envelopes/s while a rebuild replays them vs ${alone.result.toFixed(1)} alone (goal of the issue: ≥ 0.5); ${note}`,
        }),
      ];
      return figures;
    } finally {
      await tally.destroy();
    }
  },
};
