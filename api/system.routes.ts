// `/o/system/version` (output writer) and `/o/countly_version` (message writer), any member;
// `/o/system/pipeline` (global admin): consumer groups, lag, last flush, dead letters, mail counters;
// `/o/system/rebuilds` (global admin): projection pointers and rebuild progress.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { CountlyReplyError, sendMessage, sendOutput } from '../http/index.ts';
import { readMailStats, StoreUnavailableError } from '../projections/index.ts';
import { requireGlobalAdmin, requireMember } from './auth.ts';
import { pipelineStatus } from './pipeline-status.ts';
import { sendRebuilds } from './rebuild.routes.ts';
import type { ApiContext } from './context.ts';
import { actionOf, apiFamily, apiRoute } from './http.ts';

/** Tally's package version, read once at registration. */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

async function mongoVersion(ctx: ApiContext): Promise<string> {
  try {
    const info = await ctx.deps.db.command({ buildInfo: 1 });
    return typeof info.version === 'string' ? info.version : '';
  } catch (err) {
    throw new StoreUnavailableError('buildInfo failed', { cause: err });
  }
}

export function registerSystemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const version = packageVersion();
  apiFamily(app, '/o/system', async (request, reply, params) => {
    const action = actionOf(request);
    if (action === 'pipeline') {
      await requireGlobalAdmin(ctx, request, params);
      // `mail`: delivery counters of every process (queued, sent, retried, failed, outbox).
      return sendOutput(request, reply, params, {
        consumers: await pipelineStatus(ctx.deps.config, ctx.deps.db, ctx.deps.nc),
        mail: await readMailStats(ctx.deps.db),
      });
    }
    if (action === 'rebuilds') {
      await requireGlobalAdmin(ctx, request, params);
      return sendOutput(request, reply, params, await sendRebuilds(ctx));
    }
    if (action !== 'version') throw new CountlyReplyError('TALLY_HTTP_INVALID_PATH', 'Invalid path');
    await requireMember(ctx, request, params);
    return sendOutput(request, reply, params, { version });
  });
  apiRoute(app, '/o/countly_version', async (request, reply, params) => {
    await requireMember(ctx, request, params);
    return sendMessage(request, reply, 200, { mongo: await mongoVersion(ctx), pkg: version });
  });
}
