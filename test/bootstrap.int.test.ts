// Walks the Countly bootstrap (spec §5): admin from config → /api-key → /i/apps/create →
// /o/apps/mine, with the error cases: no key, wrong key, non-admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, adminApiKey, startTestTally, type TestTally } from './support/harness.ts';

let tally: TestTally;
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

async function call(path: string, params: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, tally.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  tally = await startTestTally();
});
afterAll(async () => {
  await tally.destroy();
});

describe('bootstrap', () => {
  let apiKey = '';
  let appId = '';

  it('1. /api-key returns the configured admin key as text', async () => {
    const res = await fetch(`${tally.url}/api-key`, { headers: basic(ADMIN.username, ADMIN.password) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    apiKey = await res.text();
    expect(apiKey).toMatch(/^[0-9a-f]{32}$/);
  });

  it('2. /api-key refuses a wrong password or unknown user with 401 -1', async () => {
    for (const headers of [basic(ADMIN.username, 'nope'), basic('ghost', 'nope'), {}]) {
      const res = await fetch(`${tally.url}/api-key`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm=Authorization Required');
      expect(await res.text()).toBe('-1');
    }
  });

  it('3. /i/apps/create stores the app with Countly defaults', async () => {
    const res = await call('/i/apps/create', { api_key: apiKey, args: JSON.stringify({ name: 'Demo', timezone: 'UTC', country: 'XX' }) });
    expect(res.status).toBe(200);
    const app = res.body as Record<string, unknown>;
    expect(app).toMatchObject({ name: 'Demo', country: 'TR', timezone: 'Europe/Istanbul', category: '6', type: 'mobile', seq: 0, has_image: false });
    expect(app.key).toMatch(/^[0-9a-f]{40}$/);
    appId = String(app._id);
  });

  it('4. the app is listed in /o/apps/mine and /o/apps/all', async () => {
    for (const path of ['/o/apps/mine', '/o/apps/all']) {
      const res = await call(path, { api_key: apiKey });
      expect(res.status).toBe(200);
      const body = res.body as { admin_of: Record<string, { name: string; salt: string }>; user_of: Record<string, unknown> };
      expect(body.admin_of[appId]).toMatchObject({ _id: appId, name: 'Demo', salt: '' });
      expect(Object.keys(body.user_of)).toContain(appId);
    }
  });

  it('5. app calls without key, with a wrong key, or from a non-admin are refused with spec messages', async () => {
    const args = JSON.stringify({ name: 'X' });
    expect(await call('/i/apps/create', { args })).toEqual({ status: 400, body: { result: 'Missing parameter "api_key" or "auth_token"' } });
    expect(await call('/i/apps/create', { args, api_key: '0'.repeat(32) })).toEqual({ status: 401, body: { result: 'User does not exist' } });
    expect(await call('/i/apps/create', { api_key: apiKey })).toEqual({ status: 400, body: { result: "Error: Missing 'args' parameter" } });
    expect(await call('/i/apps/create', { api_key: apiKey, args: '{}' })).toEqual({ status: 400, body: { result: 'Error: Missing name argument' } });
    expect(await call('/i/apps/nope', { api_key: apiKey })).toEqual({
      status: 400,
      body: { result: 'Invalid path, must be one of /create, /update, /delete or /reset' },
    });
    expect(await call('/o/apps/nope', { api_key: apiKey })).toEqual({
      status: 400,
      body: { result: 'Invalid path, must be one of /all, /mine, /details or /plugins' },
    });

    const member = await call('/i/users/create', {
      api_key: apiKey,
      args: JSON.stringify({ full_name: 'Reader', username: 'reader', password: 'Read3r#pass', email: 'reader@example.com', user_of: [appId] }),
    });
    expect(member.status).toBe(200);
    const reader = member.body as { api_key: string; password?: unknown; global_admin: boolean };
    expect(reader.password).toBeUndefined();
    expect(reader.global_admin).toBe(false);
    expect(await call('/i/apps/create', { args, api_key: reader.api_key })).toEqual({ status: 401, body: { result: 'User does not have right' } });
    expect(await call('/o/apps/all', { api_key: reader.api_key })).toEqual({ status: 401, body: { result: 'User does not have right' } });
    const mine = await call('/o/apps/mine', { api_key: reader.api_key });
    expect(mine.body).toMatchObject({ admin_of: {}, user_of: { [appId]: { name: 'Demo' } } });
  });

  it('6. /i/users/create reports duplicates and policy failures as arrays; /o/users/me hides the password', async () => {
    const dup = await call('/i/users/create', {
      api_key: apiKey,
      args: JSON.stringify({ full_name: 'A', username: 'reader', password: 'Read3r#pass', email: 'x@example.com' }),
    });
    expect(dup).toEqual({ status: 400, body: { result: ['Email or username already exists'] } });
    const weak = await call('/i/users/create', {
      api_key: apiKey,
      args: JSON.stringify({ full_name: 'A', username: 'weak', password: 'weakpassword', email: 'w@example.com' }),
    });
    expect(weak.status).toBe(400);
    expect(weak.body).toEqual({ result: ['password should have number', 'password should have upchar', 'password should have special character'] });
    const missing = await call('/i/users/create', { api_key: apiKey, args: JSON.stringify({ username: 'u' }) });
    expect(missing.body).toEqual({ result: ['Missing full_name argument', 'Missing password argument', 'Missing email argument'] });
    const me = await call('/o/users/me', { api_key: apiKey });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: ADMIN.username, api_key: apiKey, global_admin: true });
    expect((me.body as Record<string, unknown>).password).toBeUndefined();
  });

  it('7. the admin is created once: a second start with the same config keeps the same key', async () => {
    const again = await startTestTally({ config: tally.config });
    try {
      expect(await adminApiKey(again.url)).toBe(apiKey);
    } finally {
      await again.close();
    }
  });

  it('8. /o/ping, /healthz, unknown paths and methods answer as Countly does', async () => {
    expect(await (await fetch(`${tally.url}/o/ping`)).json()).toEqual({ result: 'Success' });
    const health = await fetch(`${tally.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', nats: { ok: true }, mongodb: { ok: true } });
    expect((await fetch(`${tally.url}/nowhere`)).status).toBe(400);
    const put = await fetch(`${tally.url}/i`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(await put.json()).toEqual({ result: 'Method not allowed' });
  });
});
