// Read: /o latency on a long history. The history (bench/history.ts: the workload's sessions on
// a fixed set of devices, spread over hundreds of days) goes through the real pipeline,
// published to the stream and folded by the processors; then each query runs one request at a
// time from the load generator. The baseline of each query is its own database reads, captured
// from Tally's client and replayed with the raw driver in the same run.
import type { BenchContext, Scenario } from '../context.ts';
import { captureReads, type CapturedRead } from '../db-commands.ts';
import { BenchSetupError } from '../errors.ts';
import { latencyFigure, type Figure } from '../figures.ts';
import { checkpointTotals, publishAndApply } from '../fold-watch.ts';
import { decodeHistogram, summarize } from '../histogram.ts';
import { emptyHistoryStats, historyRequests, popularKeys, type HistoryStats } from '../history.ts';
import { countedMessages, requestEnvelopes } from '../publish.ts';
import type { BenchTally } from '../tally.ts';
import { deriveSeed } from '../workload.ts';

const SCENARIO = 'read';
const HISTORY_SALT = 13;
/**
 * The history is folded in large batches, as a rebuild would fold it: each batch writes every
 * document it touches once, so the 10k-device history is seeded in about a minute instead of
 * one write per touch. The documents are the same whatever the batch size (the rebuild test
 * proves it); the reads measured after do not depend on it.
 */
const HISTORY_BATCHING = { batchSize: 20_000, batchWaitMs: 2_000 } as const;
const KEY_SAMPLE_REQUESTS = 5_000;

interface Query {
  readonly id: string;
  readonly label: string;
  readonly path: string;
  /** What an answer with data contains (an empty time object must not pass for a result). */
  readonly expect: RegExp;
}

/** Publishes the history and waits until it is applied; resolves with a note saying what it holds. */
async function seedHistory(ctx: BenchContext, tally: BenchTally): Promise<{ stats: HistoryStats; note: string }> {
  const b = ctx.budget;
  const stats = emptyHistoryStats();
  const opts = {
    devices: b.historyDevices,
    sessionsPerDevice: b.historySessionsPerDevice,
    days: b.historyDays,
    // A twin of the history's workload (same salt, same traffic) ranks the keys.
    eventKeys: popularKeys(ctx.workload(tally.apps, HISTORY_SALT), KEY_SAMPLE_REQUESTS, b.historyEventKeys),
    eventSegments: b.historyEventSegments,
    seed: deriveSeed(ctx.seed, HISTORY_SALT),
  };
  const requests = historyRequests(ctx.workload(tally.apps, HISTORY_SALT), tally.apps, opts, stats);
  const r = await ctx.tallyPhase('read-seed', () =>
    publishAndApply(tally, countedMessages(tally.config.streams, requestEnvelopes(requests, tally.apps, { idPrefix: 'history' })), b.foldTimeoutMs),
  );
  const totals = await checkpointTotals(tally.handle.db);
  if (totals.deadLetters > 0) throw new BenchSetupError(`${totals.deadLetters} history envelopes were dead-lettered`);
  const s = r.result.durationMs / 1000;
  const kept = `events of the ${opts.eventKeys.size} most frequent key(s) with ${opts.eventSegments} segment(s) each`;
  const note = `history: ${stats.devices} devices × ${opts.sessionsPerDevice} session(s) on random days over ${opts.days} days, ${kept} = ${stats.requests} envelopes, ${stats.events} events, seeded through the processors in ${s.toFixed(0)} s (${Math.round(stats.events / s)} events/s)`;
  return { stats, note };
}

/** The most frequent event key and its most frequent segment. */
function topEvent(stats: HistoryStats): { key: string; segment: string } {
  const top = [...stats.keys].sort((a, b) => b[1].count - a[1].count)[0];
  const segment = [...(top?.[1].segments ?? [])].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (top === undefined || segment === undefined) throw new BenchSetupError('the history has no segmented events');
  return { key: top[0], segment };
}

function queries(tally: BenchTally, stats: HistoryStats): Query[] {
  const app = tally.apps[0];
  if (app === undefined) throw new BenchSetupError('no apps');
  const auth = `api_key=${tally.apiKey}&app_id=${app.id}`;
  const { key, segment } = topEvent(stats);
  const events = `method=events&event=${encodeURIComponent(key)}&segmentation=${encodeURIComponent(segment)}`;
  return [
    { id: 'read.o.30d', label: '/o?method=sessions, period 30days', path: `/o?${auth}&method=sessions&period=30days`, expect: /"t":[1-9]/ },
    { id: 'read.o.1y', label: '/o?method=sessions, period 365days', path: `/o?${auth}&method=sessions&period=365days`, expect: /"t":[1-9]/ },
    {
      id: 'read.o.events.30d',
      label: `/o?method=events (top key, segmentation ${segment}), 30days`,
      path: `/o?${auth}&${events}&period=30days`,
      expect: /"c":[1-9]/,
    },
    {
      id: 'read.o.events.1y',
      label: `/o?method=events (top key, segmentation ${segment}), 365days`,
      path: `/o?${auth}&${events}&period=365days`,
      expect: /"c":[1-9]/,
    },
    {
      id: 'read.dashboard',
      label: '/o/analytics/dashboard (30days, 7days, today)',
      path: `/o/analytics/dashboard?${auth}`,
      expect: /"total_sessions":\{"total":[1-9]/,
    },
  ];
}

/** One request with the reads it makes captured; fails unless the answer is a 200 with data. */
async function capture(tally: BenchTally, q: Query): Promise<{ reads: CapturedRead[]; bytes: number }> {
  const url = `${tally.origin}${q.path}`;
  await fetch(url).then((res) => res.text()); // warms the member and app caches first
  const { result, reads } = await captureReads(tally.handle.mongo, async () => {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  });
  if (result.status !== 200 || !q.expect.test(result.body)) throw new BenchSetupError(`${q.label} answered ${result.status}: ${result.body.slice(0, 200)}`);
  if (reads.length === 0) throw new BenchSetupError(`${q.label} read nothing from the database`);
  return { reads, bytes: result.body.length };
}

/** `users_v1 312 docs, ...`: on FerretDB (SQLite) every query reads its whole collection. */
async function collectionSizes(tally: BenchTally, reads: readonly CapturedRead[]): Promise<string> {
  const names = new Set<string>();
  for (const r of reads) {
    const name: unknown = r.command[r.commandName];
    if (typeof name === 'string') names.add(name);
  }
  const sizes = await Promise.all([...names].map(async (n) => `${n} ${await tally.handle.db.collection(n).estimatedDocumentCount()} docs`));
  return sizes.join(', ');
}

async function measure(ctx: BenchContext, tally: BenchTally, q: Query, historyNote: string): Promise<Figure> {
  const b = ctx.budget;
  const { reads, bytes } = await capture(tally, q);
  const sizes = await collectionSizes(tally, reads);
  const baseline = await ctx.baselines.mongoReadReplay(`mongo.find.${q.id}`, `raw driver: the same reads (${q.id})`, reads, b.readWarmupMs, b.readDurationMs);
  const load = {
    origin: tally.origin,
    connections: 1,
    warmupMs: b.readWarmupMs,
    durationMs: b.readDurationMs,
    maxRequests: b.maxRequests,
    ratePerS: 0,
    requestTimeoutMs: b.requestTimeoutMs,
  };
  const r = await ctx.tallyPhase(`read ${q.id}`, () => ctx.load.run({ kind: 'get-paths', paths: [q.path] }, load));
  const res = r.result;
  const failed = res.failed > 0 ? `; ${res.failed} failed, first: ${res.firstError ?? '?'}` : '';
  return latencyFigure({
    id: q.id,
    scenario: SCENARIO,
    label: `${q.label}, 1 in flight`,
    latency: summarize(decodeHistogram(res.histogram)),
    baseline,
    count: res.ok + res.failed,
    errors: res.failed,
    phase: { cpu: r.cpu, loopDelay: r.loopDelay },
    note: `answer ${bytes} bytes from ${reads.length} database reads (collections: ${sizes})${failed}; ${historyNote}; ${r.note}`,
  });
}

export const read: Scenario = {
  name: SCENARIO,
  description: '/o and dashboard latency on a long history; vs the same reads with the raw driver',
  async run(ctx) {
    const tally = await ctx.startTally(['processor'], { monitorCommands: true, consumers: HISTORY_BATCHING });
    try {
      const history = await seedHistory(ctx, tally);
      const figures: Figure[] = [];
      for (const q of queries(tally, history.stats)) figures.push(await measure(ctx, tally, q, history.note));
      return figures;
    } finally {
      await tally.destroy();
    }
  },
};
