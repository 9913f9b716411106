// The switch-over at the end of a rebuild: freeze → catch up → switch. The active version is
// frozen (live processors stop applying it), the rebuild's groups catch up with its final
// checkpoints, then the pointer moves. Reads see the frozen version until the switch and a
// version at least as far along after it, so they never go backwards. If the live processors
// do not let go in time, the freeze is lifted and the switch is tried again later.
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import {
  ensureReadIndexes,
  listCheckpoints,
  readPointer,
  setFreeze,
  switchPointer,
  updateRebuild,
  type Checkpoint,
  type ProjectionSwitched,
  type RebuildRecord,
} from '../projections/index.ts';
import { projectionSwitchedSubject, type TallyConfig } from '../streams.config.ts';
import { leaseHolder } from './lease.ts';
import { checkpointId, checkpointPrefix, groupOfCheckpointId } from './pipeline.ts';
import { versionDurables } from './rebuild-progress.ts';
import { sleep } from './sleep.ts';

/** How long the live processors get to release the frozen version's groups: 4 lease TTLs plus this, ms. */
const RELEASE_MARGIN_MS = 10_000;
/** How long the rebuild's groups get to catch up with the frozen version, ms. */
const CATCH_UP_TIMEOUT_MS = 60_000;
/** How often the switch re-checks a condition it waits for, ms. */
const POLL_MS = 100;

export interface SwitchOptions {
  readonly config: Readonly<TallyConfig>;
  readonly db: Db;
  readonly nc: NatsConnection;
  /** The lease bucket: the live groups' leases say whether they let go. */
  readonly kv: KV;
  readonly log: Logger;
  readonly pipeline: string;
  /** The rebuilt version. */
  readonly version: number;
  readonly signal: AbortSignal;
  /** Called once the active version is frozen: live processing pauses, so the rebuild need not yield. */
  readonly onFrozen: () => void;
}

async function waitUntil(signal: AbortSignal, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    if (await check()) return true;
    await sleep(POLL_MS);
  }
  return false;
}

/**
 * True when every checkpoint of the frozen version is complete and the rebuilt version's
 * checkpoint of the same group is complete and at least as far along.
 */
export function caughtUp(pipeline: string, version: number, frozen: readonly Checkpoint[], mine: readonly Checkpoint[]): boolean {
  const byId = new Map(mine.map((m) => [m._id, m]));
  return frozen.every((f) => {
    const group = groupOfCheckpointId(f._id);
    const m = group === undefined ? undefined : byId.get(checkpointId(pipeline, version, group));
    return f.pending === null && m !== undefined && m.seq >= f.seq && m.pending === null;
  });
}

/** Freezes, waits, switches: the record marked switched, or null when the switch is postponed. */
export async function switchOver(o: SwitchOptions): Promise<RebuildRecord | null> {
  const { config, db, pipeline, version } = o;
  await ensureReadIndexes(db, version);
  const old = (await readPointer(db, pipeline)).active;
  if (!(await setFreeze(db, pipeline, old, true))) return null;
  o.onFrozen();
  const announce = (v: number) =>
    o.nc.publish(projectionSwitchedSubject(config.streams), JSON.stringify({ projection: pipeline, version: v } satisfies ProjectionSwitched));
  announce(old);
  const oldDurables = versionDurables(config.streams, pipeline, old);
  const releasedBy = async () => (await Promise.all(oldDurables.map((d) => leaseHolder(o.kv, d)))).every((h) => h === undefined);
  const released = await waitUntil(o.signal, releasedBy, 4 * config.consumers.pinnedTtlMs + RELEASE_MARGIN_MS);
  const caughtUpWithOld = async () =>
    caughtUp(pipeline, version, await listCheckpoints(db, checkpointPrefix(pipeline, old)), await listCheckpoints(db, checkpointPrefix(pipeline, version)));
  const ready = released && (await waitUntil(o.signal, caughtUpWithOld, CATCH_UP_TIMEOUT_MS));
  if (!ready || !(await switchPointer(db, pipeline, old, version, Date.now()))) {
    o.log.warn({ old, released }, 'switch postponed: the live version did not pause or could not be caught up in time');
    await setFreeze(db, pipeline, old, false);
    announce(old);
    return null;
  }
  announce(version);
  o.log.info({ from: old }, 'pointer switched to the rebuilt version');
  return updateRebuild(db, pipeline, version, { state: 'switched', switchedFrom: old, finishedAtMs: Date.now(), updatedAtMs: Date.now(), etaS: 0 });
}
