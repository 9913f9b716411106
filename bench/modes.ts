// How long and how hard each mode measures. `quick` (the default) keeps a full run of every
// scenario under 5 minutes on 2 cores; `full` trades time for steadier figures; `smoke` only
// proves the harness runs end to end (the integration test uses it).
export type BenchMode = 'smoke' | 'quick' | 'full';

export interface Budget {
  /** HTTP traffic before the measured window, ms. */
  readonly loadWarmupMs: number;
  /** Measured HTTP window, ms. */
  readonly loadDurationMs: number;
  /** Cap on HTTP requests per job, for the warm-up and for the window each. */
  readonly maxRequests: number;
  /** Requests in flight for flat-out /i. */
  readonly iConnections: number;
  /** Requests in flight for flat-out /i/bulk. */
  readonly bulkConnections: number;
  /** Items per /i/bulk call. */
  readonly bulkItems: number;
  /** Publishing before each raw JetStream publish window opens, ms. */
  readonly publishWarmupMs: number;
  /** Measured window of each raw JetStream publish baseline, ms. */
  readonly publishDurationMs: number;
  /** Cap on messages per publish baseline. */
  readonly maxPublishMessages: number;
  /** Publishes in flight per batch in the async baseline (= /i/bulk items, so latencies compare). */
  readonly asyncBatch: number;
  /** Distinct pre-encoded envelopes the publish baselines cycle through. */
  readonly payloadPool: number;
  /** Measured window of the raw bulkWrite baseline, ms. */
  readonly bulkWriteDurationMs: number;
  /**
   * Upserts per bulkWrite call. 50, not more: FerretDB 1.24 (SQLite) stalls for good on update
   * commands of 100+ statements once a collection holds a few thousand documents (BENCHMARKS.md).
   */
  readonly bulkWriteOps: number;
  /**
   * bulkWrite calls in flight. 1: FerretDB 1.24 (SQLite) serialises writes anyway (2 writers
   * measured the same rate) and 3 or more concurrent update commands stall for good.
   */
  readonly bulkWriteConcurrency: number;
  readonly requestTimeoutMs: number;
  /** Envelopes folded before the fold-rate window (collections, indexes, leases, JIT). */
  readonly foldWarmupEnvelopes: number;
  /** Envelopes published as one backlog whose fold is timed. */
  readonly foldEnvelopes: number;
  /** Longest wait for the processors to apply what was published, ms. */
  readonly foldTimeoutMs: number;
  /** Envelopes of one app a report job scans (issue 16: ≥ 1M); TALLY_BENCH_REPORT_EVENTS overrides it. */
  readonly reportEnvelopes: number;
  /** New devices of the cardinality scenario (each one request: a session, 5 events, metrics). */
  readonly cardinalityDevices: number;
  /** Devices of the read scenario's history (split over the apps by traffic share). */
  readonly historyDevices: number;
  /** Sessions each history device gets, each on a random day. */
  readonly historySessionsPerDevice: number;
  /** Days the history spreads over, back from the workload's clock. */
  readonly historyDays: number;
  /** Event keys, and segments per event, the history keeps (see bench/history.ts). */
  readonly historyEventKeys: number;
  readonly historyEventSegments: number;
  /** Requests before each read window (caches, JIT), ms. */
  readonly readWarmupMs: number;
  /** Measured window of each read query, and of its raw-driver baseline, ms. */
  readonly readDurationMs: number;
  /** Documents of the collection the export scenario reads, each as CSV and as XLSX. */
  readonly exportRows: number;
  /** App users the app-users scenario searches (inserted into one app's collection). */
  readonly searchAppUsers: number;
}

const QUICK: Budget = {
  loadWarmupMs: 4_000,
  loadDurationMs: 10_000,
  maxRequests: 1_000_000,
  iConnections: 32,
  bulkConnections: 4,
  bulkItems: 100,
  publishWarmupMs: 1_000,
  publishDurationMs: 4_000,
  maxPublishMessages: 400_000,
  asyncBatch: 100,
  payloadPool: 20_000,
  bulkWriteDurationMs: 4_000,
  bulkWriteOps: 50,
  bulkWriteConcurrency: 1,
  requestTimeoutMs: 10_000,
  // A workload envelope writes about ten documents, and FerretDB 1.24 (SQLite) folds at about a
  // hundred events/s (BENCHMARKS.md), so the backlog stays small.
  foldWarmupEnvelopes: 100,
  foldEnvelopes: 300,
  foldTimeoutMs: 300_000,
  reportEnvelopes: 1_000_000,
  cardinalityDevices: 20_000,
  // The read goals name data from 10k devices over 400 days.
  historyDevices: 10_000,
  historySessionsPerDevice: 1,
  historyDays: 400,
  historyEventKeys: 1,
  historyEventSegments: 1,
  readWarmupMs: 1_000,
  readDurationMs: 4_000,
  // The exports issue's figure: 1M rows per format.
  exportRows: 1_000_000,
  // The app-user search figure of issue 18.
  searchAppUsers: 100_000,
};

export const BUDGETS: Readonly<Record<BenchMode, Budget>> = {
  quick: QUICK,
  full: {
    ...QUICK,
    loadWarmupMs: 5_000,
    loadDurationMs: 30_000,
    maxRequests: 5_000_000,
    publishDurationMs: 15_000,
    maxPublishMessages: 2_000_000,
    bulkWriteDurationMs: 15_000,
    foldWarmupEnvelopes: 200,
    foldEnvelopes: 1_000,
    foldTimeoutMs: 1_200_000,
    // The processors issue's figure.
    cardinalityDevices: 100_000,
    historyEventKeys: 2,
    readDurationMs: 15_000,
  },
  smoke: {
    ...QUICK,
    loadWarmupMs: 100,
    loadDurationMs: 700,
    maxRequests: 300,
    iConnections: 8,
    bulkConnections: 2,
    bulkItems: 20,
    publishWarmupMs: 50,
    publishDurationMs: 300,
    maxPublishMessages: 2_000,
    asyncBatch: 20,
    payloadPool: 200,
    bulkWriteDurationMs: 300,
    bulkWriteOps: 20,
    foldWarmupEnvelopes: 20,
    foldEnvelopes: 100,
    foldTimeoutMs: 120_000,
    reportEnvelopes: 2_000,
    cardinalityDevices: 200,
    historyDevices: 100,
    readWarmupMs: 100,
    readDurationMs: 300,
    exportRows: 2_000,
    searchAppUsers: 2_000,
  },
};
