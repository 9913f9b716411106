// The processing engine's exactly-once effect, with a simple counting pipeline: batches are
// applied once; redelivery (with shifted batch boundaries) changes nothing; a crash after a
// partial flush is recovered from the journal; poison events are dead-lettered; stop is clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAll } from '../ingest/index.ts';
import { checkpointId } from '../processors/index.ts';
import {
  applyOps,
  claimBatch,
  decodeEvent,
  journalParts,
  partitionOf,
  readCheckpoint,
  writeJournal,
  type SdkRequestReceived,
  type TallyEvent,
} from '../projections/index.ts';
import { consumerName, deadLetterStreamName, eventSubject, eventsStreamName } from '../streams.config.ts';
import { countPipeline } from './support/count-pipeline.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { rewindGroup } from './support/rewind.ts';
import { waitUntil } from './support/wait.ts';

const APP = 'cccccccccccccccccccccccc';
const config = testConfig({ streams: { partitions: 8, partitionGroups: 2 }, consumers: { batchSize: 97, batchWaitMs: 20 } });
let tally: TestTally;

function envelope(i: number, deviceId: string, extra: Record<string, unknown> = {}): { subject: string; event: SdkRequestReceived } {
  const event: SdkRequestReceived = {
    v: 1,
    type: 'SdkRequestReceived',
    id: `e-${i}-${deviceId}`,
    requestId: `r${i}`,
    appId: APP,
    appKey: 'k',
    appTimezone: 'UTC',
    deviceId,
    receivedAtMs: 1_700_000_000_000 + i,
    ip: null,
    params: { i, ...extra },
  };
  return { subject: eventSubject(config.streams, APP, partitionOf(deviceId, config.streams.partitions)), event };
}

async function publishEvents(from: number, count: number, devices: number): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  const items = Array.from({ length: count }, (_, k) => {
    const device = `dev-${(from + k) % devices}`;
    expected.set(device, (expected.get(device) ?? 0) + 1);
    return envelope(from + k, device);
  });
  for (let i = 0; i < items.length; i += 500) await publishAll(tally.js, items.slice(i, i + 500), { timeoutMs: 10_000 });
  return expected;
}

async function totals(): Promise<{ apps: number; devices: Map<string, number> }> {
  const apps = await tally.db.collection('count_apps_v1').find({ a: APP }).toArray();
  const devs = await tally.db.collection<{ _id: string; n: number }>('count_devices_v1').find({ a: APP }).toArray();
  return { apps: apps.reduce((s, d) => s + Number(d.n), 0), devices: new Map(devs.map((d) => [d._id.split(':')[1] ?? '', d.n])) };
}

/** Waits until the checkpoints account for `count` events (applied or dead-lettered) and nothing is pending. */
async function appliedThrough(count: number): Promise<void> {
  await waitUntil(
    async () => {
      const cps = await Promise.all([0, 1].map((g) => readCheckpoint(tally.db, checkpointId('count', 1, g), 2)));
      const accounted = cps.reduce((s, c) => s + c.appliedEvents + c.deadLetters, 0);
      return accounted >= count && cps.every((c) => c.pending === null) ? true : undefined;
    },
    30_000,
    `${count} events accounted for`,
  );
}

beforeAll(async () => {
  tally = await startTestTally({ config, pipelines: [{ pipeline: countPipeline, version: 1 }] });
});
afterAll(async () => {
  await tally.destroy();
});

describe('processing engine', () => {
  const expected = new Map<string, number>();
  let total = 0;

  it('1. applies every event exactly once, in batches', async () => {
    const sent = await publishEvents(0, 3_000, 40);
    for (const [d, n] of sent) expected.set(d, (expected.get(d) ?? 0) + n);
    total += 3_000;
    await appliedThrough(total);
    const t = await totals();
    expect(t.apps).toBe(total);
    expect(t.devices).toEqual(expected);
  });

  it('2. redelivering applied batches from the start, with other boundaries, changes nothing', async () => {
    const stream = eventsStreamName(config.streams);
    for (const g of [0, 1]) await rewindGroup(tally.jsm, stream, consumerName(config.streams, 'count_v1', g), 1);
    const sent = await publishEvents(10_000, 500, 40);
    for (const [d, n] of sent) expected.set(d, (expected.get(d) ?? 0) + n);
    total += 500;
    await appliedThrough(total);
    const t = await totals();
    expect(t.apps).toBe(total);
    expect(t.devices).toEqual(expected);
  });

  it('3. a batch sealed and half applied before a crash is completed exactly once', async () => {
    // 1. Stop the runners, so the test plays the crashed process.
    await tally.processors!.stop();
    const sent = await publishEvents(20_000, 400, 40);
    for (const [d, n] of sent) expected.set(d, (expected.get(d) ?? 0) + n);
    total += 400;
    const info = await tally.jsm.streams.info(eventsStreamName(config.streams));
    // 2. For group 0: fold its pending events, journal them, claim, and apply only half the ops.
    const cpId = checkpointId('count', 1, 0);
    const cp = await readCheckpoint(tally.db, cpId, 2);
    const events: TallyEvent[] = [];
    for (let seq = cp.seq + 1; seq <= info.state.last_seq; seq++) {
      const m = await tally.jsm.streams.getMessage(eventsStreamName(config.streams), { seq });
      const e = m ? decodeEvent(m.data, seq) : undefined;
      if (e?.type === 'SdkRequestReceived' && partitionOf(e.deviceId, 8) % 2 === 0) events.push(e);
    }
    const target = { version: 1, group: 0, groups: 2, collectionName: (c: string) => `${c}_v1` };
    const { ops } = countPipeline.fold(null, events, target);
    const toSeq = events[events.length - 1]!.seq;
    const pending = { batchId: `${cpId}:crash`, fromSeq: events[0]!.seq, toSeq, parts: 1, events: events.length, deadLetters: 0 };
    await writeJournal(tally.db, cpId, pending.batchId, journalParts(ops));
    expect(await claimBatch(tally.db, cpId, cp.seq, pending)).toBe(true);
    await applyOps(tally.db, ops.slice(0, Math.ceil(ops.length / 2)), { toSeq, group: 0, collectionName: target.collectionName });
    // 3. Restart processing: recovery applies the rest, the stream redelivers from the checkpoint.
    await tally.restartProcessors();
    await appliedThrough(total);
    expect(tally.logs.lines.some((l) => l.msg === 'recovering a sealed batch left by a crash')).toBe(true);
    const t = await totals();
    expect(t.apps).toBe(total);
    expect(t.devices).toEqual(expected);
  });

  it('4. a poison event is dead-lettered with its reason and does not block its partition', async () => {
    const bad = envelope(30_000, 'dev-1', { poison: 'throw' });
    const notJson = { subject: bad.subject, data: new TextEncoder().encode('{not json') };
    await publishAll(tally.js, [bad], { timeoutMs: 5_000 });
    await tally.js.publish(notJson.subject, notJson.data);
    const sent = await publishEvents(40_000, 50, 40);
    for (const [d, n] of sent) expected.set(d, (expected.get(d) ?? 0) + n);
    total += 50;
    await appliedThrough(total + 2);
    const t = await totals();
    expect(t.apps).toBe(total);
    expect(t.devices).toEqual(expected);
    const dlq = await tally.jsm.streams.info(deadLetterStreamName(config.streams));
    expect(dlq.state.messages).toBe(2);
    const first = await tally.jsm.streams.getMessage(deadLetterStreamName(config.streams), { seq: dlq.state.first_seq });
    expect(first?.header.get('Tally-Reason')).toMatch(/poison requested by the test|not JSON/);
    const cps = await Promise.all([0, 1].map((g) => readCheckpoint(tally.db, checkpointId('count', 1, g), 2)));
    expect(cps.reduce((s, c) => s + c.deadLetters, 0)).toBe(2);
  });

  it('5. is set aside with its reason as a dead-letter record; the rest of the batch is applied and the group moves on', async () => {
    // 1. A device document whose counter is text: `$inc` on it is refused (TypeMismatch), a kind
    // the folds' own check (writable.ts) cannot see, since it depends on the stored document.
    await tally.db.collection<{ _id: string; a: string; n: string }>('count_devices_v1').insertOne({ _id: `${APP}:dev-refused`, a: APP, n: 'text' });
    const dlqBefore = (await tally.jsm.streams.info(deadLetterStreamName(config.streams))).state.messages;
    const refusedBefore = tally.processors!.status().reduce((s, g) => s + g.refusedWrites, 0);
    const items = [envelope(50_000, 'dev-refused'), envelope(50_001, 'dev-refused')];
    await publishAll(tally.js, items, { timeoutMs: 5_000 });
    const sent = await publishEvents(50_010, 60, 40);
    for (const [d, n] of sent) expected.set(d, (expected.get(d) ?? 0) + n);
    total += 62;
    // 2. Every event is accounted for: none was dead-lettered as an event, all were applied.
    await appliedThrough(total + 2);
    const t = await totals();
    expect(t.apps).toBe(total);
    expect(new Map([...t.devices].filter(([d]) => d !== 'dev-refused'))).toEqual(expected);
    expect(t.devices.get('dev-refused')).toBe('text');
    // 3. The refusal is on the dead-letter stream with the database's reason, and counted.
    const info = await tally.jsm.streams.info(deadLetterStreamName(config.streams));
    expect(info.state.messages).toBeGreaterThan(dlqBefore);
    const last = await tally.jsm.streams.getMessage(deadLetterStreamName(config.streams), { seq: info.state.last_seq });
    expect(last?.header.get('Tally-Kind')).toBe('refused-write');
    // The record carries the update the batch computed for the document, to apply once fixed.
    expect(last?.json()).toMatchObject({
      collection: 'count_devices_v1',
      id: `${APP}:dev-refused`,
      op: { kind: 'upsert', collection: 'count_devices', id: `${APP}:dev-refused` },
    });
    expect(last?.header.get('Tally-Reason')).toMatch(new RegExp(`^write refused by the database: count_devices_v1/${APP}:dev-refused: 14: `));
    expect(tally.processors!.status().reduce((s, g) => s + g.refusedWrites, 0)).toBeGreaterThan(refusedBefore);
    expect(tally.processors!.status().every((g) => g.healthy)).toBe(true);
  });
});
