// All parameters of one `/i` request (or one `/i/bulk` item), cleaned for the envelope: JSON-valued
// parameters parsed whether they came as text or as objects (spec §1.2), known scalars type-checked,
// every key made safe. Whatever is dropped is named in the warnings; nothing is dropped silently.
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseJsonText } from '../http/index.ts';
import { cleanEvents, numberLike } from './clean-events.ts';
import { cleanObjectKey, isUnsafeParamName } from './clean-keys.ts';
import { cleanJson, isPlainObject, type CleanScope } from './clean-json.ts';
import { cleanUserDetails } from './clean-user-details.ts';
import { paramPath, type WarningList } from './warnings.ts';

/** Parameters whose value is a JSON object (text or object). `events` is the one JSON array. */
const JSON_OBJECT_PARAMS: ReadonlySet<string> = new Set(['metrics', 'user_details', 'consent', 'crash', 'apm', 'hc']);

/** Scalars that Countly reads as numbers (§2.1). */
const NUMERIC_PARAMS: ReadonlySet<string> = new Set(['timestamp', 'session_duration', 'hour', 'dow']);

/** Other known scalar parameters (§2.1); a JSON body may not turn them into objects. */
const SCALAR_PARAMS: ReadonlySet<string> = new Set([
  'app_key',
  'device_id',
  'tz',
  'sdk_name',
  'sdk_version',
  't',
  'av',
  'rr',
  'begin_session',
  'end_session',
  'ignore_cooldown',
  'location',
  'country_code',
  'city',
  'region',
  'old_device_id',
  'checksum',
  'checksum256',
  'safe_api_response',
  'no_meta',
  'populator',
  'app_id',
  'user_id',
  'callback',
]);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export interface CleanLimits {
  /** Most events one request may carry (config.ingest.maxEventsPerRequest). */
  readonly maxEvents: number;
}

export type CleanParamsResult =
  { readonly kind: 'ok'; readonly params: Record<string, unknown> } | { readonly kind: 'too_many_events'; readonly count: number };

function cleanObjectParam(name: string, value: unknown, at: string, warnings: WarningList): unknown {
  let parsed = value;
  if (typeof value === 'string') {
    const text = parseJsonText(value);
    if (!text.ok) {
      warnings.add(at, 'invalid_json', `dropped: ${text.message}`);
      return undefined;
    }
    parsed = text.value;
  }
  if (!isPlainObject(parsed)) {
    warnings.add(at, 'wrong_type', `dropped: ${name} must be a JSON object`);
    return undefined;
  }
  if (name === 'user_details') return cleanUserDetails(parsed, at, warnings);
  return cleanJson(parsed, at, 0, { warnings, keyRule: cleanObjectKey });
}

function cleanScalarParam(name: string, value: unknown, at: string, warnings: WarningList): unknown {
  if (!scalar.safeParse(value).success) {
    warnings.add(at, 'wrong_type', `dropped: ${name} must be a single string or number`);
    return undefined;
  }
  if (NUMERIC_PARAMS.has(name) && value !== null && !numberLike.safeParse(value).success) {
    warnings.add(at, 'invalid_number', `dropped: ${name} must be a number`);
    return undefined;
  }
  if (name === 'ip_address' && (typeof value !== 'string' || isIP(value.trim()) === 0)) {
    warnings.add(at, 'invalid_ip_address', 'dropped: ip_address must be an IPv4 or IPv6 address');
    return undefined;
  }
  return value;
}

function cleanOne(name: string, value: unknown, at: string, warnings: WarningList): unknown {
  if (JSON_OBJECT_PARAMS.has(name)) return cleanObjectParam(name, value, at, warnings);
  if (NUMERIC_PARAMS.has(name) || SCALAR_PARAMS.has(name) || name === 'ip_address') return cleanScalarParam(name, value, at, warnings);
  const scope: CleanScope = { warnings, keyRule: cleanObjectKey };
  return cleanJson(value, at, 0, scope);
}

/**
 * Cleans every parameter. `path` prefixes warning paths (`requests[3]` for a bulk item).
 * Returns `too_many_events` without cleaning further when `events` exceeds the limit.
 */
export function cleanParams(raw: Readonly<Record<string, unknown>>, path: string, warnings: WarningList, limits: CleanLimits): CleanParamsResult {
  const out = new Map<string, unknown>();
  for (const [name, value] of Object.entries(raw)) {
    const at = paramPath(path, name);
    if (isUnsafeParamName(name)) {
      warnings.add(at, 'unsafe_param_name', 'dropped: parameter names may not start with $ or contain dots or NUL');
      continue;
    }
    if (name === 'events') {
      const events = cleanEvents(value, at, warnings, limits.maxEvents);
      if (events.kind === 'too_many') return { kind: 'too_many_events', count: events.count };
      if (events.kind === 'ok') out.set(name, events.events);
      continue;
    }
    const cleaned = cleanOne(name, value, at, warnings);
    if (cleaned !== undefined) out.set(name, cleaned);
  }
  return { kind: 'ok', params: Object.fromEntries(out) };
}
