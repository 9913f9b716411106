// `/i/apps/create` (spec §5.2): validate args, apply Countly's defaults, store, announce.
import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { CountlyReplyError } from '../http/index.ts';
import { appUsersCollection, ensureAppUserIndexes, findAppByKey, insertApp, type AppRecord, type MemberRecord } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { COUNTRY_CODES, TIMEZONES } from './countries.ts';
import type { Params } from './http.ts';
import { findUnsafeKey, jsonParam } from './keys.ts';

export const APP_DEFAULTS = { country: 'TR', timezone: 'Europe/Istanbul', category: '6', type: 'mobile' } as const;
export const APP_TYPES: ReadonlySet<string> = new Set(['mobile', 'web', 'desktop']);
export const CATEGORIES: ReadonlySet<string> = new Set(Array.from({ length: 20 }, (_, i) => String(i + 1)));

export const createArgs = z.looseObject({
  name: z.string().trim().min(1).max(200),
  country: z.unknown().optional(),
  timezone: z.unknown().optional(),
  category: z.unknown().optional(),
  type: z.unknown().optional(),
  key: z.string().min(1).max(200).optional(),
  checksum_salt: z.string().max(200).optional(),
  salt: z.string().max(200).optional(),
});

/** Parses `args` for app calls: Countly prefixes app errors with `Error: ` (spec §1.4). */
export function appArgs(params: Params): Record<string, unknown> {
  if (params.args === undefined || params.args === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', "Error: Missing 'args' parameter");
  const parsed = jsonParam(params.args);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', "Error: Missing 'args' parameter");
  }
  const bad = findUnsafeKey(parsed.value);
  if (bad !== undefined) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: Invalid key in args: ${bad}`);
  return { ...parsed.value };
}

const pick = (value: unknown, allowed: ReadonlySet<string>, fallback: string): string => (typeof value === 'string' && allowed.has(value) ? value : fallback);

/** Stores a new app from `/i/apps/create` parameters and announces it. */
export async function createApp(ctx: ApiContext, member: MemberRecord, params: Params): Promise<AppRecord> {
  const args = appArgs(params);
  const parsed = createArgs.safeParse(args);
  if (!parsed.success) {
    const cause = parsed.error;
    if (parsed.error.issues.some((i) => i.path[0] === 'name'))
      throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Error: Missing name argument', { cause });
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: ${parsed.error.issues.map((i) => `Invalid type for ${String(i.path[0])}`).join(',')}`, {
      cause,
    });
  }
  const a = parsed.data;
  const key = a.key ?? randomBytes(20).toString('hex');
  if ((await findAppByKey(ctx.deps.db, key)) !== undefined) throw new CountlyReplyError('TALLY_HTTP_ALREADY_EXISTS', 'App key already in use');
  const nowS = Math.floor(ctx.now() / 1000);
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
  await insertApp(ctx.deps.db, app);
  await ensureAppUserIndexes(ctx.deps.db, appUsersCollection(app._id.toHexString()));
  ctx.lookups.appChanged(app._id.toHexString());
  return app;
}
