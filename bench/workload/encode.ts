// Turns generated requests into what goes on the wire: a `/i` query string, an `/i/bulk` form
// body, or a ready `SdkRequestReceived` envelope for publishing straight to the stream.
import type { SdkRequestReceived } from '../../projections/index.ts';
import type { WorkloadApp } from './apps.ts';
import type { CountlyRequest } from './sessions.ts';

function encodeValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return encodeURIComponent(value);
  return encodeURIComponent(JSON.stringify(value));
}

/** `k=v&...` with JSON-valued parameters (metrics, events) serialised, as SDKs send them. */
export function toQuery(req: CountlyRequest): string {
  let out = '';
  for (const [k, v] of Object.entries(req)) {
    if (v === undefined) continue;
    out += `${out === '' ? '' : '&'}${k}=${encodeValue(v)}`;
  }
  return out;
}

/** The form body of one `/i/bulk` call: every item carries its own app_key (spec §2.15). */
export function toBulkBody(items: readonly CountlyRequest[]): string {
  return `requests=${encodeURIComponent(JSON.stringify(items))}`;
}

/** Parameters as ingest records them: scalars as the strings HTTP delivers, JSON values parsed. */
function receivedParams(req: CountlyRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req)) {
    if (v !== undefined) out[k] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

export interface EnvelopeFacts {
  /** Deterministic envelope id (also the Nats-Msg-Id). */
  readonly id: string;
  readonly requestId: string;
  /** Server receive time, ms. */
  readonly receivedAtMs: number;
  readonly ip?: string;
}

/** The envelope ingest would publish for this request. */
export function toEnvelope(req: CountlyRequest, app: WorkloadApp, facts: EnvelopeFacts): SdkRequestReceived {
  return {
    v: 1,
    type: 'SdkRequestReceived',
    id: facts.id,
    requestId: facts.requestId,
    appId: app.id,
    appKey: app.key,
    appTimezone: app.profile.timezone,
    deviceId: req.device_id,
    receivedAtMs: facts.receivedAtMs,
    ip: facts.ip ?? '127.0.0.1',
    params: receivedParams(req),
  };
}
