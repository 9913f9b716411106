// A former owner's pull must not swallow messages after a takeover. A runner that stalls past
// its lease TTL still has a pull open on the group's consumer; the new owner acknowledges with
// AckPolicy.All, so any message the server hands to the stale pull would be acknowledged without
// ever being applied. Ownership epochs (one consumer per lease, the old one deleted on takeover)
// close that: this test plays the stalled owner with a pull that never acks.
import type { ConsumerMessages } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAll } from '../ingest/index.ts';
import { checkpointId, currentGroupConsumer } from '../processors/index.ts';
import { partitionOf, readCheckpoint, type SdkRequestReceived } from '../projections/index.ts';
import { consumerName, eventSubject, eventsStreamName } from '../streams.config.ts';
import { countPipeline } from './support/count-pipeline.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { waitUntil } from './support/wait.ts';

const APP = 'dddddddddddddddddddddddd';
const config = testConfig({ streams: { partitions: 4, partitionGroups: 1 }, consumers: { batchSize: 50, batchWaitMs: 20 } });
const stream = eventsStreamName(config.streams);
const base = consumerName(config.streams, 'count_v1', 0);
let tally: TestTally;

async function publish(from: number, count: number): Promise<void> {
  const items = Array.from({ length: count }, (_, k) => {
    const deviceId = `dev-${(from + k) % 30}`;
    const event: SdkRequestReceived = {
      v: 1,
      type: 'SdkRequestReceived',
      id: `e-${from + k}`,
      requestId: `r${from + k}`,
      appId: APP,
      appKey: 'k',
      appTimezone: 'UTC',
      deviceId,
      receivedAtMs: 1_700_000_000_000 + from + k,
      ip: null,
      params: {},
    };
    return { subject: eventSubject(config.streams, APP, partitionOf(deviceId, config.streams.partitions)), event };
  });
  for (let i = 0; i < items.length; i += 200) await publishAll(tally.js, items.slice(i, i + 200), { timeoutMs: 10_000 });
}

const applied = async () => (await readCheckpoint(tally.db, checkpointId('count', 1, 0), 1)).appliedEvents;

beforeAll(async () => {
  tally = await startTestTally({ config, pipelines: [{ pipeline: countPipeline, version: 1 }] });
});
afterAll(async () => {
  await tally.destroy();
});

describe('a stale owner after a takeover', () => {
  it('gets nothing, and every event is applied once by the new owner', async () => {
    // 1. The first owner applies some traffic.
    await publish(0, 100);
    await waitUntil(async () => ((await applied()) === 100 ? true : undefined), 20_000, '100 events applied');
    // 2. The "stalled" first owner: a pull on its consumer that receives but never acknowledges.
    const first = await currentGroupConsumer(tally.jsm, stream, base);
    expect(first).toBeDefined();
    const stale: ConsumerMessages = await (await tally.js.consumers.get(stream, first!.name)).consume({ max_messages: 500 });
    let stolen = 0;
    const draining = (async () => {
      for await (const m of stale) if (m.info.streamSequence > 0) stolen++;
    })();
    // 3. Another owner takes the group over (a new lease, so a new epoch); the first one's own
    //    runner stops, so only the test's stale pull is left of it.
    await tally.processors!.stop();
    await tally.restartProcessors();
    await waitUntil(async () => ((await currentGroupConsumer(tally.jsm, stream, base))?.name !== first!.name ? true : undefined), 20_000, 'takeover');
    // 4. Traffic after the takeover: all of it must be applied, none of it delivered to the stale pull.
    await publish(100, 1_500);
    await waitUntil(async () => ((await applied()) >= 1_600 ? true : undefined), 30_000, '1,600 events applied');
    expect(await applied()).toBe(1_600);
    const docs = await tally.db.collection<{ n: number }>('count_apps_v1').find({ a: APP }).toArray();
    expect(docs.reduce((s, d) => s + d.n, 0)).toBe(1_600);
    expect(stolen).toBe(0);
    await stale.close();
    await draining;
  });
});
