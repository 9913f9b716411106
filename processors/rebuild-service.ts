// Rebuilds started over HTTP (`/i/system/rebuild`): the API cannot import processors, so it sends
// a request on the rebuild command subject and one processor process (a queue group) starts
// the rebuild in-process and replies once it is running, or with the refusal.
import { z } from 'zod';
import { rebuildCommand, TallyError, type RebuildReply } from '../projections/index.ts';
import { REBUILD_QUEUE, rebuildCommandSubject } from '../streams.config.ts';
import { RebuildCommandInvalidError, RebuildFailedError, UnknownProjectionError } from './errors.ts';
import type { LivePipeline, ProcessorsDeps } from './start-processors.ts';
import { startRebuild, type RebuildHandle } from './rebuild.ts';

export interface RebuildService {
  stop(): Promise<void>;
}

/** The reply that carries a refusal back to the API (which answers with its status and message). */
const refusalOf = (err: TallyError): RebuildReply => ({ ok: false, code: err.code, statusCode: err.statusCode ?? 500, message: err.message });

export function serveRebuildCommands(deps: ProcessorsDeps, pipelines: readonly LivePipeline[]): RebuildService {
  const running = new Set<RebuildHandle>();
  const log = deps.log.child({ component: 'rebuild-service' });

  async function handle(data: Uint8Array): Promise<RebuildReply> {
    try {
      const cmd = rebuildCommand.parse(JSON.parse(new TextDecoder().decode(data)));
      const entry = pipelines.find((p) => p.pipeline.name === cmd.projection);
      if (entry === undefined)
        throw new UnknownProjectionError(`unknown projection ${cmd.projection}; known: ${pipelines.map((p) => p.pipeline.name).join(', ')}`);
      const h = await startRebuild({
        deps,
        pipeline: entry.pipeline,
        start: { ...(cmd.base === undefined ? {} : { base: cmd.base }), ...(cmd.from === undefined ? {} : { from: cmd.from }) },
      });
      running.add(h);
      h.done
        .then(
          (r) => log.info({ projection: cmd.projection, version: r.version, state: r.state }, 'rebuild finished'),
          (err: unknown) => log.error({ err }, 'rebuild ended with an error'),
        )
        .finally(() => running.delete(h));
      return { ok: true, projection: cmd.projection, version: h.version, resumed: h.resumed };
    } catch (err) {
      // Decision: every refusal goes back to the caller as a typed reply; unexpected ones are logged too.
      if (err instanceof TallyError) return refusalOf(err);
      if (err instanceof z.ZodError || err instanceof SyntaxError) return refusalOf(new RebuildCommandInvalidError(err.message, { cause: err }));
      log.error({ err }, 'rebuild command failed');
      return refusalOf(new RebuildFailedError(err instanceof Error ? err.message : String(err), { cause: err }));
    }
  }

  const sub = deps.nc.subscribe(rebuildCommandSubject(deps.config.streams), {
    queue: REBUILD_QUEUE,
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'rebuild command subscription failed');
        return;
      }
      void handle(msg.data).then((reply) => msg.respond(JSON.stringify(reply)));
    },
  });

  return {
    async stop() {
      sub.unsubscribe();
      for (const h of running) h.cancel();
      await Promise.allSettled([...running].map((h) => h.done));
    },
  };
}
