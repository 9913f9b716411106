// Baselines measured in the same run as Tally, each once and on demand (a scenario asks right
// before its own measurement, so both see the same machine state). Raw JetStream and the raw
// driver use a scratch stream and database on the same servers, removed at the end.
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MongoClient, type Db } from 'mongodb';
import type { Logger } from 'pino';
import { ensureStreams } from '../processors/index.ts';
import { streamsSchema, type StreamsConfig } from '../streams.config.ts';
import { startBareServer } from './baselines/http.ts';
import { orderedRead, preparePayloads, publishAsync, publishSync, type PublishSetup } from './baselines/jetstream.ts';
import { bulkWriteUpserts, prepareUpserts } from './baselines/mongo.ts';
import { replayable, replayReads } from './baselines/mongo-read.ts';
import type { CapturedRead } from './db-commands.ts';
import { withDeadline } from './deadline.ts';
import type { BaselineFigure } from './figures.ts';
import { createHistogram, decodeHistogram, summarize } from './histogram.ts';
import { httpJob, type HttpJobKind } from './jobs.ts';
import type { LoadClient } from './load-client.ts';
import { externalVersions, type ServerVersions } from './machine.ts';
import type { Budget } from './modes.ts';
import type { PhaseRunner } from './phase.ts';
import { deriveSeed, Workload, type WorkloadApp } from './workload.ts';

export interface BaselineDeps {
  readonly natsUrl: string;
  readonly mongoUrl: string;
  readonly budget: Budget;
  readonly seed: number;
  readonly anchorMs: number;
  readonly apps: readonly WorkloadApp[];
  readonly load: LoadClient;
  readonly phase: PhaseRunner;
}

interface Scratch {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly mongo: MongoClient;
  readonly db: Db;
  readonly streams: StreamsConfig;
}

export class Baselines {
  private readonly memo = new Map<string, Promise<BaselineFigure>>();
  private readonly done: BaselineFigure[] = [];
  private scratch: Promise<Scratch> | undefined;

  constructor(private readonly deps: BaselineDeps) {}

  /** Figures measured so far, in the order they completed. */
  measured(): readonly BaselineFigure[] {
    return this.done;
  }

  /** Baselines that failed, with the reason (the run reports them and exits non-zero). */
  readonly failures: { id: string; error: string }[] = [];

  /** Measures every standard baseline not measured yet; a failure is recorded, not thrown. */
  async measureAll(log: Logger): Promise<void> {
    const all: [string, () => Promise<BaselineFigure>][] = [
      ['js.publish.sync', () => this.jsPublishSync()],
      ['js.publish.async', () => this.jsPublishAsync()],
      ['js.read.ordered', () => this.jsOrderedRead()],
      ['mongo.bulkWrite', () => this.mongoBulkWrite()],
      ['http.bare.i', () => this.bareHttp('i')],
      ['http.bare.bulk', () => this.bareHttp('bulk')],
    ];
    for (const [id, measure] of all) {
      if (this.done.some((f) => f.id === id)) continue;
      try {
        await measure();
      } catch (err) {
        // Decision: the table still prints with the other baselines; the failure is listed.
        log.error({ err, baseline: id }, 'bench baseline failed');
        this.failures.push({ id, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  jsPublishSync(): Promise<BaselineFigure> {
    return this.once('js.publish.sync', async () => {
      const r = await this.deps.phase.run('baseline js.publish.sync', async () => publishSync(await this.publishSetup(), 'sync'));
      return {
        id: 'js.publish.sync',
        label: 'raw JetStream publish, sync (1 in flight)',
        value: r.result.perS,
        unit: 'msg/s',
        latency: r.result.latency,
        note: r.note,
      };
    });
  }

  jsPublishAsync(): Promise<BaselineFigure> {
    return this.once('js.publish.async', async () => {
      const batch = this.deps.budget.asyncBatch;
      const r = await this.deps.phase.run('baseline js.publish.async', async () => publishAsync(await this.publishSetup(), 'async', batch));
      return {
        id: 'js.publish.async',
        label: `raw JetStream publish, async batches of ${batch}`,
        value: r.result.perS,
        unit: 'msg/s',
        latency: r.result.latency,
        note: `latency per batch of ${batch}; ${r.note}`,
      };
    });
  }

  /**
   * Raw async publish measured right before and right after `phase` (A-B-A): the figure is the
   * mean of both windows, so the machine drifting during a run cancels out of the ratio.
   */
  async jsPublishAsyncAround<T>(slot: string, phase: () => Promise<T>): Promise<{ baseline: BaselineFigure; result: T }> {
    const batch = this.deps.budget.asyncBatch;
    const window = async (tag: string) =>
      this.deps.phase.run(`baseline js.publish.async ${tag}`, async () => publishAsync(await this.publishSetup(), `async-${slot}-${tag}`, batch));
    const before = await window('before');
    const result = await phase();
    const after = await window('after');
    const merged = createHistogram();
    for (const h of [before.result.histogram, after.result.histogram]) if (h !== undefined) merged.add(h);
    const baseline: BaselineFigure = {
      id: 'js.publish.async',
      label: `raw JetStream publish, async batches of ${batch} (around ${slot})`,
      value: (before.result.perS + after.result.perS) / 2,
      unit: 'msg/s',
      latency: summarize(merged),
      note: `mean of before ${Math.round(before.result.perS)} / after ${Math.round(after.result.perS)} msg/s; latency per batch of ${batch}; ${before.note}`,
    };
    this.done.push(baseline);
    return { baseline, result };
  }

  /** Reads what the publish baselines wrote (it measures the sync one first if needed). */
  jsOrderedRead(): Promise<BaselineFigure> {
    return this.once('js.read.ordered', async () => {
      await this.jsPublishSync();
      const s = await this.open();
      const r = await this.deps.phase.run('baseline js.read.ordered', () => orderedRead(s.js, s.streams, this.deps.budget.maxPublishMessages * 2));
      return {
        id: 'js.read.ordered',
        label: 'raw JetStream ordered-consumer read',
        value: r.result.perS,
        unit: 'msg/s',
        note: `${r.result.count} msgs; ${r.note}`,
      };
    });
  }

  /**
   * Ordered-consumer read of `count` messages of a Tally events stream from `startSeq`: the raw
   * read of exactly the messages a fold phase processed. Not memoized; each call is a figure.
   */
  async jsOrderedReadOf(js: JetStreamClient, streams: StreamsConfig, startSeq: number, count: number, label: string): Promise<BaselineFigure> {
    const r = await this.deps.phase.run('baseline js.read.ordered (Tally stream)', () => orderedRead(js, streams, count, startSeq));
    return this.record({
      id: 'js.read.ordered.tally',
      label,
      value: r.result.perS,
      unit: 'msg/s',
      note: `${r.result.count} msgs from seq ${startSeq}; ${r.note}`,
    });
  }

  /** The read commands of one API request replayed with the raw driver (see baselines/mongo-read.ts). */
  async mongoReadReplay(id: string, label: string, reads: readonly CapturedRead[], warmupMs: number, durationMs: number): Promise<BaselineFigure> {
    const s = await this.open();
    const r = await this.deps.phase.run(`baseline ${id}`, () => replayReads(s.mongo, reads, warmupMs, durationMs));
    const what = `${replayable(reads).length} queries at once, ${r.result.documents} documents, ${r.result.replays} replays`;
    return this.record({ id, label, value: r.result.latency.p50Ms, unit: 'ms p50', latency: r.result.latency, note: `${what}; ${r.note}` });
  }

  mongoBulkWrite(): Promise<BaselineFigure> {
    return this.once('mongo.bulkWrite', async () => {
      const s = await this.open();
      const b = this.deps.budget;
      const ops = prepareUpserts(this.workload(3), this.deps.apps, Math.max(b.bulkWriteOps * 8, 4_000));
      const setup = {
        db: s.db,
        collection: 'events_raw',
        ops,
        opsPerCall: b.bulkWriteOps,
        concurrency: b.bulkWriteConcurrency,
        durationMs: b.bulkWriteDurationMs,
        callTimeoutMs: 30_000,
      };
      const r = await this.deps.phase.run('baseline mongo.bulkWrite', () => bulkWriteUpserts(setup));
      const docs = await s.db.collection(setup.collection).estimatedDocumentCount();
      const label = `raw bulkWrite $inc upserts (${b.bulkWriteOps}/call, ${b.bulkWriteConcurrency} in flight)`;
      return { id: 'mongo.bulkWrite', label, value: r.result.perS, unit: 'upserts/s', note: `${r.result.count} upserts into ${docs} documents; ${r.note}` };
    });
  }

  /** The bare fastify server under the same job Tally gets (flat out, or at a fixed rate). */
  bareHttp(kind: HttpJobKind, ratePerS = 0, salt = 0): Promise<BaselineFigure> {
    const id = `http.bare.${kind}${ratePerS > 0 ? `@${Math.round(ratePerS)}/s` : ''}`;
    return this.once(id, async () => {
      const server = await startBareServer();
      try {
        const job = httpJob({ ...this.deps, kind, ratePerS, salt });
        const r = await this.deps.phase.run(`baseline ${id}`, () => this.deps.load.run(job.source, { ...job.load, origin: server.origin }));
        const res = r.result;
        const perS = kind === 'bulk' ? res.okItemsPerS : res.okPerS;
        const what = kind === 'i' ? 'GET /i' : `POST /i/bulk (${this.deps.budget.bulkItems} items)`;
        const how = ratePerS > 0 ? `at ${Math.round(ratePerS)} req/s` : `flat out, ${job.load.connections} in flight`;
        return {
          id,
          label: `bare fastify ${what}, ${how}`,
          value: perS,
          unit: kind === 'bulk' ? 'items/s' : 'req/s',
          latency: summarize(decodeHistogram(res.histogram)),
          note: `${res.failed} failed; ${r.note}`,
        };
      } finally {
        await server.close();
      }
    });
  }

  /** Versions the servers report (for external servers, whose binaries the bench cannot run). */
  async serverVersions(): Promise<ServerVersions> {
    const s = await this.open();
    return externalVersions(s.nc.info?.version, s.db);
  }

  /** Removes the scratch stream and database and closes the connections. */
  async close(log: Logger): Promise<void> {
    if (this.scratch === undefined) return;
    const s = await this.scratch;
    for await (const name of s.jsm.streams.names()) {
      if (name.startsWith(s.streams.prefix.toUpperCase())) await s.jsm.streams.delete(name);
    }
    try {
      await withDeadline(s.db.dropDatabase(), 30_000, `dropping ${s.db.databaseName}`);
    } catch (err) {
      // Decision: after a stalled baseline write the drop can time out too; the managed server
      // and its temp dir go away with the run, an external one keeps the named database.
      log.warn({ err, db: s.db.databaseName }, 'bench scratch database not dropped');
    }
    // Forced: after a stalled write, requests may still be in flight on this client.
    await s.mongo.close(true);
    await s.nc.drain();
  }

  /** A baseline a scenario measured itself, alongside its own phase: listed with the others. */
  record(f: BaselineFigure): BaselineFigure {
    this.done.push(f);
    return f;
  }

  private once(id: string, measure: () => Promise<BaselineFigure>): Promise<BaselineFigure> {
    const existing = this.memo.get(id);
    if (existing !== undefined) return existing;
    const p = measure().then((f) => {
      this.done.push(f);
      return f;
    });
    this.memo.set(id, p);
    return p;
  }

  private workload(salt: number): Workload {
    return new Workload({ seed: deriveSeed(this.deps.seed, 100 + salt), anchorMs: this.deps.anchorMs, apps: this.deps.apps });
  }

  private publishPayloads: PublishSetup | undefined;

  private async publishSetup(): Promise<PublishSetup> {
    if (this.publishPayloads !== undefined) return this.publishPayloads;
    const s = await this.open();
    const b = this.deps.budget;
    const payloads = preparePayloads(s.streams, this.workload(1), this.deps.apps, b.payloadPool);
    this.publishPayloads = {
      js: s.js,
      streams: s.streams,
      payloads,
      durationMs: b.publishDurationMs,
      maxMessages: b.maxPublishMessages,
      warmupMs: b.publishWarmupMs,
    };
    return this.publishPayloads;
  }

  private open(): Promise<Scratch> {
    this.scratch ??= (async () => {
      const id = randomBytes(4).toString('hex');
      // The same client options as Tally's connection (connectAll in scripts/runtime.ts), so raw and
      // Tally publish through an equally tuned client.
      const nc = await connect({ servers: this.deps.natsUrl, name: 'tally-bench-baselines', noAsyncTraces: true });
      const jsm = await jetstreamManager(nc);
      const streams = streamsSchema.parse({ prefix: `benchraw${id}` });
      await ensureStreams(jsm, streams);
      const mongo = new MongoClient(this.deps.mongoUrl, { appName: 'tally-bench' });
      await mongo.connect();
      return { nc, js: jetstream(nc), jsm, mongo, db: mongo.db(`benchraw_${id}`), streams };
    })();
    return this.scratch;
  }
}
