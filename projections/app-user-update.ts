// What one request writes on its app-user document (§2.6–2.8, §2.10, §2.17), deterministic from
// the stream: request time and receive time instead of a server clock. Fields that need the raw
// HTTP request (`last_req`, `last_req_get/post`, `first_req_get/post`) are ingest's business.
import { dict } from './dict.ts';
import { isJsonObject, type Json, type JsonObject } from './json.ts';
import type { NormalizedRequest } from './request.ts';
import { deviceStateToAppUserFields, type DeviceStep } from './session-rules.ts';
import { applyUserDetails } from './user-details.ts';

/** `req_count` stops growing at this value (§2.17). */
export const REQ_COUNT_CAP = 100;

type Doc = Record<string, Json>;

const withObject = (doc: Doc, field: string, patch: JsonObject): void => {
  const current = doc[field];
  doc[field] = { ...(isJsonObject(current) ? current : {}), ...patch };
};

/** Session fields from the device step (§2.6), plus `lsid` and the per-session `data` reset. */
function applySession(doc: Doc, req: NormalizedRequest, step: DeviceStep): void {
  const touched = step.durationS !== null || step.closedSessionS !== null;
  for (const [field, value] of Object.entries(deviceStateToAppUserFields(step.device))) {
    // Zero counters nothing wrote to stay absent (a stub has no `sc`, `sd`, `tsd`).
    if (value === 0 && doc[field] === undefined && !touched) continue;
    doc[field] = value;
  }
  if (!step.device.hos) delete doc.hos;
  if (step.session.kind === 'new') doc.lsid = req.eventId;
  // A session closed at begin resets `data` before this request's events count into the new one.
  if (step.closedSessionS !== null && req.beginSession) doc.data = {};
}

function applyEventsCounters(doc: Doc, req: NormalizedRequest, step: DeviceStep): void {
  if (req.userEventCount > 0) {
    const data = doc.data;
    const events = isJsonObject(data) && typeof data.events === 'number' ? data.events : 0;
    withObject(doc, 'data', { events: events + req.userEventCount });
  }
  // An end_session closes the session after its own events were counted (Countly's post-step).
  if (step.closedSessionS !== null && !req.beginSession) doc.data = {};
  if (req.orientation !== null) doc.ornt = req.orientation;
}

/** Location (§2.8): cc/cty/rgn, `loc` from valid coordinates, removed when opted out. */
function applyLocation(doc: Doc, req: NormalizedRequest): void {
  const { cc, cty, rgn, coordinates, optedOut } = req.location;
  if (cc !== null) doc.cc = cc;
  if (cty !== null) doc.cty = cty;
  if (rgn !== null) doc.rgn = rgn;
  if (optedOut) delete doc.loc;
  else if (coordinates !== null) {
    doc.loc = { gps: true, geo: { type: 'Point', coordinates: [coordinates.lon, coordinates.lat] }, date: req.time.timestampMs };
  }
}

function applyRequestFacts(doc: Doc, req: NormalizedRequest): void {
  if (req.locale !== null) doc.lo = req.locale;
  if (req.sdkName !== null) withObject(doc, 'sdk', { name: req.sdkName });
  if (req.sdkVersion !== null) withObject(doc, 'sdk', { version: req.sdkVersion });
  if (req.deviceIdType !== null) {
    doc.t = req.deviceIdType;
    if (req.deviceIdType === 0) doc.hasInfo = true;
  }
  if (req.tz !== null) doc.tz = req.tz;
  if (req.consent !== null) withObject(doc, 'consent', req.consent);
}

const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

/** First/last activity and sync bookkeeping (§2.17), skipped with `no_meta`. */
function applyBookkeeping(doc: Doc, req: NormalizedRequest): void {
  if (req.noMeta) return;
  const nowS = req.time.timestampS;
  const receivedS = Math.floor(req.receivedAtMs / 1000);
  if (doc.fac === undefined) doc.fac = Math.min(num(doc.fs) ?? nowS, nowS);
  if (doc.first_sync === undefined) doc.first_sync = receivedS;
  const lac = num(doc.lac);
  if (lac === undefined || nowS > lac) doc.lac = nowS;
  doc.last_sync = receivedS;
  doc.lu = req.receivedAtMs;
  const count = num(doc.req_count) ?? 0;
  if (count < REQ_COUNT_CAP) doc.req_count = count + 1;
}

/** The document after one request, given the device step computed from its state before. */
export function updateAppUser(before: JsonObject, req: NormalizedRequest, step: DeviceStep): JsonObject {
  const doc: Doc = { ...before, did: req.deviceId };
  applySession(doc, req, step);
  applyLocation(doc, req);
  if (req.metrics !== null) Object.assign(doc, req.metrics);
  applyRequestFacts(doc, req);
  applyEventsCounters(doc, req, step);
  applyBookkeeping(doc, req);
  return req.userDetails === null ? doc : applyUserDetails(doc, req.userDetails);
}

/** `metric_changes` entry (§2.17): metric (and country) values that differ on a session start. */
export function metricChanges(before: JsonObject, req: NormalizedRequest, step: DeviceStep): JsonObject | null {
  if (step.session.kind !== 'new' || step.session.newUser) return null;
  const changes = dict<Json>();
  const record = (field: string, next: string): void => {
    const old = before[field];
    if (old !== next) changes[field] = old === undefined ? { n: next } : { o: old, n: next };
  };
  for (const [field, value] of Object.entries(req.metrics ?? {})) if (value !== undefined) record(field, value);
  record('cc', req.country);
  if (Object.keys(changes).length === 0) return null;
  return { uid: before.uid ?? null, ts: req.time.timestampS, cd: req.receivedAtMs, ...changes };
}
