// Brute-force protection of GET /api-key (spec §9.1) on a controllable clock: 3 failures block for
// 300 s (even the right password), 6 for 600 s; unknown usernames behave exactly the same; a
// global admin sees `blocked` in /o/users/all and clears it with /o/users/reset_timeban.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/index.ts';
import { at, createMemberViaApi, keysOf } from './support/api-client.ts';
import { createLogger } from '../scripts/logger.ts';
import { ADMIN, LogCapture, startTestTally, type TestTally } from './support/harness.ts';

let tally: TestTally;
let api: FastifyInstance;
let nowMs = Date.UTC(2030, 0, 1, 12);
const VICTIM = { username: 'victim', password: 'Vict1m#pass' };

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
async function apiKey(user: string, password: string): Promise<{ status: number; body: string; auth: string | undefined }> {
  const res = await api.inject({ method: 'GET', url: '/api-key', headers: basic(user, password) });
  const auth = res.headers['www-authenticate'];
  return { status: res.statusCode, body: res.body, auth: typeof auth === 'string' ? auth : undefined };
}
const refused = { status: 401, body: '-1', auth: 'Basic realm=Authorization Required' };
const advance = (seconds: number) => {
  nowMs += seconds * 1000;
};

beforeAll(async () => {
  tally = await startTestTally();
  // A second API on the same database and NATS, whose clock the test moves.
  api = await buildApi({
    config: tally.config,
    db: tally.db,
    nc: tally.nc,
    js: tally.js,
    log: createLogger(tally.config, new LogCapture()),
    clock: () => nowMs,
  });
  const adminKey = (await apiKey(ADMIN.username, ADMIN.password)).body;
  await createMemberViaApi(tally.url, adminKey, { ...VICTIM, email: 'victim@example.com' });
});
afterAll(async () => {
  await api.close();
  await tally.destroy();
});

describe('GET /api-key brute-force protection', () => {
  it('blocks after 3 wrong passwords, refuses the right one during the block, and grows after 6', async () => {
    // 1. Three failures: blocked for 300 s, the right password included.
    for (let i = 0; i < 3; i++) expect(await apiKey(VICTIM.username, 'wrong')).toEqual(refused);
    expect(await apiKey(VICTIM.username, VICTIM.password)).toEqual(refused);
    advance(299);
    expect(await apiKey(VICTIM.username, VICTIM.password)).toEqual(refused);
    // 2. After 300 s the block ends; three more failures block for 2 × 300 s.
    advance(2);
    for (let i = 0; i < 3; i++) expect(await apiKey(VICTIM.username, 'wrong')).toEqual(refused);
    advance(599);
    expect(await apiKey(VICTIM.username, VICTIM.password)).toEqual(refused);
    // 3. Then the right password works, and a success clears the counter.
    advance(1);
    const ok = await apiKey(VICTIM.username, VICTIM.password);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^[0-9a-f]{32}$/);
    expect(await apiKey(VICTIM.username, 'wrong')).toEqual(refused);
    expect((await apiKey(VICTIM.username, VICTIM.password)).status).toBe(200);
  });

  it('an unknown username gets the same answers at the same moments', async () => {
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    const both = async (password: string) => {
      known.push(await apiKey(VICTIM.username, password));
      unknown.push(await apiKey('ghost', password));
    };
    for (let i = 0; i < 3; i++) await both('wrong');
    await both(VICTIM.password);
    advance(301);
    for (let i = 0; i < 3; i++) await both('wrong');
    advance(599);
    await both(VICTIM.password);
    expect(unknown).toEqual(known.map(() => refused));
    expect(known.every((k) => JSON.stringify(k) === JSON.stringify(refused))).toBe(true);
    const counters = await tally.db.collection<{ _id: string }>('failed_logins').findOne({ _id: JSON.stringify(['api-key', 'ghost']) });
    expect(counters).toMatchObject({ fails: 6 });
  });

  it('a global admin sees the block in /o/users/all and clears it with /o/users/reset_timeban', async () => {
    // The victim is still blocked from the previous test (6 failures, 1 s left).
    const adminKey = (await apiKey(ADMIN.username, ADMIN.password)).body;
    const list = async (): Promise<unknown[]> => {
      const parsed: unknown = JSON.parse((await api.inject({ url: `/o/users/all?api_key=${adminKey}` })).body);
      return keysOf(parsed).map((k) => at(parsed, k));
    };
    const victim = async () => (await list()).find((m) => at(m, 'username') === VICTIM.username);
    expect(await victim()).toMatchObject({ blocked: true, is_current_user: false });
    expect(await victim()).not.toHaveProperty('api_key');
    expect(await victim()).not.toHaveProperty('password');
    const reset = await api.inject({ url: `/o/users/reset_timeban?api_key=${adminKey}&username=${VICTIM.username}` });
    expect({ status: reset.statusCode, body: reset.body }).toEqual({ status: 200, body: 'true' });
    expect(await victim()).toMatchObject({ blocked: false });
    expect((await apiKey(VICTIM.username, VICTIM.password)).status).toBe(200);
    const asVictim = await api.inject({ url: `/o/users/reset_timeban?api_key=${(await apiKey(VICTIM.username, VICTIM.password)).body}&username=x` });
    expect({ status: asVictim.statusCode, body: asVictim.body }).toEqual({ status: 401, body: '{"result":"User does not have right"}' });
  });
});
