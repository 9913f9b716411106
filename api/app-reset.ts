// Publishes an AppDataReset to every partition subject of an app (spec §5.2 reset/delete), so
// each partition applies it in order with its own events and a rebuild reproduces it. Ids are
// deterministic per (app, time, partition): a retried request at the same instant is stored once.
import { publishAll } from '../ingest/index.ts';
import type { AppDataReset } from '../projections/index.ts';
import { eventSubject } from '../streams.config.ts';
import type { ApiContext } from './context.ts';

export type ResetPeriod = AppDataReset['period'];

/** The envelopes of one reset, one per partition. */
export function resetEnvelopes(appId: string, period: ResetPeriod, atMs: number, partitions: number): AppDataReset[] {
  return Array.from({ length: partitions }, (_, partition) => ({
    v: 1,
    type: 'AppDataReset',
    id: `reset:${appId}:${atMs}:${partition}`,
    appId,
    period,
    atMs,
    partition,
  }));
}

/** Publishes the reset and resolves once every partition's copy is acknowledged (503 otherwise). */
export async function publishAppReset(ctx: ApiContext, appId: string, period: ResetPeriod): Promise<void> {
  const { streams, ingest } = ctx.deps.config;
  const events = resetEnvelopes(appId, period, ctx.now(), streams.partitions);
  await publishAll(
    ctx.deps.js,
    events.map((event) => ({ subject: eventSubject(streams, appId, event.partition), event })),
    { timeoutMs: ingest.publishTimeoutMs },
  );
  ctx.log.info({ appId, period, partitions: events.length }, 'app data reset published');
}
