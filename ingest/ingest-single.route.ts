// `/i` (spec §2.1–2.3): validate, resolve the app from the cache, check the checksum, clean,
// publish one envelope, and answer only after JetStream acknowledged it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CountlyReplyError, requestParams, resolveClientIp, sendMessage } from '../http/index.ts';
import type { AppSummary } from '../projections/index.ts';
import { CHECKSUM_MESSAGES, checksumInput, verifyChecksum } from './checksum.ts';
import { cleanParams } from './clean-params.ts';
import {
  addBodyIssue,
  MISSING_IDENTITY,
  outgoingEnvelope,
  publishDurably,
  recordWarnings,
  refuse,
  sendSuccess,
  takeRate,
  tooLargeToStore,
  type IngestContext,
} from './context.ts';
import { appRefusal, invalidGlobalParam, parseIdentity, ZERO_IDFA, type Identity } from './identity.ts';
import { requestEventId } from './msg-id.ts';
import type { OutgoingMessage } from './publisher.ts';
import { WarningList } from './warnings.ts';

/** True for bodies made of `k=v&...` pairs (form and multipart), whose volatile pairs can be removed. */
const bodyIsPairs = (request: FastifyRequest): boolean =>
  /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(request.headers['content-type'] ?? '');

/** §1.4 and §2.2 steps 4–7: the checks that end a request before anything is published. */
async function admitSingle(ctx: IngestContext, raw: Readonly<Record<string, unknown>>): Promise<{ identity: Identity; app: AppSummary } | 'zero_idfa'> {
  const badParam = invalidGlobalParam(raw);
  if (badParam !== undefined) refuse(ctx, 'rejected_invalid_param', new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid parameter "${badParam}"`));
  const identity = parseIdentity(raw);
  if (identity === undefined) refuse(ctx, 'rejected_missing_identity', new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', MISSING_IDENTITY));
  if (identity.deviceId === ZERO_IDFA) return 'zero_idfa';
  const app = await ctx.apps.resolve(identity.appKey);
  if (app === undefined) refuse(ctx, 'rejected_unknown_app', new CountlyReplyError('TALLY_HTTP_INVALID_APP_KEY'));
  const refusal = appRefusal(app, raw);
  if (refusal === 'paused') refuse(ctx, 'rejected_app_paused', new CountlyReplyError('TALLY_HTTP_APP_PAUSED'));
  if (refusal === 'locked') refuse(ctx, 'rejected_app_locked', new CountlyReplyError('TALLY_HTTP_APP_LOCKED', 'App is locked'));
  return { identity, app };
}

/** The Countly answer when a salted app's checksum fails (§2.13), else undefined. */
function checksumFailure(request: FastifyRequest, raw: Readonly<Record<string, unknown>>, app: AppSummary): string | undefined {
  if (app.salt === '') return undefined;
  const verdict = verifyChecksum(checksumInput(request, raw, app.salt));
  return verdict === 'ok' ? undefined : CHECKSUM_MESSAGES[verdict];
}

interface SingleFacts {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly params: Record<string, unknown>;
  readonly identity: Identity;
  readonly app: AppSummary;
  readonly receivedAtMs: number;
}

function singleMessage(ctx: IngestContext, request: FastifyRequest, f: SingleFacts): OutgoingMessage {
  const requestId = String(request.id);
  const { app, identity } = f;
  return outgoingEnvelope(ctx, {
    id: requestEventId({
      appId: app.id,
      deviceId: identity.deviceId,
      rawQuery: request.rawQuery,
      rawBody: request.rawBody,
      bodyIsPairs: bodyIsPairs(request),
      timestamp: f.raw.timestamp,
      requestId,
    }),
    requestId,
    app,
    appKey: identity.appKey,
    deviceId: identity.deviceId,
    receivedAtMs: f.receivedAtMs,
    ip: resolveClientIp(f.params.ip_address, request.headers, request.socket.remoteAddress, ctx.trusted),
    userAgent: request.headers['user-agent'],
    params: { ...f.params, app_key: identity.appKey, device_id: identity.deviceId },
  });
}

async function handleSingle(ctx: IngestContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const receivedAtMs = Date.now();
  const raw = requestParams(request);
  const admitted = await admitSingle(ctx, raw);
  if (admitted === 'zero_idfa') {
    ctx.metrics.count('ignored_zero_idfa');
    return sendMessage(request, reply, 200, 'Ignoring device_id');
  }
  const { identity, app } = admitted;
  takeRate(ctx, app.id, 1);
  const checksumAnswer = checksumFailure(request, raw, app);
  if (checksumAnswer !== undefined) {
    ctx.metrics.count('ignored_checksum');
    return sendMessage(request, reply, 200, checksumAnswer);
  }
  const warnings = new WarningList();
  addBodyIssue(request, warnings);
  const maxEvents = ctx.deps.config.ingest.maxEventsPerRequest;
  const cleaned = cleanParams(raw, '', warnings, { maxEvents });
  if (cleaned.kind === 'too_many_events') {
    refuse(
      ctx,
      'rejected_too_many_events',
      new CountlyReplyError('TALLY_HTTP_TOO_LARGE', `Too many events: ${cleaned.count} in one request, the limit is ${maxEvents}`),
    );
  }
  const msg = singleMessage(ctx, request, { raw, params: cleaned.params, identity, app, receivedAtMs });
  if (tooLargeToStore(ctx, msg)) refuse(ctx, 'rejected_too_large', new CountlyReplyError('TALLY_HTTP_TOO_LARGE', 'Request is too large to store'));
  const [ack] = await publishDurably(ctx, [msg]);
  const duplicate = ack?.duplicate === true;
  ctx.metrics.count(duplicate ? 'duplicate' : 'accepted');
  recordWarnings(ctx, request, warnings, app.id);
  return sendSuccess(request, reply, warnings, duplicate);
}

export function registerSingleRoute(app: FastifyInstance, ctx: IngestContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/i',
    // HEAD must not run the handler: it would store data and answer without a body.
    exposeHeadRoute: false,
    handler: (request, reply) => handleSingle(ctx, request, reply),
  });
}
