// Bounded documents: after 10k values of one segment, 150 segment keys and thousands of device
// models, no projection document may exceed 1 MB (caps, and spilling to more documents, keep
// them small). CARDINALITY_DEVICES raises the device count (100k takes far too long on FerretDB
// for CI; see the closing note of the processors issue).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishAll } from '../ingest/index.ts';
import { EVENT_SEGMENTATION_VALUE_LIMIT, listCheckpoints, partitionOf, type SdkRequestReceived } from '../projections/index.ts';
import { eventSubject } from '../streams.config.ts';
import { largestDocument } from './support/actual.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { waitUntil } from './support/wait.ts';

const DEVICES = Number(process.env.CARDINALITY_DEVICES ?? 2_000);
const EVENTS_PER_REQUEST = 5;
const SEGMENT_VALUES = 10_000;
const MB = 1024 * 1024;
const APP = 'bbbbbbbbbbbbbbbbbbbbbb01';
const config = testConfig({ consumers: { batchSize: 1_000 } });
let tally: TestTally;

beforeAll(async () => {
  tally = await startTestTally({ config });
});
afterAll(async () => {
  await tally.destroy();
});

function request(i: number): { subject: string; event: SdkRequestReceived } {
  const device = `card-${i}`;
  const params = {
    begin_session: '1',
    timestamp: String(1_730_000_000 + (i % 86_400)),
    metrics: JSON.stringify({ _os: 'Android', _os_version: `${i % 50}.0`, _device: `model-${i % SEGMENT_VALUES}`, _resolution: `${i % 2000}x${i % 3000}` }),
    events: JSON.stringify(
      Array.from({ length: EVENTS_PER_REQUEST }, (_, k) => ({
        key: 'purchase', count: 1, sum: 1, segmentation: { item: `value-${(i * EVENTS_PER_REQUEST + k) % SEGMENT_VALUES}`, [`seg${(i + k) % 150}`]: 'x' },
      })),
    ),
  };
  const event: SdkRequestReceived = {
    v: 1, type: 'SdkRequestReceived', id: `card-${i}`, requestId: `r${i}`, appId: APP, appKey: 'card', appTimezone: 'Europe/Berlin',
    deviceId: device, receivedAtMs: 1_730_100_000_000, ip: null, params,
  };
  return { subject: eventSubject(config.streams, APP, partitionOf(device, config.streams.partitions)), event };
}

it(`keeps every projection document under 1 MB with ${DEVICES} devices and ${Math.min(SEGMENT_VALUES, DEVICES * EVENTS_PER_REQUEST)} segment values`, { timeout: 900_000 }, async () => {
  for (let i = 0; i < DEVICES; i += 2_000) {
    await publishAll(tally.js, Array.from({ length: Math.min(2_000, DEVICES - i) }, (_, k) => request(i + k)), { timeoutMs: 30_000 });
  }
  await waitUntil(async () => {
    const cps = await listCheckpoints(tally.db, 'core:v1:');
    const applied = cps.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0);
    return applied === DEVICES && cps.every((c) => c.pending === null) ? true : undefined;
  }, 840_000, 'all requests applied');

  const collections = (await tally.db.listCollections().toArray()).map((c) => c.name).filter((n) => n.endsWith('_v1'));
  expect(collections).toEqual(expect.arrayContaining(['users_v1', 'devices_v1', 'device_details_v1', 'events_data_v1', 'events_v1']));
  const largest = await largestDocument(tally.db, collections);
  console.log(`largest projection document: ${largest.collection} ${String(largest.id)} ${largest.bytes} bytes`);
  expect(largest.bytes).toBeLessThan(MB);
  // The caps were exercised: the device-model set holds at most metric_limit values per year.
  const models = await tally.db.collection('devices_v1').find({ a: APP, m: '2024:0' }).toArray();
  const seen = new Set(models.flatMap((d) => Object.keys((d.meta_v2 as { devices?: object } | undefined)?.devices ?? {})));
  expect(seen.size).toBeGreaterThan(0);
  expect(seen.size).toBeLessThanOrEqual(1_000);
  // Every segment value was counted: the item counts of the month documents add up.
  const itemDocs = await tally.db.collection('events_data_v1').find({ a: APP, s: 'item' }).toArray();
  let itemCount = 0;
  const values = new Set<string>();
  for (const doc of itemDocs.filter((d) => !String(d.m).endsWith(':0'))) {
    for (const day of Object.values(doc.d as Record<string, Record<string, { c?: number }>>)) {
      for (const [value, cell] of Object.entries(day)) {
        itemCount += cell.c ?? 0;
        values.add(value);
      }
    }
  }
  console.log(`item documents: ${itemDocs.length}, values: ${values.size}, count: ${itemCount}`);
  // The value cap (event_segmentation_value_limit, 1000 per segment and year) held; groups check
  // it against what they loaded at batch start, so concurrent groups may overshoot a little.
  expect(values.size).toBeGreaterThanOrEqual(EVENT_SEGMENTATION_VALUE_LIMIT);
  expect(values.size).toBeLessThanOrEqual(EVENT_SEGMENTATION_VALUE_LIMIT * 1.25);
  // Each value occurs once in this traffic, so every admitted value carries exactly one count.
  expect(itemCount).toBe(values.size);
  const users = await tally.db.collection(`app_users${APP}_v1`).countDocuments({});
  expect(users).toBe(DEVICES);
});
