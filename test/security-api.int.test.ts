// Findings of the read/management API penetration test, each reproduced against a real server:
// tokens checked against the route that runs, limited tokens that cannot widen themselves,
// literal endpoint patterns, brute-force counting that holds under parallel attempts, bounded
// periods, HEAD on management routes, malformed URLs, app secrets in /o/apps/mine, nosniff.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAndApp, apiGet, at, createMemberViaApi, resultOf, type Member } from './support/api-client.ts';
import { ADMIN, createApp, startTestTally, type TestTally } from './support/harness.ts';

let tally: TestTally;
let adminKey = '';
let appA = { _id: '', key: '' };
let appB = '';

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** A request with the path sent byte for byte (fetch would drop a `#` fragment). */
function raw(method: string, path: string, headers: Readonly<Record<string, string>> = {}): Promise<RawAnswer> {
  const base = new URL(tally.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const createToken = async (creds: Record<string, string>, params: Record<string, unknown> = {}) =>
  apiGet(tally.url, '/i/token/create', { ...creds, ...params });
const tokenOf = async (params: Record<string, unknown>): Promise<string> => {
  const res = await createToken({ api_key: adminKey }, params);
  expect(res.status, res.text).toBe(200);
  return String(resultOf(res));
};
const tokenCount = () => tally.db.collection('auth_tokens').countDocuments();

beforeAll(async () => {
  tally = await startTestTally();
  const setup = await adminAndApp(tally.url, { timezone: 'Europe/Berlin' });
  adminKey = setup.adminKey;
  appA = setup.app;
  appB = (await createApp(tally.url, adminKey, { name: 'Other', timezone: 'Europe/Berlin' }))._id;
});
afterAll(async () => {
  await tally.destroy();
});

describe('finding 2: a token is checked against the route that runs', () => {
  it('a token limited to /o/analytics/dashboard reaches nothing else through a # in the raw URL', async () => {
    const t = await tokenOf({ endpoint: '/o/analytics/dashboard', ttl: '0' });
    const before = await tokenCount();
    for (const path of ['/o/users/me', '/o/users/all', '/i/token/create']) {
      const res = await raw('GET', `${path}#/o/analytics/dashboard`, { 'countly-token': t });
      expect({ status: res.status, body: JSON.parse(res.text) as unknown }, path).toEqual({ status: 400, body: { result: 'Invalid URL: "#" is not allowed' } });
      const withQuery = await raw('GET', `${path}?auth_token=${t}#/o/analytics/dashboard`);
      expect(withQuery.status, path).toBe(400);
      expect(withQuery.text).not.toMatch(/api_key|[0-9a-f]{32}/);
    }
    expect(await tokenCount()).toBe(before);
  });

  it('the check sees the normalized path the router runs, anchored at both ends', async () => {
    const t = await tokenOf({ endpoint: '/o/analytics/dashboard', ttl: '0' });
    // Percent-encoding and doubled or trailing slashes route to the dashboard, so the token admits them.
    for (const path of ['/o/analytics/dashboard', '/o/analytics/d%61shboard', '/o/analytics//dashboard/']) {
      const res = await raw('GET', `${path}?app_id=${appA._id}&auth_token=${t}`);
      expect(res.status, `${path} ${res.text}`).toBe(200);
    }
    // Not a suffix or substring match: other routes whose text contains the pattern are refused.
    for (const url of [`/o/users/me?auth_token=${t}&x=/o/analytics/dashboard`, `/o?app_id=${appA._id}&method=sessions&auth_token=${t}`]) {
      const res = await raw('GET', url);
      expect({ status: res.status, text: res.text }, url).toEqual({ status: 400, text: '{"result":"Token not valid"}' });
    }
  });
});

describe('finding 3: a limited token never widens its rights nor reads credentials', () => {
  it('an app-limited token acts as its member narrowed to those apps, even where no app_id is given', async () => {
    const onlyA = await tokenOf({ apps: appA._id, ttl: '0' });
    const before = await tokenCount();
    expect(await apiGet(tally.url, '/i/token/create', { auth_token: onlyA })).toMatchObject({
      status: 401,
      body: { result: 'A limited token cannot manage tokens' },
    });
    const me = await apiGet(tally.url, '/o/users/me', { auth_token: onlyA });
    expect(me.status).toBe(200);
    expect(me.body).not.toHaveProperty('api_key');
    expect(me.body).toMatchObject({ global_admin: false, permission: { _: { a: [appA._id] } } });
    const newAdmin = { username: 'x', email: 'x@example.com', password: 'Xx#12345678', full_name: 'X', global_admin: true };
    expect(await apiGet(tally.url, '/i/users/create', { auth_token: onlyA, app_id: appA._id, args: newAdmin })).toMatchObject({
      status: 401,
      body: { result: 'User does not have right' },
    });
    expect(await apiGet(tally.url, '/i/apps/update', { auth_token: onlyA, app_id: appA._id, args: { app_id: appB, name: 'Taken over' } })).toMatchObject({
      status: 401,
      body: { result: 'User does not have right' },
    });
    expect(await apiGet(tally.url, '/o', { app_id: appB, method: 'sessions', auth_token: onlyA })).toMatchObject({
      status: 400,
      body: { result: 'Token not valid' },
    });
    expect((await apiGet(tally.url, '/o', { app_id: appA._id, method: 'sessions', auth_token: onlyA })).status).toBe(200);
    const mine = await apiGet(tally.url, '/o/apps/mine', { auth_token: onlyA });
    expect(Object.keys(at(mine.body, 'admin_of') ?? {})).toEqual([appA._id]);
    expect(await tokenCount()).toBe(before);
    expect(
      (await tally.db.collection('members').countDocuments({ username: 'x' })) + (await tally.db.collection('apps').countDocuments({ name: 'Taken over' })),
    ).toBe(0);
  });

  it('limited tokens (app, endpoint, expiring, single use) cannot create, delete or list tokens', async () => {
    const limited = {
      app: await tokenOf({ apps: appA._id, ttl: '0' }),
      endpoint: await tokenOf({ endpoint: '/i/token/create,/i/token/delete,/o/token/list', ttl: '0' }),
      expiring: await tokenOf({ ttl: '600' }),
      singleUse: await tokenOf({ ttl: '0', multi: 'false' }),
    };
    const before = await tokenCount();
    const refused = { status: 401, body: { result: 'A limited token cannot manage tokens' } };
    for (const [kind, t] of Object.entries(limited)) {
      // The app-limited token names its app, so only the token rule can refuse it.
      const creds = { auth_token: t, app_id: appA._id };
      expect(await createToken(creds, { ttl: '0' }), kind).toMatchObject(refused);
      if (kind === 'singleUse') continue;
      expect(await apiGet(tally.url, '/o/token/list', creds), kind).toMatchObject(refused);
      expect(await apiGet(tally.url, '/i/token/delete', { ...creds, tokenid: limited.expiring }), kind).toMatchObject(refused);
    }
    expect(await tokenCount()).toBe(before - 1);
  });

  it('an unlimited token still manages tokens; /o/users/me hides the api_key from every token', async () => {
    const full = await tokenOf({ ttl: '0' });
    expect((await createToken({ auth_token: full }, { ttl: '60' })).status).toBe(200);
    const viaToken = await apiGet(tally.url, '/o/users/me', { auth_token: full });
    expect(viaToken.status).toBe(200);
    expect(at(viaToken.body, 'username')).toBe(ADMIN.username);
    expect(viaToken.body).not.toHaveProperty('api_key');
    const onlyA = await tokenOf({ apps: appA._id, ttl: '0' });
    const scoped = await apiGet(tally.url, '/o/users/me', { auth_token: onlyA, app_id: appA._id });
    expect(scoped.status).toBe(200);
    expect(scoped.body).not.toHaveProperty('api_key');
    expect(at((await apiGet(tally.url, '/o/users/me', { api_key: adminKey })).body, 'api_key')).toBe(adminKey);
  });
});

describe('finding 4: endpoint restrictions are literal paths, never regular expressions', () => {
  it('refuses patterns that are not paths at creation', async () => {
    for (const endpoint of ['(a|a)*b', '/o/users/(me|all)', '/o/.+', '^/o$|^/i']) {
      expect(await createToken({ api_key: adminKey }, { endpoint }), endpoint).toMatchObject({ status: 400, body: { result: 'Invalid parameter "endpoint"' } });
    }
    expect(await createToken({ api_key: adminKey }, { endpointquery: [{ endpoint: '/o', params: { method: '(a|a)*b' } }] })).toMatchObject({
      status: 400,
      body: { result: 'Invalid parameter "endpointquery"' },
    });
  });

  it('a stored regex-ish endpoint is matched literally', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const owner = String(at((await apiGet(tally.url, '/o/users/me', { api_key: adminKey })).body, '_id'));
    const stored = (id: string, endpoint: unknown) => ({ _id: id, ttl: 0, ends: nowS, multi: true, owner, app: '', endpoint, purpose: '', temporary: false });
    const regexish = 'a'.repeat(40);
    const redos = 'b'.repeat(40);
    await tally.db
      .collection<ReturnType<typeof stored>>('auth_tokens')
      .insertMany([stored(regexish, ['^/o/users/(me|all)$']), stored(redos, ['(a|a)*b', { endpoint: '/o', params: { method: '(a|a)*b' } }])]);
    expect(await apiGet(tally.url, '/o/users/me', { auth_token: regexish })).toMatchObject({ status: 400, body: { result: 'Token not valid' } });
    expect(await apiGet(tally.url, '/o/users/me', { auth_token: redos })).toMatchObject({ status: 400, body: { result: 'Token not valid' } });
    expect(await apiGet(tally.url, '/o', { app_id: appA._id, method: 'sessions', auth_token: redos })).toMatchObject({
      status: 400,
      body: { result: 'Token not valid' },
    });
  });

  it('Countly-style plain paths and anchors keep working', async () => {
    const prefix = await tokenOf({ endpoint: '^/o/analytics/' });
    expect((await apiGet(tally.url, '/o/analytics/sessions', { app_id: appA._id, auth_token: prefix })).status).toBe(200);
    expect((await apiGet(tally.url, '/o/users/me', { auth_token: prefix })).status).toBe(400);
    const exact = await tokenOf({ endpointquery: [{ endpoint: '^/o$', params: { method: '^get_events$' } }] });
    expect((await apiGet(tally.url, '/o', { app_id: appA._id, method: 'get_events', auth_token: exact })).status).toBe(200);
    expect((await apiGet(tally.url, '/o', { app_id: appA._id, method: 'get_events_x', auth_token: exact })).status).toBe(400);
  });
});

describe('finding 5: brute-force counting holds under parallel attempts', () => {
  it('27 parallel wrong passwords: 3 are counted and checked, then even the right password is refused', async () => {
    const victim = { username: 'racer', password: 'Rac3r#pass' };
    await createMemberViaApi(tally.url, adminKey, { ...victim, email: 'racer@example.com' });
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`${victim.username}:${password}`).toString('base64')}` });
    const wrong = await Promise.all(Array.from({ length: 27 }, () => raw('GET', '/api-key', basic('wrong'))));
    expect(wrong.map((r) => `${r.status} ${r.text}`)).toEqual(wrong.map(() => '401 -1'));
    const right = await raw('GET', '/api-key', basic(victim.password));
    expect(`${right.status} ${right.text}`).toBe('401 -1');
    const counter = await tally.db.collection<{ _id: string }>('failed_logins').findOne({ _id: JSON.stringify(['api-key', victim.username]) });
    expect(counter).toMatchObject({ fails: 3 });
  });
});

describe('finding 8: periods are bounded', () => {
  let reader: Member;
  beforeAll(async () => {
    reader = await createMemberViaApi(tally.url, adminKey, { username: 'reader', email: 'reader@example.com', user_of: [appA._id] });
  });

  it('a period longer than api.maxPeriodDays answers 400 with the maximum', async () => {
    const maxDays = tally.config.api.maxPeriodDays;
    const tooLong = { status: 400, body: { result: `Period is longer than the maximum of ${maxDays} days` } };
    const creds = { api_key: reader.api_key, app_id: appA._id };
    expect(await apiGet(tally.url, '/o/analytics/dashboard', { ...creds, period: '[1000000000000,1700000000000]' })).toMatchObject(tooLong);
    expect(await apiGet(tally.url, '/o', { ...creds, method: 'sessions', period: '[0,9999999999999]' })).toMatchObject(tooLong);
    expect(await apiGet(tally.url, '/o/analytics/sessions', { ...creds, period: `${maxDays + 1}days` })).toMatchObject(tooLong);
    expect((await apiGet(tally.url, '/o/analytics/dashboard', { ...creds, period: `${maxDays}days` })).status).toBe(200);
  });
});

describe('finding 9: HEAD, malformed URLs, app secrets, nosniff', () => {
  let reader: Member;
  let crashesOnly: Member;
  let appAdmin: Member;
  beforeAll(async () => {
    reader = await createMemberViaApi(tally.url, adminKey, { username: 'reader9', email: 'reader9@example.com', user_of: [appA._id] });
    const crashes = { c: {}, r: { [appA._id]: { all: false, allowed: { crashes: true } } }, u: {}, d: {}, _: { a: [], u: [] } };
    crashesOnly = await createMemberViaApi(tally.url, adminKey, { username: 'crashes', email: 'crashes@example.com', permission: crashes });
    appAdmin = await createMemberViaApi(tally.url, adminKey, { username: 'appadmin', email: 'appadmin@example.com', admin_of: [appA._id] });
  });

  it('HEAD on management routes answers 405 and changes nothing', async () => {
    const before = await tokenCount();
    const args = encodeURIComponent(JSON.stringify({ app_id: appA._id, name: 'Renamed by HEAD' }));
    const update = await raw('HEAD', `/i/apps/update?api_key=${adminKey}&app_id=${appA._id}&args=${args}`);
    const token = await raw('HEAD', `/i/token/create?api_key=${adminKey}`);
    const timeban = await raw('HEAD', `/o/users/reset_timeban?api_key=${adminKey}&username=racer`);
    expect([update.status, token.status, timeban.status]).toEqual([405, 405, 405]);
    expect(await tokenCount()).toBe(before);
    const app = await tally.db.collection('apps').findOne({ key: appA.key });
    expect(app?.name).not.toBe('Renamed by HEAD');
    expect((await raw('HEAD', '/o/ping')).status).toBe(200);
  });

  it('a malformed URL answers in the Countly envelope without echoing the URL', async () => {
    for (const path of [`/o?%E0%A4%A&api_key=${adminKey}`, `/o/users/%E0%A4%A?api_key=${adminKey}`, `/i/%E0%A4%A?app_key=${appA.key}`]) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.text, path).not.toContain(adminKey);
      expect(res.text, path).not.toContain(appA.key);
      expect(Object.keys(JSON.parse(res.text) as object), path).toEqual(['result']);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
    }
  });

  it('/o/apps/mine shows key and salt to app admins only', async () => {
    await apiGet(tally.url, '/i/apps/update', { api_key: adminKey, args: { app_id: appA._id, salt: 'pepper' } });
    const mine = async (m: Member) => (await apiGet(tally.url, '/o/apps/mine', { api_key: m.api_key })).body;
    const crashes = await mine(crashesOnly);
    expect(at(crashes, 'user_of', appA._id, 'name')).toEqual(expect.any(String));
    expect(at(crashes, 'user_of', appA._id)).not.toHaveProperty('key');
    expect(at(crashes, 'user_of', appA._id)).not.toHaveProperty('salt');
    expect(at(await mine(reader), 'user_of', appA._id)).not.toHaveProperty('salt');
    const admin = await mine(appAdmin);
    expect(at(admin, 'admin_of', appA._id)).toMatchObject({ key: appA.key, salt: 'pepper' });
    expect(at(admin, 'user_of', appA._id)).toMatchObject({ key: appA.key, salt: 'pepper' });
    expect(at(await apiGet(tally.url, '/o/apps/mine', { api_key: adminKey }), 'body', 'admin_of', appA._id)).toMatchObject({ key: appA.key, salt: 'pepper' });
  });

  it('every response carries X-Content-Type-Options: nosniff (API and ingest)', async () => {
    const answers = [
      await raw('GET', `/o/users/me?api_key=${reader.api_key}`),
      await raw('GET', '/o/nowhere'),
      await raw('GET', '/api-key'),
      await raw('GET', `/i?app_key=${appA.key}&device_id=d1&begin_session=1`),
      await raw('OPTIONS', '/i'),
      await raw('PUT', '/o'),
    ];
    expect(answers.map((a) => a.headers['x-content-type-options'])).toEqual(answers.map(() => 'nosniff'));
  });
});
