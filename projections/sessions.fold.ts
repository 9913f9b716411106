// Users/sessions aggregates (§2.6, §3.3–3.5, §3.8) as a pure fold: per-device session state in,
// pending `users` month/year document deltas out.
//
// Visibility (§3.8): Countly shards users docs by base64(md5(device_id))[0] and readers skip
// docs without `m`, which only a new-session write sets; so `e`, `d` and `ds` stored in a shard
// that had no new session that month stay invisible until its first one, and then show with
// everything stored earlier. We keep one document per period (and partition group) with a
// `vis.<shard>: true` flag per shard that had a new session, and store, then reveal: a count
// for a shard not yet visible in this document goes to the same path under `h.<shard>` instead
// of `d`; readers add `h.<shard>` into `d` once any group's document of the period has
// `vis.<shard>` (projections/users-reveal.ts). Only counts that wait for their shard live in
// `h`, in the document they would have gone to, so no write and no document is added.
//
// Duration buckets of an end_session are recorded at the end_session itself, not 15 ms later.
import { DocsDraft, incMonth, incZero, monthPeriod, yearPeriod, type DocHandle, type DocRef, type PendingDocs } from './aggregate-doc.ts';
import { RecordDraft } from './draft.ts';
import type { AppDataReset } from './events.ts';
import { belongsToApp, handles, maxSeq, PROJECTION_EVENT_TYPES, type FoldEvent } from './fold.ts';
import { normalizedRequestOf, type NormalizedRequest } from './request.ts';
import { periodBefore, resetCutoff } from './reset.ts';
import { durationBucket, resolveDevice, stepDevice, type DeviceState, type SessionStart } from './session-rules.ts';

/** Shards that had a new session, per `users` document id (the stored `vis` field). */
export type UsersVisibility = Readonly<Record<string, Readonly<Record<string, true>>>>;

export interface SessionsState {
  /** Device states by device key; null = no such device (never seen, or merged away). */
  readonly devices: Readonly<Record<string, DeviceState | null>>;
  readonly visibility: UsersVisibility;
  /** Pending `users` documents. */
  readonly docs: PendingDocs;
  readonly lastSeq: number | null;
}

/** What the processor loads before folding a batch (see batch-inputs.ts). */
export interface SessionsInputs {
  readonly devices?: Readonly<Record<string, DeviceState | null>>;
  readonly visibility?: UsersVisibility;
}

export const sessionsHandles = PROJECTION_EVENT_TYPES;

export const initialSessions = (inputs: SessionsInputs = {}): SessionsState => ({
  devices: inputs.devices ?? {},
  visibility: inputs.visibility ?? {},
  docs: {},
  lastSeq: null,
});

/** `users` document of a period: `<appId>_<YYYY>:<M>` or `<appId>_<YYYY>:0`. */
export const usersDocId = (appId: string, period: string): string => `${appId}_${period}`;

const usersRef = (appId: string, period: string): DocRef => ({
  collection: 'users',
  id: usersDocId(appId, period),
  appId,
  period,
  // `m` on every write, also of a document holding only hidden counts: the reader decides what
  // shows (users-reveal.ts), and keeps the per-group documents readable by period.
  fields: { a: appId, m: period },
});

/** Root of a hidden shard's counts in a users document: the `d` paths, under `h.<shard>`. */
export const hiddenRoot = (shard: string): string => `h.${shard}`;

interface Drafts {
  readonly devices: RecordDraft<DeviceState | null>;
  readonly visibility: RecordDraft<Readonly<Record<string, true>>>;
  readonly docs: DocsDraft;
}

function markVisible(d: Drafts, ref: DocRef, doc: DocHandle, shard: string): void {
  doc.flag(`vis.${shard}`);
  const seen = d.visibility.get(ref.id) ?? {};
  if (!seen[shard]) d.visibility.set(ref.id, { ...seen, [shard]: true });
}

const isVisible = (d: Drafts, ref: DocRef, shard: string): boolean => d.visibility.get(ref.id)?.[shard] === true;

/** Where a count of this shard goes in `ref` now: `d` once the shard is visible there, else `h.<shard>`. */
const rootFor = (d: Drafts, ref: DocRef, shard: string): string => (isVisible(d, ref, shard) ? 'd' : hiddenRoot(shard));

type NewSession = Extract<SessionStart, { kind: 'new' }>;

/** §3.3 first rows and §3.4: the writes of a new session. */
function writeNewSession(d: Drafts, req: NormalizedRequest, s: NewSession, monthRef: DocRef, yearRef: DocRef): void {
  const t = req.time;
  const cc = req.country;
  const month = d.docs.open(monthRef);
  const year = d.docs.open(yearRef);
  markVisible(d, monthRef, month, req.deviceShard);
  markVisible(d, yearRef, year, req.deviceShard);
  for (const prop of ['e', 't', `${cc}.t`]) incMonth(month, t, prop);
  if (s.newUser) {
    for (const prop of ['n', 'u', `${cc}.n`, `${cc}.u`, 'f.0']) incMonth(month, t, prop);
    for (const prop of ['u', `${cc}.u`, 'f.0']) incZero(year, t, prop);
  } else {
    writeReturningUniques(req, s, month, year);
  }
  if (s.frequency !== null) year.flag(`meta_v2.f-ranges.${s.frequency}`);
  year.flag(`meta_v2.countries.${cc}`);
}

function writeReturningUniques(req: NormalizedRequest, s: NewSession, month: DocHandle, year: DocHandle): void {
  const t = req.time;
  const cc = req.country;
  const u = s.uniques;
  if (s.frequency !== null) {
    incMonth(month, t, `f.${s.frequency}`);
    incZero(year, t, `f.${s.frequency}`);
  }
  if (s.countryChanged) {
    incMonth(month, t, `${cc}.u`);
    incZero(year, t, `${cc}.u`);
  }
  // Country uniques per level only when the country did not change (it is counted above).
  const withCountry = (doc: DocHandle, prefix: string): void => {
    doc.inc(`${prefix}u`);
    if (!s.countryChanged) doc.inc(`${prefix}${cc}.u`);
  };
  if (u.hour) month.inc(`d.${t.day}.${t.hour}.u`);
  if (u.day) withCountry(month, `d.${t.day}.`);
  if (u.week) withCountry(year, `d.w${t.weekly}.`);
  if (u.month) withCountry(year, `d.${t.month}.`);
  if (u.year) withCountry(year, 'd.');
}

/**
 * The `ds` bucket of a closed session. Hidden in the year document, its `meta_v2.d-ranges` flag
 * waits too: the reader derives it from the revealed year-level `ds` keys.
 */
function recordDurationRange(d: Drafts, req: NormalizedRequest, seconds: number, month: DocRef, year: DocRef): void {
  const range = durationBucket(seconds);
  if (range === null) return;
  const shard = req.deviceShard;
  incMonth(d.docs.open(month), req.time, `ds.${range}`, 1, rootFor(d, month, shard));
  const doc = d.docs.open(year);
  incZero(doc, req.time, `ds.${range}`, 1, rootFor(d, year, shard));
  if (isVisible(d, year, shard)) doc.flag(`meta_v2.d-ranges.${range}`);
}

function applyRequest(d: Drafts, req: NormalizedRequest): void {
  const step = stepDevice(resolveDevice(d.devices, req), req);
  d.devices.set(req.deviceKey, step.device);
  const t = req.time;
  const month = usersRef(req.appId, monthPeriod(t));
  const year = usersRef(req.appId, yearPeriod(t));
  if (step.session.kind === 'new') writeNewSession(d, req, step.session, month, year);
  if (step.durationS !== null || step.plainRequest) {
    // §3.3: stored whether or not the shard shows yet (§3.8: store, then reveal).
    const root = rootFor(d, month, req.deviceShard);
    const doc = d.docs.open(month);
    if (step.durationS !== null) {
      incMonth(doc, t, 'e', 1, root);
      incMonth(doc, t, 'd', step.durationS, root);
    }
    if (step.plainRequest) incMonth(doc, t, 'e', 1, root);
  }
  if (step.closedSessionS !== null) recordDurationRange(d, req, step.closedSessionS, month, year);
}

function applyReset(d: Drafts, reset: AppDataReset): void {
  const cutoff = resetCutoff(reset);
  if (cutoff === null) {
    d.devices.dropWhere((key) => belongsToApp(key, reset.appId));
    d.visibility.dropWhere((id) => belongsToApp(id, reset.appId));
    d.docs.dropApp(reset.appId);
    return;
  }
  d.visibility.dropWhere((id) => belongsToApp(id, reset.appId) && periodBefore(id.slice(reset.appId.length + 1), cutoff));
  d.docs.dropApp(reset.appId, (doc) => periodBefore(doc.period, cutoff));
}

/** Folds a batch in order; same result as evolving event by event, in linear time. */
export function foldSessions(state: SessionsState, events: readonly FoldEvent[]): SessionsState {
  const d: Drafts = {
    devices: new RecordDraft(state.devices),
    visibility: new RecordDraft(state.visibility),
    docs: new DocsDraft(state.docs),
  };
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.type === 'SdkRequestReceived') applyRequest(d, normalizedRequestOf(event));
    else if (event.type === 'AppDataReset') applyReset(d, event);
    else continue;
    lastSeq = maxSeq(lastSeq, event);
  }
  return { devices: d.devices.result(), visibility: d.visibility.result(), docs: d.docs.result(), lastSeq };
}

/** One event; unknown event types return the same state object. Prefer foldSessions for batches. */
export const evolveSessions = (state: SessionsState, event: FoldEvent): SessionsState => (handles(event) ? foldSessions(state, [event]) : state);
