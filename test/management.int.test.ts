// Management (spec §5.2–5.3): apps update/delete/reset (resets are AppDataReset events on every
// partition, applied by the processors), details, members update/delete/all, versions, bad
// sub-paths, output escaping and JSONP (§1.3), and the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../api/index.ts';
import { createLogger } from '../scripts/logger.ts';
import { adminAndApp, apiGet, at, keysOf, createMemberViaApi, resultOf, type Member } from './support/api-client.ts';
import { createApp, LogCapture, startTestTally, type TestTally } from './support/harness.ts';
import { send } from './support/ingest-client.ts';
import { readEvents } from './support/stream.ts';

let tally: TestTally;
let adminKey = '';
let app = { _id: '', key: '', timezone: '' };
let appAdmin: Member;
const POLL = { timeout: 30_000, interval: 200 };

const as =
  (key: string) =>
  (path: string, params: Record<string, unknown> = {}) =>
    apiGet(tally.url, path, { api_key: key, ...params });
const admin = (path: string, params: Record<string, unknown> = {}) => as(adminKey)(path, params);

async function withTraffic(appKey: string, device: string): Promise<void> {
  const res = await send(tally.url, {
    query: { app_key: appKey, device_id: device, begin_session: 1, metrics: { _os: 'Android' }, events: [{ key: 'tap', count: 1 }] },
  });
  expect(res.status).toBe(200);
}

async function resetsOf(appId: string): Promise<{ period: string; partition: number; id: string }[]> {
  const events = await readEvents(tally.jsm, tally.config.streams);
  return events.flatMap((e) => (e.type === 'AppDataReset' && e.appId === appId ? [{ period: e.period, partition: e.partition, id: e.id }] : []));
}

beforeAll(async () => {
  tally = await startTestTally();
  ({ adminKey, app } = await adminAndApp(tally.url, { timezone: 'Europe/Berlin' }));
  appAdmin = await createMemberViaApi(tally.url, adminKey, { username: 'appadmin', email: 'appadmin@example.com', admin_of: [app._id] });
});
afterAll(async () => {
  await tally.destroy();
});

describe('apps', () => {
  it('update: applied changes, messages for nothing/invalid/unknown, and readers see the new timezone at once', async () => {
    expect((await admin('/o', { app_id: app._id, method: 'get_period_obj', period: 'hour' })).status).toBe(200);
    const res = await admin('/i/apps/update', { args: { app_id: app._id, timezone: 'Asia/Tokyo', category: 3, ignored: 'x' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ timezone: 'Asia/Tokyo', category: '3', edited_at: expect.any(Number) as unknown });
    const tokyoToday = new Date(Date.now() + 9 * 3_600_000);
    const today = `${tokyoToday.getUTCFullYear()}.${tokyoToday.getUTCMonth() + 1}.${tokyoToday.getUTCDate()}`;
    expect(at((await admin('/o', { app_id: app._id, method: 'get_period_obj', period: 'hour' })).body, 'activePeriod')).toBe(today);
    expect(await admin('/i/apps/update', { args: { app_id: app._id } })).toMatchObject({ status: 200, body: { result: 'Nothing changed' } });
    expect(await admin('/i/apps/update', { args: { app_id: app._id, name: ' ' } })).toMatchObject({ status: 400, body: { result: 'Invalid app name' } });
    expect(await admin('/i/apps/update', { args: { app_id: app._id, country: 'XX', timezone: 'UTC' } })).toMatchObject({
      status: 400,
      body: { result: 'Invalid props: country,timezone' },
    });
    expect(await admin('/i/apps/update', { args: { app_id: '0123456789abcdef01234567', name: 'x' } })).toMatchObject({
      status: 404,
      body: { result: 'App not found' },
    });
    expect(await admin('/i/apps/update', {})).toMatchObject({ status: 400, body: { result: "Error: Missing 'args' parameter" } });
    expect(await admin('/i/apps/update', { args: { name: 'x' } })).toMatchObject({ status: 400, body: { result: 'Error: Missing app_id argument' } });
  });

  it('another API process sees an app change at once (NATS announcement, not the 60 s TTL)', async () => {
    const other = await buildApi({ config: tally.config, db: tally.db, nc: tally.nc, js: tally.js, log: createLogger(tally.config, new LogCapture()) });
    try {
      const activeIn = async () =>
        at(JSON.parse((await other.inject({ url: `/o?api_key=${adminKey}&app_id=${app._id}&method=get_period_obj&period=hour` })).body), 'activePeriod');
      const dayIn = (offsetH: number) => {
        const d = new Date(Date.now() + offsetH * 3_600_000);
        return `${d.getUTCFullYear()}.${d.getUTCMonth() + 1}.${d.getUTCDate()}`;
      };
      await expect.poll(activeIn, POLL).toBe(dayIn(9));
      expect((await admin('/i/apps/update', { args: { app_id: app._id, timezone: 'Pacific/Kiritimati' } })).status).toBe(200);
      await expect.poll(activeIn, { timeout: 5_000, interval: 50 }).toBe(dayIn(14));
      expect((await admin('/i/apps/update', { args: { app_id: app._id, timezone: 'Asia/Tokyo' } })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('update by an app admin: only with the top-level app_id of an app it administers', async () => {
    const other = await createApp(tally.url, adminKey, { name: 'Other' });
    const byAppAdmin = as(appAdmin.api_key);
    expect(await byAppAdmin('/i/apps/update', { app_id: app._id, args: { app_id: app._id, name: 'Renamed' } })).toMatchObject({
      status: 200,
      body: { name: 'Renamed' },
    });
    expect(await byAppAdmin('/i/apps/update', { app_id: app._id, args: { app_id: other._id, name: 'Hijack' } })).toMatchObject({
      status: 401,
      body: { result: 'User does not have right' },
    });
    expect(await byAppAdmin('/i/apps/update', { app_id: other._id, args: { app_id: other._id, name: 'Hijack' } })).toMatchObject({
      status: 401,
      body: { result: 'User does not have right' },
    });
    expect(await byAppAdmin('/i/apps/update', { args: { app_id: app._id, name: 'x' } })).toMatchObject({
      status: 401,
      body: { result: 'User does not have right' },
    });
    expect(await byAppAdmin('/o/apps/details', {})).toMatchObject({ status: 400, body: { result: 'No app id provided' } });
    const details = await byAppAdmin('/o/apps/details', { app_id: app._id });
    expect(details.body).toMatchObject({
      app: { owner: 'admin', created_at: expect.any(Number) as unknown },
      admin: [{ username: 'appadmin' }],
      user: [],
      global_admin: [{ username: 'admin' }],
    });
  });

  it('reset: AppDataReset on every partition, then the processors empty the data; partial periods are passed on', async () => {
    await withTraffic(app.key, 'r1');
    await expect.poll(async () => at((await admin('/o', { app_id: app._id, method: 'get_events' })).body, 'list'), POLL).toEqual(['tap']);
    await expect.poll(async () => (await admin('/o', { app_id: app._id, method: 'total_users' })).body, POLL).toEqual([{ _id: 'users', u: 1 }]);
    expect(await admin('/i/apps/reset', { args: { app_id: app._id, period: 'reset' } })).toMatchObject({ status: 200, body: { result: 'Success' } });
    const resets = await resetsOf(app._id);
    expect(resets.map((r) => r.partition).sort((a, b) => a - b)).toEqual(Array.from({ length: tally.config.streams.partitions }, (_, i) => i));
    expect(resets.every((r) => r.period === 'reset' && r.id.startsWith(`reset:${app._id}:`))).toBe(true);
    await expect.poll(async () => (await admin('/o', { app_id: app._id, method: 'sessions' })).body, POLL).toEqual({});
    await expect
      .poll(async () => (await admin('/o', { app_id: app._id, method: 'get_events' })).body, POLL)
      .toEqual({ limits: { event_limit: 500, event_segmentation_limit: 100, event_segmentation_value_limit: 1000 } });
    await expect.poll(async () => (await admin('/o', { app_id: app._id, method: 'total_users' })).body, POLL).toEqual([]);
    expect(await admin('/i/apps/reset', { args: { app_id: app._id, period: '3month' } })).toMatchObject({ status: 200 });
    expect((await resetsOf(app._id)).filter((r) => r.period === '3month')).toHaveLength(tally.config.streams.partitions);
    expect(await admin('/i/apps/reset', { args: { app_id: app._id, period: 'forever' } })).toMatchObject({
      status: 400,
      body: { result: 'Error: Invalid type for period' },
    });
    expect(await admin('/i/apps/reset', { args: { app_id: '0123456789abcdef01234567' } })).toMatchObject({ status: 404, body: { result: 'App not found' } });
  });

  it('delete: the app, its data and every right on it go; a locked app stays', async () => {
    const doomed = await createApp(tally.url, adminKey, { name: 'Doomed' });
    const viewer = await createMemberViaApi(tally.url, adminKey, { username: 'viewer', email: 'viewer@example.com', user_of: [doomed._id] });
    await withTraffic(doomed.key, 'd1');
    await expect.poll(async () => tally.db.collection('users_v1').countDocuments({ a: doomed._id }), POLL).toBeGreaterThan(0);
    expect(await admin('/i/apps/delete', { args: { app_id: doomed._id } })).toMatchObject({ status: 200, body: { result: 'Success' } });
    expect((await resetsOf(doomed._id)).filter((r) => r.period === 'delete')).toHaveLength(tally.config.streams.partitions);
    expect(keysOf(at((await admin('/o/apps/all')).body, 'admin_of'))).not.toContain(doomed._id);
    expect(await as(viewer.api_key)('/o', { app_id: doomed._id, method: 'sessions' })).toMatchObject({
      status: 401,
      body: { result: 'User does not have right' },
    });
    expect(await admin('/o', { app_id: doomed._id, method: 'sessions' })).toMatchObject({ status: 401, body: { result: 'App does not exist' } });
    await expect.poll(async () => tally.db.collection('users_v1').countDocuments({ a: doomed._id }), POLL).toBe(0);
    expect(await admin('/i/apps/delete', { args: { app_id: doomed._id } })).toMatchObject({ status: 500, body: { result: 'Error deleting app' } });
    const locked = await createApp(tally.url, adminKey, { name: 'Locked' });
    expect((await admin('/i/apps/update', { args: { app_id: locked._id, locked: true } })).status).toBe(200);
    expect(await admin('/i/apps/delete', { args: { app_id: locked._id } })).toMatchObject({ status: 403, body: { result: 'Application is locked' } });
  });
});

describe('members', () => {
  it('update takes effect at once (cache dropped); delete removes the member and its tokens', async () => {
    const m = await createMemberViaApi(tally.url, adminKey, { username: 'temp', email: 'temp@example.com', user_of: [app._id] });
    expect((await as(m.api_key)('/o/users/me')).status).toBe(200);
    expect(await admin('/i/users/update', { args: { user_id: m._id, full_name: 'Temp Two', locked: true } })).toMatchObject({
      status: 200,
      body: { result: 'Success' },
    });
    expect(await as(m.api_key)('/o/users/me')).toMatchObject({ status: 401, body: { result: 'User is locked' } });
    const all = (await admin('/o/users/all')).body;
    expect(at(all, m._id)).toMatchObject({ full_name: 'Temp Two', locked: true, blocked: false, is_current_user: false });
    expect(at(all, m._id, 'api_key')).toBeUndefined();
    expect(await admin('/i/users/update', { args: { user_id: m._id, password: 'weak' } })).toMatchObject({
      status: 400,
      body: { result: expect.arrayContaining(['password should have number']) as unknown },
    });
    expect(await admin('/i/users/update', { args: { full_name: 'x' } })).toMatchObject({ status: 400, body: { result: ['Missing user_id argument'] } });
    expect(await admin('/i/users/delete', { args: { user_ids: [m._id] } })).toMatchObject({ status: 200, body: { result: 'Success' } });
    expect(await as(m.api_key)('/o/users/me')).toMatchObject({ status: 401, body: { result: 'User does not exist' } });
    expect(at((await admin('/o/users/all')).body, m._id)).toBeUndefined();
  });

  it('a global admin cannot lock or demote itself, nor delete itself', async () => {
    const me = (await admin('/o/users/me')).body;
    const id = String(at(me, '_id'));
    expect((await admin('/i/users/update', { args: { user_id: id, global_admin: false, locked: true } })).status).toBe(200);
    expect(await admin('/o/users/me')).toMatchObject({ status: 200, body: { global_admin: true, locked: false } });
    expect((await admin('/i/users/delete', { args: { user_ids: [id] } })).status).toBe(200);
    expect((await admin('/o/users/me')).status).toBe(200);
    expect(at((await admin('/o/users/all')).body, id, 'is_current_user')).toBe(true);
  });
});

describe('edges', () => {
  it('bad sub-paths answer their family message', async () => {
    const cases: [string, string][] = [
      ['/o/users/x', 'Invalid path, must be one of /all or /me'],
      ['/i/users/x', 'Invalid path, must be one of /create, /update, /deleteOwnAccount or /delete'],
      ['/i/apps/x', 'Invalid path, must be one of /create, /update, /delete or /reset'],
      ['/o/apps/x', 'Invalid path, must be one of /all, /mine, /details or /plugins'],
      ['/o/system/x', 'Invalid path'],
      ['/o/app_users/x', 'Invalid path, must be one of /all or /me'],
      ['/o/apps', 'Invalid path, must be one of /all, /mine, /details or /plugins'],
      ['/i/token', 'Invalid path, must be one of /delete or /create'],
    ];
    for (const [path, message] of cases) expect(await admin(path), path).toMatchObject({ status: 400, body: { result: message } });
    expect(await admin('/o/analytics/x', { app_id: app._id })).toMatchObject({
      status: 400,
      body: { result: 'Invalid path, must be one of /dashboard,  /countries, /sessions, /metric, /tops, /loyalty, /frequency, /durations, /events' },
    });
  });

  it('/o/system/version and /o/countly_version', async () => {
    expect(await admin('/o/system/version')).toEqual({ status: 200, body: { version: '0.1.0' }, text: '{"version":"0.1.0"}' });
    expect(resultOf(await admin('/o/countly_version'))).toMatchObject({ pkg: '0.1.0', mongo: expect.any(String) as unknown });
  });

  it('output escaping, noescape and JSONP (§1.3)', async () => {
    await createApp(tally.url, adminKey, { name: '<b>"Shop"</b>' });
    const mine = await admin('/o/apps/mine');
    expect(mine.text).toContain('"name":"&lt;b&gt;&quot;Shop&quot;&lt;/b&gt;"');
    expect((await admin('/o/apps/mine', { noescape: '1' })).text).toContain('"name":"<b>\\"Shop\\"</b>"');
    const jsonp = await admin('/o/apps/mine', { callback: 'cb' });
    expect(jsonp.text.startsWith('cb({"admin_of":')).toBe(true);
    expect((await apiGet(tally.url, '/o', { app_id: app._id, callback: 'cb' })).text).toBe('cb({"result":"Invalid method"})');
  });

  it('/o/openapi.json describes the routes from their schemas', async () => {
    const doc = (await apiGet(tally.url, '/o/openapi.json')).body;
    expect(at(doc, 'openapi')).toBe('3.1.0');
    const oParams = at(doc, 'paths', '/o', 'get', 'parameters');
    const names = Array.isArray(oParams) ? oParams.map((p) => at(p, 'name')) : [];
    expect(names).toEqual(expect.arrayContaining(['app_id', 'method', 'period', 'event', 'segmentation']));
    expect(at(doc, 'paths', '/o/analytics/dashboard', 'get', 'summary')).toBe('Analytics: dashboard');
    expect(at(doc, 'paths', '/i/apps/update', 'get', 'parameters', 0, 'content', 'application/json', 'schema', 'properties', 'timezone')).toEqual({
      type: 'string',
    });
    expect(at(doc, 'components', 'securitySchemes', 'countlyToken')).toEqual({ type: 'apiKey', in: 'header', name: 'countly-token' });
  });
});
