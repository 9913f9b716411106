// Durability under a NATS outage: clients keep sending while a dedicated nats-server is stopped
// and restarted on the same port and store. Every answer is 200 or 503; afterwards every
// 200-answered request is on the stream exactly once, and retried 503s land once each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNats, type ManagedService } from '../scripts/services.ts';
import { startTestTally, testConfig, type TestTally } from './support/harness.ts';
import { INGEST_ROLE, newApp, send, type TestApp } from './support/ingest-client.ts';
import { readRequests } from './support/stream.ts';

const CLIENTS = 4;
const natsDir = mkdtempSync(join(tmpdir(), 'tally-fault-nats-'));
let natsPort = 0;
let nats: ManagedService;
let tally: TestTally;
let app: TestApp;

beforeAll(async () => {
  natsPort = await freePort();
  nats = await startNats(natsDir, natsPort);
  tally = await startTestTally({ config: testConfig({ natsUrl: nats.url, ingest: { publishTimeoutMs: 1_000, retryAfterS: 1 } }), roles: INGEST_ROLE });
  app = await newApp(tally);
});
afterAll(async () => {
  await tally.destroy();
  await nats.stop();
  rmSync(natsDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  readonly query: Record<string, unknown>;
  readonly status: number;
}

/** One SDK-like client: each request has its own timestamp, and a retry re-sends the same query. */
async function client(k: number, until: () => boolean, log: Sent[]): Promise<void> {
  for (let n = 0; !until(); n++) {
    const query = {
      app_key: app.key,
      device_id: `c${k}`,
      timestamp: String(1_730_000_000_000 + k * 1_000_000 + n),
      events: [{ key: 'tick', count: 1, segmentation: { n } }],
    };
    log.push({ query, status: (await send(tally.url, { query })).status });
    await sleep(5);
  }
}

async function untilAccepted(query: Record<string, unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await send(tally.url, { query })).status !== 200) {
    if (Date.now() > deadline) throw new Error('Tally did not accept again after the restart');
    await sleep(100);
  }
}

describe('NATS outage', () => {
  it('answers only 200 or 503, loses no 200, and stores each retried 503 once', async () => {
    // 1. Clients send continuously.
    let stop = false;
    const log: Sent[] = [];
    const clients = Array.from({ length: CLIENTS }, (_, k) => client(k, () => stop, log));
    await sleep(400);

    // 2. Stop nats-server mid-traffic, keep sending for a while, then restart it on the same store.
    await nats.stop();
    await sleep(1_500);
    nats = await startNats(natsDir, natsPort);
    await untilAccepted({ app_key: app.key, device_id: 'probe', timestamp: '1' }, 30_000);
    await sleep(300);
    stop = true;
    await Promise.all(clients);

    // 3. Nothing but 200 and 503 was answered, and the outage was really seen.
    const statuses = new Set(log.map((s) => s.status));
    expect([...statuses].sort()).toEqual([200, 503]);

    // 4. The clients retry every 503 (same query) until it is accepted.
    const failed = log.filter((s) => s.status === 503);
    for (const s of failed) await untilAccepted(s.query, 10_000);

    // 5. The stream holds every request exactly once: the 200s, the retried 503s, and the probe.
    const stored = await readRequests(tally.jsm, tally.config.streams);
    const byTimestamp = new Map<string, number>();
    for (const r of stored)
      byTimestamp.set(`${r.deviceId}/${String(r.params.timestamp)}`, (byTimestamp.get(`${r.deviceId}/${String(r.params.timestamp)}`) ?? 0) + 1);
    const expected = log.map((s) => `${String(s.query.device_id)}/${String(s.query.timestamp)}`);
    expect(new Set(expected).size).toBe(log.length);
    expect(expected.filter((key) => byTimestamp.get(key) !== 1)).toEqual([]);
    expect(stored).toHaveLength(log.length + 1);
    expect(failed.length).toBeGreaterThan(0);
    expect(log.length - failed.length).toBeGreaterThan(0);
  });
});
