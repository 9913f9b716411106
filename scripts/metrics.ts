// The process's Prometheus metrics (prom-client): one registry per Tally process, built here at
// the composition root and handed to each role as an observer, so no role depends on the client
// library. `GET /metrics` (api/metrics.route.ts) renders it. Names and meanings: docs/metrics.md.
import type { FastifyInstance } from 'fastify';
import type { Db } from 'mongodb';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { pipelineStatus, type MetricsSource } from '../api/index.ts';
import type { IngestObserver } from '../ingest/index.ts';
import type { BatchObserver } from '../processors/index.ts';
import type { TallyConfig } from '../streams.config.ts';

export interface TallyMetrics extends MetricsSource {
  readonly registry: Registry;
  readonly ingest: IngestObserver;
  readonly processors: BatchObserver;
  /** Counts every HTTP answer by route and status, with its latency. */
  observeHttp(app: FastifyInstance): void;
}

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000];

function ingestObserver(registers: Registry[]): IngestObserver {
  const outcomes = new Counter({ name: 'tally_ingest_outcomes_total', help: 'Requests and bulk items by outcome.', labelNames: ['outcome'], registers });
  const drops = new Counter({
    name: 'tally_ingest_dropped_total',
    help: 'Parts of accepted requests dropped or rewritten, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const publish = new Histogram({
    name: 'tally_publish_duration_seconds',
    help: 'From a request ready to publish until every PubAck (or failure).',
    labelNames: ['result'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  const published = new Counter({ name: 'tally_published_envelopes_total', help: 'Envelopes acknowledged by JetStream.', registers });
  return {
    outcome: (outcome, n) => outcomes.inc({ outcome }, n),
    drop: (reason) => drops.inc({ reason }),
    publish(ms, ok, messages) {
      publish.observe({ result: ok ? 'ok' : 'failed' }, ms / 1_000);
      if (ok) published.inc(messages);
    },
  };
}

function batchObserver(registers: Registry[]): BatchObserver {
  const labelNames = ['pipeline', 'version'] as const;
  const events = new Counter({ name: 'tally_processed_events_total', help: 'Events applied by the processors.', labelNames, registers });
  const writes = new Counter({
    name: 'tally_write_statements_total',
    help: 'Write statements sent to the database for applied batches; divide by tally_processed_events_total for statements per event.',
    labelNames,
    registers,
  });
  const dead = new Counter({ name: 'tally_dead_letters_total', help: 'Events dead-lettered by the processors.', labelNames, registers });
  const sizes = new Histogram({ name: 'tally_batch_events', help: 'Events per applied batch.', labelNames, buckets: BATCH_BUCKETS, registers });
  const flush = new Histogram({
    name: 'tally_batch_duration_seconds',
    help: 'From a batch in hand to its completion.',
    labelNames,
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  return {
    batch(b) {
      const l = { pipeline: b.pipeline, version: String(b.version) };
      events.inc(l, b.events);
      writes.inc(l, b.writeOps);
      dead.inc(l, b.deadLetters);
      sizes.observe(l, b.events);
      flush.observe(l, b.flushMs / 1_000);
    },
  };
}

/** Consumer lag and stream head, read when scraped (the same figures as `tally status`). */
function pipelineGauges(registers: Registry[], config: Readonly<TallyConfig>, conn: MetricsConnections): void {
  const lag = new Gauge({
    name: 'tally_consumer_lag',
    help: 'Events of a partition group not yet applied (pending plus unacknowledged).',
    labelNames: ['consumer'],
    registers,
  });
  const applied = new Gauge({
    name: 'tally_consumer_applied_seq',
    help: 'Last stream sequence a partition group applied.',
    labelNames: ['consumer'],
    registers,
  });
  new Gauge({
    name: 'tally_stream_head_seq',
    help: 'Last sequence of the events stream.',
    registers,
    async collect() {
      lag.reset();
      applied.reset();
      const groups = await pipelineStatus(config, conn.db, conn.nc).catch((err: unknown) => {
        // Decision: a scrape during an outage still answers, without the pipeline gauges; logged.
        conn.log.warn({ err }, 'metrics: pipeline status unavailable');
        return [];
      });
      for (const g of groups) {
        if (g.lag >= 0) lag.set({ consumer: g.consumer }, g.lag);
        applied.set({ consumer: g.consumer }, g.appliedSeq);
      }
      this.set(groups[0]?.streamHead ?? 0);
    },
  });
}

export interface MetricsConnections {
  readonly db: Db;
  readonly nc: NatsConnection;
  readonly log: Logger;
}

export function createMetrics(config: Readonly<TallyConfig>, conn: MetricsConnections): TallyMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'tally_http_requests_total', help: 'HTTP answers by route and status.', labelNames: ['route', 'status'], registers });
  const latency = new Histogram({
    name: 'tally_http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['route'],
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  pipelineGauges(registers, config, conn);
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    ingest: ingestObserver(registers),
    processors: batchObserver(registers),
    observeHttp(app) {
      app.addHook('onResponse', (request, reply, done) => {
        // The route pattern, never the raw URL: label values stay few.
        const route = request.routeOptions.url ?? 'unmatched';
        requests.inc({ route, status: String(reply.statusCode) });
        latency.observe({ route }, reply.elapsedTime / 1_000);
        done();
      });
    },
  };
}
