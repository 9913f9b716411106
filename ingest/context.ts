// What both ingest routes share: the app cache, the rate limiter, metrics, the NATS link, and the
// steps every accepted request goes through (envelope, size check, publish, answer).
import type { PubAck } from '@nats-io/jetstream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CountlyReplyError, escapeMessageValue, sendMessage, type TrustedProxies } from '../http/index.ts';
import { ENVELOPE_VERSION, partitionOf, type AppSummary, type SdkRequestReceived } from '../projections/index.ts';
import { eventSubject } from '../streams.config.ts';
import type { AppCache } from './app-cache.ts';
import type { GeoIp } from './geo-ip.ts';
import type { IngestDeps } from './deps.ts';
import { PublishUnavailableError } from './errors.ts';
import type { IngestMetrics, IngestOutcome } from './metrics.ts';
import type { NatsLink } from './nats-link.ts';
import { encodeOutgoing, publishAllMessages, type OutgoingMessage } from './publisher.ts';
import type { RateLimiter } from './rate-limit.ts';
import { browserOf } from './user-agent.ts';
import type { WarningList } from './warnings.ts';

/** NATS' default max_payload, used while the server's own value is unknown (disconnected). */
const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;

export const MISSING_IDENTITY = 'Missing parameter "app_key" or "device_id"';
export const DUPLICATE_INFO = 'Request ignored: Duplicate request';

export interface IngestContext {
  readonly deps: IngestDeps;
  readonly apps: AppCache;
  /** Undefined when config.ingest.rateLimitPerAppPerS is 0. */
  readonly limiter: RateLimiter | undefined;
  readonly metrics: IngestMetrics;
  readonly link: NatsLink;
  /** Peers whose forwarding headers are believed (config.ingest.trustedProxies). */
  readonly trusted: TrustedProxies;
  /** Null when config.ingest.geoIp is off. */
  readonly geo: GeoIp | null;
}

/** Ends the request with a Countly refusal, counted by outcome. */
export function refuse(ctx: IngestContext, outcome: IngestOutcome, refusal: CountlyReplyError): never {
  ctx.metrics.count(outcome);
  throw refusal;
}

/** Takes `cost` rate-limit tokens for an app, or refuses with 429 and Retry-After. */
export function takeRate(ctx: IngestContext, appId: string, cost: number): void {
  const decision = ctx.limiter?.take(appId, cost) ?? { ok: true };
  if (!decision.ok)
    refuse(
      ctx,
      'rejected_rate_limited',
      new CountlyReplyError('TALLY_HTTP_RATE_LIMITED', undefined, { headers: { 'Retry-After': String(decision.retryAfterS) } }),
    );
}

export interface EnvelopeFacts {
  readonly id: string;
  readonly requestId: string;
  readonly app: AppSummary;
  readonly appKey: string;
  readonly deviceId: string;
  readonly receivedAtMs: number;
  readonly ip: string | null;
  /** The request's User-Agent header. */
  readonly userAgent: string | undefined;
  readonly params: Record<string, unknown>;
  readonly bulk?: { readonly index: number; readonly count: number };
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Facts only the edge knows, looked up for session starts (the only requests that use them,
 * §2.7–2.8): the address's location (not for a user who opted out with `location=""`) and the
 * browser of the user agent.
 */
function sessionStartFacts(ctx: IngestContext, f: EnvelopeFacts): Pick<SdkRequestReceived, 'geo' | 'browser'> {
  if (f.params.begin_session === undefined) return {};
  const out: Pick<SdkRequestReceived, 'geo' | 'browser'> = {};
  if (ctx.geo !== null && f.ip !== null && f.params.location !== '') out.geo = ctx.geo.lookup(f.ip);
  const metrics = f.params.metrics;
  const browser = browserOf(isRecord(metrics) && typeof metrics._ua === 'string' ? metrics._ua : f.userAgent);
  if (browser !== undefined) out.browser = browser;
  return out;
}

/** The stream event of one accepted request or bulk item, encoded for publishing. */
export function outgoingEnvelope(ctx: IngestContext, f: EnvelopeFacts): OutgoingMessage {
  const event: SdkRequestReceived = {
    v: ENVELOPE_VERSION,
    type: 'SdkRequestReceived',
    id: f.id,
    requestId: f.requestId,
    appId: f.app.id,
    appKey: f.appKey,
    appTimezone: f.app.timezone,
    deviceId: f.deviceId,
    receivedAtMs: f.receivedAtMs,
    ip: f.ip,
    params: f.params,
    ...(f.bulk === undefined ? {} : { bulk: f.bulk }),
    ...sessionStartFacts(ctx, f),
    appCountry: f.app.country,
    appType: f.app.type,
  };
  const streams = ctx.deps.config.streams;
  return encodeOutgoing(eventSubject(streams, f.app.id, partitionOf(f.deviceId, streams.partitions)), event);
}

/** True when the message is larger than the NATS server accepts. */
export function tooLargeToStore(ctx: IngestContext, msg: OutgoingMessage): boolean {
  return msg.data.byteLength > (ctx.deps.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES);
}

/** Publishes and waits for every PubAck; an outage or timeout is a 503 (counted), never a 200. */
export async function publishDurably(ctx: IngestContext, msgs: readonly OutgoingMessage[]): Promise<PubAck[]> {
  if (msgs.length === 0) return [];
  const startedMs = Date.now();
  const budgetMs = ctx.deps.config.ingest.publishTimeoutMs;
  // A disconnect (a cluster node lost, the client moving to another) is waited out within the budget.
  if (!(await ctx.link.whenUp(budgetMs))) {
    ctx.metrics.count('unavailable');
    ctx.metrics.publish(Date.now() - startedMs, false, msgs.length);
    throw new PublishUnavailableError('NATS is disconnected');
  }
  try {
    const acks = await publishAllMessages(ctx.deps.js, msgs, { timeoutMs: Math.max(1, budgetMs - (Date.now() - startedMs)) });
    ctx.metrics.publish(Date.now() - startedMs, true, msgs.length);
    return acks;
  } catch (err) {
    ctx.metrics.count('unavailable');
    ctx.metrics.publish(Date.now() - startedMs, false, msgs.length);
    throw err;
  }
}

/** Counts and logs what an accepted request lost; the log line carries the request id. */
export function recordWarnings(ctx: IngestContext, request: FastifyRequest, warnings: WarningList, appId: string | undefined): void {
  if (warnings.length === 0) return;
  ctx.metrics.countWarnings(warnings);
  request.log.warn({ appId, dropped: warnings.length, warnings: warnings.forAnswer() }, 'request partly dropped');
}

/** Adds the body parser's finding (unparsable JSON body, ignored upload) to the warnings. */
export function addBodyIssue(request: FastifyRequest, warnings: WarningList): void {
  const issue = request.bodyIssue;
  if (issue !== null) warnings.add(issue.param, issue.reason, issue.message);
}

/** `{"result":"Success"}` plus `info` for duplicates and `warnings` for drops. */
export function sendSuccess(request: FastifyRequest, reply: FastifyReply, warnings: WarningList, duplicate: boolean): FastifyReply {
  const extra: Record<string, unknown> = {};
  if (duplicate) extra.info = DUPLICATE_INFO;
  if (warnings.length > 0) extra.warnings = escapeMessageValue(warnings.forAnswer());
  return sendMessage(request, reply, 200, 'Success', extra);
}
