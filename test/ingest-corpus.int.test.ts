// The bad-input corpus: every case is answered per the spec, never with a 5xx; refused cases store
// nothing, partly malformed ones store only their valid part and say what they dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkCases } from './support/corpus-bulk.ts';
import { CORPUS_LIMITS, singleCases, type CorpusCase, type CorpusKeys } from './support/corpus-single.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, newApp, send, warningReasons } from './support/ingest-client.ts';
import { lastSeq, readEvents, readRequests, unsafeKeys } from './support/stream.ts';

const corpus: readonly CorpusCase[] = [...singleCases, ...bulkCases];
let tally: TestTally;
let keys: CorpusKeys;
let storedTotal = 0;

beforeAll(async () => {
  tally = await startTestTally({ config: testConfig({ ingest: CORPUS_LIMITS }), roles: INGEST_ROLE });
  const [app, paused, locked, salted] = [
    await newApp(tally),
    await newApp(tally, { paused: true }),
    await newApp(tally, { locked: true }),
    await newApp(tally, { salt: 'corpus-salt' }),
  ];
  keys = { app: app.key, paused: paused.key, locked: locked.key, salted: salted.key, salt: 'corpus-salt' };
});
afterAll(async () => {
  await tally.destroy();
});

describe('bad-input corpus', () => {
  it('has at least 150 cases with distinct names', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it.for(corpus)('$name', async (c) => {
    const before = await lastSeq(tally.jsm, tally.config.streams);
    const answer = await send(tally.url, c.request(keys));
    const stored = await readRequests(tally.jsm, tally.config.streams, before);
    storedTotal += stored.length;

    expect(answer.status).toBe(c.status);
    if (c.result !== undefined) expect(answer.body?.result ?? answer.text).toBe(c.result);
    expect(stored).toHaveLength(c.stored);
    if (c.reasons !== undefined) expect([...new Set(warningReasons(answer))].sort()).toEqual([...c.reasons].sort());
    for (const e of stored) expect(unsafeKeys(e.params)).toEqual([]);
  });

  it('leaves Tally healthy, with every stored event valid against the contract', async () => {
    const health = await fetch(`${tally.url}/healthz`);
    expect(health.status).toBe(200);
    const events = await readEvents(tally.jsm, tally.config.streams);
    expect(events).toHaveLength(storedTotal);
    expect(storedTotal).toBe(corpus.reduce((n, c) => n + c.stored, 0));
    expect(tally.logs.lines.filter((l) => typeof l.level === 'number' && l.level >= 50)).toEqual([]);
  });
});
