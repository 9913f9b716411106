// The auth matrix (spec §4.1–4.3): every read and management route, called by every kind of
// caller, answers the spec's status and message; and no data of another app ever shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAndApp, apiGet, at, keysOf, createMemberViaApi, resultOf, type Member } from './support/api-client.ts';
import { createApp, startTestTally, type TestTally } from './support/harness.ts';
import { send } from './support/ingest-client.ts';
import { waitUntil } from './support/wait.ts';

let tally: TestTally;
let adminKey = '';
let appA = '';
let appB = '';
let otherAppMember: Member;
let reader: Member;
let lockedReader: Member;

type Kind = 'read' | 'global' | 'appAdmin' | 'member';
interface RouteCase {
  readonly path: string;
  readonly kind: Kind;
  readonly params?: () => Record<string, unknown>;
  /** The global admin's answer when it is not a plain 200. */
  readonly admin?: { status: number; body: unknown };
  /** The answer to a limited (e.g. single-use) token of the global admin when it differs. */
  readonly limitedToken?: { status: number; body: unknown };
}

const oMethods = [
  'sessions',
  'users',
  'locations',
  'device_details',
  'app_versions',
  'devices',
  'carriers',
  'cities',
  'countries',
  'langs',
  'density',
  'events',
  'get_events',
  'top_events',
  'total_users',
  'get_period_obj',
];
const analyticsPaths: [string, Record<string, unknown>][] = [
  ['dashboard', {}],
  ['countries', {}],
  ['sessions', {}],
  ['metric', { metric: 'os' }],
  ['tops', {}],
  ['loyalty', {}],
  ['frequency', {}],
  ['durations', {}],
  ['events', { event: 'only_in_a' }],
];
const missingApp = '0123456789abcdef01234567';

const ROUTES: RouteCase[] = [
  ...oMethods.map((method): RouteCase => ({ path: '/o', kind: 'read', params: () => ({ app_id: appA, method }) })),
  ...analyticsPaths.map(([p, extra]): RouteCase => ({ path: `/o/analytics/${p}`, kind: 'read', params: () => ({ app_id: appA, ...extra }) })),
  { path: '/o/app_users/loyalty', kind: 'read', params: () => ({ app_id: appA, query: { sc: { $gte: 1 } } }) },
  { path: '/o/app_users/consents', kind: 'read', params: () => ({ app_id: appA, query: { did: 'a1' } }) },
  { path: '/o', kind: 'global', params: () => ({ app_id: appA, method: 'all_apps' }) },
  { path: '/o/apps/all', kind: 'global' },
  { path: '/o/users/all', kind: 'global' },
  { path: '/o/users/reset_timeban', kind: 'global', params: () => ({ username: 'nobody' }) },
  { path: '/i/apps/delete', kind: 'global', params: () => ({ args: { app_id: missingApp } }), admin: { status: 500, body: { result: 'Error deleting app' } } },
  {
    path: '/i/apps/reset',
    kind: 'global',
    params: () => ({ args: { app_id: missingApp, period: 'reset' } }),
    admin: { status: 404, body: { result: 'App not found' } },
  },
  {
    path: '/i/users/update',
    kind: 'global',
    params: () => ({ args: { user_id: missingApp, full_name: 'X' } }),
    admin: { status: 404, body: { result: ['User not found'] } },
  },
  { path: '/i/users/delete', kind: 'global', params: () => ({ args: { user_ids: [] } }) },
  { path: '/o/apps/details', kind: 'appAdmin', params: () => ({ app_id: appA }) },
  {
    path: '/i/apps/update',
    kind: 'appAdmin',
    params: () => ({ app_id: appA, args: { app_id: appA } }),
    admin: { status: 200, body: { result: 'Nothing changed' } },
  },
  { path: '/o/users/me', kind: 'member' },
  { path: '/o/apps/mine', kind: 'member' },
  { path: '/o/token/list', kind: 'member', limitedToken: { status: 401, body: { result: 'A limited token cannot manage tokens' } } },
  { path: '/o/token/check', kind: 'member', params: () => ({ token: 'f'.repeat(40) }) },
  { path: '/o/system/version', kind: 'member' },
  { path: '/o/countly_version', kind: 'member' },
];

const label = (r: RouteCase) => `${r.path} ${JSON.stringify(r.params?.() ?? {})}`.slice(0, 120);
const call = (r: RouteCase, creds: Record<string, unknown>) => apiGet(tally.url, r.path, { ...r.params?.(), ...creds });

beforeAll(async () => {
  tally = await startTestTally();
  const setup = await adminAndApp(tally.url, { timezone: 'Europe/Berlin' });
  adminKey = setup.adminKey;
  appA = setup.app._id;
  const b = await createApp(tally.url, adminKey, { name: 'Other', timezone: 'Europe/Berlin' });
  appB = b._id;
  otherAppMember = await createMemberViaApi(tally.url, adminKey, { username: 'other', email: 'other@example.com', user_of: [appB] });
  reader = await createMemberViaApi(tally.url, adminKey, { username: 'reader', email: 'reader@example.com', user_of: [appA] });
  lockedReader = await createMemberViaApi(tally.url, adminKey, { username: 'locked', email: 'locked@example.com', user_of: [appA] });
  expect((await apiGet(tally.url, '/i/users/update', { api_key: adminKey, args: { user_id: lockedReader._id, locked: true } })).status).toBe(200);
  // Traffic in both apps, with markers that must never cross over.
  const metrics = (os: string) => ({ _os: os, _carrier: `${os}net` });
  expect(
    (
      await send(tally.url, {
        query: { app_key: setup.app.key, device_id: 'a1', begin_session: 1, metrics: metrics('AOnlyOS'), events: [{ key: 'only_in_a', count: 1 }] },
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await send(tally.url, {
        query: { app_key: b.key, device_id: 'b1', begin_session: 1, metrics: metrics('BOnlyOS'), events: [{ key: 'only_in_b', count: 1 }] },
      })
    ).status,
  ).toBe(200);
  const shows = (appId: string, path: string, marker: string) => async () =>
    (await apiGet(tally.url, path, { api_key: adminKey, app_id: appId, method: 'get_events' })).text.includes(marker) ? true : undefined;
  await waitUntil(shows(appB, '/o', 'only_in_b'), 30_000, "app B's event");
  await waitUntil(shows(appB, '/o/analytics/dashboard', 'BOnlyOS'), 30_000, "app B's session");
  await waitUntil(shows(appA, '/o', 'only_in_a'), 30_000, "app A's event");
  await waitUntil(shows(appA, '/o/analytics/dashboard', 'AOnlyOS'), 30_000, "app A's session");
});
afterAll(async () => {
  await tally.destroy();
});

describe('routing checks come before credentials (§1.4, §4.3)', () => {
  it('missing or malformed app_id, then the method, even with bogus keys', async () => {
    expect(await apiGet(tally.url, '/o', { method: 'sessions' })).toMatchObject({ status: 400, body: { result: 'Missing parameter "app_id"' } });
    expect(await apiGet(tally.url, '/o', { app_id: 'short', method: 'sessions', api_key: 'x' })).toMatchObject({
      status: 400,
      body: { result: 'Invalid parameter "app_id"' },
    });
    expect(await apiGet(tally.url, '/o', { app_id: appA, api_key: 'bogus' })).toMatchObject({ status: 400, body: { result: 'Invalid method' } });
    expect(await apiGet(tally.url, '/o', { app_id: appA, method: 'nope', api_key: 'bogus' })).toMatchObject({
      status: 400,
      body: { result: 'Invalid method' },
    });
    expect(await apiGet(tally.url, '/o/analytics/dashboard', {})).toMatchObject({ status: 400, body: { result: 'Missing parameter "app_id"' } });
    expect(await apiGet(tally.url, '/o/users/me', { user_id: 'short' })).toMatchObject({ status: 400, body: { result: 'Invalid parameter "user_id"' } });
  });
});

describe('the matrix', () => {
  it('no credentials: 400 everywhere', async () => {
    for (const r of ROUTES) expect(await call(r, {}), label(r)).toMatchObject({ status: 400, body: { result: 'Missing parameter "api_key" or "auth_token"' } });
  });

  it('an unknown key: 401 User does not exist', async () => {
    for (const r of ROUTES)
      expect(await call(r, { api_key: '0'.repeat(32) }), label(r)).toMatchObject({ status: 401, body: { result: 'User does not exist' } });
  });

  it('a member of another app: no right on this app, nor on admin routes', async () => {
    for (const r of ROUTES) {
      const res = await call(r, { api_key: otherAppMember.api_key });
      if (r.kind === 'member') expect(res.status, label(r)).toBe(200);
      else expect(res, label(r)).toMatchObject({ status: 401, body: { result: 'User does not have right' } });
      expect(res.text, label(r)).not.toContain('AOnlyOS');
    }
    const mine = await apiGet(tally.url, '/o/apps/mine', { api_key: otherAppMember.api_key });
    expect(keysOf(at(mine.body, 'user_of'))).toEqual([appB]);
  });

  it('a read-only member: reads its app, nothing else', async () => {
    for (const r of ROUTES) {
      const res = await call(r, { api_key: reader.api_key });
      if (r.kind === 'read' || r.kind === 'member') expect(res.status, label(r)).toBe(200);
      else expect(res, label(r)).toMatchObject({ status: 401, body: { result: 'User does not have right' } });
    }
  });

  it('a locked member: the right is checked first, then the lock', async () => {
    for (const r of ROUTES) {
      const res = await call(r, { api_key: lockedReader.api_key });
      const expected = r.kind === 'global' || r.kind === 'appAdmin' ? 'User does not have right' : 'User is locked';
      expect(res, label(r)).toMatchObject({ status: 401, body: { result: expected } });
    }
  });

  it('a global admin: every route answers', async () => {
    for (const r of ROUTES) {
      const res = await call(r, { api_key: adminKey });
      if (r.admin !== undefined) expect(res, label(r)).toMatchObject(r.admin);
      else expect(res.status, `${label(r)} ${res.text.slice(0, 200)}`).toBe(200);
    }
  });

  it('an expired token: 400 Token not valid everywhere', async () => {
    const token = String(resultOf(await apiGet(tally.url, '/i/token/create', { api_key: adminKey, ttl: '1' })));
    await new Promise((r) => setTimeout(r, 2_100));
    for (const r of ROUTES) expect(await call(r, { auth_token: token }), label(r)).toMatchObject({ status: 400, body: { result: 'Token not valid' } });
  });

  it('a single-use token: the first call answers, the second is refused', async () => {
    for (const r of ROUTES) {
      const created = await apiGet(tally.url, '/i/token/create', { api_key: adminKey, multi: 'false' });
      const token = String(resultOf(created));
      const first = await call(r, { auth_token: token });
      expect(first, label(r)).toMatchObject(r.limitedToken ?? { status: r.admin?.status ?? 200 });
      expect(await call(r, { auth_token: token }), label(r)).toMatchObject({ status: 400, body: { result: 'Token not valid' } });
    }
  });
});

describe('tokens (§4.1, §5.3)', () => {
  const token = async (params: Record<string, unknown>): Promise<string> =>
    String(resultOf(await apiGet(tally.url, '/i/token/create', { api_key: adminKey, ...params })));

  it('a valid token wins over a bogus api_key; an invalid one falls back to the key', async () => {
    const t = await token({});
    expect(t).toMatch(/^[0-9a-f]{40}$/);
    expect((await apiGet(tally.url, '/o/users/me', { auth_token: t, api_key: '0'.repeat(32) })).status).toBe(200);
    expect((await apiGet(tally.url, '/o/users/me', {}, { 'countly-token': t })).status).toBe(200);
    expect((await apiGet(tally.url, '/o/users/me', { auth_token: 'f'.repeat(40), api_key: adminKey })).status).toBe(200);
  });

  it('app and endpoint restrictions make the token invalid elsewhere', async () => {
    const onlyB = await token({ apps: appB });
    expect(await apiGet(tally.url, '/o', { app_id: appA, method: 'sessions', auth_token: onlyB })).toMatchObject({
      status: 400,
      body: { result: 'Token not valid' },
    });
    expect((await apiGet(tally.url, '/o', { app_id: appB, method: 'sessions', auth_token: onlyB })).status).toBe(200);
    const onlyAnalytics = await token({ endpoint: '^/o/analytics/' });
    expect(await apiGet(tally.url, '/o', { app_id: appA, method: 'sessions', auth_token: onlyAnalytics })).toMatchObject({
      status: 400,
      body: { result: 'Token not valid' },
    });
    expect((await apiGet(tally.url, '/o/analytics/dashboard', { app_id: appA, auth_token: onlyAnalytics })).status).toBe(200);
    const withParams = await token({ endpointquery: [{ endpoint: '^/o$', params: { method: '^get_events$' } }] });
    expect((await apiGet(tally.url, '/o', { app_id: appA, method: 'get_events', auth_token: withParams })).status).toBe(200);
    expect((await apiGet(tally.url, '/o', { app_id: appA, method: 'sessions', auth_token: withParams })).status).toBe(400);
  });

  it('check, list and delete own tokens; refuse catastrophic endpoint patterns', async () => {
    const t = await token({ ttl: '600', purpose: 'test' });
    const check = await apiGet(tally.url, '/o/token/check', { api_key: adminKey, token: t });
    expect(at(resultOf(check), 'valid')).toBe(true);
    expect(Number(at(resultOf(check), 'time'))).toBeGreaterThan(590);
    expect((await apiGet(tally.url, '/o/token/check', { api_key: reader.api_key, token: t })).body).toEqual({ result: { valid: false, time: 0 } });
    expect(await apiGet(tally.url, '/o/token/check', { api_key: adminKey })).toMatchObject({ status: 400, body: { result: 'Missing parameter "token"' } });
    const list = resultOf(await apiGet(tally.url, '/o/token/list', { api_key: adminKey }));
    expect(Array.isArray(list) ? list.find((x) => at(x, '_id') === t) : undefined).toMatchObject({
      purpose: 'test',
      ttl: 600,
      multi: true,
      app: '',
      endpoint: '',
    });
    expect(await apiGet(tally.url, '/i/token/delete', { api_key: reader.api_key, tokenid: t })).toMatchObject({
      status: 200,
      body: { result: { deletedCount: 0 } },
    });
    expect(await apiGet(tally.url, '/i/token/delete', { api_key: adminKey, tokenid: t })).toMatchObject({ status: 200, body: { result: { deletedCount: 1 } } });
    expect(await apiGet(tally.url, '/i/token/delete', { api_key: adminKey })).toMatchObject({ status: 404, body: { result: 'Token id not provided' } });
    expect((await apiGet(tally.url, '/i/token/create', { api_key: adminKey, endpoint: '(a+)+$' })).status).toBe(400);
    expect(await apiGet(tally.url, '/i/token/nope', { api_key: adminKey })).toMatchObject({
      status: 400,
      body: { result: 'Invalid path, must be one of /delete or /create' },
    });
    expect(await apiGet(tally.url, '/o/token/nope', { api_key: adminKey })).toMatchObject({
      status: 400,
      body: { result: 'Invalid path, must be one of /list' },
    });
  });
});

describe('isolation between apps', () => {
  it("no read of app A, even by its global admin, carries app B's data", async () => {
    const reads = ROUTES.filter((r) => r.kind === 'read');
    for (const r of reads) {
      const res = await call(r, { api_key: adminKey });
      expect(res.text, label(r)).not.toMatch(/BOnlyOS|only_in_b|Bonlyosnet/i);
    }
    const events = await apiGet(tally.url, '/o', { api_key: adminKey, app_id: appA, method: 'get_events' });
    expect(at(events.body, 'list')).toEqual(['only_in_a']);
  });
});
