// Token endpoints (spec §5.3): /i/token/create, /i/token/delete, /o/token/list, /o/token/check.
// All answer with the message writer, as Countly does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, sendMessage } from '../http/index.ts';
import { deleteOwnToken, findToken, insertToken, listTokens, type MemberRecord } from '../projections/index.ts';
import { requireCaller, requireMember, type Caller } from './auth.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, parseParams, type Params } from './http.ts';
import { tokenAlive, tokenCreateParams, tokenIsLimited, tokenTimeLeftS, tokenToCreate } from './tokens.ts';

/** `tokenid` of `/i/token/delete`, `token` of `/o/token/check`. */
export const tokenIdParams = z.object({ tokenid: z.string().max(100).optional(), token: z.string().max(100).optional() });

/** The member, when its credentials may manage tokens: an api_key or an unlimited token. */
function tokenManager(caller: Caller): MemberRecord {
  if (caller.token !== undefined && tokenIsLimited(caller.token))
    throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'A limited token cannot manage tokens');
  return caller.member;
}

async function tokenWrite(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params, action: string): Promise<FastifyReply> {
  switch (action) {
    case 'create': {
      const member = tokenManager(await requireCaller(ctx, request, params));
      const token = tokenToCreate(
        parseParams(tokenCreateParams, params),
        member._id.toHexString(),
        Math.floor(ctx.now() / 1000),
        ctx.deps.config.api.tokenTtlS,
      );
      await insertToken(ctx.deps.db, token);
      request.log.info({ owner: token.owner, ttl: token.ttl, multi: token.multi }, 'token created');
      return sendMessage(request, reply, 200, token._id);
    }
    case 'delete': {
      const member = tokenManager(await requireCaller(ctx, request, params));
      const { tokenid } = parseParams(tokenIdParams, params);
      if (tokenid === undefined || tokenid === '') throw new CountlyReplyError('TALLY_HTTP_TOKEN_ID_MISSING');
      return sendMessage(request, reply, 200, await deleteOwnToken(ctx.deps.db, tokenid, member._id.toHexString()));
    }
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /delete or /create');
  }
}

async function tokenRead(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, params: Params, action: string): Promise<FastifyReply> {
  switch (action) {
    case 'list': {
      const member = tokenManager(await requireCaller(ctx, request, params));
      return sendMessage(request, reply, 200, await listTokens(ctx.deps.db, member._id.toHexString()));
    }
    case 'check': {
      const { token: tokenId } = parseParams(tokenIdParams, params);
      if (tokenId === undefined || tokenId === '') throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "token"');
      const member = await requireMember(ctx, request, params);
      const token = await findToken(ctx.deps.db, tokenId);
      // Only the owner learns about a token; anyone else gets the answer for a missing one.
      const mine = token !== undefined && token.owner === member._id.toHexString() ? token : undefined;
      const nowS = Math.floor(ctx.now() / 1000);
      const valid = mine !== undefined && tokenAlive(mine, nowS);
      return sendMessage(request, reply, 200, { valid, time: mine === undefined ? 0 : tokenTimeLeftS(mine, nowS) });
    }
    default:
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path, must be one of /list');
  }
}

export function registerTokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/i/token', (request, reply, params) => tokenWrite(ctx, request, reply, params, actionOf(request)));
  apiFamily(app, '/o/token', (request, reply, params) => tokenRead(ctx, request, reply, params, actionOf(request)));
}
