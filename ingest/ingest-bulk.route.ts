// `/i/bulk` (spec §2.15): each item is checked like an `/i` request and becomes its own envelope
// with its own deterministic id. Unlike Countly, which answers first and processes afterwards,
// Tally answers only when every accepted item is durable; skipped items are named in `warnings`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CountlyReplyError, parseJsonText, requestParams, resolveClientIp } from '../http/index.ts';
import type { AppSummary } from '../projections/index.ts';
import { checksumInput, verifyChecksum, type ChecksumVerdict } from './checksum.ts';
import { isPlainObject } from './clean-json.ts';
import { cleanParams } from './clean-params.ts';
import {
  addBodyIssue,
  outgoingEnvelope,
  publishDurably,
  recordWarnings,
  refuse,
  sendSuccess,
  takeRate,
  tooLargeToStore,
  type IngestContext,
} from './context.ts';
import { appRefusal, invalidGlobalParam, parseIdentity, ZERO_IDFA } from './identity.ts';
import { bulkItemEventId } from './msg-id.ts';
import type { OutgoingMessage } from './publisher.ts';
import { paramPath, WarningList, type WarningReason } from './warnings.ts';

/** What all items of one bulk share. */
interface BulkScope {
  readonly ctx: IngestContext;
  readonly request: FastifyRequest;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly apps: ReadonlyMap<string, AppSummary | undefined>;
  /** Checksum verdicts of the bulk request, by app salt (computed once per salt). */
  readonly checksums: Map<string, ChecksumVerdict>;
  readonly receivedAtMs: number;
  readonly count: number;
}

interface AcceptedItem {
  readonly appId: string;
  readonly msg: OutgoingMessage;
}

/** The `requests` parameter as an array, or a Countly refusal (§2.15). */
function requestsOf(ctx: IngestContext, value: unknown): readonly unknown[] {
  let parsed = value;
  if (value === undefined || value === null || value === '')
    refuse(ctx, 'rejected_bad_requests_param', new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "requests"'));
  if (typeof value === 'string') {
    const text = parseJsonText(value);
    if (!text.ok) refuse(ctx, 'rejected_bad_requests_param', new CountlyReplyError('TALLY_HTTP_MISSING_PARAMETER', 'Missing parameter "requests"'));
    parsed = text.value;
  }
  if (!Array.isArray(parsed)) refuse(ctx, 'rejected_bad_requests_param', new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', 'Invalid parameter "requests"'));
  const max = ctx.deps.config.ingest.maxBulkRequests;
  if (parsed.length > max)
    refuse(ctx, 'rejected_too_large', new CountlyReplyError('TALLY_HTTP_TOO_LARGE', `Too many requests in one bulk: ${parsed.length}, the limit is ${max}`));
  return parsed;
}

const appKeyOf = (item: unknown, topAppKey: unknown): unknown => (isPlainObject(item) && item.app_key !== undefined ? item.app_key : topAppKey);

/** Resolves every distinct app key of the bulk at once (cache hits cost nothing). */
async function resolveApps(ctx: IngestContext, items: readonly unknown[], topAppKey: unknown): Promise<Map<string, AppSummary | undefined>> {
  const keys = new Set<string>();
  for (const item of items) {
    const id = parseIdentity({ app_key: appKeyOf(item, topAppKey), device_id: 'x' });
    if (id !== undefined) keys.add(id.appKey);
  }
  const resolved = await Promise.all([...keys].map(async (k): Promise<[string, AppSummary | undefined]> => [k, await ctx.apps.resolve(k)]));
  return new Map(resolved);
}

function checksumOf(scope: BulkScope, salt: string): ChecksumVerdict {
  const known = scope.checksums.get(salt);
  if (known !== undefined) return known;
  const { request, raw } = scope;
  const verdict = verifyChecksum(checksumInput(request, raw, salt));
  scope.checksums.set(salt, verdict);
  return verdict;
}

/** Why an item is skipped before cleaning, or its app and identity. */
function checkItem(scope: BulkScope, item: unknown): { reason: WarningReason; message: string } | { app: AppSummary; appKey: string; deviceId: string } {
  if (!isPlainObject(item)) return { reason: 'bulk_item_not_object', message: 'skipped: each request must be an object' };
  const identity = parseIdentity({ app_key: appKeyOf(item, scope.raw.app_key), device_id: item.device_id });
  if (identity === undefined) return { reason: 'bulk_item_missing_identity', message: 'skipped: missing app_key or device_id' };
  if (identity.deviceId === ZERO_IDFA) return { reason: 'bulk_item_zero_idfa', message: 'skipped: zero IDFA device id' };
  const app = scope.apps.get(identity.appKey);
  if (app === undefined) return { reason: 'bulk_item_app_does_not_exist', message: 'skipped: App does not exist' };
  const refusal = appRefusal(app, item);
  if (refusal === 'paused') return { reason: 'bulk_item_app_paused', message: 'skipped: App is currently not accepting data' };
  if (refusal === 'locked') return { reason: 'bulk_item_app_locked', message: 'skipped: App is locked' };
  const verdict = app.salt === '' ? 'ok' : checksumOf(scope, app.salt);
  if (verdict === 'missing') return { reason: 'bulk_item_checksum_missing', message: 'skipped: Request does not have checksum' };
  if (verdict === 'mismatch') return { reason: 'bulk_item_checksum_mismatch', message: 'skipped: Request does not match checksum' };
  return { app, ...identity };
}

/** One item: checked, cleaned and encoded; undefined when skipped (with a warning). */
function admitItem(scope: BulkScope, item: unknown, index: number, warnings: WarningList): AcceptedItem | undefined {
  const path = paramPath('requests', index);
  const checked = checkItem(scope, item);
  if ('reason' in checked || !isPlainObject(item)) {
    if ('reason' in checked) warnings.add(path, checked.reason, checked.message);
    return undefined;
  }
  const local = new WarningList();
  const maxEvents = scope.ctx.deps.config.ingest.maxEventsPerRequest;
  const cleaned = cleanParams(item, path, local, { maxEvents });
  if (cleaned.kind === 'too_many_events') {
    warnings.add(path, 'bulk_item_too_many_events', `skipped: ${cleaned.count} events, the limit is ${maxEvents}`);
    return undefined;
  }
  const { app, appKey, deviceId } = checked;
  const requestId = String(scope.request.id);
  const msg = outgoingEnvelope(scope.ctx, {
    id: bulkItemEventId({ appId: app.id, deviceId, params: cleaned.params, requestId, index }),
    requestId,
    app,
    appKey,
    deviceId,
    receivedAtMs: scope.receivedAtMs,
    ip: resolveClientIp(cleaned.params.ip_address, scope.request.headers, scope.request.socket.remoteAddress, scope.ctx.trusted),
    userAgent: scope.request.headers['user-agent'],
    params: { ...cleaned.params, app_key: appKey, device_id: deviceId },
    bulk: { index, count: scope.count },
  });
  if (tooLargeToStore(scope.ctx, msg)) {
    warnings.add(path, 'bulk_item_too_large', 'skipped: the item is too large to store');
    return undefined;
  }
  warnings.items.push(...local.items);
  return { appId: app.id, msg };
}

function takeBulkRate(ctx: IngestContext, accepted: readonly AcceptedItem[]): void {
  const perApp = new Map<string, number>();
  for (const a of accepted) perApp.set(a.appId, (perApp.get(a.appId) ?? 0) + 1);
  for (const [appId, n] of perApp) takeRate(ctx, appId, n);
}

async function handleBulk(ctx: IngestContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const receivedAtMs = Date.now();
  const raw = requestParams(request);
  const badParam = invalidGlobalParam(raw);
  if (badParam !== undefined) refuse(ctx, 'rejected_invalid_param', new CountlyReplyError('TALLY_HTTP_INVALID_PARAMETER', `Invalid parameter "${badParam}"`));
  const items = requestsOf(ctx, raw.requests);
  const warnings = new WarningList();
  addBodyIssue(request, warnings);
  const apps = await resolveApps(ctx, items, raw.app_key);
  const scope: BulkScope = { ctx, request, raw, apps, checksums: new Map(), receivedAtMs, count: items.length };
  const accepted = items.map((item, i) => admitItem(scope, item, i, warnings)).filter((a): a is AcceptedItem => a !== undefined);
  takeBulkRate(ctx, accepted);
  const acks = await publishDurably(
    ctx,
    accepted.map((a) => a.msg),
  );
  const duplicates = acks.filter((a) => a.duplicate).length;
  ctx.metrics.count('accepted_bulk_item', acks.length - duplicates);
  ctx.metrics.count('duplicate', duplicates);
  recordWarnings(ctx, request, warnings, undefined);
  return sendSuccess(request, reply, warnings, acks.length > 0 && duplicates === acks.length);
}

export function registerBulkRoute(app: FastifyInstance, ctx: IngestContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/i/bulk',
    exposeHeadRoute: false,
    handler: (request, reply) => handleBulk(ctx, request, reply),
  });
}
