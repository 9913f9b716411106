// One `SdkRequestReceived` → the typed facts every fold reads (§2.1, §2.5–2.10). Parameters are
// parsed here once with zod; junk is dropped, never thrown: a bad field must not lose the rest.
import { dict } from './dict.ts';
import { z } from 'zod';
import { cleanEvents, type CleanEvent } from './event-clean.ts';
import type { GeoLocation, SdkRequestReceived } from './events.ts';
import { md5Base64FirstChar } from './hash.ts';
import { isJsonObject, toJson } from './json.ts';
import type { MetricValues } from './metric-families.ts';
import { escapeMetricValue, normalizeMetrics } from './metric-normalize.ts';
import { requestTimestampMs, timeObject, type TimeObject } from './time.ts';
import { parseUserDetails, type UserDetails } from './user-details.ts';

/** `session_duration_limit` (§2.16), seconds. */
export const SESSION_DURATION_LIMIT_S = 86_400;
/** Duration assumed for a negative `session_duration`, seconds. */
export const NEGATIVE_DURATION_S = 30;

/** Location facts of a request (§2.8); null fields leave the stored value unchanged. */
export interface NormalizedLocation {
  readonly cc: string | null;
  readonly cty: string | null;
  readonly rgn: string | null;
  /** A valid `location="lat,lon"`. */
  readonly coordinates: { readonly lat: number; readonly lon: number } | null;
  /** `begin_session` with `location=""`: the user opted out; stored `loc` is removed. */
  readonly optedOut: boolean;
}

export interface NormalizedRequest {
  readonly eventId: string;
  readonly appId: string;
  readonly appKey: string;
  readonly deviceId: string;
  /** `<appId>:<deviceId>`, the key of device and app-user state in every fold. */
  readonly deviceKey: string;
  /** Countly's users shard of this device: first char of base64(md5(device_id)) (§3.8). */
  readonly deviceShard: string;
  readonly timezone: string;
  readonly receivedAtMs: number;
  /** Request time (§2.1 `timestamp`), ms, and its time object in the app timezone. */
  readonly time: TimeObject;
  readonly beginSession: boolean;
  readonly endSession: boolean;
  /** Applied `session_duration` in seconds after §2.6 rules; null when ignored (0 or NaN). */
  readonly sessionDurationS: number | null;
  /**
   * `session_duration` is present and JS-truthy (Countly tests `params.qstring.session_duration`):
   * such a request is no plain request even when the value is ignored (`"0"` adds nothing, §3.3).
   */
  readonly sessionDurationGiven: boolean;
  readonly ignoreCooldown: boolean;
  /** `no_meta`: skip first/last-seen bookkeeping on the app user. */
  readonly noMeta: boolean;
  /** Normalised metric values (§2.7); null when the request carries no usable `metrics`. */
  readonly metrics: MetricValues | null;
  /** Raw `_locale` (app-user `lo`). */
  readonly locale: string | null;
  /** Events core may aggregate, cleaned (§2.9 steps 1–3, 5–7). */
  readonly events: readonly CleanEvent[];
  /** `data.events` increment: events whose key does not start with `[CLY]_` (§2.17). */
  readonly userEventCount: number;
  /** `segmentation.mode` of the last `[CLY]_orientation` event (app-user `ornt`). */
  readonly orientation: string | null;
  readonly location: NormalizedLocation;
  /** Country used by session aggregation: the user's country after this request, else Unknown. */
  readonly country: string;
  /** Escaped city for the cities family (§2.7): on a session start whose country is the app's; else null. */
  readonly cityValue: string | null;
  readonly userDetails: UserDetails | null;
  /** `old_device_id` when it differs from `device_id` (§6.4). */
  readonly oldDeviceId: string | null;
  readonly sdkName: string | null;
  readonly sdkVersion: string | null;
  /** Device id type `t` (0 developer, 1 SDK, 2 temporary, 3 URL). */
  readonly deviceIdType: number | null;
  /** Raw `tz` parameter, stored as a string. */
  readonly tz: string | null;
  /** compliance-hub consent flags sent with the request. */
  readonly consent: Readonly<Record<string, boolean>> | null;
}

/** JavaScript truthiness, which is how Countly reads flags (`begin_session=0` is truthy text). */
function jsTruthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === '' || Number.isNaN(v));
}

type JsonText = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

/** Parses a JSON parameter sent as text. Decision (§2.3): unparsable JSON means "no value". */
export function parseJsonText(text: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false };
    throw err;
  }
}

const fromJsonText = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const parsed = parseJsonText(v);
  return parsed.ok ? parsed.value : undefined;
};

const jsonObject = z.preprocess(fromJsonText, z.record(z.string(), z.unknown()).optional()).catch(undefined);
const jsonArray = z.preprocess(fromJsonText, z.array(z.unknown()).optional()).catch(undefined);
const flag = z.unknown().optional().transform(jsTruthy);
const text = z
  .unknown()
  .optional()
  .transform((v) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined));

const paramsSchema = z.object({
  timestamp: z.unknown().optional(),
  begin_session: flag,
  end_session: flag,
  ignore_cooldown: flag,
  no_meta: flag,
  session_duration: z.unknown().optional(),
  metrics: jsonObject,
  events: z.unknown().optional(),
  user_details: jsonObject,
  location: text,
  country_code: text,
  city: text,
  region: text,
  old_device_id: text,
  sdk_name: text,
  sdk_version: text,
  t: text,
  tz: text,
  consent: jsonObject,
});
type Params = z.infer<typeof paramsSchema>;

/** §2.6: v = parseInt; 0/NaN ignored; capped at 86400; negative → 30. */
export function sessionDurationOf(raw: unknown): number | null {
  const v = Number.parseInt(typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '', 10);
  if (!v) return null;
  if (v > SESSION_DURATION_LIMIT_S) return SESSION_DURATION_LIMIT_S;
  return v < 0 ? NEGATIVE_DURATION_S : v;
}

const nonEmpty = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** Country codes are path segments of aggregate docs: only ISO-like two-letter codes are kept. */
const countryOf = (v: string | undefined): string | null => (v !== undefined && /^[A-Za-z]{2}$/.test(v) ? v : null);

function coordinatesOf(location: string | undefined): NormalizedLocation['coordinates'] {
  const parts = (location ?? '').split(',');
  if (parts.length !== 2) return null;
  const lat = Number.parseFloat(parts[0] ?? '');
  const lon = Number.parseFloat(parts[1] ?? '');
  return Number.isNaN(lat) || Number.isNaN(lon) ? null : { lat, lon };
}

/**
 * §2.8. On a session start what the request does not say comes from the location ingest looked
 * up (`geo`), then is Unknown. The looked-up region and city are used only with the looked-up
 * country: an explicit `country_code` of another country keeps them Unknown.
 */
function locationOf(p: Params, geo: GeoLocation | null | undefined): NormalizedLocation {
  const coordinates = coordinatesOf(p.location);
  if (p.begin_session && p.location === '') {
    return { cc: 'Unknown', cty: 'Unknown', rgn: 'Unknown', coordinates, optedOut: true };
  }
  const cc = countryOf(p.country_code);
  const cty = nonEmpty(p.city);
  const rgn = nonEmpty(p.region);
  if (!p.begin_session) return { cc, cty, rgn, coordinates, optedOut: false };
  const country = cc ?? geo?.country ?? 'Unknown';
  const local = geo != null && geo.country === country ? geo : null;
  return { cc: country, cty: cty ?? local?.city ?? 'Unknown', rgn: rgn ?? local?.region ?? 'Unknown', coordinates, optedOut: false };
}

/** The cities family's value (§2.7): the session's city when its country is the app's. */
function cityValueOf(beginSession: boolean, location: NormalizedLocation, appCountry: string | undefined): string | null {
  if (!beginSession || location.cty === null || location.cc === null || location.cc !== appCountry) return null;
  const value = escapeMetricValue(location.cty);
  return value === '' ? null : value;
}

/** Parsed events plus the per-user counter, including Countly's char-by-char quirk (§2.1). */
function eventsOf(raw: unknown): { readonly list: readonly unknown[]; readonly userCount: number } {
  const parsed = typeof raw === 'string' ? parseJsonText(raw) : { ok: true as const, value: raw };
  if (!parsed.ok) return { list: [], userCount: typeof raw === 'string' ? raw.length : 0 };
  const list = jsonArray.parse(parsed.value) ?? [];
  const userCount = list.filter((e) => !String(isKeyed(e) ? e.key : undefined).startsWith('[CLY]_')).length;
  return { list, userCount };
}

const isKeyed = (e: unknown): e is { key: unknown } => typeof e === 'object' && e !== null && 'key' in e;

function orientationOf(list: readonly unknown[]): string | null {
  let mode: string | null = null;
  for (const e of list) {
    if (!isKeyed(e) || e.key !== '[CLY]_orientation' || !('segmentation' in e)) continue;
    const seg = toJson(e.segmentation);
    const m = isJsonObject(seg) ? seg.mode : undefined;
    if (typeof m === 'string' && m !== '') mode = m;
  }
  return mode;
}

function consentOf(raw: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, boolean>> | null {
  if (!raw) return null;
  const out = dict<boolean>();
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'boolean') out[k.replace(/^\$+|\./g, '')] = v;
  return Object.keys(out).length > 0 ? out : null;
}

/** Normalises one request. Pure; every fold gets the same answer for the same event. */
export function normalizeRequest(event: SdkRequestReceived): NormalizedRequest {
  const p = paramsSchema.parse(event.params);
  const timeMs = requestTimestampMs(p.timestamp, event.receivedAtMs);
  // A session start with a user agent has browser metrics even without `metrics` (browser plugin).
  const rawMetrics = p.metrics ?? (p.begin_session && event.browser !== undefined ? {} : undefined);
  const metricContext = { browser: p.begin_session ? event.browser : undefined, appType: event.appType };
  const metrics = rawMetrics ? normalizeMetrics(rawMetrics, metricContext) : null;
  const events = eventsOf(p.events);
  const location = locationOf(p, event.geo);
  const t = p.t !== undefined && /^-?\d+$/.test(p.t) ? Number.parseInt(p.t, 10) : null;
  return {
    eventId: event.id,
    appId: event.appId,
    appKey: event.appKey,
    deviceId: event.deviceId,
    deviceKey: deviceKeyOf(event.appId, event.deviceId),
    deviceShard: md5Base64FirstChar(event.deviceId),
    timezone: event.appTimezone,
    receivedAtMs: event.receivedAtMs,
    time: timeObject(timeMs, event.appTimezone),
    beginSession: p.begin_session,
    endSession: p.end_session,
    sessionDurationS: sessionDurationOf(p.session_duration),
    sessionDurationGiven: jsTruthy(p.session_duration),
    ignoreCooldown: p.ignore_cooldown,
    noMeta: p.no_meta,
    metrics: metrics && Object.keys(metrics.values).length > 0 ? metrics.values : null,
    locale: metrics?.locale ?? null,
    events: cleanEvents(events.list, timeMs, event.receivedAtMs),
    userEventCount: events.userCount,
    orientation: orientationOf(events.list),
    location,
    country: location.cc ?? 'Unknown',
    cityValue: cityValueOf(p.begin_session, location, event.appCountry),
    userDetails: (p.user_details && parseUserDetails(p.user_details)) ?? null,
    oldDeviceId: p.old_device_id && p.old_device_id !== event.deviceId ? p.old_device_id : null,
    sdkName: nonEmpty(p.sdk_name),
    sdkVersion: nonEmpty(p.sdk_version),
    deviceIdType: t,
    tz: nonEmpty(p.tz),
    consent: consentOf(p.consent),
  };
}

/** Key of a device (and its app user) in fold state: `<appId>:<deviceId>`. */
export function deviceKeyOf(appId: string, deviceId: string): string {
  return `${appId}:${deviceId}`;
}

// Every fold normalises the same decoded event; the processor hands the same object to each
// fold, so one parse per event is enough. Keyed weakly by the event object: no growth, no I/O.
const normalized = new WeakMap<SdkRequestReceived, NormalizedRequest>();

/** `normalizeRequest`, memoised per event object. */
export function normalizedRequestOf(event: SdkRequestReceived): NormalizedRequest {
  const hit = normalized.get(event);
  if (hit) return hit;
  const result = normalizeRequest(event);
  normalized.set(event, result);
  return result;
}

/** What long reports read of a request: the same facts as `normalizeRequest`, from the same helpers, without the parts only projections need (metrics, location, hashing). */
export interface ReportRequest {
  readonly deviceId: string;
  readonly timezone: string;
  readonly time: TimeObject;
  readonly beginSession: boolean;
  readonly sessionDurationS: number | null;
  readonly events: readonly CleanEvent[];
  readonly userDetails: UserDetails | null;
}

const reportFacts = new WeakMap<SdkRequestReceived, ReportRequest>();

/** The report facts of a request, memoised per event object (pure, like `normalizedRequestOf`). */
export function reportRequestOf(event: SdkRequestReceived): ReportRequest {
  const hit = reportFacts.get(event);
  if (hit) return hit;
  const p = event.params;
  const timeMs = requestTimestampMs(p.timestamp, event.receivedAtMs);
  const details = p.user_details === undefined ? undefined : jsonObject.parse(p.user_details);
  const result: ReportRequest = {
    deviceId: event.deviceId,
    timezone: event.appTimezone,
    time: timeObject(timeMs, event.appTimezone),
    beginSession: jsTruthy(p.begin_session),
    sessionDurationS: sessionDurationOf(p.session_duration),
    events: p.events === undefined ? [] : cleanEvents(eventsOf(p.events).list, timeMs, event.receivedAtMs),
    userDetails: (details && parseUserDetails(details)) ?? null,
  };
  reportFacts.set(event, result);
  return result;
}
