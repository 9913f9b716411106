// Issue 24, finding 1: events whose content made a fold throw, or made an aggregate non-finite,
// blocked their partition group forever. Each one is published straight onto the stream here
// (as an event written before ingest refused such input would be), beside ordinary traffic of
// other devices, and processing must count that traffic exactly, dead-letter only the poison
// with its reason, and stay healthy.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishAll } from '../ingest/index.ts';
import { listCheckpoints, partitionOf, type SdkRequestReceived } from '../projections/index.ts';
import { deadLetterStreamName, eventSubject } from '../streams.config.ts';
import { readActual } from './support/actual.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { processedThroughHead } from './support/processed.ts';

const APP = 'dddddddddddddddddddddd01';
const config = testConfig({ streams: { partitions: 8, partitionGroups: 2 }, consumers: { batchSize: 200, batchWaitMs: 20 } });
let tally: TestTally;
let n = 0;
const DAY_S = 1_735_689_600; // 2025-01-01T00:00:00Z

function request(deviceId: string, params: Record<string, unknown>): { subject: string; event: SdkRequestReceived } {
  n += 1;
  const event: SdkRequestReceived = {
    v: 1,
    type: 'SdkRequestReceived',
    id: `sec-${n}`,
    requestId: `r${n}`,
    appId: APP,
    appKey: 'k',
    appTimezone: 'UTC',
    deviceId,
    receivedAtMs: DAY_S * 1000 + n,
    ip: null,
    params: { timestamp: DAY_S + n, ...params },
  };
  return { subject: eventSubject(config.streams, APP, partitionOf(deviceId, config.streams.partitions)), event };
}

const ordinary = (deviceId: string, i: number) => request(deviceId, { events: [{ key: 'ok', count: 2, sum: i }] });

beforeAll(async () => {
  tally = await startTestTally({ config });
});
afterAll(async () => {
  await tally.destroy();
});

it('poison content is dead-lettered with its reason; every other device is counted exactly', { timeout: 120_000 }, async () => {
  // 1. Ordinary traffic from 40 devices that spread over both partition groups; the model counts it.
  const devices = Array.from({ length: 40 }, (_, i) => `dev-${i}`);
  let okCount = 0;
  let okSum = 0;
  const before = devices.map((d, i) => {
    okCount += 2;
    okSum += i;
    return ordinary(d, i);
  });
  // 2. The poison of the report, from devices that share groups with the ordinary ones.
  const HUGE = 1.7976931348623157e308;
  const poison = [
    request('p-seg', { events: [{ key: 'e', count: 1, segmentation: { constructor: 'x' } }] }),
    request('p-custom', { user_details: { custom: { constructor: 'x' } } }),
    request('p-proto', {
      events: [{ key: 'hasOwnProperty', count: 1, segmentation: { toString: 'valueOf', __proto__x: 'constructor' } }],
      metrics: { _os: 'constructor', _device: '__proto__' },
    }),
    request('p-sum', { events: [{ key: 'big', count: 1, sum: HUGE }] }),
    request('p-sum', { events: [{ key: 'big', count: 1, sum: HUGE }] }),
  ];
  const after = devices.map((d, i) => {
    okCount += 2;
    okSum += 100 + i;
    return ordinary(d, 100 + i);
  });
  await publishAll(tally.js, [...before, ...poison, ...after], { timeoutMs: 20_000 });

  // 3. Every group accounts for every event (applied or dead-lettered), nothing is mid-batch.
  const cps = await processedThroughHead(tally, 60_000);
  const actual = await readActual(tally.db, [APP], ['ok']);
  expect(actual.eventCounts.get(`${APP}|ok`)).toBe(okCount);
  expect(actual.eventSums.get(`${APP}|ok`)).toBe(okSum);

  // 4. Prototype names are plain data: those events were folded, not dead-lettered. Only the
  // sums that cannot be stored as finite numbers are refused, with the reason.
  const dlq = await tally.jsm.streams.info(deadLetterStreamName(config.streams));
  const reasons: string[] = [];
  for (let seq = dlq.state.first_seq; seq <= dlq.state.last_seq && dlq.state.messages > 0; seq++) {
    const m = await tally.jsm.streams.getMessage(deadLetterStreamName(config.streams), { seq });
    if (m !== null) reasons.push(m.header.get('Tally-Reason'));
  }
  // Each huge sum alone is beyond what a fold may write (MAX_WRITABLE_MAGNITUDE), so both go.
  expect(reasons).toHaveLength(2);
  for (const r of reasons) expect(r).toMatch(/UnwritableFoldError: events_data\/.*too large to store/);
  expect(cps.reduce((s, c) => s + c.deadLetters, 0)).toBe(2);
  const seg = await readActual(tally.db, [APP], ['e', 'hasOwnProperty']);
  expect(seg.eventCounts.get(`${APP}|e`)).toBe(1);
  expect(seg.eventCounts.get(`${APP}|e|constructor|x`)).toBe(1);
  expect(seg.eventCounts.get(`${APP}|hasOwnProperty`)).toBe(1);
  expect(seg.eventCounts.get(`${APP}|hasOwnProperty|toString|valueOf`)).toBe(1);
  const user = await tally.db.collection(`app_users${APP}_v1`).findOne({ did: 'p-custom' });
  expect(user?.custom).toEqual({ constructor: 'x' });

  // 5. The runners are healthy, and later traffic is processed.
  expect(tally.processors!.status().every((g) => g.healthy)).toBe(true);
  await publishAll(tally.js, [ordinary('dev-0', 1000)], { timeoutMs: 5_000 });
  await processedThroughHead(tally, 30_000);
  const later = await readActual(tally.db, [APP], ['ok']);
  expect(later.eventCounts.get(`${APP}|ok`)).toBe(okCount + 2);
  const stuck = await listCheckpoints(tally.db, 'core:v1:');
  expect(stuck.every((c) => c.pending === null)).toBe(true);
});
