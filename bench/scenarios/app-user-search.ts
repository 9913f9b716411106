// App-user search: `/o/app_users/list` over `searchAppUsers` users (100k in quick and full
// mode), a filtered, sorted, paged query and a lookup by `did`, one request in flight; the
// baseline of each is its own database reads (the find, the filter's count and the estimated
// total), captured from Tally's client and replayed with the raw driver in the same run.
// The users are inserted straight into the active app-user collection, shaped as the app-user
// fold writes them: folding 100k devices through the processors would take the run's whole
// budget, and the reads measured do not depend on how the documents got there.
import { activeCollection, appUserId, appUsersCollection, uidOf } from '../../projections/index.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { captureReads } from '../db-commands.ts';
import { BenchSetupError } from '../errors.ts';
import { latencyFigure, type Figure } from '../figures.ts';
import { decodeHistogram, summarize } from '../histogram.ts';
import type { BenchTally } from '../tally.ts';
import { deriveSeed } from '../workload.ts';
import { Rng } from '../workload/rng.ts';

const SCENARIO = 'app-users';
const SALT = 29;
const INSERT_BATCH = 1_000;
const DAY_S = 86_400;
const PLATFORMS = ['Android', 'iOS', 'Windows', 'macOS'] as const;
const COUNTRIES = ['DE', 'US', 'IN', 'BR', 'FR', 'JP'] as const;
const TIERS = ['free', 'pro', 'gold'] as const;

/** Inserts `n` users into the app's active app-user collection; the note says what they hold. */
async function seedUsers(ctx: BenchContext, tally: BenchTally, appId: string, appKey: string, n: number): Promise<string> {
  const name = await activeCollection(tally.handle.db, appUsersCollection(appId));
  const rng = new Rng(deriveSeed(ctx.seed, SALT));
  const nowS = Math.floor(ctx.anchorMs / 1000);
  const startedMs = performance.now();
  await ctx.tallyPhase('app-users seed', async () => {
    for (let i = 0; i < n; i += INSERT_BATCH) {
      const docs = Array.from({ length: Math.min(INSERT_BATCH, n - i) }, (_, j) => {
        const k = i + j;
        const did = `bench-user-${k}`;
        const fs = nowS - rng.int(1, 400) * DAY_S;
        const ls = Math.min(nowS, fs + rng.int(0, 300) * DAY_S);
        return {
          _id: appUserId(appKey, did),
          uid: uidOf(k + 1),
          did,
          fs,
          ls,
          lac: ls,
          sc: rng.int(1, 60),
          tsd: rng.int(10, 50_000),
          cc: rng.pick(COUNTRIES),
          p: rng.pick(PLATFORMS),
          pv: `v${rng.int(10, 17)}`,
          av: `${rng.int(1, 5)}:${rng.int(0, 9)}`,
          la: 'en',
          name: `User ${k}`,
          custom: { tier: rng.pick(TIERS) },
          _s: 0,
          _g: 0,
        };
      });
      await tally.handle.db.collection<{ _id: string }>(name).insertMany(docs, { ordered: false });
    }
  });
  return `${n} app users inserted in ${Math.round(performance.now() - startedMs)} ms into ${name} (one collection, no index but _id)`;
}

interface Query {
  readonly id: string;
  readonly label: string;
  readonly path: string;
  readonly expect: RegExp;
}

function queries(tally: BenchTally, appId: string, users: number): Query[] {
  const auth = `api_key=${tally.apiKey}&app_id=${appId}`;
  const q = (v: unknown): string => encodeURIComponent(JSON.stringify(v));
  return [
    {
      id: 'app-users.search',
      label: '/o/app_users/list: p=Android and sc≥20, sort ls desc, page 3 of 50',
      path: `/o/app_users/list?${auth}&query=${q({ p: 'Android', sc: { $gte: 20 } })}&sort=${q({ ls: -1 })}&iDisplayStart=100&iDisplayLength=50`,
      expect: /"aaData":\[\{/,
    },
    {
      id: 'app-users.did',
      label: '/o/app_users/list: one did (read by _id)',
      path: `/o/app_users/list?${auth}&query=${q({ did: `bench-user-${Math.floor(users / 2)}` })}`,
      expect: /"iTotalDisplayRecords":1/,
    },
  ];
}

async function measure(ctx: BenchContext, tally: BenchTally, query: Query, seedNote: string): Promise<Figure> {
  const b = ctx.budget;
  const url = `${tally.origin}${query.path}`;
  await fetch(url).then((res) => res.text()); // warms the member and app caches first
  const { result, reads } = await captureReads(tally.handle.mongo, async () => {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  });
  if (result.status !== 200 || !query.expect.test(result.body))
    throw new BenchSetupError(`${query.label} answered ${result.status}: ${result.body.slice(0, 200)}`);
  const baseline = await ctx.baselines.mongoReadReplay(
    `mongo.find.${query.id}`,
    `raw driver: the same reads (${query.id})`,
    reads,
    b.readWarmupMs,
    b.readDurationMs,
  );
  const load = {
    origin: tally.origin,
    connections: 1,
    warmupMs: b.readWarmupMs,
    durationMs: b.readDurationMs,
    maxRequests: b.maxRequests,
    ratePerS: 0,
    requestTimeoutMs: b.requestTimeoutMs,
  };
  const r = await ctx.tallyPhase(`read ${query.id}`, () => ctx.load.run({ kind: 'get-paths', paths: [query.path] }, load));
  const res = r.result;
  const failed = res.failed > 0 ? `; ${res.failed} failed, first: ${res.firstError ?? '?'}` : '';
  const commands = reads.map((c) => c.commandName).join(', ');
  return latencyFigure({
    id: query.id,
    scenario: SCENARIO,
    label: `${query.label}, 1 in flight`,
    latency: summarize(decodeHistogram(res.histogram)),
    baseline,
    count: res.ok + res.failed,
    errors: res.failed,
    phase: { cpu: r.cpu, loopDelay: r.loopDelay },
    note: `answer ${result.body.length} bytes from database commands: ${commands}${failed}; ${seedNote}; ${r.note}`,
  });
}

export const appUserSearch: Scenario = {
  name: SCENARIO,
  description: '/o/app_users/list over 100k app users (filtered, sorted, paged; by did); vs the same reads with the raw driver',
  async run(ctx) {
    const tally = await ctx.startTally(['processor'], { monitorCommands: true });
    try {
      const app = tally.apps[0];
      if (app === undefined) throw new BenchSetupError('no apps');
      const note = await seedUsers(ctx, tally, app.id, app.key, ctx.budget.searchAppUsers);
      const figures: Figure[] = [];
      for (const q of queries(tally, app.id, ctx.budget.searchAppUsers)) figures.push(await measure(ctx, tally, q, note));
      return figures;
    } finally {
      await tally.destroy();
    }
  },
};
