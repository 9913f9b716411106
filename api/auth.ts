// Credentials and validators in Countly's order (spec §4.1–4.2). Every validator first finds
// the caller: a valid token wins over `api_key`; an invalid token falls back to `api_key`;
// without either the answer is 400. Then each adds its own checks in the spec's order.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppRecord, AuthToken, MemberRecord } from '../projections/index.ts';
import { CountlyReplyError } from '../http/index.ts';
import type { ApiContext } from './context.ts';
import { routedPath } from './http.ts';
import { hasRight, isAppAdmin, narrowToApps, type Right } from './rights.ts';
import { verifyToken } from './tokens.ts';

type Params = Readonly<Record<string, unknown>>;

/** Credential parameters; a value of another type counts as absent. */
export const credentialParams = z.object({
  api_key: z
    .union([z.string().max(200), z.number().transform(String)])
    .optional()
    .catch(undefined),
  auth_token: z.string().max(200).optional().catch(undefined),
});

function tokenOf(request: FastifyRequest, params: Params): string | undefined {
  const header = request.headers['countly-token'];
  const given = credentialParams.parse(params).auth_token ?? (typeof header === 'string' ? header : undefined);
  return given === '' ? undefined : given;
}

function apiKeyOf(params: Params): string | undefined {
  const key = credentialParams.parse(params).api_key;
  return key === '' ? undefined : key;
}

/** Who calls: the member as the credentials allow it, and the token when one authenticated the request. */
export interface Caller {
  /** Narrowed to the token's apps when the token is app-limited (see `narrowToApps`). */
  readonly member: MemberRecord;
  readonly token: AuthToken | undefined;
}

/** The caller: 400 without credentials or with only an invalid token, 401 when unknown. */
export async function authenticate(ctx: ApiContext, request: FastifyRequest, params: Params): Promise<Caller> {
  const tokenId = tokenOf(request, params);
  const token = tokenId === undefined ? undefined : await verifyToken(ctx, tokenId, { path: routedPath(request), params });
  if (token !== undefined) {
    const owner = existing(await ctx.lookups.memberById(token.owner));
    // An app-limited token carries its member's rights on those apps only, wherever it is used.
    return { member: token.app === '' || token.app.length === 0 ? owner : narrowToApps(owner, token.app), token };
  }
  const apiKey = apiKeyOf(params);
  if (apiKey === undefined) throw new CountlyReplyError(tokenId === undefined ? 'TALLY_HTTP_MISSING_CREDENTIALS' : 'TALLY_HTTP_INVALID_TOKEN');
  return { member: existing(await ctx.lookups.memberByApiKey(apiKey)), token: undefined };
}

const callerOf = async (ctx: ApiContext, request: FastifyRequest, params: Params): Promise<MemberRecord> => (await authenticate(ctx, request, params)).member;

function existing(member: MemberRecord | undefined): MemberRecord {
  if (member === undefined) throw new CountlyReplyError('TALLY_HTTP_UNKNOWN_USER');
  return member;
}

function notLocked(member: MemberRecord): MemberRecord {
  if (member.locked) throw new CountlyReplyError('TALLY_HTTP_USER_LOCKED');
  return member;
}

const appIdOf = (params: Params): string | undefined => (typeof params.app_id === 'string' && params.app_id !== '' ? params.app_id : undefined);

/** Any member (`/o/users/me`, `/o/apps/mine`, tokens, versions). */
export async function requireMember(ctx: ApiContext, request: FastifyRequest, params: Params): Promise<MemberRecord> {
  return notLocked(await callerOf(ctx, request, params));
}

/** Any member, with the token it used (routes whose answer depends on how the caller signed in). */
export async function requireCaller(ctx: ApiContext, request: FastifyRequest, params: Params): Promise<Caller> {
  const caller = await authenticate(ctx, request, params);
  notLocked(caller.member);
  return caller;
}

/** Global admins only; the right is checked before the lock. */
export async function requireGlobalAdmin(ctx: ApiContext, request: FastifyRequest, params: Params): Promise<MemberRecord> {
  const member = await callerOf(ctx, request, params);
  if (!member.global_admin) throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'User does not have right');
  return notLocked(member);
}

/** Global admins, or admins of the request's `app_id` (`permission._.a`). */
export async function requireAppAdmin(ctx: ApiContext, request: FastifyRequest, params: Params): Promise<MemberRecord> {
  const member = await callerOf(ctx, request, params);
  if (!member.global_admin) {
    const appId = appIdOf(params);
    if (appId === undefined) throw new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'No app id provided');
    if (!isAppAdmin(member, appId)) throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'User does not have right');
  }
  return notLocked(member);
}

export interface AppAccess {
  readonly member: MemberRecord;
  readonly app: AppRecord;
}

/** `right` (read by default) on `feature` of the request's app, which must exist. */
export async function requireAppRight(ctx: ApiContext, request: FastifyRequest, params: Params, feature: string, right: Right = 'r'): Promise<AppAccess> {
  const member = await callerOf(ctx, request, params);
  const appId = appIdOf(params);
  if (appId === undefined) throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'No app_id provided');
  if (!hasRight(member, right, appId, feature)) throw new CountlyReplyError('TALLY_HTTP_NOT_AUTHORIZED', 'User does not have right');
  notLocked(member);
  const app = await ctx.lookups.appById(appId);
  if (app === undefined) throw new CountlyReplyError('TALLY_HTTP_UNKNOWN_APP_ID');
  return { member, app };
}
