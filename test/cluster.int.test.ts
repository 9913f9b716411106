// A three-node JetStream cluster on loopback with R3 streams and leases: while one node is
// crashed, ingest keeps answering 200; with two crashed (no quorum) it answers 503 with
// Retry-After; when they come back, every request answered 200 (and every 503, retried by the
// client until accepted) is on the stream once and is counted once by the processors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterNode, startNatsCluster, type ClusterLayout, type ManagedService } from '../scripts/services.ts';
import { readActual } from './support/actual.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { newApp, send, type TestApp } from './support/ingest-client.ts';
import { processedThroughHead } from './support/processed.ts';
import { readRequests } from './support/stream.ts';
import { eventsStreamName } from '../streams.config.ts';

const CLIENTS = 3;
const dataDir = mkdtempSync(join(tmpdir(), 'tally-cluster-'));
let layout: ClusterLayout;
let nodes: ManagedService[];
let tally: TestTally;
let app: TestApp;

beforeAll(async () => {
  const cluster = await startNatsCluster(dataDir, 3);
  layout = cluster.layout;
  nodes = cluster.nodes;
  const config = testConfig({
    natsUrl: cluster.url,
    streams: { replicas: 3, partitions: 4, partitionGroups: 2 },
    // A leader election after a node's loss takes a few seconds: the publish budget covers it.
    ingest: { publishTimeoutMs: 8_000, retryAfterS: 1 },
    connections: { natsReconnectWaitMs: 250 },
  });
  tally = await startTestTally({ config });
  app = await newApp(tally, { timezone: 'UTC' });
}, 120_000);
afterAll(async () => {
  await tally.destroy();
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  readonly query: Record<string, unknown>;
  readonly status: number;
  /** How many nodes were down when the request was sent and when it was answered (the larger). */
  readonly down: number;
  readonly retryAfter: string | null;
}

let down = 0;

async function sendOne(query: Record<string, unknown>, log: Sent[]): Promise<number> {
  const before = down;
  const res = await send(tally.url, { query });
  log.push({ query, status: res.status, down: Math.max(before, down), retryAfter: res.headers.get('retry-after') });
  return res.status;
}

/** One SDK-like client: each request has its own timestamp, so a retry is the same request. */
async function client(k: number, until: () => boolean, log: Sent[]): Promise<void> {
  for (let n = 0; !until(); n++) {
    const query = { app_key: app.key, device_id: `c${k}`, timestamp: String(1_730_000_000_000 + k * 1_000_000 + n), events: [{ key: 'tick', count: 1 }] };
    await sendOne(query, log);
    await sleep(20);
  }
}

async function untilAccepted(query: Record<string, unknown>, log: Sent[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await sendOne(query, log)) !== 200) {
    if (Date.now() > deadline) throw new Error('Tally did not accept again after the nodes came back');
    await sleep(200);
  }
}

describe('a three-node JetStream cluster', () => {
  it('rides through one node down, answers 503 without quorum, and loses nothing', { timeout: 240_000 }, async () => {
    // 1. Clients send continuously while all three nodes are up.
    let stop = false;
    const log: Sent[] = [];
    const clients = Array.from({ length: CLIENTS }, (_, k) => client(k, () => stop, log));
    await sleep(1_500);

    // 2. Crash the events stream's leader (SIGKILL) and keep sending: every answer must still be 200.
    const leader = (await tally.jsm.streams.info(eventsStreamName(tally.config.streams))).cluster?.leader ?? '';
    const first = Number(leader.slice(1)) - 1; // nodes are named n1..n3
    expect(first).toBeGreaterThanOrEqual(0);
    down = 1;
    await nodes[first]!.crash();
    await sleep(6_000);
    stop = true;
    await Promise.all(clients);
    const oneDown = log.filter((s) => s.down === 1);
    expect(oneDown.length).toBeGreaterThan(10);
    expect(oneDown.filter((s) => s.status !== 200)).toEqual([]);

    // 3. Crash a second node: no quorum, so a request is refused with 503 and Retry-After.
    const second = (first + 1) % 3;
    down = 2;
    await nodes[second]!.crash();
    const noQuorum = { app_key: app.key, device_id: 'q', timestamp: '1730000000001', events: [{ key: 'tick', count: 1 }] };
    await sendOne(noQuorum, log);
    const refused = log.at(-1)!;
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');

    // 4. Both nodes come back on their ports and stores; the refused request, retried, is accepted.
    [nodes[first], nodes[second]] = await Promise.all([startClusterNode(dataDir, layout, first), startClusterNode(dataDir, layout, second)]);
    down = 0;
    await untilAccepted(noQuorum, log, 60_000);
    for (const s of log.filter((x) => x.status !== 200)) await untilAccepted(s.query, log, 30_000);

    // 5. The stream holds each distinct request exactly once.
    const distinct = new Set(log.map((s) => `${String(s.query.device_id)}/${String(s.query.timestamp)}`));
    const stored = await readRequests(tally.jsm, tally.config.streams);
    const counts = new Map<string, number>();
    for (const r of stored) counts.set(`${r.deviceId}/${String(r.params.timestamp)}`, (counts.get(`${r.deviceId}/${String(r.params.timestamp)}`) ?? 0) + 1);
    expect([...distinct].filter((k) => counts.get(k) !== 1)).toEqual([]);
    expect(stored).toHaveLength(distinct.size);

    // 6. The processors, which rode through the same losses, count each request's event once.
    await processedThroughHead(tally, 120_000);
    const actual = await readActual(tally.db, [app._id], ['tick']);
    expect(actual.eventCounts.get(`${app._id}|tick`)).toBe(distinct.size);
  });
});
