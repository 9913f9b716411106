// Auth tokens (spec §4.1): verification with Countly's rules (endpoint and app restrictions,
// ttl, single use), and the parsing of `/i/token/create` parameters.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { consumeToken, findToken, type AuthToken, type TokenEndpoint } from '../projections/index.ts';
import type { ApiContext } from './context.ts';
import { QueryRefusedError } from './errors.ts';
import { jsonParam } from './keys.ts';
import { isPathPattern, isValuePattern, pathPatternMatches, valuePatternMatches } from './token-endpoints.ts';

const TOKEN_ID = /^[0-9a-f]{40}$/;

/** What a request offers a token: its path and parameters (for endpoint params and `app_id`). */
export interface TokenRequest {
  readonly path: string;
  readonly params: Readonly<Record<string, unknown>>;
}

function endpointAllows(endpoint: TokenEndpoint, req: TokenRequest): boolean {
  if (typeof endpoint === 'string') return pathPatternMatches(endpoint, req.path);
  if (!pathPatternMatches(endpoint.endpoint, req.path)) return false;
  return Object.entries(endpoint.params ?? {}).every(([name, pattern]) => {
    const value = req.params[name];
    return (typeof value === 'string' || typeof value === 'number') && valuePatternMatches(pattern, String(value));
  });
}

/** Whether the token's endpoint and app restrictions admit the request (its ttl aside). */
export function tokenAdmits(token: AuthToken, req: TokenRequest): boolean {
  const endpointOk = token.endpoint === '' || token.endpoint.length === 0 || token.endpoint.some((e) => endpointAllows(e, req));
  const appId = req.params.app_id;
  const appOk = token.app === '' || token.app.length === 0 || typeof appId !== 'string' || appId === '' || token.app.includes(appId);
  return endpointOk && appOk;
}

/** True while the token lives: ttl 0 never expires, otherwise until `ends` (unix s) inclusive. */
export const tokenAlive = (token: AuthToken, nowS: number): boolean => token.ttl === 0 || token.ends >= nowS;

/** Seconds a token has left: -1 never expires, 0 expired (as `/o/token/check` reports). */
export const tokenTimeLeftS = (token: AuthToken, nowS: number): number => (token.ttl === 0 ? -1 : Math.max(0, token.ends - nowS));

/**
 * Whether a token is limited: to apps or endpoints, in time, or to one use. Only an unlimited
 * token (what the member's api_key can do, until deleted) may manage tokens; a limited one
 * would otherwise mint a token wider than itself, or list the ids of wider ones.
 */
export const tokenIsLimited = (token: AuthToken): boolean => token.app.length > 0 || token.endpoint.length > 0 || token.ttl !== 0 || !token.multi;

/**
 * The token, when valid for this request, or undefined. A single-use token is
 * deleted by its first successful use (the delete decides races); an expired one is deleted too.
 */
export async function verifyToken(ctx: ApiContext, tokenId: string, req: TokenRequest): Promise<AuthToken | undefined> {
  if (!TOKEN_ID.test(tokenId)) return undefined;
  const token = await findToken(ctx.deps.db, tokenId);
  if (token === undefined || !tokenAdmits(token, req)) return undefined;
  const nowS = Math.floor(ctx.now() / 1000);
  if (!tokenAlive(token, nowS)) {
    await consumeToken(ctx.deps.db, tokenId);
    return undefined;
  }
  if (!token.multi && !(await consumeToken(ctx.deps.db, tokenId))) return undefined;
  return token;
}

/** A new token id: 40 hex characters, as Countly's. */
export const newTokenId = (): string => createHash('sha1').update(randomBytes(32)).digest('hex');

const csv = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const flag = z.union([z.boolean(), z.string()]).optional();

/** The parameters of `/i/token/create`; strings as a query string carries them. */
export const tokenCreateParams = z.object({
  ttl: z.union([z.string().regex(/^\d{1,10}$/), z.number().int().nonnegative()]).optional(),
  multi: flag,
  apps: z.string().max(5_000).optional(),
  endpoint: z.string().max(5_000).optional(),
  endpointquery: z.union([z.string().max(5_000), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  purpose: z.string().max(500).optional(),
});
export type TokenCreateParams = z.infer<typeof tokenCreateParams>;

const endpointQuery = z.union([
  z.array(z.union([z.string(), z.object({ endpoint: z.string(), params: z.record(z.string(), z.string()).optional() })])),
  z.object({ endpoint: z.string(), params: z.record(z.string(), z.string()).optional() }),
]);

function endpointsOf(p: TokenCreateParams): TokenEndpoint[] {
  if (p.endpointquery !== undefined && p.endpointquery !== '') {
    const parsed = jsonParam(p.endpointquery);
    const shaped = parsed.ok ? endpointQuery.safeParse(parsed.value) : undefined;
    if (shaped?.success !== true) throw new QueryRefusedError('Invalid parameter "endpointquery"');
    return Array.isArray(shaped.data) ? shaped.data : [shaped.data];
  }
  return p.endpoint === undefined ? [] : csv(p.endpoint);
}

/** Every pattern of an endpoint restriction is a literal path (or value) pattern; see token-endpoints.ts. */
function checkedEndpoints(endpoints: TokenEndpoint[], param: 'endpoint' | 'endpointquery'): TokenEndpoint[] {
  const ok = (e: TokenEndpoint) =>
    typeof e === 'string' ? isPathPattern(e) : isPathPattern(e.endpoint) && Object.values(e.params ?? {}).every(isValuePattern);
  if (!endpoints.every(ok)) throw new QueryRefusedError(`Invalid parameter "${param}"`);
  return endpoints;
}

/** The token to store for a create request of `owner` at `nowS`; `defaultTtlS` when the request names none. */
export function tokenToCreate(p: TokenCreateParams, owner: string, nowS: number, defaultTtlS: number): AuthToken {
  const ttl = p.ttl === undefined || p.ttl === '' ? defaultTtlS : Number(p.ttl);
  const apps = p.apps === undefined ? [] : csv(p.apps);
  if (apps.some((id) => !/^[0-9a-f]{24}$/.test(id))) throw new QueryRefusedError('Invalid parameter "apps"');
  const endpoints = checkedEndpoints(endpointsOf(p), p.endpointquery !== undefined && p.endpointquery !== '' ? 'endpointquery' : 'endpoint');
  return {
    _id: newTokenId(),
    ttl,
    ends: ttl + nowS,
    multi: !(p.multi === false || p.multi === 'false'),
    owner,
    app: apps.length === 0 ? '' : apps,
    endpoint: endpoints.length === 0 ? '' : endpoints,
    purpose: p.purpose ?? '',
    temporary: false,
  };
}
