// Fault injection: 60k events (6k requests × 10) through two processor processes that are
// SIGKILLed and restarted at random moments (mid-flush included). The final projections must
// equal expectations computed from the generated traffic, not from the fold code.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishAll } from '../ingest/index.ts';
import { listCheckpoints } from '../projections/index.ts';
import { readActual } from './support/actual.ts';
import { childEnv, startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { generateTraffic } from './support/traffic.ts';
import { waitUntil } from './support/wait.ts';

const GROUPS = 4;
const MAX_KILLS = 12;
const config = testConfig({ streams: { partitionGroups: GROUPS }, consumers: { pinnedTtlMs: 1_500 } });
const apps = [
  { id: 'aaaaaaaaaaaaaaaaaaaaaa01', key: 'key-one', timezone: 'America/New_York' },
  { id: 'aaaaaaaaaaaaaaaaaaaaaa02', key: 'key-two', timezone: 'Asia/Kolkata' },
];
let tally: TestTally;
const children = new Set<ChildProcess>();

function startProcessor(): ChildProcess {
  const child = spawn(process.execPath, ['bin/tally.mjs', 'start', '--role', 'processor', '--exit-with-parent'], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: childEnv(config, { TALLY_BATCH_SIZE: '1000' }),
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Events the checkpoints account for (applied or dead-lettered), and whether a batch is in flight. */
async function progress(): Promise<{ events: number; pending: boolean }> {
  // Read-only on purpose: FerretDB's SQLite backend stalls with more than two concurrent writers.
  const cps = await listCheckpoints(tally.db, 'core:v1:');
  return { events: cps.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0), pending: cps.some((c) => c.pending !== null) };
}
const done = async (n: number) => {
  const p = await progress();
  return p.events === n && !p.pending;
};

beforeAll(async () => {
  tally = await startTestTally({ config, roles: [] });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await tally.destroy();
});

it('SIGKILLing processor processes at random moments neither loses nor double-counts', { timeout: 600_000 }, async () => {
  const { items, expected } = generateTraffic(config.streams, {
    apps,
    devicesPerApp: 400,
    requests: 6_000,
    eventsPerRequest: 10,
    startS: 1_730_000_000,
    days: 3,
    seed: 7,
  });
  // A quarter of the traffic now, a quarter after each of the first three kills: the processors
  // cannot finish before they have been killed three times, however fast they are.
  const quarter = Math.ceil(items.length / 4);
  const publishQuarter = async (q: number): Promise<void> => {
    const part = items.slice(q * quarter, (q + 1) * quarter);
    for (let i = 0; i < part.length; i += 1_000) await publishAll(tally.js, part.slice(i, i + 1_000), { timeoutMs: 20_000 });
  };
  await publishQuarter(0);

  // 1. Two processor processes share the four groups.
  const procs = [startProcessor(), startProcessor()];
  // 2. Kill one at a random moment every 2–4.5 s and start a replacement, until all is applied.
  let kills = 0;
  let rand = 12345;
  const next = () => (rand = (rand * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const killer = (async () => {
    // MAX_KILLS bounds the test's length; every kill lands at a random moment.
    while (kills < MAX_KILLS && !(await done(items.length))) {
      // Long enough for a replacement to boot (about 1 s), take its lease and flush; random
      // within a flush.
      await new Promise((r) => setTimeout(r, 2_000 + next() * 2_500));
      const i = Math.floor(next() * procs.length);
      procs[i]?.kill('SIGKILL');
      kills += 1;
      await new Promise((r) => setTimeout(r, 200));
      procs[i] = startProcessor();
      if (kills <= 3) await publishQuarter(kills);
    }
  })();
  await waitUntil(async () => ((await done(items.length)) ? true : undefined), 540_000, 'all events applied');
  await killer;
  expect(kills).toBeGreaterThanOrEqual(3);

  // 3. Compare everything with the expectations computed from the traffic.
  const actual = await readActual(
    tally.db,
    apps.map((a) => a.id),
    Array.from({ length: 10 }, (_, k) => `k${k}`),
  );
  expect(actual.sessions).toEqual(expected.sessions);
  expect(actual.eventSums).toEqual(expected.eventSums);
  expect(actual.eventCounts).toEqual(expected.eventCounts);
  const dlq = await tally.jsm.streams.info(`${config.streams.prefix.toUpperCase()}_DLQ`);
  expect(dlq.state.messages).toBe(0);
});
