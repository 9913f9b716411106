// The one typed configuration of Tally: runtime settings, streams, subjects, consumers and
// batching. Nothing else reads process.env; everything receives the frozen object from loadConfig.
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const boolFromEnv = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

/** One NATS URL, or a cluster's servers separated by commas (Tally connects to all of them). */
const natsUrl = z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/, 'must be a nats:// URL, or several separated by commas');
const mongoUrl = z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// URL');
/** Names used in stream names, subjects and collection names: no dots, wildcards or spaces. */
const token = z.string().regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and -');

export const streamsSchema = z.object({
  /** Prefix of every subject, stream and consumer name; tests use a random one per file. Default `tally`. */
  prefix: token.default('tally'),
  /** Number of device-hash partitions per app; a device always maps to one. Default 16. */
  partitions: positiveInt.max(1024).default(16),
  /** Partition groups, one durable consumer each (a unit of processor parallelism). Default 4. */
  partitionGroups: positiveInt.max(1024).default(4),
  /** Duplicate window for Nats-Msg-Id deduplication, ms. Default 2 minutes. */
  duplicateWindowMs: positiveInt.default(120_000),
  /** Stream retention by age, ms; 0 keeps events forever. Default 0. */
  maxAgeMs: z.coerce.number().int().min(0).default(0),
  /** Stream retention by size, bytes; -1 is unlimited. Default -1. */
  maxBytes: z.coerce.number().int().min(-1).default(-1),
  /** Replicas of each stream (1 on a single server). Default 1. */
  replicas: positiveInt.max(5).default(1),
});

export const consumersSchema = z.object({
  /** Events pulled and folded per batch in live processing. Default 1000. */
  batchSize: positiveInt.default(1_000),
  /** Longest wait to fill a batch before folding what arrived, ms. Default 100. */
  batchWaitMs: positiveInt.default(100),
  /** JetStream ack wait; must exceed the slowest fold+flush, ms. Default 30 s. */
  ackWaitMs: positiveInt.default(30_000),
  /** Lease TTL of a partition group: a dead owner's groups are taken over after this, ms. Default 5 s. */
  pinnedTtlMs: positiveInt.default(5_000),
  /** Deliveries before a message is dead-lettered by the server's max-deliver advisory. Default 20. */
  maxDeliver: positiveInt.default(20),
  /**
   * Batches of one process that may flush at once. FerretDB's SQLite backend stalls with more
   * than two concurrent writers, so the default is 1; raise it on MongoDB. Default 1.
   */
  maxConcurrentFlushes: positiveInt.max(64).default(1),
});

/**
 * Rebuilds (`tally rebuild`): the same engine as live processing with larger batches, paced
 * while live processing has work (live kept 0.84× of its rate in the bench; docs/operations.md).
 */
export const rebuildSchema = z.object({
  /** Events pulled and folded per rebuild batch. Default 5000. */
  batchSize: positiveInt.default(5_000),
  /** Longest wait to fill a rebuild batch, ms. Default 200. */
  batchWaitMs: positiveInt.default(200),
  /** Rebuild batches that may flush at once in the rebuilding process. Default 1. */
  maxConcurrentFlushes: positiveInt.max(64).default(1),
  /**
   * Share of wall time a rebuild may spend on the database while live consumers have work, 0–1:
   * after each command or batch preparation of t ms it pauses t × (1 − share) / share ms.
   * 1 never pauses. Default 0.25.
   */
  flushShare: z.coerce.number().gt(0).max(1).default(0.25),
  /** The pointer switches once every group of the rebuild is at most this many events behind the head. Default 100. */
  switchLagEvents: z.coerce.number().int().min(0).default(100),
  /** How often progress is measured, published and written to `_rebuilds`, ms. Default 1000. */
  progressEveryMs: positiveInt.default(1_000),
  /** How often `tally rebuild` prints a progress line when stderr is not a terminal, ms. Default 5000. */
  printProgressEveryMs: positiveInt.default(5_000),
});

export const ingestSchema = z.object({
  /** Largest accepted request body, bytes. Default 1 MiB. */
  bodyLimitBytes: positiveInt.default(1_048_576),
  /** Most events accepted in one request; more is a 413 with a clear message. Default 1000. */
  maxEventsPerRequest: positiveInt.default(1_000),
  /** Most items accepted in one /i/bulk request. Default 1000. */
  maxBulkRequests: positiveInt.default(1_000),
  /** Longest wait for a JetStream PubAck before answering 503, ms. Default 5000. */
  publishTimeoutMs: positiveInt.default(5_000),
  /** Seconds a client is told to wait after a 503 (Retry-After). Default 5. */
  retryAfterS: positiveInt.default(5),
  /** Requests per second accepted per app before 429; 0 disables. Default 0. */
  rateLimitPerAppPerS: z.coerce.number().int().min(0).default(0),
  /** How long a resolved app key stays cached without an invalidation, ms. Default 60 s. */
  appCacheTtlMs: positiveInt.default(60_000),
  /**
   * Proxies whose X-Forwarded-For and X-Real-IP are believed: comma-separated IPs or CIDR ranges
   * of the peer address; from any other peer those headers are ignored. Empty trusts none.
   * Default `127.0.0.1,::1` (a reverse proxy on the same host).
   */
  trustedProxies: z
    .string()
    .regex(/^\s*([0-9A-Fa-f:.]+(\/\d{1,3})?\s*(,\s*[0-9A-Fa-f:.]+(\/\d{1,3})?\s*)*)?$/, 'comma-separated IP addresses or CIDR ranges')
    .default('127.0.0.1,::1'),
  /** Look up country, region and city of session starts in the bundled DB-IP city database (loads ~135 MB). Default true. */
  geoIp: boolFromEnv.default(true),
});

export const apiSchema = z.object({
  /** How long a member looked up by api_key or id stays cached without an invalidation, ms. Default 5 s. */
  memberCacheTtlMs: positiveInt.default(5_000),
  /** How long an app looked up by id stays cached without an invalidation, ms. Default 60 s. */
  appCacheTtlMs: positiveInt.default(60_000),
  /** Countly's `api.total_users`: exact unique users from app users when a period contains today. Default true. */
  totalUsers: boolFromEnv.default(true),
  /** Most documents `/o/app_users/consents` and `/list` return in one page, and most users one forced `/i/app_users/update|delete` changes. Default 1000. */
  maxPageSize: positiveInt.default(1_000),
  /**
   * Longest wait of `/i/app_users/create` and `/delete` for the processor to fold the change before
   * answering (the change is on the stream either way), ms. Default 10 s.
   */
  appUserWaitMs: positiveInt.default(10_000),
  /** Longest `period` a read may ask for, days; longer answers 400. Default 3660 (10 years). */
  maxPeriodDays: positiveInt.default(3_660),
  /** Longest wait for a processor to answer a rebuild command (`/i/tally/rebuild`), ms. Default 30 s. */
  rebuildCommandTimeoutMs: positiveInt.default(30_000),
  /** Lifetime of a token created without `ttl` (`/i/token/insert`), s; 0 never expires. Default 1800 (Countly's). */
  tokenTtlS: z.coerce.number().int().min(0).default(1_800),
  /** Failed sign-ins (per user and path) that start a brute-force block. Default 3 (Countly's). */
  loginTries: positiveInt.default(3),
  /** Block length per completed round of failed sign-ins, s. Default 300 (Countly's). */
  loginWaitS: positiveInt.default(300),
  /** Most documents one `/o/export/db` returns (Countly's `api.export_limit`); a larger `limit` is cut to it. Default 10000. */
  exportLimit: positiveInt.default(10_000),
  /** Address members reach the dashboard at; links in mails start with it (https also marks cookies Secure). Default http://127.0.0.1:3001. */
  publicUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3001'),
  /** Lifetime of a dashboard sign-in session, s. Default 28800 (8 hours). */
  sessionTtlS: positiveInt.default(28_800),
  /** Lifetime of the password-set link of an invitation mail, s. Default 604800 (7 days). */
  inviteTtlS: positiveInt.default(604_800),
  /** Lifetime of a password-reset link (`/reset/<prid>`), s. Default 3600 (1 hour). */
  resetTtlS: positiveInt.default(3_600),
  /** Lifetime of the one-time sign-in link of an account-locked mail (`/login/token/<token>`), s. Default 3600 (spec §9.3). */
  loginTokenTtlS: positiveInt.default(3_600),
});

export const mailSchema = z.object({
  /** SMTP server as a URL (`smtp://user:pass@host:587`, `smtps://...`); unset writes mail to `<dataDir>/outbox` and the log. */
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  /** Sender of every mail (`Name <address>`). Default `Tally <tally@localhost>`. */
  from: z.string().min(3).default('Tally <tally@localhost>'),
  /** Delivery attempts of one mail before it goes to the outbox folder as failed. Default 6. */
  attempts: positiveInt.max(100).default(6),
  /** Wait before the first retry of a failed delivery, ms; doubled on each later retry. Default 2000. */
  retryBaseMs: positiveInt.default(2_000),
  /** Longest wait between two delivery attempts, ms. Default 300000 (5 minutes). */
  retryMaxMs: positiveInt.default(300_000),
  /** Error notifications to global admins: at most one mail per kind of incident per window of this length (windows counted from the epoch), ms. Default 3600000 (1 hour). */
  errorIntervalMs: positiveInt.default(3_600_000),
  /** Dead letters of one consumer group at which global admins are mailed (once, when crossed); 0 never mails. Default 100. */
  deadLetterThreshold: z.coerce.number().int().min(0).default(100),
});

/** Task manager and long reports (spec §7; docs/reports.md). */
export const reportsSchema = z.object({
  /** Countly's `api.request_threshold`: a report request still running after this answers with its task id, ms. Default 30 s. */
  requestThresholdMs: positiveInt.default(30_000),
  /** How often the auto-refresh job looks for `autoRefresh` tasks to refresh, ms. Default 5 minutes (Countly's). */
  autoRefreshEveryMs: positiveInt.default(300_000),
  /** Countly's `reports_regenerate_interval`: an auto-refreshed task is refreshed once this has passed since its last run, ms. Default 1 hour. */
  regenerateIntervalMs: positiveInt.default(3_600_000),
  /** How often a running report job checkpoints its position and partial state, and writes its progress, ms. Default 3 s. */
  checkpointEveryMs: positiveInt.default(3_000),
  /** Tasks not created by hand (`manually_create` not true) older than this are deleted by the daily cleanup, days. Default 90 (Countly's). */
  cleanupAgeDays: positiveInt.default(90),
  /** How often the cleanup of old tasks runs, ms. Default 1 day. */
  cleanupEveryMs: positiveInt.default(86_400_000),
  /** How often a report runner looks for tasks no runner holds (queued, or left by a dead process), ms. Default 2 s. */
  pollEveryMs: positiveInt.default(2_000),
  /** Lease TTL of a report task: a dead runner's task is resumed by another after this, ms. Default 5 s. */
  leaseTtlMs: positiveInt.default(5_000),
  /** Events a report job pulls from the stream per fetch. Default 1000. */
  fetchSize: positiveInt.default(1_000),
  /** Largest part of a stored result or checkpoint state, bytes of JSON (documents stay far below MongoDB's 16 MB). Default 1 MiB. */
  partBytes: positiveInt.min(1_024).default(1_048_576),
  /** Report jobs one process runs at once. Default 2. */
  maxConcurrentJobs: positiveInt.max(64).default(2),
});

export const servicesSchema = z.object({
  /** Port of the managed nats-server. Default 14222. */
  natsPort: port.default(14_222),
  /** Port of the managed FerretDB. Default 37017. */
  mongoPort: port.default(37_017),
  /** Longest wait for a managed service to answer after it was started, ms. Default 30 s. */
  readyTimeoutMs: positiveInt.default(30_000),
  /** Pause between readiness probes of a starting service, ms. Default 100. */
  readyPollMs: positiveInt.default(100),
  /** Timeout of one readiness probe of a starting service, ms. Default 1000. */
  readyProbeTimeoutMs: positiveInt.default(1_000),
  /** Timeout of the probe for a service another Tally already runs on the port, ms. Default 500. */
  detectTimeoutMs: positiveInt.default(500),
});

export const connectionsSchema = z.object({
  /** Pause between NATS reconnect attempts (attempts never stop), ms. Default 250. */
  natsReconnectWaitMs: positiveInt.default(250),
  /** MongoDB driver's server selection timeout: how long an operation waits for a server, ms. Default 5000. */
  mongoServerSelectionTimeoutMs: positiveInt.default(5_000),
});

export const adminSchema = z.object({
  /** First global admin's username, created on first start when set. */
  username: z.string().min(1).optional(),
  /** First global admin's password (at least 8 characters). */
  password: z.string().min(8).optional(),
  /** First global admin's email. */
  email: z.email().optional(),
});

export const configSchema = z.object({
  /** HTTP port of the API and ingest. Default 3001 (Countly's). */
  port: port.default(3_001),
  /** HTTP bind address. Default 127.0.0.1. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Where managed services keep their data and logs. Default ./data. */
  dataDir: z.string().min(1).default('./data'),
  /** Existing NATS server, or a cluster's servers separated by commas; when set, no local nats-server is started. */
  natsUrl: natsUrl.optional(),
  /** Existing MongoDB server; when set, no local FerretDB is started. */
  mongodbUrl: mongoUrl.optional(),
  /** Database name. Default `tally`. */
  mongodbDb: token.default('tally'),
  /** pino level. Default info. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty logs for a terminal (dev only). Default false. */
  logPretty: boolFromEnv.default(false),
  /** Timeout of each dependency check of `/healthz` (NATS flush, MongoDB ping), ms. Default 2000. */
  healthCheckTimeoutMs: positiveInt.default(2_000),
  /** How often `tally start --exit-with-parent` checks that its parent is alive, ms. Default 500. */
  parentCheckEveryMs: positiveInt.default(500),
  streams: streamsSchema.default(streamsSchema.parse({})),
  consumers: consumersSchema.default(consumersSchema.parse({})),
  rebuild: rebuildSchema.default(rebuildSchema.parse({})),
  ingest: ingestSchema.default(ingestSchema.parse({})),
  api: apiSchema.default(apiSchema.parse({})),
  mail: mailSchema.default(mailSchema.parse({})),
  reports: reportsSchema.default(reportsSchema.parse({})),
  services: servicesSchema.default(servicesSchema.parse({})),
  connections: connectionsSchema.default(connectionsSchema.parse({})),
  admin: adminSchema.default({}),
});

export type TallyConfig = z.infer<typeof configSchema>;
export type StreamsConfig = TallyConfig['streams'];
export type ConsumersConfig = TallyConfig['consumers'];
export type RebuildConfig = TallyConfig['rebuild'];
export type IngestConfig = TallyConfig['ingest'];
export type ApiConfig = TallyConfig['api'];
export type MailConfig = TallyConfig['mail'];
export type ServicesConfig = TallyConfig['services'];
export type ReportsConfig = TallyConfig['reports'];
export type ConfigInput = z.input<typeof configSchema>;

/** Raised when configuration does not validate; the message lists every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'TALLY_CONFIG_INVALID';
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/** The error classes of this file, for the registry test (outside TallyError: config imports no project folder). */
export const configErrors = [ConfigError] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Dotted paths of every leaf of the config ("streams.replicas"), for the environment table. */
type LeafPath<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends Readonly<Record<string, unknown>> ? `${K}.${LeafPath<NonNullable<T[K]>>}` : K;
}[keyof T & string];
export type ConfigPath = LeafPath<TallyConfig>;

/**
 * Environment variable of every config field: the only names read, one per field (a unit test
 * walks the schema to keep it so, and another keeps README's table generated from it).
 * Naming: `TALLY_` + section + field in upper snake case, the unit suffix kept (`_MS`, `_S`,
 * `_BYTES`). The section is left out for the main processor and ingest knobs, and the process
 * basics keep their conventional names (PORT, HOST, NATS_URL, ...); both predate this table and
 * are kept so existing deployments read the same settings.
 */
export const ENV_VARS: readonly (readonly [env: string, path: ConfigPath])[] = [
  ['PORT', 'port'],
  ['HOST', 'host'],
  ['DATA_DIR', 'dataDir'],
  ['NATS_URL', 'natsUrl'],
  ['MONGODB_URL', 'mongodbUrl'],
  ['MONGODB_DB', 'mongodbDb'],
  ['LOG_LEVEL', 'logLevel'],
  ['LOG_PRETTY', 'logPretty'],
  ['TALLY_HEALTH_CHECK_TIMEOUT_MS', 'healthCheckTimeoutMs'],
  ['TALLY_PARENT_CHECK_EVERY_MS', 'parentCheckEveryMs'],
  ['TALLY_STREAM_PREFIX', 'streams.prefix'],
  ['TALLY_PARTITIONS', 'streams.partitions'],
  ['TALLY_PARTITION_GROUPS', 'streams.partitionGroups'],
  ['TALLY_STREAM_DUPLICATE_WINDOW_MS', 'streams.duplicateWindowMs'],
  ['TALLY_STREAM_MAX_AGE_MS', 'streams.maxAgeMs'],
  ['TALLY_STREAM_MAX_BYTES', 'streams.maxBytes'],
  ['TALLY_STREAM_REPLICAS', 'streams.replicas'],
  ['TALLY_BATCH_SIZE', 'consumers.batchSize'],
  ['TALLY_BATCH_WAIT_MS', 'consumers.batchWaitMs'],
  ['TALLY_ACK_WAIT_MS', 'consumers.ackWaitMs'],
  ['TALLY_LEASE_TTL_MS', 'consumers.pinnedTtlMs'],
  ['TALLY_MAX_DELIVER', 'consumers.maxDeliver'],
  ['TALLY_MAX_CONCURRENT_FLUSHES', 'consumers.maxConcurrentFlushes'],
  ['TALLY_REBUILD_BATCH_SIZE', 'rebuild.batchSize'],
  ['TALLY_REBUILD_BATCH_WAIT_MS', 'rebuild.batchWaitMs'],
  ['TALLY_REBUILD_MAX_CONCURRENT_FLUSHES', 'rebuild.maxConcurrentFlushes'],
  ['TALLY_REBUILD_FLUSH_SHARE', 'rebuild.flushShare'],
  ['TALLY_REBUILD_SWITCH_LAG_EVENTS', 'rebuild.switchLagEvents'],
  ['TALLY_REBUILD_PROGRESS_EVERY_MS', 'rebuild.progressEveryMs'],
  ['TALLY_REBUILD_PRINT_PROGRESS_EVERY_MS', 'rebuild.printProgressEveryMs'],
  ['TALLY_BODY_LIMIT_BYTES', 'ingest.bodyLimitBytes'],
  ['TALLY_MAX_EVENTS_PER_REQUEST', 'ingest.maxEventsPerRequest'],
  ['TALLY_MAX_BULK_REQUESTS', 'ingest.maxBulkRequests'],
  ['TALLY_PUBLISH_TIMEOUT_MS', 'ingest.publishTimeoutMs'],
  ['TALLY_RETRY_AFTER_S', 'ingest.retryAfterS'],
  ['TALLY_RATE_LIMIT_PER_APP_PER_S', 'ingest.rateLimitPerAppPerS'],
  ['TALLY_INGEST_APP_CACHE_TTL_MS', 'ingest.appCacheTtlMs'],
  ['TALLY_TRUSTED_PROXIES', 'ingest.trustedProxies'],
  ['TALLY_GEO_IP', 'ingest.geoIp'],
  ['TALLY_API_MEMBER_CACHE_TTL_MS', 'api.memberCacheTtlMs'],
  ['TALLY_API_APP_CACHE_TTL_MS', 'api.appCacheTtlMs'],
  ['TALLY_API_TOTAL_USERS', 'api.totalUsers'],
  ['TALLY_API_MAX_PAGE_SIZE', 'api.maxPageSize'],
  ['TALLY_API_APP_USER_WAIT_MS', 'api.appUserWaitMs'],
  ['TALLY_API_MAX_PERIOD_DAYS', 'api.maxPeriodDays'],
  ['TALLY_API_REBUILD_COMMAND_TIMEOUT_MS', 'api.rebuildCommandTimeoutMs'],
  ['TALLY_API_TOKEN_TTL_S', 'api.tokenTtlS'],
  ['TALLY_API_LOGIN_TRIES', 'api.loginTries'],
  ['TALLY_API_LOGIN_WAIT_S', 'api.loginWaitS'],
  ['TALLY_API_EXPORT_LIMIT', 'api.exportLimit'],
  ['TALLY_PUBLIC_URL', 'api.publicUrl'],
  ['TALLY_API_SESSION_TTL_S', 'api.sessionTtlS'],
  ['TALLY_API_INVITE_TTL_S', 'api.inviteTtlS'],
  ['TALLY_API_RESET_TTL_S', 'api.resetTtlS'],
  ['TALLY_API_LOGIN_TOKEN_TTL_S', 'api.loginTokenTtlS'],
  ['TALLY_SMTP_URL', 'mail.smtpUrl'],
  ['TALLY_MAIL_FROM', 'mail.from'],
  ['TALLY_MAIL_ATTEMPTS', 'mail.attempts'],
  ['TALLY_MAIL_RETRY_BASE_MS', 'mail.retryBaseMs'],
  ['TALLY_MAIL_RETRY_MAX_MS', 'mail.retryMaxMs'],
  ['TALLY_MAIL_ERROR_INTERVAL_MS', 'mail.errorIntervalMs'],
  ['TALLY_MAIL_DEAD_LETTER_THRESHOLD', 'mail.deadLetterThreshold'],
  ['TALLY_REPORTS_REQUEST_THRESHOLD_MS', 'reports.requestThresholdMs'],
  ['TALLY_REPORTS_AUTO_REFRESH_EVERY_MS', 'reports.autoRefreshEveryMs'],
  ['TALLY_REPORTS_REGENERATE_INTERVAL_MS', 'reports.regenerateIntervalMs'],
  ['TALLY_REPORTS_CHECKPOINT_EVERY_MS', 'reports.checkpointEveryMs'],
  ['TALLY_REPORTS_CLEANUP_AGE_DAYS', 'reports.cleanupAgeDays'],
  ['TALLY_REPORTS_CLEANUP_EVERY_MS', 'reports.cleanupEveryMs'],
  ['TALLY_REPORTS_POLL_EVERY_MS', 'reports.pollEveryMs'],
  ['TALLY_REPORTS_LEASE_TTL_MS', 'reports.leaseTtlMs'],
  ['TALLY_REPORTS_FETCH_SIZE', 'reports.fetchSize'],
  ['TALLY_REPORTS_PART_BYTES', 'reports.partBytes'],
  ['TALLY_REPORTS_MAX_CONCURRENT_JOBS', 'reports.maxConcurrentJobs'],
  ['TALLY_NATS_PORT', 'services.natsPort'],
  ['TALLY_MONGO_PORT', 'services.mongoPort'],
  ['TALLY_SERVICES_READY_TIMEOUT_MS', 'services.readyTimeoutMs'],
  ['TALLY_SERVICES_READY_POLL_MS', 'services.readyPollMs'],
  ['TALLY_SERVICES_READY_PROBE_TIMEOUT_MS', 'services.readyProbeTimeoutMs'],
  ['TALLY_SERVICES_DETECT_TIMEOUT_MS', 'services.detectTimeoutMs'],
  ['TALLY_NATS_RECONNECT_WAIT_MS', 'connections.natsReconnectWaitMs'],
  ['TALLY_MONGO_SERVER_SELECTION_TIMEOUT_MS', 'connections.mongoServerSelectionTimeoutMs'],
  ['TALLY_ADMIN_USERNAME', 'admin.username'],
  ['TALLY_ADMIN_PASSWORD', 'admin.password'],
  ['TALLY_ADMIN_EMAIL', 'admin.email'],
];

/** Builds the nested input object from environment variables (empty strings count as unset). */
export function configInputFromEnv(env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, dotted] of ENV_VARS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const path = dotted.split('.');
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node[key] = typeof next === 'object' && next !== null ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] ?? name] = value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses config from a nested object (tests) or from environment variables (`fromEnv: true`),
 * then deep-freezes it. Throws ConfigError listing every problem.
 */
export function loadConfig(input: Env | ConfigInput, options: { fromEnv?: boolean } = {}): Readonly<TallyConfig> {
  const raw = options.fromEnv === true ? configInputFromEnv(input as Env) : input;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const cfg = parsed.data;
  if (cfg.streams.partitionGroups > cfg.streams.partitions) {
    throw new ConfigError([`streams.partitionGroups: must not exceed streams.partitions (${cfg.streams.partitions})`]);
  }
  return deepFreeze(cfg);
}

/** The servers of a `natsUrl` (one, or a cluster's, comma-separated), for the client's server list. */
export const natsServers = (url: string): string[] => url.split(',');

// ---------------------------------------------------------------------------------------------
// Stream, subject and consumer names: defined here once, referenced by these functions only.

/** The immutable event log. */
export const eventsStreamName = (s: StreamsConfig): string => `${s.prefix.toUpperCase()}_EVENTS`;
/** Events that failed decoding or folding, with their reason. */
export const deadLetterStreamName = (s: StreamsConfig): string => `${s.prefix.toUpperCase()}_DLQ`;
/** All event subjects: `<prefix>.ev.<appId>.<partition>`. */
export const eventsSubjectWildcard = (s: StreamsConfig): string => `${s.prefix}.ev.>`;
/** The subject of one app partition. */
export const eventSubject = (s: StreamsConfig, appId: string, partition: number): string => `${s.prefix}.ev.${appId}.${partition}`;
/** Dead-letter subjects: `<prefix>.dlq.<consumer>`. */
export const deadLetterSubject = (s: StreamsConfig, consumer: string): string => `${s.prefix}.dlq.${consumer}`;
export const deadLetterSubjectWildcard = (s: StreamsConfig): string => `${s.prefix}.dlq.>`;
/** Subject that announces app registry changes, so caches in every process invalidate. */
export const appChangedSubject = (s: StreamsConfig): string => `${s.prefix}.ctl.app-changed`;

/** Subject that announces a projection pointer switch, so live processors follow it at once. */
export const projectionSwitchedSubject = (s: StreamsConfig): string => `${s.prefix}.ctl.projection-switched`;
/** Request subject on which processor processes accept `start` commands for rebuilds (queue group). */
export const rebuildCommandSubject = (s: StreamsConfig): string => `${s.prefix}.ctl.rebuild`;
/** Queue group of the rebuild command subscribers: one processor process takes each command. */
export const REBUILD_QUEUE = 'rebuilders';

/** Subject that announces member changes (rights, lock, key, deletion), so member caches invalidate. */
export const memberChangedSubject = (s: StreamsConfig): string => `${s.prefix}.ctl.member-changed`;

/** Partitions owned by one group: p where p % groups == group. */
export function partitionsOfGroup(s: StreamsConfig, group: number): number[] {
  const out: number[] = [];
  for (let p = group; p < s.partitions; p += s.partitionGroups) out.push(p);
  return out;
}

/** Filter subjects of one partition group's consumer (any app, the group's partitions). */
export const groupFilterSubjects = (s: StreamsConfig, group: number): string[] => partitionsOfGroup(s, group).map((p) => `${s.prefix}.ev.*.${p}`);

/**
 * Base name of a projection's partition group: the key of its lease and the label of its dead
 * letters. The JetStream consumer itself is named per ownership epoch (`epochConsumerName`).
 */
export const consumerName = (s: StreamsConfig, projection: string, group: number): string => `${s.prefix}_${projection}_g${group}`;

/**
 * The group's JetStream consumer for one ownership epoch (the lease's revision). A new owner
 * deletes the previous epoch's consumer and creates its own, so a pull left open by a stalled
 * former owner can never receive, nor acknowledge, a message of the new owner's consumer.
 */
export const epochConsumerName = (base: string, epoch: number): string => `${base}_r${epoch}`;

/** The epoch of a consumer of `base`, or undefined when the name is another group's (or a pre-epoch name: 0). */
export function consumerEpoch(base: string, name: string): number | undefined {
  if (name === base) return 0;
  const rest = name.startsWith(`${base}_r`) ? name.slice(base.length + 2) : '';
  return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : undefined;
}
/** Every partition of one app: the filter subject of a report job (reads only that app's events). */
export const appEventsFilterSubject = (s: StreamsConfig, appId: string): string => `${s.prefix}.ev.${appId}.*`;
/** Subject on which the API announces a queued or re-run report task, so a runner starts it at once (polling is the fallback). */
export const reportQueuedSubject = (s: StreamsConfig): string => `${s.prefix}.ctl.report-queued`;
/** Subject on which the API asks the runner holding a task to stop it (`/i/tasks/stop`). */
export const reportStopSubject = (s: StreamsConfig): string => `${s.prefix}.ctl.report-stop`;
/** KV bucket of the report task leases (one key per task being run). */
export const reportLeaseBucket = (s: StreamsConfig): string => `${s.prefix}_report_leases`;
/**
 * Lease key of a task in `reportLeaseBucket`: whoever runs a task (report runner, export job)
 * holds it, so a restart marks a running task errored only when nobody holds it (spec §7.1).
 */
export const taskLeaseKey = (taskId: string): string => `task-${taskId}`;
