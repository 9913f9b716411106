// Processing: how fast the processors fold a backlog of workload envelopes published straight
// to the events stream (no HTTP), how many events each database write carries, and how fresh
// the projections stay at half that rate. "Events" are Countly events plus sessions begun
// (countlyEvents in bench/publish.ts); envelopes are the stream messages that carry them.
import type { BenchContext, Scenario } from '../context.ts';
import { CommandCounter, type CommandCounts } from '../db-commands.ts';
import { latencyFigure, rateFigure, type BaselineFigure, type Figure } from '../figures.ts';
import { checkpointTotals, processorStatus, publishAndApply, readOfApplied, type Applied } from '../fold-watch.ts';
import { measureFreshness } from '../freshness.ts';
import { summarize } from '../histogram.ts';
import type { PhaseResult } from '../phase.ts';
import { countedMessages, workloadEnvelopes } from '../publish.ts';
import type { BenchTally } from '../tally.ts';
import type { Workload } from '../workload.ts';

const SCENARIO = 'processing';
const FOLD_SALT = 11;
const FRESHNESS_SALT = 12;
const PUBLISH_TIMEOUT_MS = 10_000;
/** The freshness window is stretched to hold at least this many messages when the rate is very low. */
const MIN_FRESHNESS_MESSAGES = 5;

const publishFold = (ctx: BenchContext, tally: BenchTally, workload: Workload, count: number, idPrefix: string): Promise<Applied> =>
  publishAndApply(tally, countedMessages(tally.config.streams, workloadEnvelopes(workload, tally.apps, count, { idPrefix })), ctx.budget.foldTimeoutMs);

function writeNote(w: CommandCounts, events: number): string {
  const bookkeeping = Object.entries(w.statementsByCollection).filter(([c]) => c.startsWith('_') || c.startsWith('uid_sequences'));
  const projection = w.writeStatements - bookkeeping.reduce((n, [, v]) => n + v, 0);
  const perCommand = w.writeCommands > 0 ? (events / w.writeCommands).toFixed(1) : '—';
  const kept = bookkeeping.map(([c, n]) => `${c} ${n}`).join(', ');
  return `${w.writeStatements} write statements (projection upserts/deletes ${projection}; ${kept}) in ${w.writeCommands} write commands (${perCommand} events per command); ${w.readCommands} read commands`;
}

async function foldFigures(ctx: BenchContext, tally: BenchTally): Promise<{ figures: Figure[]; envelopesPerS: number }> {
  const workload = ctx.workload(tally.apps, FOLD_SALT);
  const warm = await publishFold(ctx, tally, workload, ctx.budget.foldWarmupEnvelopes, 'fold-warm');
  const writeBase = await ctx.baselines.mongoBulkWrite();
  const before = await checkpointTotals(tally.handle.db);
  const counter = new CommandCounter(tally.handle.mongo);
  counter.start();
  const r: PhaseResult<Applied> = await ctx.tallyPhase('processing-fold', () => publishFold(ctx, tally, workload, ctx.budget.foldEnvelopes, 'fold'));
  const writes = counter.stop();
  const after = await checkpointTotals(tally.handle.db);
  const f = r.result;
  const seconds = f.durationMs / 1000;
  const perEnvelope = f.events / f.envelopes;
  const read = await readOfApplied(ctx, tally, f);
  const readEvents: BaselineFigure = {
    ...read,
    label: `${read.label}, in events (×${perEnvelope.toFixed(2)} events/envelope)`,
    value: read.value * perEnvelope,
    unit: 'events/s',
  };

  const applied = after.applied - before.applied;
  const deadLetters = after.deadLetters - before.deadLetters;
  const checked =
    applied + deadLetters === f.envelopes && after.pending === 0
      ? 'checkpoints agree'
      : `CHECKPOINTS DISAGREE: ${applied} applied + ${deadLetters} dead-lettered of ${f.envelopes}, ${after.pending} pending`;
  const common = { scenario: SCENARIO, count: f.events, errors: deadLetters, phase: { cpu: r.cpu, loopDelay: r.loopDelay } };
  const what = `${f.envelopes} envelopes = ${f.events} events (Countly events + sessions begun) in ${seconds.toFixed(1)} s after a warm-up of ${warm.envelopes}; ${checked}`;
  const eventsPerWrite = f.events / Math.max(1, writes.writeStatements);
  const ceiling = Math.round(writeBase.value * eventsPerWrite);
  return {
    envelopesPerS: f.envelopes / seconds,
    figures: [
      rateFigure({
        ...common,
        id: 'processing.fold.rate',
        label: 'events folded per s, backlog, publish → all applied',
        value: f.events / seconds,
        unit: 'events/s',
        baseline: readEvents,
        note: `${what}; ${(f.envelopes / seconds).toFixed(0)} envelopes/s; ${r.note}`,
      }),
      rateFigure({
        ...common,
        id: 'processing.fold.writes',
        label: 'database write statements per s while folding',
        value: writes.writeStatements / seconds,
        unit: 'writes/s',
        baseline: writeBase,
        note: `${writeNote(writes, f.events)}; ${r.note}`,
      }),
      rateFigure({
        ...common,
        id: 'processing.fold.eventsPerWrite',
        label: 'events per database write statement (backlog)',
        value: eventsPerWrite,
        unit: 'events/write',
        note: `${writeNote(writes, f.events)}; at the raw bulkWrite ceiling (${Math.round(writeBase.value)} upserts/s) this ratio caps folding at about ${ceiling} events/s`,
      }),
    ],
  };
}

async function freshnessFigure(ctx: BenchContext, tally: BenchTally, envelopesPerS: number): Promise<Figure> {
  const b = ctx.budget;
  const ratePerS = envelopesPerS / 2;
  const durationMs = Math.max(b.loadDurationMs, Math.ceil((MIN_FRESHNESS_MESSAGES * 1000) / ratePerS));
  const total = Math.ceil((ratePerS * (b.loadWarmupMs + durationMs)) / 1000) + 1;
  const messages = countedMessages(tally.config.streams, workloadEnvelopes(ctx.workload(tally.apps, FRESHNESS_SALT), tally.apps, total, { idPrefix: 'fresh' }));
  const counter = new CommandCounter(tally.handle.mongo);
  counter.start();
  const r = await ctx.tallyPhase('processing-freshness', () =>
    measureFreshness({
      js: tally.handle.js,
      streams: tally.config.streams,
      status: processorStatus(tally),
      messages,
      ratePerS,
      warmupMs: b.loadWarmupMs,
      durationMs,
      drainTimeoutMs: b.foldTimeoutMs,
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    }),
  );
  const writes = counter.stop();
  const res = r.result;
  const eventsPerS = (res.events / res.published) * ratePerS;
  const delivered = summarize(res.delivered);
  const baseline = ctx.baselines.record({
    id: 'js.delivery',
    label: 'raw ordered consumer, publish → delivered, same messages',
    value: delivered.p50Ms,
    unit: 'ms p50',
    latency: delivered,
    note: `${delivered.count} messages; ${r.note}`,
  });
  const failed = res.failedPublishes > 0 ? `; ${res.failedPublishes} publishes failed, first: ${res.firstError ?? '?'}` : '';
  const live = `at this load ${(res.events / Math.max(1, writes.writeStatements)).toFixed(2)} events per write statement: ${writeNote(writes, res.events)}`;
  return latencyFigure({
    id: 'processing.freshness',
    scenario: SCENARIO,
    label: `publish → applied at half load (${Math.round(ratePerS)} envelopes/s ≈ ${Math.round(eventsPerS)} events/s, open loop)`,
    latency: summarize(res.applied),
    baseline,
    count: res.measured,
    errors: res.notApplied,
    phase: { cpu: r.cpu, loopDelay: r.loopDelay },
    note: `${res.measured} envelopes in the ${(durationMs / 1000).toFixed(1)} s window, ${res.behindAtClose} of them not yet applied when it closed, ${res.notApplied} not applied in time${failed}; applied = the group checkpoint covers the message (the read API has no cache, so /o shows it then); ${live}; ${r.note}`,
  });
}

export const processing: Scenario = {
  name: SCENARIO,
  description: 'fold rate, events per write op, freshness; vs raw ordered read and raw bulkWrite',
  async run(ctx) {
    const tally = await ctx.startTally(['processor'], { monitorCommands: true });
    try {
      const fold = await foldFigures(ctx, tally);
      return [...fold.figures, await freshnessFigure(ctx, tally, fold.envelopesPerS)];
    } finally {
      await tally.destroy();
    }
  },
};
