// Visibility: /o/system/pipeline (global admin) shows, per consumer group, the stream head, the
// applied sequence, lag, last flush and dead letters, and follows traffic.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiGet, createMemberViaApi } from './support/api-client.ts';
import { adminApiKey, createApp, startTestTally, type TestTally } from './support/harness.ts';
import { waitUntil } from './support/wait.ts';

let tally: TestTally;
beforeAll(async () => {
  tally = await startTestTally();
});
afterAll(async () => {
  await tally.destroy();
});

interface Row {
  consumer: string;
  streamHead: number;
  appliedSeq: number;
  lag: number;
  lastFlushAtMs: number;
  appliedEvents: number;
  deadLetters: number;
}

it('reports every consumer group and its progress, to global admins only', async () => {
  const key = await adminApiKey(tally.url);
  const app = await createApp(tally.url, key, { name: 'Pipeline' });
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${tally.url}/i?app_key=${app.key}&device_id=d${i}&begin_session=1&timestamp=${1_730_000_000 + i}`);
    expect(res.status).toBe(200);
  }
  const rows = await waitUntil(
    async () => {
      const res = await apiGet(tally.url, '/o/system/pipeline', { api_key: key });
      expect(res.status).toBe(200);
      const consumers = (res.body as { consumers: Row[] }).consumers;
      return consumers.reduce((s, c) => s + c.appliedEvents, 0) === 5 && consumers.every((c) => c.lag === 0) ? consumers : undefined;
    },
    20_000,
    'five events applied',
  );
  expect(rows).toHaveLength(tally.config.streams.partitionGroups);
  for (const r of rows) {
    expect(r.consumer).toMatch(new RegExp(`^${tally.config.streams.prefix}_core_v1_g\\d$`));
    expect(r.streamHead).toBe(5);
    expect(r.deadLetters).toBe(0);
  }
  expect(Math.max(...rows.map((r) => r.appliedSeq))).toBe(5);
  expect(rows.some((r) => r.lastFlushAtMs > 0)).toBe(true);

  const reader = await createMemberViaApi(tally.url, key, { username: 'reader', email: 'reader@example.com', user_of: [app._id] });
  const refused = await apiGet(tally.url, '/o/system/pipeline', { api_key: reader.api_key });
  expect(refused).toMatchObject({ status: 401, body: { result: 'User does not have right' } });
});
