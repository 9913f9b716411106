// Rebuilds over HTTP (global admins). `GET /o/system/rebuilds`: every projection's pointer and
// its last rebuild, with progress. `/i/system/rebuild?action=start|cancel&projection=core`
// starts one in a processor process (over NATS: the API never runs processors) or cancels it.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CountlyReplyError, RelayedRefusalError, sendMessage, sendOutput } from '../http/index.ts';
import { listRebuilds, PROJECTIONS, readPointer, rebuildReply, requestRebuildCancel, type RebuildCommand } from '../projections/index.ts';
import { rebuildCommandSubject } from '../streams.config.ts';
import { requireGlobalAdmin } from './auth.ts';
import type { ApiContext } from './context.ts';
import { StreamUnavailableError } from './errors.ts';
import { actionOf, apiFamily, parseParams } from './http.ts';

export const rebuildParams = z.object({
  action: z.enum(['start', 'cancel']),
  projection: z.enum(PROJECTIONS),
  base: z.coerce.number().int().positive().optional(),
  from_seq: z.coerce.number().int().positive().optional(),
  /** ISO time or ms since epoch. */
  from_time: z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
});

async function rebuildsView(ctx: ApiContext) {
  const records = await listRebuilds(ctx.deps.db);
  return Promise.all(
    PROJECTIONS.map(async (projection) => ({
      projection,
      pointer: await readPointer(ctx.deps.db, projection),
      rebuild: records.find((r) => r._id === projection) ?? null,
    })),
  );
}

async function startRemote(ctx: ApiContext, cmd: RebuildCommand) {
  let raw: Uint8Array;
  try {
    raw = (
      await ctx.deps.nc.request(rebuildCommandSubject(ctx.deps.config.streams), JSON.stringify(cmd), { timeout: ctx.deps.config.api.rebuildCommandTimeoutMs })
    ).data;
  } catch (err) {
    throw new StreamUnavailableError('no processor answered the rebuild request; is a processor role running?', { cause: err });
  }
  return rebuildReply.parse(JSON.parse(new TextDecoder().decode(raw)));
}

export function registerRebuildRoutes(app: FastifyInstance, ctx: ApiContext): void {
  apiFamily(app, '/i/system', async (request, reply, params) => {
    if (actionOf(request) !== 'rebuild') throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path');
    await requireGlobalAdmin(ctx, request, params);
    const p = parseParams(rebuildParams, params);
    if (p.action === 'cancel') {
      if (!(await requestRebuildCancel(ctx.deps.db, p.projection, ctx.now())))
        throw new CountlyReplyError('TALLY_HTTP_NOT_FOUND', `No rebuild of ${p.projection} is running`);
      return sendMessage(request, reply, 200, 'Cancel requested');
    }
    if (p.from_seq !== undefined && p.from_time !== undefined)
      throw new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Give from_seq or from_time, not both');
    const from = p.from_seq !== undefined ? { seq: p.from_seq } : p.from_time !== undefined ? { timeMs: p.from_time } : undefined;
    const res = await startRemote(ctx, {
      projection: p.projection,
      ...(p.base === undefined ? {} : { base: p.base }),
      ...(from === undefined ? {} : { from }),
    });
    if (!res.ok) throw new RelayedRefusalError(res.statusCode >= 400 && res.statusCode < 600 ? res.statusCode : 500, res.message, { remoteCode: res.code });
    ctx.log.info({ projection: res.projection, version: res.version, resumed: res.resumed }, 'rebuild started over HTTP');
    return sendOutput(request, reply, params, {
      result: res.resumed ? 'Rebuild resumed' : 'Rebuild started',
      projection: res.projection,
      version: res.version,
    });
  });
}

export async function sendRebuilds(ctx: ApiContext): Promise<unknown> {
  return { rebuilds: await rebuildsView(ctx) };
}
