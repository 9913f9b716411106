// Dashboard sign-in (spec §5.3, §9.1, §9.2, §9.3) over real HTTP with a real SMTP server and a
// clock the test moves: the invitation link sets a password that then signs in; /forgot answers
// any address alike; links work once and not after they expire; CSRF and `$` keys refused;
// sessions stored hashed and expiring. The brute-force matrix is signin-brute-force.int.test.ts.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemberViaApi } from './support/api-client.ts';
import { Browser, csrfOf, pathOf, type Page } from './support/browser.ts';
import { ADMIN, type TestTally } from './support/harness.ts';
import { PUBLIC_URL, startSigninWorld, stopSigninWorld, type SigninApi } from './support/signin-api.ts';
import type { TestSmtp } from './support/smtp.ts';
import { linkIn } from './support/smtp.ts';

let tally: TestTally;
let smtp: TestSmtp;
let s: SigninApi;
let adminKey: string;

beforeAll(async () => {
  ({ tally, smtp, s, adminKey } = await startSigninWorld());
});
afterAll(() => stopSigninWorld({ tally, smtp, s }));
// Each test starts with no brute-force counters (the /forgot counter is per client address, shared by all).
beforeEach(async () => {
  await tally.db.collection('failed_logins').deleteMany({});
});

async function signInForm(b: Browser, username: string, password: string): Promise<Page> {
  const page = await b.get('/login');
  return b.post('/login', { username, password, _csrf: csrfOf(page) });
}

describe('invitation, password set, sign in', () => {
  it('the invitation link sets a password once; the member signs in with it and gets an HttpOnly, SameSite session', async () => {
    await createMemberViaApi(s.url, adminKey, { full_name: 'Alice Liddell', username: 'alice', password: 'Initial#1pass', email: 'alice@example.com' });
    const invite = await smtp.waitFor('alice@example.com', /^Your Tally Account$/);
    expect(invite.text).toContain('Hello Alice,');
    expect(invite.text).toContain('Your username is alice.');
    const link = linkIn(invite, `${PUBLIC_URL}/reset/`);
    expect(invite.html).toContain(`<a href="${link}">${link}</a>`);

    const b = new Browser(s.url);
    // 1. A password against the policy is refused and leaves the link usable.
    const form = await b.get(pathOf(link));
    expect(form.status).toBe(200);
    const weak = await b.post(pathOf(link), { password: 'weak', again: 'weak', _csrf: csrfOf(form) });
    expect(weak.status).toBe(200);
    expect(weak.body).toContain('password should have upchar');
    // 2. A good one is set; the link is spent.
    const set = await b.post(pathOf(link), { password: 'Chosen#2pass', again: 'Chosen#2pass', _csrf: csrfOf(form) });
    expect({ status: set.status, location: set.location }).toEqual({ status: 302, location: '/login?message=reset.result' });
    expect((await b.get(pathOf(link))).location).toBe('/forgot?message=reset.invalid');
    const again = await b.post(pathOf(link), { password: 'Other#3pass', again: 'Other#3pass', _csrf: csrfOf(form) });
    expect(again.location).toBe('/forgot?message=reset.invalid');
    // 3. The new password signs in (the old one and the refused second one do not).
    expect((await signInForm(new Browser(s.url), 'alice', 'Initial#1pass')).location).toBe('/login?message=login.result');
    expect((await signInForm(new Browser(s.url), 'alice', 'Other#3pass')).location).toBe('/login?message=login.result');
    const signed = await signInForm(b, 'alice', 'Chosen#2pass');
    expect({ status: signed.status, location: signed.location }).toEqual({ status: 302, location: '/dashboard' });
    const cookie = signed.setCookies.find((c) => c.startsWith('tally_session=')) ?? '';
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // the public URL is http
    const dashboard = await b.get('/dashboard');
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toContain('Alice Liddell');
  });

  it('keeps sessions server-side, hashed; they end at logout (with the CSRF token) and after sessionTtlS', async () => {
    const b = new Browser(s.url);
    expect((await signInForm(b, 'alice', 'Chosen#2pass')).location).toBe('/dashboard');
    const secret = b.cookies.get('tally_session') ?? '';
    const sessions = tally.db.collection<{ _id: string }>('sessions');
    expect(await sessions.findOne({ _id: secret })).toBeNull();
    expect(await sessions.findOne({ _id: createHash('sha256').update(secret).digest('hex') })).not.toBeNull();
    // Logout without the session's CSRF token is refused, with it the session ends.
    expect((await b.post('/logout', {})).status).toBe(403);
    expect((await b.post('/logout', { _csrf: 'x'.repeat(43) })).status).toBe(403);
    const dash = await b.get('/dashboard');
    const out = await b.post('/logout', { _csrf: csrfOf(dash) });
    expect({ status: out.status, location: out.location }).toEqual({ status: 302, location: '/login?message=logout.result' });
    expect(await sessions.findOne({ _id: createHash('sha256').update(secret).digest('hex') })).toBeNull();
    expect((await b.get('/dashboard')).location).toBe('/login');
    // A session lives sessionTtlS.
    expect((await signInForm(b, 'alice', 'Chosen#2pass')).location).toBe('/dashboard');
    s.advanceS(s.config.api.sessionTtlS - 1);
    expect((await b.get('/dashboard')).status).toBe(200);
    s.advanceS(1);
    expect((await b.get('/dashboard')).location).toBe('/login');
  });
});

describe('/forgot and reset links', () => {
  it('answers a known and an unknown address identically, and mails only the known one', async () => {
    const b = new Browser(s.url);
    const csrf = csrfOf(await b.get('/forgot'));
    const known = await b.post('/forgot', { email: 'alice@example.com', _csrf: csrf });
    const unknown = await b.post('/forgot', { email: 'nobody@example.com', _csrf: csrf });
    expect(unknown).toEqual(known);
    expect(known).toMatchObject({ status: 302, location: '/forgot?message=forgot.result' });
    const reset = await smtp.waitFor('alice@example.com', /^Tally Account - Password Reset$/);
    await s.mail.mailer.idle();
    expect(smtp.mailsTo('nobody@example.com')).toEqual([]);
    // The reset link works once, even when two posts race for it.
    const link = linkIn(reset, `${PUBLIC_URL}/reset/`);
    const form = await b.get(pathOf(link));
    const post = () => b.post(pathOf(link), { password: 'Reset#4pass', again: 'Reset#4pass', _csrf: csrfOf(form) });
    const raced = await Promise.all([post(), post()]);
    expect(raced.map((r) => r.location).sort()).toEqual(['/forgot?message=reset.invalid', '/login?message=reset.result']);
    expect((await post()).location).toBe('/forgot?message=reset.invalid');
    expect((await signInForm(new Browser(s.url), 'alice', 'Reset#4pass')).location).toBe('/dashboard');
  });

  it('a reset link does not work once it has expired (api.resetTtlS)', async () => {
    const b = new Browser(s.url);
    await b.post('/forgot', { email: 'alice@example.com', _csrf: csrfOf(await b.get('/forgot')) });
    const reset = await smtp.waitForNth('alice@example.com', /^Tally Account - Password Reset$/, 2);
    const link = linkIn(reset, `${PUBLIC_URL}/reset/`);
    s.advanceS(s.config.api.resetTtlS - 1);
    const form = await b.get(pathOf(link));
    expect(form.status).toBe(200);
    s.advanceS(1);
    expect((await b.get(pathOf(link))).location).toBe('/forgot?message=reset.invalid');
    const late = await b.post(pathOf(link), { password: 'Late#6pass', again: 'Late#6pass', _csrf: csrfOf(form) });
    expect(late.location).toBe('/forgot?message=reset.invalid');
    expect((await signInForm(new Browser(s.url), 'alice', 'Late#6pass')).location).toBe('/login?message=login.result');
  });
});

describe('account locked mail and /login/token', () => {
  it('the failure that starts a block mails a one-time sign-in link that lifts the block, once, until it expires', async () => {
    await createMemberViaApi(s.url, adminKey, { full_name: 'Bob', username: 'bob', password: 'Bob#1pass', email: 'bob@example.com' });
    const b = new Browser(s.url);
    for (let i = 0; i < 3; i++) expect((await signInForm(b, 'bob', 'wrong')).location).toBe('/login?message=login.result');
    expect((await signInForm(b, 'bob', 'Bob#1pass')).location).toBe('/login?message=login.blocked');
    const locked = await smtp.waitFor('bob@example.com', /^Tally: Your account is locked$/);
    const token = linkIn(locked, `${PUBLIC_URL}/login/token/`);
    // 1. HEAD and GET (a mail scanner) do not use the link up; its form signs in and lifts the block; a second use does not.
    expect((await fetch(new URL(pathOf(token), s.url), { method: 'HEAD' })).status).toBe(405);
    expect((await new Browser(s.url).get(pathOf(token))).status).toBe(200);
    const viaLink = new Browser(s.url);
    const confirm = await viaLink.get(pathOf(token));
    expect(confirm.status).toBe(200);
    expect((await new Browser(s.url).post(pathOf(token), { _csrf: csrfOf(confirm) })).status).toBe(403); // the token without its cookie
    expect((await viaLink.post(pathOf(token), { _csrf: csrfOf(confirm) })).location).toBe('/dashboard');
    expect((await viaLink.get('/dashboard')).body).toContain('Bob');
    expect((await new Browser(s.url).get(pathOf(token))).location).toBe('/login?message=login.token-invalid');
    expect((await viaLink.post(pathOf(token), { _csrf: csrfOf(confirm) })).location).toBe('/login?message=login.token-invalid');
    expect((await signInForm(b, 'bob', 'Bob#1pass')).location).toBe('/dashboard');
    // 2. The next block's link has expired after loginTokenTtlS.
    for (let i = 0; i < 3; i++) await signInForm(new Browser(s.url), 'bob', 'wrong');
    const second = linkIn(await smtp.waitForNth('bob@example.com', /Your account is locked/, 2), `${PUBLIC_URL}/login/token/`);
    s.advanceS(s.config.api.loginTokenTtlS);
    expect((await new Browser(s.url).get(pathOf(second))).location).toBe('/login?message=login.token-invalid');
  });
});

describe('dashboard route guards', () => {
  it('refuses forms without the CSRF token (403)', async () => {
    const b = new Browser(s.url);
    await b.get('/login');
    expect((await b.post('/login', { username: 'alice', password: 'Reset#4pass' })).status).toBe(403);
    expect((await b.post('/login', { username: 'alice', password: 'Reset#4pass', _csrf: 'y'.repeat(43) })).status).toBe(403);
    // A token without its cookie (another browser's) is refused too.
    const stranger = new Browser(s.url);
    expect((await stranger.post('/login', { username: 'alice', password: 'Reset#4pass', _csrf: csrfOf(await b.get('/login')) })).status).toBe(403);
    expect((await b.post('/forgot', { email: 'alice@example.com' })).status).toBe(403);
    expect((await b.post(`/reset/${'z'.repeat(43)}`, { password: 'A#1aaaaaa', again: 'A#1aaaaaa' })).status).toBe(403);
  });

  it('refuses `$` keys anywhere in query or body with 500 `Dollar sign is not allowed in keys` (spec §9.2)', async () => {
    const refused = { status: 500, body: 'Dollar sign is not allowed in keys' };
    const b = new Browser(s.url);
    const seen = async (p: Promise<Page>) => {
      const r = await p;
      return { status: r.status, body: r.body };
    };
    expect(await seen(b.get('/login?$where=1'))).toEqual(refused);
    expect(await seen(b.get('/forgot?x=1&$gt=2'))).toEqual(refused);
    expect(await seen(b.postJson('/mobile/login', { username: { $ne: '' }, password: { $ne: '' } }))).toEqual(refused);
    expect(await seen(b.postJson('/login', { username: 'alice', password: 'x', deep: [{ a: { $gt: 1 } }] }))).toEqual(refused);
    expect(await seen(b.post('/forgot', { $where: 'sleep(1)', email: 'alice@example.com' }))).toEqual(refused);
    expect(await seen(b.get(`/reset/${'z'.repeat(43)}?$x=1`))).toEqual(refused);
    // A `$` inside a value is data, not a key.
    expect((await b.postJson('/mobile/login', { username: '$alice', password: '$x' })).status).toBe(401);
  });

  it('answers API clients with the API key (no cookie) on POST /login and /mobile/login', async () => {
    const admin = await new Browser(s.url).postJson('/mobile/login', { username: ADMIN.username, password: ADMIN.password });
    expect(admin.status).toBe(200);
    expect(JSON.parse(admin.body)).toMatchObject({ result: 'Success', api_key: adminKey, member: { username: ADMIN.username } });
    expect(admin.setCookies).toEqual([]);
    // Sign-in by email works as by username.
    const byEmail = await new Browser(s.url).postJson('/login', { username: ADMIN.email, password: ADMIN.password });
    expect(JSON.parse(byEmail.body)).toMatchObject({ api_key: adminKey });
    expect(byEmail.setCookies).toEqual([]);
  });
});
