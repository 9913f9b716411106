// `tally rebuild` and `tally projections`: rebuild a projection from the stream in this process
// (with a progress bar), list versions, roll back, prune.
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import {
  describeProjection,
  LIVE_PIPELINES,
  livePipeline,
  pruneProjection,
  rollbackProjection,
  startRebuild,
  UnknownProjectionError,
  type LivePipeline,
  type ProcessorsDeps,
  type RebuildStart,
} from '../processors/index.ts';
import type { TallyConfig } from '../streams.config.ts';
import { progressPrinter } from './progress.ts';
import { connectAll, resolveServices } from './runtime.ts';
import { withRunningServices } from './services-cli.ts';

async function withDeps<T>(config: Readonly<TallyConfig>, log: Logger, work: (deps: ProcessorsDeps) => Promise<T>): Promise<T> {
  const { natsUrl, mongoUrl, services } = await resolveServices(withRunningServices(config), log);
  const conn = await connectAll(natsUrl, mongoUrl, config);
  try {
    return await work({ config, log, db: conn.db, nc: conn.nc, js: conn.js, jsm: conn.jsm });
  } finally {
    await conn.nc.drain();
    await conn.mongo.close();
    await Promise.all(services.map((s) => s.stop()));
  }
}

function pipelinesNamed(name: string | undefined): LivePipeline['pipeline'][] {
  if (name === undefined) throw new UnknownProjectionError(`name a projection (${LIVE_PIPELINES.map((p) => p.pipeline.name).join(', ')}) or all`);
  if (name === 'all') return LIVE_PIPELINES.map((p) => p.pipeline);
  const p = livePipeline(name);
  if (p === undefined) throw new UnknownProjectionError(`unknown projection ${name}; known: ${LIVE_PIPELINES.map((x) => x.pipeline.name).join(', ')}, all`);
  return [p.pipeline];
}

/** `--from 1234` is a stream sequence; anything else must parse as a date/time. */
export function parseFrom(value: string | undefined): RebuildStart['from'] {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return { seq: Number(value) };
  const timeMs = Date.parse(value);
  if (Number.isNaN(timeMs)) throw new Error(`--from ${value}: give a stream sequence or an ISO date/time`);
  return { timeMs };
}

export async function cmdRebuild(config: Readonly<TallyConfig>, log: Logger, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { from: { type: 'string' }, base: { type: 'string' } } });
  const pipelines = pipelinesNamed(positionals[0]);
  const from = parseFrom(values.from);
  const base = values.base === undefined ? undefined : Number(values.base);
  if (base !== undefined && !(Number.isInteger(base) && base > 0)) throw new Error(`--base ${values.base}: give a version number`);
  await withDeps(config, log, async (deps) => {
    for (const pipeline of pipelines) {
      const bar = progressPrinter(process.stderr, `${pipeline.name}`, config.rebuild.printProgressEveryMs);
      const h = await startRebuild({
        deps,
        pipeline,
        start: { ...(from === undefined ? {} : { from }), ...(base === undefined ? {} : { base }) },
        onProgress: (r) => bar.update(r),
      });
      process.stderr.write(
        `${h.resumed ? 'resuming' : 'building'} ${pipeline.name} version ${h.version} (Ctrl-C cancels; a killed rebuild resumes when started again)\n`,
      );
      const onSignal = () => h.cancel();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const r = await h.done;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const seconds = ((r.finishedAtMs ?? Date.now()) - r.startedAtMs) / 1_000;
      if (r.state === 'switched')
        bar.end(
          `${pipeline.name}: version ${r.version} is live (was ${r.switchedFrom ?? '?'}); ${r.done} events in ${seconds.toFixed(1)} s. Old version kept until \`tally projections prune\`.`,
        );
      else {
        bar.end(`${pipeline.name}: rebuild of version ${r.version} ${r.state}${r.error === null ? '' : `: ${r.error}`}`);
        process.exitCode = 1;
      }
    }
  });
}

export async function cmdProjections(config: Readonly<TallyConfig>, log: Logger, args: string[]): Promise<void> {
  const [sub = 'list', name = 'all'] = args;
  await withDeps(config, log, async (deps) => {
    for (const pipeline of pipelinesNamed(name)) {
      if (sub === 'list') {
        const info = await describeProjection(deps, pipeline);
        process.stdout.write(
          `${info.projection}: active v${info.pointer.active}${info.pointer.previous === null ? '' : `, previous v${info.pointer.previous}`}\n`,
        );
        for (const v of info.versions)
          process.stdout.write(
            `  v${v.version}  ${v.role.padEnd(10)} ${v.collections} collections, applied through seq ${v.appliedSeq}, ${v.appliedEvents} events\n`,
          );
        const r = info.rebuild;
        if (r !== null)
          process.stdout.write(`  last rebuild: v${r.version} ${r.state}, ${r.done}/${r.total} events${r.error === null ? '' : `, ${r.error}`}\n`);
      } else if (sub === 'prune') {
        const pruned = await pruneProjection(deps, pipeline);
        process.stdout.write(`${pipeline.name}: ${pruned.length === 0 ? 'nothing to prune' : `pruned ${pruned.map((v) => `v${v}`).join(', ')}`}\n`);
      } else if (sub === 'rollback') {
        const r = await rollbackProjection(deps, pipeline);
        process.stdout.write(`${pipeline.name}: readers now use v${r.to} (was v${r.from}); live processors resume it from its checkpoints\n`);
      } else {
        throw new Error('usage: tally projections list|prune|rollback [projection|all]');
      }
    }
  });
}
