// Issue 24: whatever a client sends, processing never gets stuck. A few thousand generated `/i`
// and `/i/bulk` requests (seeded, so a failure replays) with keys that are prototype names,
// operators, dotted paths and odd unicode, numbers at and beyond a double's range, junk types and
// deep nesting. Afterwards every partition group has caught up with the stream, nothing is
// mid-batch, the runners are healthy, `/healthz` answers 200, and, since ingest accepted every
// request it stored, nothing it stored was too poisonous to fold.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '../bench/workload/rng.ts';
import { deadLetterStreamName } from '../streams.config.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { newApp, send, type TestApp } from './support/ingest-client.ts';
import { processedThroughHead } from './support/processed.ts';

const config = testConfig({ streams: { partitions: 8, partitionGroups: 2 }, consumers: { batchSize: 500, batchWaitMs: 50 } });
const SINGLE_REQUESTS = 1_600;
const BULK_REQUESTS = 40;
const ITEMS_PER_BULK = 10;
const CONCURRENCY = 12;
let tally: TestTally;
let app: TestApp;

const PROTO = ['constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable'];
const ODD = [
  '$where',
  '$inc',
  'a.b',
  '.',
  '..',
  'system.x',
  '',
  ' ',
  '\u0000x',
  'é',
  '🙂',
  '\u202e',
  '\ud800',
  'a'.repeat(300),
  'キー',
  '0',
  '-1',
  'NaN',
  'null',
];
const NUMBERS: readonly unknown[] = [
  0,
  1,
  -1,
  2.5,
  -2.5,
  1e308,
  -1e308,
  1.7976931348623157e308,
  5e-324,
  2 ** 53 + 1,
  1e21,
  'NaN',
  'Infinity',
  '-Infinity',
  '12',
  '1e400',
  null,
  true,
  [],
  {},
  'x',
];

function key(r: Rng): string {
  return r.chance(0.4) ? r.pick(PROTO) : r.chance(0.5) ? r.pick(ODD) : `k${r.int(0, 5)}`;
}

function value(r: Rng, depth: number): unknown {
  const roll = r.float();
  if (roll < 0.35) return r.pick(NUMBERS);
  if (roll < 0.7) return key(r);
  if (roll < 0.85 || depth > 3) return r.pick([null, true, false]);
  if (roll < 0.93) return Array.from({ length: r.int(0, 3) }, () => value(r, depth + 1));
  return object(r, depth + 1);
}

function object(r: Rng, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = r.int(0, 4); i > 0; i--) Object.defineProperty(out, key(r), { value: value(r, depth), enumerable: true, configurable: true, writable: true });
  return out;
}

function event(r: Rng): Record<string, unknown> {
  const e: Record<string, unknown> = { key: r.chance(0.8) ? key(r) : r.pick(NUMBERS), count: r.pick(NUMBERS) };
  if (r.chance(0.5)) e.sum = r.pick(NUMBERS);
  if (r.chance(0.3)) e.dur = r.pick(NUMBERS);
  if (r.chance(0.6)) e.segmentation = object(r, 1);
  if (r.chance(0.2)) e.timestamp = r.pick([...NUMBERS, 1_735_689_600_000]);
  return e;
}

/** One request's parameters: every kind the protocol has, each with hostile content. */
function params(r: Rng): Record<string, unknown> {
  const p: Record<string, unknown> = { app_key: app.key, device_id: r.chance(0.9) ? `d${r.int(0, 60)}` : key(r) };
  if (r.chance(0.5)) p.events = Array.from({ length: r.int(0, 4) }, () => event(r));
  if (r.chance(0.3)) p.user_details = { ...object(r, 1), custom: object(r, 1) };
  if (r.chance(0.3)) p.metrics = { _os: key(r), _device: key(r), _resolution: key(r), _carrier: key(r), _app_version: value(r, 3), _locale: key(r) };
  if (r.chance(0.2)) p.begin_session = 1;
  if (r.chance(0.2)) p.session_duration = r.pick(NUMBERS);
  if (r.chance(0.1)) p.end_session = 1;
  if (r.chance(0.1)) p.old_device_id = `d${r.int(0, 60)}`;
  if (r.chance(0.1)) p.timestamp = r.pick(NUMBERS);
  if (r.chance(0.1)) p[key(r)] = value(r, 1);
  return p;
}

async function inParallel(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

beforeAll(async () => {
  tally = await startTestTally({ config });
  app = await newApp(tally, { timezone: 'UTC' });
});
afterAll(async () => {
  await tally.destroy();
});

it('a few thousand hostile /i and /i/bulk requests leave every group caught up and healthy', { timeout: 240_000 }, async () => {
  const r = new Rng(24);
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  // 1. Singles, half as GET query strings and half as POST forms.
  await inParallel(SINGLE_REQUESTS, async (i) => {
    const p = params(r);
    const sent = i % 2 === 0 ? await send(tally.url, { query: p }) : await send(tally.url, { form: p });
    count(sent.status);
  });
  // 2. Bulk requests of the same generated items.
  await inParallel(BULK_REQUESTS, async () => {
    const requests = Array.from({ length: ITEMS_PER_BULK }, () => params(r));
    const sent = await send(tally.url, { path: '/i/bulk', form: { app_key: app.key, requests } });
    count(sent.status);
  });
  // Every answer is a decision: accepted, or refused as bad input. Never a server error.
  for (const status of statuses.keys()) expect([200, 400]).toContain(status);
  expect(statuses.get(200) ?? 0).toBeGreaterThan(SINGLE_REQUESTS / 2);

  // 3. Every group has folded everything on the stream and nothing is mid-batch.
  const cps = await processedThroughHead(tally, 120_000).catch((err: unknown) => {
    const seen = new Set<string>();
    for (const l of tally.logs.lines) {
      const m = JSON.stringify(l.err ?? l.msg).slice(0, 1500);
      if (Number(l.level) >= 40 && !seen.has(m)) {
        seen.add(m);
        console.log(m);
      }
    }
    throw err;
  });
  expect(cps.every((c) => c.pending === null)).toBe(true);
  expect(tally.processors!.status().every((g) => g.healthy && g.lastError === undefined)).toBe(true);
  // What ingest accepted, the folds could store: no dead letters.
  const dlq = deadLetterStreamName(config.streams);
  const { state } = await tally.jsm.streams.info(dlq);
  const reasons = new Set<string>();
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++)
    reasons.add((await tally.jsm.streams.getMessage(dlq, { seq }))?.header.get('Tally-Reason').slice(0, 300) ?? '');
  expect([...reasons]).toEqual([]);
  const health = await fetch(`${tally.url}/healthz`);
  expect(health.status).toBe(200);
});
