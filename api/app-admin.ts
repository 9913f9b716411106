// `/i/apps/update`, `/i/apps/delete` and `/i/apps/reset` (spec §5.2). Resets and deletes are
// events on the stream (AppDataReset), published before the app document changes, so a request
// answered `Success` is never lost and a rebuild replays it.
import { z } from 'zod';
import { CountlyReplyError } from '../http/index.ts';
import {
  deleteApp,
  deleteEventManagement,
  findAppById,
  findAppByKey,
  removeAppFromMembers,
  updateApp,
  type AppRecord,
  type MemberRecord,
} from '../projections/index.ts';
import { appArgs, APP_TYPES, CATEGORIES } from './app-create.ts';
import { publishAppReset, type ResetPeriod } from './app-reset.ts';
import type { ApiContext } from './context.ts';
import { COUNTRY_CODES, TIMEZONES } from './countries.ts';
import type { Params } from './http.ts';

const APP_ID = /^[0-9a-f]{24}$/;
const RESET_PERIODS = ['reset', 'all', '1month', '3month', '6month', '1year', '2year'] as const;

/** The updatable fields of an app and their wire types (unknown keys are ignored, as Countly does). */
export const updateArgs = z.object({
  app_id: z.string(),
  name: z.string().max(200).optional(),
  type: z.string().optional(),
  category: z.union([z.string(), z.number()]).optional(),
  key: z.string().min(1).max(200).optional(),
  timezone: z.string().optional(),
  country: z.string().optional(),
  salt: z.string().max(200).optional(),
  checksum_salt: z.string().max(200).optional(),
  locked: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
});
type UpdateArgs = z.infer<typeof updateArgs>;

export const resetArgs = z.object({ app_id: z.string(), period: z.enum(RESET_PERIODS).optional() });

/** Parses app args with Countly's messages: `Error: Missing <f> argument`, `Error: Invalid type for <f>`. */
function argsOf<S extends z.ZodType>(schema: S, params: Params): z.infer<S> {
  const args = appArgs(params);
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((i) =>
      args[String(i.path[0])] === undefined ? `Missing ${String(i.path[0])} argument` : `Invalid type for ${String(i.path[0])}`,
    );
    throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Error: ${[...new Set(messages)].join(',')}`, { cause: parsed.error });
  }
  return parsed.data;
}

function appIdArg(appId: string): string {
  if (!APP_ID.test(appId)) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Error: Invalid type for app_id');
  return appId;
}

function invalidProps(a: UpdateArgs): string[] {
  const bad: string[] = [];
  if (a.country !== undefined && !COUNTRY_CODES.has(a.country)) bad.push('country');
  if (a.timezone !== undefined && !TIMEZONES.has(a.timezone)) bad.push('timezone');
  if (a.category !== undefined && !CATEGORIES.has(String(a.category))) bad.push('category');
  if (a.type !== undefined && !APP_TYPES.has(a.type)) bad.push('type');
  return bad;
}

function changesOf(a: UpdateArgs): Record<string, unknown> {
  const { app_id: _appId, category, locked, ...rest } = a;
  const changes: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (category !== undefined) changes.category = String(category);
  if (locked !== undefined) changes.locked = locked === true || locked === 'true';
  return changes;
}

/** Applies `/i/apps/update`; answers the applied changes, or the message of the first failure. */
export async function updateAppFromArgs(ctx: ApiContext, member: MemberRecord, params: Params): Promise<Record<string, unknown> | 'Nothing changed'> {
  const a = argsOf(updateArgs, params);
  const appId = appIdArg(a.app_id);
  if (!member.global_admin && appId !== params.app_id) throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'User does not have right');
  const changes = changesOf(a);
  if (Object.keys(changes).length === 0) return 'Nothing changed';
  if (a.name !== undefined && a.name.trim() === '') throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid app name');
  const bad = invalidProps(a);
  if (bad.length > 0) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid props: ${bad.join(',')}`);
  if ((await findAppById(ctx.deps.db, appId)) === undefined) throw new CountlyReplyError('TALLY_HTTP_APP_NOT_FOUND');
  const sameKey = a.key === undefined ? undefined : await findAppByKey(ctx.deps.db, a.key);
  if (sameKey !== undefined && sameKey._id.toHexString() !== appId) throw new CountlyReplyError('TALLY_HTTP_ALREADY_EXISTS', 'App key already in use');
  const applied = { ...changes, edited_at: Math.floor(ctx.now() / 1000) };
  await updateApp(ctx.deps.db, appId, applied);
  ctx.lookups.appChanged(appId);
  return applied;
}

async function unlockedApp(ctx: ApiContext, appId: string, missing: CountlyReplyError): Promise<AppRecord> {
  const app = await findAppById(ctx.deps.db, appId);
  if (app === undefined) throw missing;
  if (app.locked === true) throw new CountlyReplyError('TALLY_HTTP_APP_LOCKED', 'Application is locked');
  return app;
}

/** `/i/apps/delete`: the reset first (so nothing is left to fold), then the app and every right on it. */
export async function deleteAppFromArgs(ctx: ApiContext, params: Params): Promise<void> {
  const appId = appIdArg(argsOf(resetArgs, params).app_id);
  await unlockedApp(ctx, appId, new CountlyReplyError('TALLY_HTTP_APP_DELETE_NOT_FOUND'));
  await publishAppReset(ctx, appId, 'delete');
  await deleteApp(ctx.deps.db, appId);
  await removeAppFromMembers(ctx.deps.db, appId);
  await deleteEventManagement(ctx.deps.db, appId);
  ctx.lookups.appChanged(appId);
  ctx.lookups.memberChanged(appId);
  ctx.log.info({ appId }, 'app deleted');
}

/** `/i/apps/reset`: `reset` (default) and `all` wipe everything, `<N>month|year` keep recent months. */
export async function resetAppFromArgs(ctx: ApiContext, params: Params): Promise<void> {
  const a = argsOf(resetArgs, params);
  const appId = appIdArg(a.app_id);
  await unlockedApp(ctx, appId, new CountlyReplyError('TALLY_HTTP_APP_NOT_FOUND'));
  const period: ResetPeriod = a.period ?? 'reset';
  await publishAppReset(ctx, appId, period);
  if (period === 'reset') await updateApp(ctx.deps.db, appId, { seq: 0, edited_at: Math.floor(ctx.now() / 1000) });
  ctx.lookups.appChanged(appId);
}
