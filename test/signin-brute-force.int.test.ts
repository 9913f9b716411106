// Brute-force protection (spec §9.1) on every protected path, with a clock the test moves:
// 3 failures block for 300 s (the right password included), 6 for 600 s, a success resets the
// counter; an unknown username gets exactly the answers a known one gets. `/forgot` is keyed by
// the client address and every request counts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemberViaApi } from './support/api-client.ts';
import { Browser, csrfOf } from './support/browser.ts';
import type { TestTally } from './support/harness.ts';
import { startSigninWorld, stopSigninWorld, type SigninApi } from './support/signin-api.ts';
import type { TestSmtp } from './support/smtp.ts';

let tally: TestTally;
let smtp: TestSmtp;
let s: SigninApi;
let adminKey: string;

beforeAll(async () => {
  ({ tally, smtp, s, adminKey } = await startSigninWorld());
});
afterAll(() => stopSigninWorld({ tally, smtp, s }));
beforeEach(async () => {
  await tally.db.collection('failed_logins').deleteMany({});
});

/** How a protected path answered one attempt. */
type Seen = 'ok' | 'failed' | 'blocked' | 'refused' | 'sent';

describe('brute-force matrix (spec §9.1: 3 failures block 300 s, 6 block 600 s; a success resets)', () => {
  const RIGHT = 'Carol#1pass';
  beforeAll(async () => {
    await createMemberViaApi(s.url, adminKey, { full_name: 'Carol', username: 'carol', password: RIGHT, email: 'carol@example.com' });
  });

  // One browser and its CSRF token for every form post (a form post without them is refused before counting).
  let formBrowser: Browser | undefined;
  let formCsrf: string | undefined;
  const viaForm = async (user: string, password: string): Promise<Seen> => {
    formBrowser ??= new Browser(s.url);
    formCsrf ??= csrfOf(await formBrowser.get('/login'));
    const loc = (await formBrowser.post('/login', { username: user, password, _csrf: formCsrf })).location;
    return loc === '/dashboard' ? 'ok' : loc === '/login?message=login.blocked' ? 'blocked' : 'failed';
  };
  const viaJson =
    (path: string) =>
    async (user: string, password: string): Promise<Seen> => {
      const res = await new Browser(s.url).postJson(path, { username: user, password });
      if (res.status === 200 && (JSON.parse(res.body) as { api_key?: string }).api_key !== undefined) return 'ok';
      expect(res.status).toBe(401);
      return (JSON.parse(res.body) as { result: string }).result === 'login.blocked' ? 'blocked' : 'failed';
    };
  const viaApiKey = async (user: string, password: string): Promise<Seen> => {
    const res = await fetch(`${s.url}/api-key`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    const body = await res.text();
    if (res.status === 200) return 'ok';
    expect({ status: res.status, body }).toEqual({ status: 401, body: '-1' });
    return 'refused';
  };

  // The model: what each step answers on a path whose blocked answer is `blocked` and failure `failed`.
  const matrix = async (attempt: (user: string, password: string) => Promise<Seen>, user: string, blocked: Seen, failed: Seen) => {
    const seen: Seen[] = [];
    const step = async (password: string) => seen.push(await attempt(user, password));
    for (let i = 0; i < 3; i++) await step('wrong'); // failed ×3
    await step(RIGHT); // blocked
    s.advanceS(299);
    await step(RIGHT); // blocked
    s.advanceS(2);
    for (let i = 0; i < 3; i++) await step('wrong'); // a new round: failed ×3, now 6 failures
    s.advanceS(599);
    await step(RIGHT); // blocked (600 s)
    s.advanceS(2);
    await step(RIGHT); // ok; a success resets
    await step('wrong'); // failed: the counter restarted
    expect(seen).toEqual([failed, failed, failed, blocked, blocked, failed, failed, failed, blocked, 'ok', failed]);
  };
  // An unknown name, through the first block: the same answers at the same moments.
  const ghost = async (attempt: (user: string, password: string) => Promise<Seen>, blocked: Seen, failed: Seen) => {
    const seen: Seen[] = [];
    for (let i = 0; i < 3; i++) seen.push(await attempt('ghost', 'wrong'));
    seen.push(await attempt('ghost', RIGHT));
    s.advanceS(299);
    seen.push(await attempt('ghost', RIGHT));
    s.advanceS(2);
    seen.push(await attempt('ghost', 'wrong'));
    expect(seen).toEqual([failed, failed, failed, blocked, blocked, failed]);
  };

  for (const [name, attempt, blocked, failed] of [
    ['POST /login (form)', viaForm, 'blocked', 'failed'],
    ['POST /login (JSON)', viaJson('/login'), 'blocked', 'failed'],
    ['POST /mobile/login', viaJson('/mobile/login'), 'blocked', 'failed'],
    ['GET /api-key', viaApiKey, 'refused', 'refused'],
  ] as const) {
    it(`${name}: known and unknown usernames`, async () => {
      await matrix(attempt, 'carol', blocked, failed);
      await ghost(attempt, blocked, failed);
    });
  }

  it('POST /forgot, keyed by client address: every request counts, known and unknown addresses alike', async () => {
    const b = new Browser(s.url);
    const csrf = csrfOf(await b.get('/forgot'));
    let n = 0;
    const forgot = async (): Promise<Seen> => {
      const email = n++ % 2 === 0 ? 'carol@example.com' : 'nobody@example.com';
      const loc = (await b.post('/forgot', { email, _csrf: csrf })).location;
      return loc === '/forgot?message=forgot.result' ? 'sent' : loc === '/forgot?message=login.blocked' ? 'blocked' : 'failed';
    };
    const seen: Seen[] = [];
    for (let i = 0; i < 4; i++) seen.push(await forgot()); // sent ×3, blocked
    s.advanceS(299);
    seen.push(await forgot()); // blocked
    s.advanceS(2);
    for (let i = 0; i < 4; i++) seen.push(await forgot()); // sent ×3, blocked (600 s)
    s.advanceS(599);
    seen.push(await forgot());
    s.advanceS(2);
    seen.push(await forgot());
    expect(seen).toEqual(['sent', 'sent', 'sent', 'blocked', 'blocked', 'sent', 'sent', 'sent', 'blocked', 'blocked', 'sent']);
  });
});
