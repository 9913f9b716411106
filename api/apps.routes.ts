// App management (spec §5.2): /i/apps/* and /o/apps/*.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CountlyReplyError, sendMessage, sendOutput } from '../http/index.ts';
import { appUsersCollection, findAppUsers, findMemberById, listApps, listMembers, type AppRecord, type MemberRecord } from '../projections/index.ts';
import { deleteAppFromArgs, resetAppFromArgs, updateAppFromArgs } from './app-admin.ts';
import { createApp } from './app-create.ts';
import { requireAppAdmin, requireGlobalAdmin, requireMember } from './auth.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, type Params } from './http.ts';
import { adminAppIds, isAppAdmin, readableAppIds } from './rights.ts';

/**
 * The App shape of /o/apps/mine and /o/apps/all. The app key (which lets anyone write data) and
 * the checksum salt go to the app's admins only; Countly shows both to every member of the app.
 */
function appListEntry(app: AppRecord, withSecrets: boolean): Record<string, unknown> {
  const entry = { _id: app._id.toHexString(), category: app.category, country: app.country, name: app.name, timezone: app.timezone };
  return withSecrets ? { ...entry, key: app.key, salt: app.salt ?? app.checksum_salt ?? '' } : entry;
}

const byId = (apps: readonly AppRecord[], viewer: MemberRecord): Record<string, unknown> =>
  Object.fromEntries(apps.map((a) => [a._id.toHexString(), appListEntry(a, isAppAdmin(viewer, a._id.toHexString()))]));

const appOutput = (app: AppRecord): Record<string, unknown> => ({ ...app, _id: app._id.toHexString() });

async function appWrite(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params, action: string): Promise<FastifyReply> {
  switch (action) {
    case 'create': {
      const created = await createApp(ctx, await requireGlobalAdmin(ctx, request, params), params);
      request.log.info({ appId: created._id.toHexString() }, 'app created');
      return sendOutput(request, reply, params, appOutput(created));
    }
    case 'update': {
      const member =
        params.app_id !== undefined && params.app_id !== '' ? await requireAppAdmin(ctx, request, params) : await requireGlobalAdmin(ctx, request, params);
      const result = await updateAppFromArgs(ctx, member, params);
      return result === 'Nothing changed' ? sendMessage(request, reply, 200, result) : sendOutput(request, reply, params, result);
    }
    case 'delete':
      await requireGlobalAdmin(ctx, request, params);
      await deleteAppFromArgs(ctx, params);
      return sendMessage(request, reply, 200, 'Success');
    case 'reset':
      await requireGlobalAdmin(ctx, request, params);
      await resetAppFromArgs(ctx, params);
      return sendMessage(request, reply, 200, 'Success');
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /create, /update, /delete or /reset');
  }
}

const memberBrief = (m: MemberRecord) => ({ _id: m._id.toHexString(), full_name: m.full_name, username: m.username });

async function latestSession(ctx: ApiContext, appId: string): Promise<number> {
  const [latest] = await findAppUsers(
    ctx.deps.db,
    appUsersCollection(appId),
    { ls: { $exists: true } },
    { sort: { ls: -1 }, projection: { _id: 0, ls: 1 }, skip: 0, limit: 1 },
  );
  return typeof latest?.ls === 'number' ? latest.ls : 0;
}

/** `/o/apps/details`: the app's ownership and dates, and who may see it. */
async function appDetails(ctx: ApiContext, appId: string): Promise<Record<string, unknown>> {
  const app = await ctx.lookups.appById(appId);
  if (app === undefined) throw new CountlyReplyError('TALLY_HTTP_UNKNOWN_APP_ID');
  const [owner, members, lastData] = await Promise.all([findMemberById(ctx.deps.db, app.owner), listMembers(ctx.deps.db), latestSession(ctx, appId)]);
  const admins = members.filter((m) => !m.global_admin && adminAppIds(m).includes(appId));
  const users = members.filter((m) => !m.global_admin && !adminAppIds(m).includes(appId) && readableAppIds(m).includes(appId));
  return {
    app: {
      owner: owner?.full_name ?? '',
      owner_id: app.owner,
      created_at: app.created_at,
      edited_at: app.edited_at,
      plugins: app.plugins ?? {},
      last_data: lastData,
      last_data_users: lastData,
    },
    global_admin: members.filter((m) => m.global_admin).map(memberBrief),
    admin: admins.map(memberBrief),
    user: users.map(memberBrief),
  };
}

async function appRead(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params, action: string): Promise<FastifyReply> {
  switch (action) {
    case 'all': {
      const admin = await requireGlobalAdmin(ctx, request, params);
      const apps = await listApps(ctx.deps.db);
      return sendOutput(request, reply, params, { admin_of: byId(apps, admin), user_of: byId(apps, admin) });
    }
    case 'mine': {
      const member = await requireMember(ctx, request, params);
      if (member.global_admin) {
        const apps = await listApps(ctx.deps.db);
        return sendOutput(request, reply, params, { admin_of: byId(apps, member), user_of: byId(apps, member) });
      }
      const [admin, user] = await Promise.all([listApps(ctx.deps.db, adminAppIds(member)), listApps(ctx.deps.db, readableAppIds(member))]);
      return sendOutput(request, reply, params, { admin_of: byId(admin, member), user_of: byId(user, member) });
    }
    case 'details': {
      await requireAppAdmin(ctx, request, params);
      const appId = typeof params.app_id === 'string' ? params.app_id : '';
      return sendOutput(request, reply, params, await appDetails(ctx, appId));
    }
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /all, /mine, /details or /plugins');
  }
}

export function registerAppRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/i/apps', (request, reply, params) => appWrite(ctx, request, reply, params, actionOf(request)));
  apiFamily(app, '/o/apps', (request, reply, params) => appRead(ctx, request, reply, params, actionOf(request)));
}
