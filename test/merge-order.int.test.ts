// A device-id change with merge is routed by the new device id. When the old device's partition
// belongs to another group, the merge must wait until that group has applied the old device's
// earlier events, however far it lags: here it is held back by a lease the test keeps, as a
// crashed owner's lease would until it expires. Countly's answer: one merged user, the old gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KV } from '@nats-io/kv';
import { checkpointId, leaseBucketName } from '../processors/index.ts';
import { openLeaseBucket } from '../processors/lease.ts';
import { APP_USER_MERGES, appUsersCollection, partitionOf, readAppliedSeq } from '../projections/index.ts';
import { consumerName } from '../streams.config.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { newApp, send, type TestApp } from './support/ingest-client.ts';
import { lastSeq } from './support/stream.ts';
import { waitUntil } from './support/wait.ts';

const config = testConfig({ logLevel: 'info', streams: { partitions: 8, partitionGroups: 2 }, consumers: { batchWaitMs: 20 } });
const groupOf = (device: string) => partitionOf(device, config.streams.partitions) % config.streams.partitionGroups;
const deviceIn = (group: number, tag: string) => Array.from({ length: 200 }, (_, i) => `${tag}-${i}`).find((d) => groupOf(d) === group)!;

// The old device is in group H, which the test blocks; the new device (and a bystander) in group G.
const H = 1;
const G = 0;
const OLD = deviceIn(H, 'old');
const NEW = deviceIn(G, 'new');
const BYSTANDER = deviceIn(G, 'other');
const T0 = 1_730_000_000;

let tally: TestTally;
let app: TestApp;
let kv: KV;

const users = () => tally.db.collection(`${appUsersCollection(app._id)}_v1`);
const applied = (group: number) => readAppliedSeq(tally.db, checkpointId('core', 1, group));

/** Takes a group's lease (refreshed until the returned function releases it), so that group applies nothing. */
async function block(group: number): Promise<() => Promise<void>> {
  const key = consumerName(config.streams, 'core_v1', group);
  await kv.create(key, 'test-blocker');
  const keep = setInterval(() => void kv.put(key, 'test-blocker'), 1_000);
  return async () => {
    clearInterval(keep);
    await kv.delete(key);
  };
}

/** Sends one request and returns its stream sequence (ingest answers after the PubAck; this test is the only sender). */
async function request(deviceId: string, params: Record<string, unknown>): Promise<number> {
  const res = await send(tally.url, { query: { app_key: app.key, device_id: deviceId, ...params } });
  expect(res.status).toBe(200);
  return lastSeq(tally.jsm, tally.config.streams);
}

beforeAll(async () => {
  tally = await startTestTally({ config, roles: ['ingest', 'api'] });
  app = await newApp(tally, { timezone: 'UTC' });
  kv = await openLeaseBucket(tally.nc, leaseBucketName(config), config.consumers.pinnedTtlMs);
});
afterAll(async () => {
  await tally.destroy();
});

describe('merges across partition groups', () => {
  it("a merge waits for the old device's group, then leaves one merged user", async () => {
    expect(groupOf(NEW)).not.toBe(groupOf(OLD));
    // 1. Group H's lease is taken (and kept) before any processor starts, so H applies nothing.
    const unblock = await block(H);
    await tally.restartProcessors();

    // 2. The old device has a session; group G keeps working on its own devices meanwhile.
    await request(OLD, { begin_session: 1, timestamp: T0 });
    await request(OLD, { end_session: 1, session_duration: 60, timestamp: T0 + 60 });
    const bystanderSeq = await request(BYSTANDER, { begin_session: 1, timestamp: T0 + 90 });
    await waitUntil(async () => ((await applied(G)) >= bystanderSeq ? true : undefined), 60_000, 'group G applies the bystander');

    // 3. The new device takes over with a merge, then starts a session.
    const mergeSeq = await request(NEW, { old_device_id: OLD, timestamp: T0 + 120 });
    const beginSeq = await request(NEW, { begin_session: 1, timestamp: T0 + 130 });

    // 4. G waits at the merge: nothing from it on is applied, no user is merged, no record written.
    const waiting = (l: Record<string, unknown>) => l.msg === "merge waits for the old device's partition group" && l.seq === mergeSeq && l.group === H;
    await waitUntil(() => Promise.resolve(tally.logs.lines.some(waiting) ? true : undefined), 30_000, 'the merge to wait');
    expect(await applied(G)).toBe(bystanderSeq);
    expect(await applied(H)).toBe(0);
    expect(await users().countDocuments({ did: { $in: [OLD, NEW] } })).toBe(0);
    expect(await tally.db.collection(`${APP_USER_MERGES}_v1`).countDocuments()).toBe(0);

    // 5. H is released: its runner takes the lease, applies the old device, and the merge follows.
    await unblock();
    await waitUntil(async () => ((await applied(G)) >= beginSeq ? true : undefined), 60_000, 'group G applies the merge and the begin');

    // 6. One user: the new device's, with the old one's session folded in; the old user is gone.
    expect(await applied(H)).toBeGreaterThanOrEqual(2);
    const docs = await users()
      .find({ did: { $in: [OLD, NEW] } })
      .toArray();
    expect(docs).toHaveLength(1);
    const merged = docs[0]!;
    expect(merged).toMatchObject({ did: NEW, merged_did: OLD, merges: 1, sc: 2, tsd: 60, fs: T0 });
    expect(merged.merged_uid).toEqual(expect.any(String));
    const records = await tally.db.collection(`${APP_USER_MERGES}_v1`).find().toArray();
    expect(records).toEqual([expect.objectContaining({ merged_to: merged.uid })]);
    expect(tally.logs.lines.some((l) => l.msg === 'merge may proceed' && l.group === H)).toBe(true);
  }, 180_000);

  it("two merges waiting on each other's group both complete (one process, one flush at a time)", async () => {
    const [a, b] = [deviceIn(H, 'a'), deviceIn(G, 'b')];
    const [c, d] = [deviceIn(G, 'c'), deviceIn(H, 'd')];
    // 1. Both groups are held back while the traffic is stored, so each pulls it in one batch.
    await tally.processors?.stop();
    const unblock = [await block(G), await block(H)];
    await tally.restartProcessors();
    await request(a, { begin_session: 1, timestamp: T0 });
    await request(b, { begin_session: 1, timestamp: T0 + 1 });
    // 2. G's merge reads a (group H), H's merge reads b (group G): without cutting the batches at
    //    merges, each group would wait for an event that sits in the other's waiting batch.
    const mergeC = await request(c, { old_device_id: a, timestamp: T0 + 2 });
    const mergeD = await request(d, { old_device_id: b, timestamp: T0 + 3 });
    // 3. Released together: both merges are applied.
    for (const release of unblock) await release();
    await waitUntil(async () => ((await applied(G)) >= mergeC && (await applied(H)) >= mergeD ? true : undefined), 60_000, 'both merges applied');
    const docs = await users()
      .find({ did: { $in: [a, b, c, d] } })
      .toArray();
    expect(docs.map((u) => `${String(u.did)}<-${String(u.merged_did)}`).sort()).toEqual([`${c}<-${a}`, `${d}<-${b}`].sort());
  }, 180_000);
});
