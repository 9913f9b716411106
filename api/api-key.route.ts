// GET /api-key with HTTP Basic auth (spec §5.1): the member's API key as text, or 401 `-1`.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findMemberByUsername } from '../projections/index.ts';
import { bruteForceGuard } from './brute-force.ts';
import type { ApiContext } from './context.ts';
import { decoyHash, verifyPassword } from './passwords.ts';

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (m?.[1] === undefined) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function refuse(reply: FastifyReply): FastifyReply {
  return reply.code(401).header('WWW-Authenticate', 'Basic realm=Authorization Required').type('text/plain; charset=utf-8').send('-1');
}

export function registerApiKeyRoute(app: FastifyInstance, ctx: ApiContext): void {
  const deps = ctx.deps;
  const guard = bruteForceGuard(deps.db, 'api-key', deps.config.api, () => Math.floor(ctx.now() / 1000));
  app.get('/api-key', async (request, reply) => {
    const creds = basicCredentials(request.headers.authorization);
    if (creds === undefined) return refuse(reply);
    // Same work and answer whether or not the user exists. The attempt is counted before the
    // password is checked, so parallel attempts cannot outrun the counter.
    if (!(await guard.reserve(creds.user))) {
      request.log.warn({ user: creds.user }, 'api-key refused: user blocked');
      return refuse(reply);
    }
    const member = await findMemberByUsername(deps.db, creds.user);
    const ok = await verifyPassword(creds.password, member?.password ?? (await decoyHash()));
    if (member === undefined || !ok || member.locked) return refuse(reply);
    await guard.succeeded(creds.user);
    return reply.code(200).type('text/plain; charset=utf-8').send(member.api_key);
  });
}
