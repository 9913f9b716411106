// A rebuild folds the event stream into a new projection version with the live engine
// (startGroupRunner: same folds, same journal/claim/apply path, larger batches), while live
// processors keep writing the active version. When every group is within `switchLagEvents` of
// the head, the pointer moves to the new version in one compare-and-set (rebuild-switch.ts); the
// rebuild then releases its groups and the live processors, following the pointer, continue the
// new version from the rebuild's checkpoints. One rebuild per projection runs at a time (a KV
// lease, rebuild-lease.ts); a crashed one resumes from its checkpoints when started again.
import { randomUUID } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import {
  listVersionCollections,
  readRebuild,
  saveRebuild,
  updateRebuild,
  dropCollections,
  deleteCheckpoints,
  FirstWrites,
  type RebuildRecord,
} from '../projections/index.ts';
import { RebuildBusyError } from './errors.ts';
import { startGroupRunner, type GroupRunner } from './group-runner.ts';
import { openLeaseBucket, leaseHolder, type Lease } from './lease.ts';
import { checkpointPrefix, targetFor, type Target } from './pipeline.ts';
import { acquireRebuildLease, holdRebuildLease, rebuildLeaseKey, type HeldRebuildLease } from './rebuild-lease.ts';
import { nextVersion, planStart, seedVersion, type RebuildStart } from './rebuild-plan.ts';
import { liveHasWork, livePacing, measureProgress, versionDurables, type LivePacing } from './rebuild-progress.ts';
import { switchOver } from './rebuild-switch.ts';
import { Semaphore } from './semaphore.ts';
import { sleep } from './sleep.ts';
import { leaseBucketName, type LivePipeline, type ProcessorsDeps } from './start-processors.ts';

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

/** A new rebuild's record: the next version, from where the start options say. */
async function newRecord(o: RebuildOptions, owner: string, prior: RebuildRecord | null): Promise<RebuildRecord> {
  const { deps, pipeline } = o;
  const versions = { db: deps.db, pipeline: pipeline.name, owns: (l: string) => pipeline.owns(l) };
  const { fromSeq } = await planStart({ ...versions, config: deps.config, jsm: deps.jsm, start: o.start ?? {} });
  const version = await nextVersion(versions, prior);
  const nowMs = Date.now();
  return {
    _id: pipeline.name,
    projection: pipeline.name,
    version,
    base: o.start?.base ?? null,
    state: 'running',
    seeded: false,
    fromSeq,
    owner,
    startedAtMs: nowMs,
    updatedAtMs: nowMs,
    finishedAtMs: null,
    done: 0,
    total: 0,
    ratePerS: 0,
    etaS: null,
    cancelRequested: false,
    error: null,
    switchedFrom: null,
  };
}

/** Seeds the record's version (a copy of its base, and its checkpoints); a partial seed left by a crash is started over. */
async function seed(o: RebuildOptions, record: RebuildRecord): Promise<RebuildRecord> {
  const { deps, pipeline } = o;
  const { config, db } = deps;
  const versions = { db, pipeline: pipeline.name, owns: (l: string) => pipeline.owns(l) };
  const base = record.base === null ? {} : { base: record.base };
  await dropCollections(db, (await listVersionCollections(db, versions.owns)).get(record.version) ?? []);
  await deleteCheckpoints(db, checkpointPrefix(pipeline.name, record.version));
  const plan = await planStart({ ...versions, config, jsm: deps.jsm, start: { ...base, from: { seq: record.fromSeq } } });
  await seedVersion({ ...versions, config, version: record.version, ...base, fromSeq: plan.fromSeq, baseCheckpoints: plan.baseCheckpoints });
  return (await updateRebuild(db, pipeline.name, record.version, { seeded: true })) ?? record;
}

/** Takes the rebuild lease, plans and seeds the version, and starts folding. Throws RebuildBusyError / RebuildRefusedError. */
export async function startRebuild(o: RebuildOptions): Promise<RebuildHandle> {
  const { deps, pipeline } = o;
  const { config, db, log: parentLog } = deps;
  const kv = await openLeaseBucket(deps.nc, leaseBucketName(config), config.consumers.pinnedTtlMs, config.streams.replicas);
  const owner = `${process.pid}-${randomUUID()}`;
  const lease = await acquireRebuildLease(kv, rebuildLeaseKey(pipeline.name), owner, config.consumers.pinnedTtlMs, parentLog);
  if (lease === undefined) {
    throw new RebuildBusyError(
      `a rebuild of ${pipeline.name} is already running (held by ${(await leaseHolder(kv, rebuildLeaseKey(pipeline.name))) ?? 'another process'})`,
    );
  }
  try {
    const prior = await readRebuild(db, pipeline.name);
    const resumed = prior?.state === 'running' || prior?.state === 'failed';
    let record: RebuildRecord = resumed
      ? { ...prior, state: 'running', error: null, finishedAtMs: null, owner, cancelRequested: false, updatedAtMs: Date.now() }
      : await newRecord(o, owner, prior);
    await saveRebuild(db, record);
    // A crash while seeding leaves a partial copy: start the version over.
    if (!record.seeded) record = await seed(o, record);
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

/** What the parts of a running rebuild share. */
interface RebuildRun {
  readonly o: RebuildOptions;
  readonly initial: RebuildRecord;
  readonly version: number;
  readonly log: Logger;
  /** The lease bucket (also holding the groups' leases). */
  readonly kv: KV;
  readonly lease: HeldRebuildLease;
  readonly pacing: LivePacing;
  readonly signal: AbortSignal;
  /** The rebuild's group runners, as they are started. */
  readonly runners: GroupRunner[];
}

function startRunners(r: RebuildRun, resumed: boolean): void {
  const { deps, pipeline } = r.o;
  const { config } = deps;
  const groups = config.streams.partitionGroups;
  // A version started here with no base begins empty, so each group knows which documents it
  // has written (each document has one owning group); a resumed or based one may hold anything.
  const firstWrites = !resumed && r.initial.base === null ? Array.from({ length: groups }, () => new FirstWrites()) : [];
  const flushes = new Semaphore(config.rebuild.maxConcurrentFlushes);
  const durables = versionDurables(config.streams, pipeline.name, r.version);
  for (let g = 0; g < groups; g++) {
    const durable = durables[g] ?? '';
    r.runners.push(
      startGroupRunner({
        ...deps,
        kv: r.kv,
        pipeline,
        group: g,
        durable,
        flushes,
        owner: r.initial.owner,
        log: r.log,
        target: withFirstWrites(targetFor(r.version, g, groups), firstWrites[g]),
        batchSize: config.rebuild.batchSize,
        batchWaitMs: config.rebuild.batchWaitMs,
        firstWrites: firstWrites[g],
        cutWhenCaughtUp: true,
        // Paced only while live processing has work: alone, a rebuild runs flat out.
        pauseAfterMs: r.pacing.pauseAfterMs,
      }),
    );
  }
}

/** Starts the runners, then measures progress until the rebuild is cancelled or switched. */
async function loop(r: RebuildRun, resumed: boolean): Promise<RebuildRecord> {
  const { deps, pipeline, onProgress } = r.o;
  const { config, db } = deps;
  const { version } = r;
  const source = { db, jsm: deps.jsm, streams: config.streams, pipeline: pipeline.name, version };
  startRunners(r, resumed);
  let prev = { done: r.initial.done, atMs: Date.now(), ratePerS: 0 };
  for (;;) {
    await sleep(config.rebuild.progressEveryMs);
    r.pacing.setLiveBusy(await liveHasWork(source));
    const p = await measureProgress(source, prev);
    prev = p;
    const record = await updateRebuild(db, pipeline.name, version, { done: p.done, total: p.total, ratePerS: p.ratePerS, etaS: p.etaS, updatedAtMs: p.atMs });
    if (record === null) throw new RebuildBusyError(`the rebuild record of ${pipeline.name} now names another version`);
    onProgress?.(record);
    if (r.signal.aborted || record.cancelRequested) {
      return (await updateRebuild(db, pipeline.name, version, { state: 'cancelled', finishedAtMs: Date.now(), updatedAtMs: Date.now() })) ?? record;
    }
    await r.lease.keep();
    const ready = r.runners.map((runner) => runner.status()).every((s) => s.owned && s.healthy) && p.consumersReady && p.lag <= config.rebuild.switchLagEvents;
    if (!ready) continue;
    // Live processing pauses once frozen: catch up flat out.
    const switched = await switchOver({
      ...deps,
      kv: r.kv,
      log: r.log,
      pipeline: pipeline.name,
      version,
      signal: r.signal,
      onFrozen: () => r.pacing.setLiveBusy(false),
    });
    if (switched !== null) {
      onProgress?.(switched);
      return switched;
    }
  }
}

function run(o: RebuildOptions, initial: RebuildRecord, held: { kv: KV; lease: Lease }, resumed: boolean, log: Logger): RebuildHandle {
  const { db, config } = o.deps;
  const abort = new AbortController();
  const version = initial.version;
  const lease = holdRebuildLease({ kv: held.kv, pipeline: o.pipeline.name, owner: initial.owner, ttlMs: config.consumers.pinnedTtlMs, log }, held.lease);
  const r: RebuildRun = { o, initial, version, log, kv: held.kv, lease, pacing: livePacing(config.rebuild.flushShare), signal: abort.signal, runners: [] };
  const done = (async () => {
    try {
      return await loop(r, resumed);
    } catch (err) {
      log.error({ err }, 'rebuild failed');
      const reason = err instanceof Error ? err.message : String(err);
      o.deps.incidents?.({ kind: 'rebuild-failed', title: `Rebuild of ${o.pipeline.name} v${version} failed`, detail: reason });
      const failed = await updateRebuild(db, o.pipeline.name, version, {
        state: 'failed',
        error: reason,
        finishedAtMs: Date.now(),
        updatedAtMs: Date.now(),
      });
      if (failed === null) throw err;
      return failed;
    } finally {
      await Promise.all(r.runners.map((runner) => runner.stop()));
      r.runners.length = 0;
      await lease.release();
    }
  })();
  return { version, resumed, done, cancel: () => abort.abort() };
}
