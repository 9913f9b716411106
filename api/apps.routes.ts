// App management (spec §5.2): /i/apps/* and /o/apps/*.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { CountlyReplyError, requestParams, sendJsonText, sendMessage } from '../ingest/index.ts';
import { findAppByKey, insertApp, listApps, type AppRecord, type MemberRecord } from '../projections/index.ts';
import { appChangedSubject } from '../streams.config.ts';
import { adminAppIds, readableAppIds, requireGlobalAdmin, requireMember } from './auth.ts';
import { COUNTRY_CODES, TIMEZONES } from './countries.ts';
import type { ApiDeps } from './deps.ts';
import { findUnsafeKey, jsonParam } from './keys.ts';

const APP_DEFAULTS = { country: 'TR', timezone: 'Europe/Istanbul', category: '6', type: 'mobile' } as const;
const APP_TYPES = new Set(['mobile', 'web', 'desktop']);
const CATEGORIES = new Set(Array.from({ length: 20 }, (_, i) => String(i + 1)));

const createArgs = z.looseObject({
  name: z.string().trim().min(1),
  country: z.unknown().optional(),
  timezone: z.unknown().optional(),
  category: z.unknown().optional(),
  type: z.unknown().optional(),
  key: z.string().min(1).max(200).optional(),
  checksum_salt: z.string().max(200).optional(),
  salt: z.string().max(200).optional(),
});

/** Parses `args` for app calls: Countly prefixes app errors with `Error: ` (spec §1.4). */
function appArgs(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (params.args === undefined || params.args === '') throw new CountlyReplyError(400, "Error: Missing 'args' parameter");
  const parsed = jsonParam(params.args);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new CountlyReplyError(400, "Error: Missing 'args' parameter");
  }
  const bad = findUnsafeKey(parsed.value);
  if (bad !== undefined) throw new CountlyReplyError(400, `Error: Invalid key in args: ${bad}`);
  return { ...parsed.value };
}

const pick = <T extends string>(value: unknown, allowed: ReadonlySet<string>, fallback: T): string =>
  typeof value === 'string' && allowed.has(value) ? value : fallback;

/** The App shape of /o/apps/mine and /o/apps/all. */
function appListEntry(app: AppRecord): Record<string, unknown> {
  return { _id: app._id.toHexString(), category: app.category, country: app.country, key: app.key, name: app.name, timezone: app.timezone, salt: app.salt ?? app.checksum_salt ?? '' };
}

function byId(apps: readonly AppRecord[]): Record<string, unknown> {
  return Object.fromEntries(apps.map((a) => [a._id.toHexString(), appListEntry(a)]));
}

async function createApp(deps: ApiDeps, member: MemberRecord, params: Readonly<Record<string, unknown>>): Promise<AppRecord> {
  const args = appArgs(params);
  const parsed = createArgs.safeParse(args);
  if (!parsed.success) {
    const missingName = parsed.error.issues.some((i) => i.path[0] === 'name');
    throw new CountlyReplyError(400, missingName ? 'Error: Missing name argument' : `Error: ${parsed.error.issues.map((i) => `Invalid type for ${String(i.path[0])}`).join(',')}`);
  }
  const a = parsed.data;
  const key = a.key ?? randomBytes(20).toString('hex');
  if ((await findAppByKey(deps.db, key)) !== undefined) throw new CountlyReplyError(400, 'App key already in use');
  const nowS = Math.floor(Date.now() / 1000);
  const app: AppRecord = {
    ...args,
    _id: new ObjectId(),
    name: a.name,
    key,
    country: pick(a.country, COUNTRY_CODES, APP_DEFAULTS.country),
    timezone: pick(a.timezone, TIMEZONES, APP_DEFAULTS.timezone),
    category: pick(typeof a.category === 'number' ? String(a.category) : a.category, CATEGORIES, APP_DEFAULTS.category),
    type: pick(a.type, APP_TYPES, APP_DEFAULTS.type),
    created_at: nowS,
    edited_at: nowS,
    owner: member._id.toHexString(),
    seq: 0,
    has_image: false,
  };
  await insertApp(deps.db, app);
  deps.nc.publish(appChangedSubject(deps.config.streams), app._id.toHexString());
  return app;
}

function appOutput(app: AppRecord): Record<string, unknown> {
  return { ...app, _id: app._id.toHexString() };
}

export function registerAppRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const write = async (request: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    const params = requestParams(request);
    if (request.params.action !== 'create') {
      throw new CountlyReplyError(400, 'Invalid path, must be one of /create, /update, /delete or /reset');
    }
    const member = await requireGlobalAdmin(deps.db, params);
    const created = await createApp(deps, member, params);
    request.log.info({ appId: created._id.toHexString() }, 'app created');
    return sendJsonText(request, reply, 200, JSON.stringify(appOutput(created)));
  };
  const read = async (request: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    const params = requestParams(request);
    const action = request.params.action;
    if (action === 'all') {
      await requireGlobalAdmin(deps.db, params);
      const apps = await listApps(deps.db);
      return sendJsonText(request, reply, 200, JSON.stringify({ admin_of: byId(apps), user_of: byId(apps) }));
    }
    if (action === 'mine') {
      const member = await requireMember(deps.db, params);
      if (member.global_admin) {
        const apps = await listApps(deps.db);
        return sendJsonText(request, reply, 200, JSON.stringify({ admin_of: byId(apps), user_of: byId(apps) }));
      }
      const [admin, user] = await Promise.all([listApps(deps.db, adminAppIds(member)), listApps(deps.db, readableAppIds(member))]);
      return sendJsonText(request, reply, 200, JSON.stringify({ admin_of: byId(admin), user_of: byId(user) }));
    }
    return sendMessage(request, reply, 400, 'Invalid path, must be one of /all, /mine, /details or /plugins');
  };
  app.route({ method: ['GET', 'POST'], url: '/i/apps/:action', handler: write });
  app.route({ method: ['GET', 'POST'], url: '/o/apps/:action', handler: read });
}
