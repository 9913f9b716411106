// Members (spec §5.3): /i/users/create and /o/users/me; the rest arrives with the management issue.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CountlyReplyError, requestParams, sendJsonText } from '../ingest/index.ts';
import { requireGlobalAdmin, requireMember } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { findUnsafeKey, jsonParam } from './keys.ts';
import { createMember, newMemberSchema, publicMember } from './members.ts';

/** Member calls answer errors as a JSON array in `result` (spec §1.4). */
function memberArgs(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const parsed = jsonParam(params.args);
  if (params.args === undefined || !parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new CountlyReplyError(400, ["Missing 'args' parameter"]);
  }
  const bad = findUnsafeKey(parsed.value);
  if (bad !== undefined) throw new CountlyReplyError(400, [`Invalid key in args: ${bad}`]);
  return { ...parsed.value };
}

function argErrors(issues: readonly { path: readonly PropertyKey[]; code: string; input?: unknown }[]): string[] {
  return issues.map((i) => {
    const field = String(i.path[0] ?? 'args');
    return i.input === undefined ? `Missing ${field} argument` : `Invalid type for ${field}`;
  });
}

export function registerUserRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const write = async (request: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    const params = requestParams(request);
    if (request.params.action !== 'create') {
      throw new CountlyReplyError(400, 'Invalid path, must be one of /create, /update, /deleteOwnAccount or /delete');
    }
    await requireGlobalAdmin(deps.db, params);
    const parsed = newMemberSchema.safeParse(memberArgs(params));
    if (!parsed.success) throw new CountlyReplyError(400, argErrors(parsed.error.issues));
    const result = await createMember(deps.db, parsed.data);
    if (!result.ok) throw new CountlyReplyError(400, result.errors);
    request.log.info({ memberId: result.member._id.toHexString() }, 'member created');
    return sendJsonText(request, reply, 200, JSON.stringify(publicMember(result.member)));
  };
  const read = async (request: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    const params = requestParams(request);
    if (request.params.action !== 'me') throw new CountlyReplyError(400, 'Invalid path, must be one of /all or /me');
    const member = await requireMember(deps.db, params);
    return sendJsonText(request, reply, 200, JSON.stringify(publicMember(member)));
  };
  app.route({ method: ['GET', 'POST'], url: '/i/users/:action', handler: write });
  app.route({ method: ['GET', 'POST'], url: '/o/users/:action', handler: read });
}
