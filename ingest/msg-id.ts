// Deterministic event ids, used as the JetStream Nats-Msg-Id: a client retry of the same request
// gets the same id and is stored once within the stream's duplicate window. The rule follows
// Countly's duplicate hash (spec §2.14); docs/ingest.md explains it.
import { createHash } from 'node:crypto';

/** Parameters left out of the payload: they change between retries of one request. */
const VOLATILE_PARAMS: ReadonlySet<string> = new Set(['rr', 'checksum', 'checksum256', 'callback']);

/** Removes the volatile `name=value` pairs from a URL-encoded text (query or form body). */
export function stripVolatilePairs(encoded: string): string {
  if (encoded === '') return '';
  return encoded
    .split('&')
    .filter((pair) => !VOLATILE_PARAMS.has(decodePairName(pair)))
    .join('&');
}

function decodePairName(pair: string): string {
  const eq = pair.indexOf('=');
  const name = (eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch (err) {
    // Decision: a name that is not valid percent-encoding is compared as sent; it is never volatile.
    if (err instanceof URIError) return name;
    throw err;
  }
}

/** The `timestamp` part of the id: the parameter as sent, else something unique to this HTTP request. */
function timestampPart(timestamp: unknown, uniqueFallback: string): string {
  if (typeof timestamp === 'string' && timestamp !== '') return `ts:${timestamp}`;
  if (typeof timestamp === 'number') return `ts:${timestamp}`;
  return `req:${uniqueFallback}`;
}

function digest(kind: string, parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return `${kind}-${h.digest('base64url')}`;
}

export interface RequestIdInput {
  readonly appId: string;
  readonly deviceId: string;
  readonly rawQuery: string;
  readonly rawBody: string;
  /** True for form and multipart bodies (`k=v&...`); a JSON body is used as sent. */
  readonly bodyIsPairs: boolean;
  readonly timestamp: unknown;
  /** The HTTP request id: unique per request unless the client sends X-Request-Id. */
  readonly requestId: string;
}

/** Id of a `/i` request: app, device, payload (query + body, volatile pairs removed) and timestamp. */
export function requestEventId(input: RequestIdInput): string {
  const body = input.bodyIsPairs ? stripVolatilePairs(input.rawBody) : input.rawBody;
  const payload = `${stripVolatilePairs(input.rawQuery)}&${body}`;
  return digest('i1', [input.appId, input.deviceId, payload, timestampPart(input.timestamp, input.requestId)]);
}

/** JSON text with object keys sorted, so equal items give equal text. Input depth is bounded by cleaning. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface BulkItemIdInput {
  readonly appId: string;
  readonly deviceId: string;
  /** The cleaned item parameters. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly requestId: string;
  readonly index: number;
}

/**
 * Id of one `/i/bulk` item: app, device, the item's own parameters and its own timestamp. The
 * position in the bulk is used only when the item has no timestamp, so a client that regroups
 * items between retries still stores each item once.
 */
export function bulkItemEventId(input: BulkItemIdInput): string {
  const content = Object.fromEntries(Object.entries(input.params).filter(([k]) => !VOLATILE_PARAMS.has(k)));
  const ts = timestampPart(input.params.timestamp, `${input.requestId}#${input.index}`);
  return digest('b1', [input.appId, input.deviceId, stableJson(content), ts]);
}
