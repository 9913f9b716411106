// Members (spec §5.3, §9.1): /i/users/* and /o/users/*.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendMessage, sendOutput } from '../http/index.ts';
import { clearFailedLoginsOfUser, findMemberById, listMembers, readFailedLoginsOfUser, type MemberRecord } from '../projections/index.ts';
import { requireCaller, requireGlobalAdmin } from './auth.ts';
import { BRUTE_FORCE_PATHS, isBlocked } from './brute-force.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, parseParams, refuseHead, type Params } from './http.ts';
import { argErrors, deleteMembersFromArgs, memberArgs, updateMemberFromArgs } from './member-admin.ts';
import { createMember, newMemberSchema, publicMember } from './members.ts';
import { mailInvitation } from './member-mail.ts';

/** `user_id` of `/o/users/id`, `username` of `/o/users/reset_timeban`. */
export const userReadParams = z.object({ user_id: z.string().length(24).optional(), username: z.string().max(200).optional() });

async function userWrite(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params, action: string): Promise<FastifyReply> {
  switch (action) {
    case 'create': {
      await requireGlobalAdmin(ctx, request, params);
      const parsed = newMemberSchema.safeParse(memberArgs(params));
      if (!parsed.success) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', argErrors(parsed.error.issues), { cause: parsed.error });
      const result = await createMember(ctx.deps.db, parsed.data);
      if (!result.ok) throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', result.errors);
      request.log.info({ memberId: result.member._id.toHexString() }, 'member created');
      mailInvitation(ctx, result.member);
      return sendOutput(request, reply, params, publicMember(result.member));
    }
    case 'update':
      await updateMemberFromArgs(ctx, await requireGlobalAdmin(ctx, request, params), params);
      return sendMessage(request, reply, 200, 'Success');
    case 'delete':
      await deleteMembersFromArgs(ctx, await requireGlobalAdmin(ctx, request, params), params);
      return sendMessage(request, reply, 200, 'Success');
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /create, /update, /deleteOwnAccount or /delete');
  }
}

/** `/o/users/all` entries: no password, api_key or appSortList; plus brute-force state. */
async function listedMember(ctx: ApiContext, member: MemberRecord, caller: MemberRecord): Promise<Record<string, unknown>> {
  const { api_key: _key, appSortList: _sort, ...shown } = publicMember(member);
  const counters = await readFailedLoginsOfUser(ctx.deps.db, BRUTE_FORCE_PATHS, member.username);
  const nowS = Math.floor(ctx.now() / 1000);
  const blocked = Object.values(counters).some((c) => isBlocked(c, nowS, ctx.deps.config.api));
  return { ...shown, blocked, is_current_user: member._id.equals(caller._id) };
}

async function userRead(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params, action: string): Promise<FastifyReply> {
  switch (action) {
    case 'me': {
      // The api_key is shown to api_key callers only: a token, however limited, never reads it.
      const { member, token } = await requireCaller(ctx, request, params);
      const { api_key: _key, ...withoutKey } = publicMember(member);
      return sendOutput(request, reply, params, token === undefined ? publicMember(member) : withoutKey);
    }
    case 'all': {
      const caller = await requireGlobalAdmin(ctx, request, params);
      const members = await listMembers(ctx.deps.db);
      const entries = await Promise.all(members.map(async (m) => [m._id.toHexString(), await listedMember(ctx, m, caller)] as const));
      return sendOutput(request, reply, params, Object.fromEntries(entries));
    }
    case 'id': {
      const caller = await requireGlobalAdmin(ctx, request, params);
      const { user_id: userId } = parseParams(userReadParams, params);
      const member = userId === undefined ? undefined : await findMemberById(ctx.deps.db, userId);
      return sendOutput(request, reply, params, member === undefined ? {} : { [member._id.toHexString()]: await listedMember(ctx, member, caller) });
    }
    case 'reset_timeban': {
      // A write on a read path (as in Countly): HEAD must not run it.
      refuseHead(request);
      await requireGlobalAdmin(ctx, request, params);
      const { username } = parseParams(userReadParams, params);
      if (username === undefined || username === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "username"');
      await clearFailedLoginsOfUser(ctx.deps.db, BRUTE_FORCE_PATHS, username);
      request.log.info({ username }, 'brute-force block cleared');
      return sendOutput(request, reply, params, true);
    }
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /all or /me');
  }
}

export function registerUserRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/i/users', (request, reply, params) => userWrite(ctx, request, reply, params, actionOf(request)));
  apiFamily(app, '/o/users', (request, reply, params) => userRead(ctx, request, reply, params, actionOf(request)));
}
