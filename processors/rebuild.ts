// A rebuild folds the event stream into a new projection version with the live engine
// (startGroupRunner: same folds, same journal/claim/apply path, larger batches), while live
// processors keep writing the active version. When every group is within `switchLagEvents` of
// the head, the pointer moves to the new version in one compare-and-set; the rebuild then
// releases its groups and the live processors, following the pointer, continue the new version
// from the rebuild's checkpoints. One rebuild per projection runs at a time (a KV lease); a
// crashed one resumes from its checkpoints when started again.
import { randomUUID } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import {
  ensureReadIndexes,
  listCheckpoints,
  listVersionCollections,
  readPointer,
  readRebuild,
  setFreeze,
  saveRebuild,
  switchPointer,
  updateRebuild,
  dropCollections,
  deleteCheckpoints,
  FirstWrites,
  type ProjectionSwitched,
  type RebuildProgress,
  type RebuildRecord,
} from '../projections/index.ts';
import { consumerName, eventsStreamName, projectionSwitchedSubject } from '../streams.config.ts';
import { consumerInfoIfAny, ensureGroupConsumer } from './consumers.ts';
import { RebuildBusyError } from './errors.ts';
import { startGroupRunner, type GroupRunner } from './group-runner.ts';
import { openLeaseBucket, tryAcquireLease, leaseHolder, type Lease } from './lease.ts';
import { leaseBucketName, type LivePipeline, type ProcessorsDeps } from './start-processors.ts';
import { Semaphore } from './semaphore.ts';
import { checkpointPrefix, targetFor, type Target } from './pipeline.ts';
import { nextVersion, planStart, seedVersion, type RebuildStart } from './rebuild-plan.ts';
import { sleep } from './sleep.ts';

export interface RebuildOptions {
  readonly deps: ProcessorsDeps;
  readonly pipeline: LivePipeline['pipeline'];
  readonly start?: RebuildStart;
  /** Called after every progress measurement. */
  readonly onProgress?: (record: RebuildRecord) => void;
}

export interface RebuildHandle {
  readonly version: number;
  readonly resumed: boolean;
  /** Resolves with the final record (state `switched`, `cancelled` or `failed`). */
  readonly done: Promise<RebuildRecord>;
  /** Stops the rebuild and marks it cancelled. */
  cancel(): void;
}

export const rebuildLeaseKey = (pipeline: string): string => `rebuild_${pipeline}`;

/**
 * The rebuild lease, waiting up to two TTLs: a rebuild killed a moment ago still holds it until
 * its key expires, and starting again right away must resume it rather than fail.
 */
async function acquireRebuildLease(kv: KV, key: string, owner: string, ttlMs: number, log: ProcessorsDeps['log']): Promise<Lease | undefined> {
  const deadline = Date.now() + 2 * ttlMs;
  for (;;) {
    const lease = await tryAcquireLease(kv, key, owner, ttlMs, log);
    if (lease !== undefined || Date.now() > deadline) return lease;
    await sleep(Math.max(100, Math.floor(ttlMs / 5)));
  }
}

/** Takes the rebuild lease, plans and seeds the version, and starts folding. Throws RebuildBusyError / RebuildRefusedError. */
export async function startRebuild(o: RebuildOptions): Promise<RebuildHandle> {
  const { deps, pipeline } = o;
  const { config, db, log: parentLog } = deps;
  const kv = await openLeaseBucket(deps.nc, leaseBucketName(config), config.consumers.pinnedTtlMs);
  const owner = `${process.pid}-${randomUUID()}`;
  const lease = await acquireRebuildLease(kv, rebuildLeaseKey(pipeline.name), owner, config.consumers.pinnedTtlMs, parentLog);
  if (lease === undefined) {
    throw new RebuildBusyError(`a rebuild of ${pipeline.name} is already running (held by ${(await leaseHolder(kv, rebuildLeaseKey(pipeline.name))) ?? 'another process'})`);
  }
  try {
    const prior = await readRebuild(db, pipeline.name);
    const resumed = prior?.state === 'running' || prior?.state === 'failed';
    const versions = { db, pipeline: pipeline.name, owns: (l: string) => pipeline.owns(l) };
    let record: RebuildRecord;
    if (resumed) {
      record = { ...prior, state: 'running', error: null, finishedAtMs: null, owner, cancelRequested: false, updatedAtMs: Date.now() };
    } else {
      const { fromSeq } = await planStart({ ...versions, config, jsm: deps.jsm, start: o.start ?? {} });
      const version = await nextVersion(versions, prior);
      const nowMs = Date.now();
      record = {
        _id: pipeline.name, projection: pipeline.name, version, base: o.start?.base ?? null, state: 'running', seeded: false, fromSeq, owner,
        startedAtMs: nowMs, updatedAtMs: nowMs, finishedAtMs: null, done: 0, total: 0, ratePerS: 0, etaS: null, cancelRequested: false, error: null, switchedFrom: null,
      };
    }
    await saveRebuild(db, record);
    if (!record.seeded) {
      // A crash while seeding leaves a partial copy: start the version over.
      await dropCollections(db, (await listVersionCollections(db, versions.owns)).get(record.version) ?? []);
      await deleteCheckpoints(db, checkpointPrefix(pipeline.name, record.version));
      const plan = await planStart({ ...versions, config, jsm: deps.jsm, start: { ...(record.base === null ? {} : { base: record.base }), from: { seq: record.fromSeq } } });
      await seedVersion({ ...versions, config, version: record.version, ...(record.base === null ? {} : { base: record.base }), fromSeq: plan.fromSeq, baseCheckpoints: plan.baseCheckpoints });
      record = (await updateRebuild(db, pipeline.name, record.version, { seeded: true })) ?? record;
    }
    const log = parentLog.child({ rebuild: pipeline.name, version: record.version });
    log.info({ resumed, base: record.base, fromSeq: record.fromSeq }, resumed ? 'rebuild resumed' : 'rebuild started');
    return run(o, record, { kv, lease }, resumed, log);
  } catch (err) {
    await lease.release();
    throw err;
  }
}

/** The target of a group that knows what it has written: documents it never wrote are absent. */
function withFirstWrites(target: Target, firstWrites: FirstWrites | undefined): Target {
  if (firstWrites === undefined) return target;
  return { ...target, absent: (collection, id) => firstWrites.isNew(collection, id) };
}

/** The lease bucket (also holding the groups' leases) and the rebuild lease taken from it. */
interface Held {
  readonly kv: KV;
  readonly lease: Lease;
}

function run(o: RebuildOptions, initial: RebuildRecord, held: Held, resumed: boolean, log: ProcessorsDeps['log']): RebuildHandle {
  const { deps, pipeline } = o;
  const { config, db } = deps;
  const stream = eventsStreamName(config.streams);
  const version = initial.version;
  const groups = config.streams.partitionGroups;
  const durables = Array.from({ length: groups }, (_, g) => consumerName(config.streams, `${pipeline.name}_v${version}`, g));
  const abort = new AbortController();
  let runners: GroupRunner[] = [];
  const { kv } = held;
  let lease = held.lease;

  /**
   * The rebuild lease after a refresh was missed (a long stall of this process or of the
   * server): taken again when its key expired and nobody took it meanwhile, else the rebuild
   * stops. Another rebuild process could only have taken it through the key, so holding it
   * again means none did.
   */
  async function keepLease(): Promise<void> {
    if (lease.held()) return;
    await lease.release();
    const again = await tryAcquireLease(kv, rebuildLeaseKey(pipeline.name), initial.owner, config.consumers.pinnedTtlMs, log);
    if (again === undefined) throw new RebuildBusyError(`lost the rebuild lease of ${pipeline.name}`);
    log.warn('rebuild lease refreshed late; taken again');
    lease = again;
  }

  // A version started here with no base begins empty, so each group knows which documents it
  // has written (each document has one owning group); a resumed or based one may hold anything.
  const firstWrites = !resumed && initial.base === null ? Array.from({ length: groups }, () => new FirstWrites()) : [];

  async function startRunners(): Promise<void> {
    const flushes = new Semaphore(config.rebuild.maxConcurrentFlushes);
    const share = config.rebuild.flushShare;
    for (let g = 0; g < groups; g++) {
      const durable = durables[g] ?? '';
      await ensureGroupConsumer(deps.jsm, config, durable, g, config.rebuild.batchSize);
      runners.push(
        startGroupRunner({
          ...deps, kv, pipeline, group: g, durable, flushes, owner: initial.owner, log,
          target: withFirstWrites(targetFor(version, g, groups), firstWrites[g]),
          batchSize: config.rebuild.batchSize,
          batchWaitMs: config.rebuild.batchWaitMs,
          firstWrites: firstWrites[g],
          cutWhenCaughtUp: true,
          // Paced only while live processing has work: alone, a rebuild runs flat out.
          pauseAfterMs: (busyMs) => (share >= 1 || !liveBusy ? 0 : (busyMs * (1 - share)) / share),
        }),
      );
    }
  }

  async function remaining(): Promise<number> {
    let sum = 0;
    for (const d of durables) {
      const info = await deps.jsm.consumers.info(stream, d);
      sum += info.num_pending + info.num_ack_pending;
    }
    return sum;
  }

  /** True while the live version's consumers have events to apply (refreshed with progress). */
  let liveBusy = false;
  async function refreshLiveBusy(): Promise<void> {
    const pointer = await readPointer(db, pipeline.name);
    const active = pointer.active;
    if (pointer.freeze === active) {
      liveBusy = false; // paused for our switch: catch up flat out
      return;
    }
    let pending = 0;
    for (let g = 0; g < groups; g++) {
      // A live consumer that does not exist yet has nothing pending.
      const info = await consumerInfoIfAny(deps.jsm, stream, consumerName(config.streams, `${pipeline.name}_v${active}`, g));
      pending += info === undefined ? 0 : info.num_pending + info.num_ack_pending;
    }
    liveBusy = pending > 0;
  }

  async function measure(prev: { done: number; atMs: number; ratePerS: number }): Promise<RebuildProgress & { atMs: number; lag: number }> {
    const cps = await listCheckpoints(db, checkpointPrefix(pipeline.name, version));
    const done = cps.reduce((s, cp) => s + cp.appliedEvents + cp.deadLetters, 0);
    const lag = await remaining();
    const atMs = Date.now();
    const instant = atMs > prev.atMs ? ((done - prev.done) * 1_000) / (atMs - prev.atMs) : 0;
    const ratePerS = prev.ratePerS === 0 ? instant : 0.7 * prev.ratePerS + 0.3 * instant;
    return { done, total: done + lag, ratePerS, etaS: ratePerS > 0 ? lag / ratePerS : null, atMs, lag };
  }

  async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!abort.signal.aborted && Date.now() < deadline) {
      if (await check()) return true;
      await sleep(100);
    }
    return false;
  }

  /**
   * Freeze → catch up → switch. The active version is frozen (live processors stop applying
   * it), the rebuild's groups catch up with its final checkpoints, then the pointer moves. Reads
   * see the frozen version until the switch and a version at least as far along after it, so
   * they never go backwards. If the live processors do not let go in time, the freeze is lifted
   * and the switch is tried again later.
   */
  async function switchOver(): Promise<RebuildRecord | null> {
    await ensureReadIndexes(db, version);
    const old = (await readPointer(db, pipeline.name)).active;
    if (!(await setFreeze(db, pipeline.name, old, true))) return null;
    liveBusy = false; // live processing pauses now: catch up flat out
    const announce = (v: number) => deps.nc.publish(projectionSwitchedSubject(config.streams), JSON.stringify({ projection: pipeline.name, version: v } satisfies ProjectionSwitched));
    announce(old);
    const oldDurables = Array.from({ length: groups }, (_, g) => consumerName(config.streams, `${pipeline.name}_v${old}`, g));
    const released = await waitUntil(async () => (await Promise.all(oldDurables.map((d) => leaseHolder(kv, d)))).every((h) => h === undefined), 4 * config.consumers.pinnedTtlMs + 10_000);
    const caughtUp = released && (await waitUntil(async () => {
      const frozen = await listCheckpoints(db, checkpointPrefix(pipeline.name, old));
      const mine = await listCheckpoints(db, checkpointPrefix(pipeline.name, version));
      return frozen.every((f) => f.pending === null && mine.some((m) => m._id.endsWith(f._id.slice(f._id.lastIndexOf(':'))) && m.seq >= f.seq && m.pending === null));
    }, 60_000));
    if (!caughtUp || !(await switchPointer(db, pipeline.name, old, version, Date.now()))) {
      log.warn({ old, released }, 'switch postponed: the live version did not pause or could not be caught up in time');
      await setFreeze(db, pipeline.name, old, false);
      announce(old);
      return null;
    }
    announce(version);
    log.info({ from: old }, 'pointer switched to the rebuilt version');
    return updateRebuild(db, pipeline.name, version, { state: 'switched', switchedFrom: old, finishedAtMs: Date.now(), updatedAtMs: Date.now(), etaS: 0 });
  }

  async function loop(): Promise<RebuildRecord> {
    await startRunners();
    let prev = { done: initial.done, atMs: Date.now(), ratePerS: 0 };
    for (;;) {
      await sleep(config.rebuild.progressEveryMs);
      await refreshLiveBusy();
      const p = await measure(prev);
      prev = p;
      const record = await updateRebuild(db, pipeline.name, version, { done: p.done, total: p.total, ratePerS: p.ratePerS, etaS: p.etaS, updatedAtMs: p.atMs });
      if (record === null) throw new RebuildBusyError(`the rebuild record of ${pipeline.name} now names another version`);
      o.onProgress?.(record);
      if (abort.signal.aborted || record.cancelRequested) {
        return (await updateRebuild(db, pipeline.name, version, { state: 'cancelled', finishedAtMs: Date.now(), updatedAtMs: Date.now() })) ?? record;
      }
      await keepLease();
      const statuses = runners.map((r) => r.status());
      const ready = statuses.every((s) => s.owned && s.healthy) && p.lag <= config.rebuild.switchLagEvents;
      if (ready) {
        const switched = await switchOver();
        if (switched !== null) {
          o.onProgress?.(switched);
          return switched;
        }
      }
    }
  }

  const done = (async () => {
    try {
      return await loop();
    } catch (err) {
      log.error({ err }, 'rebuild failed');
      const failed = await updateRebuild(db, pipeline.name, version, { state: 'failed', error: err instanceof Error ? err.message : String(err), finishedAtMs: Date.now(), updatedAtMs: Date.now() });
      if (failed === null) throw err;
      return failed;
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      runners = [];
      await lease.release();
    }
  })();
  return { version, resumed, done, cancel: () => abort.abort() };
}
