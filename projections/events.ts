// The event contract: what an ingested request becomes on the stream. Immutable: a version
// never changes meaning; a new shape is a new `v`, and `decodeEvent` upcasts old ones here only.
import { dict } from './dict.ts';
import { z } from 'zod';
import { EventDecodeError } from './errors.ts';

/** Current envelope version written by ingest. */
export const ENVELOPE_VERSION = 1;

export const objectIdHex = z.string().regex(/^[0-9a-f]{24}$/, 'must be 24 lowercase hex characters');

/** Country (ISO alpha-2), region and city of a client address, as ingest looked them up (§2.8). */
export const geoLocation = z.object({
  country: z.string().regex(/^[A-Z]{2}$/),
  region: z.string().min(1).nullable(),
  city: z.string().min(1).nullable(),
});
export type GeoLocation = z.infer<typeof geoLocation>;

/** Browser name and version read from a user agent at ingest (§2.7 browser). */
export const browserFacts = z.object({ name: z.string().min(1), version: z.string().min(1).nullable() });
export type BrowserFacts = z.infer<typeof browserFacts>;

/** A parsed request parameter: JSON-valued ones (events, metrics, ...) are already objects. */
const paramValue = z.unknown();

/** One `/i` request (or one `/i/bulk` item) as received, plus server facts. */
export const sdkRequestReceivedV1 = z.object({
  v: z.literal(1),
  type: z.literal('SdkRequestReceived'),
  /** Deterministic id (also the Nats-Msg-Id): a retried request gets the same one. */
  id: z.string().min(1).max(200),
  /** Id of the HTTP request that carried it (log correlation). */
  requestId: z.string().min(1),
  appId: objectIdHex,
  appKey: z.string().min(1),
  /** The app's IANA timezone when the request was received. */
  appTimezone: z.string().min(1),
  deviceId: z.string().min(1),
  /** Server receive time, ms since epoch. */
  receivedAtMs: z.number().int().nonnegative(),
  /** Client IP after `ip_address` / X-Forwarded-For / X-Real-IP resolution. */
  ip: z.string().nullable(),
  /** All parameters as received, JSON values parsed, keys and values cleaned. */
  params: z.record(z.string(), paramValue),
  /** Position inside an /i/bulk request. */
  bulk: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).optional(),
  // Added fields: absent on events written before them, which then fold as they always did.
  /**
   * Location of `ip` looked up at ingest for a request with `begin_session` (null: the address
   * has none, e.g. private). Absent when not looked up (no session start, geo-IP off).
   */
  geo: geoLocation.nullable().optional(),
  /** Browser of the user agent (`metrics._ua`, else the User-Agent header) of a `begin_session` request. */
  browser: browserFacts.optional(),
  /** The app's country when the request was received (cities are kept only for it, §2.7). */
  appCountry: z.string().optional(),
  /** The app's type (`mobile`, `web`, ...) when the request was received (web sources are URLs, §2.7). */
  appType: z.string().optional(),
});

/** An operator reset an app's data (`/i/apps/reset` or delete); recorded so rebuilds agree. */
export const appDataResetV1 = z.object({
  v: z.literal(1),
  type: z.literal('AppDataReset'),
  id: z.string().min(1).max(200),
  appId: objectIdHex,
  /** `reset`/`all`/`delete` wipe everything; `<N>month|<N>year` keep that many recent months. */
  period: z.enum(['reset', 'all', 'delete', '1month', '3month', '6month', '1year', '2year']),
  atMs: z.number().int().nonnegative(),
  /** Partition this copy applies to: a reset is written once per partition to stay ordered. */
  partition: z.number().int().nonnegative(),
});

/**
 * Fields of an operator's change to one app user (`/i/app_users/*`, spec §6.1). Published on the
 * device's partition subject, so it is ordered with that device's requests, and a rebuild
 * replays it where it happened. The API resolves a query to devices before it publishes; the
 * event names the device, never the query.
 */
const appUserChange = {
  v: z.literal(1),
  /** Unique per change (also the Nats-Msg-Id). */
  id: z.string().min(1).max(200),
  appId: objectIdHex,
  appKey: z.string().min(1),
  deviceId: z.string().min(1),
  /** When the operator's request was received, ms since epoch. */
  atMs: z.number().int().nonnegative(),
};

/** `/i/app_users/create`: a user document from the operator's `data` (`did` is `deviceId`). */
export const appUserCreatedV1 = z.object({
  ...appUserChange,
  type: z.literal('AppUserCreated'),
  /** The fields to store, `_id` and `did` left out; a `uid` is kept, else one is issued. */
  fields: z.record(z.string(), z.json()),
});

/** `/i/app_users/update`: allow-listed update operators applied to the device's user. */
export const appUserUpdatedV1 = z.object({
  ...appUserChange,
  type: z.literal('AppUserUpdated'),
  /** `{ "$set": { "<path>": value }, ... }`, checked by `checkUserUpdate` (app-user-ops.ts). */
  update: z.record(z.string(), z.record(z.string(), z.json())),
});

/** `/i/app_users/delete`: the device's user and its per-user documents are erased (§6.3). */
export const appUserDeletedV1 = z.object({
  ...appUserChange,
  type: z.literal('AppUserDeleted'),
});

export const eventEnvelope = z.discriminatedUnion('type', [sdkRequestReceivedV1, appDataResetV1, appUserCreatedV1, appUserUpdatedV1, appUserDeletedV1]);

export type SdkRequestReceived = z.infer<typeof sdkRequestReceivedV1>;
export type AppDataReset = z.infer<typeof appDataResetV1>;
export type AppUserCreated = z.infer<typeof appUserCreatedV1>;
export type AppUserUpdated = z.infer<typeof appUserUpdatedV1>;
export type AppUserDeleted = z.infer<typeof appUserDeletedV1>;
/** An operator's change to one app user. */
export type AppUserChange = AppUserCreated | AppUserUpdated | AppUserDeleted;
/** Event types of operators' changes to app users. */
export const APP_USER_CHANGE_TYPES: readonly string[] = ['AppUserCreated', 'AppUserUpdated', 'AppUserDeleted'];
export const isAppUserChange = (e: { readonly type: string }): e is AppUserChange => APP_USER_CHANGE_TYPES.includes(e.type);
export type EventEnvelope = z.infer<typeof eventEnvelope>;
/** A decoded event with the stream sequence it was read at. */
export type TallyEvent = EventEnvelope & { readonly seq: number };

/**
 * Envelope v0, the draft shape used before the first release: the query as received (every
 * value a string, JSON-valued parameters unparsed) under `query`, and the receive time in
 * seconds under `receivedAt`. No release wrote it; it is kept as the worked example of the
 * upcast path, and tests replay streams holding it.
 */
export const sdkRequestReceivedV0 = sdkRequestReceivedV1.omit({ v: true, receivedAtMs: true, params: true, bulk: true }).extend({
  v: z.literal(0),
  /** Server receive time, seconds since epoch (fractional). */
  receivedAt: z.number().nonnegative(),
  query: z.record(z.string(), z.string()),
});
export type SdkRequestReceivedV0 = z.infer<typeof sdkRequestReceivedV0>;

/** v0 parameters whose text is JSON (the same set ingest parses into v1 params). */
const V0_JSON_PARAMS: ReadonlySet<string> = new Set(['events', 'metrics', 'user_details', 'consent', 'crash', 'apm', 'hc']);

function parsedV0Param(name: string, text: string): unknown {
  if (!V0_JSON_PARAMS.has(name)) return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    // Decision: unparsable JSON text is dropped, as ingest drops it from v1 params (with a warning there).
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** v0 → v1: JSON-valued parameters parsed, receive time in ms. */
export function upcastV0(e: SdkRequestReceivedV0): SdkRequestReceived {
  const params = dict<unknown>();
  for (const [name, text] of Object.entries(e.query)) {
    const value = parsedV0Param(name, text);
    if (value !== undefined) params[name] = value;
  }
  return {
    v: 1,
    type: 'SdkRequestReceived',
    id: e.id,
    requestId: e.requestId,
    appId: e.appId,
    appKey: e.appKey,
    appTimezone: e.appTimezone,
    deviceId: e.deviceId,
    receivedAtMs: Math.round(e.receivedAt * 1_000),
    ip: e.ip,
    params,
  };
}

/** Older shapes are upcast here, in one place, before the current schema is applied. */
function upcast(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('v' in raw) || raw.v !== 0) return raw;
  const old = sdkRequestReceivedV0.safeParse(raw);
  // An invalid v0 is passed on unchanged: the current schema then rejects it with its issues.
  return old.success ? upcastV0(old.data) : raw;
}

/** Decodes and validates one stream message. Throws EventDecodeError with the zod issues. */
export function decodeEvent(data: Uint8Array, seq: number): TallyEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new EventDecodeError(`event at seq ${seq} is not JSON`, { cause: err });
  }
  const parsed = eventEnvelope.safeParse(upcast(raw));
  if (!parsed.success) {
    throw new EventDecodeError(`event at seq ${seq} does not match the envelope: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return { ...parsed.data, seq };
}

/** Serialises an envelope after validating it (ingest never writes an invalid event). */
export function encodeEvent(event: EventEnvelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(eventEnvelope.parse(event)));
}

/** FNV-1a 32-bit: a stable, fast device → partition hash (same in every process and version). */
export function partitionOf(deviceId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
