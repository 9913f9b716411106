// Metric collections (§2.7, §3.6): carriers, devices, device_details, langs, density. Values are
// aggregated only on a new session, with uniques decided by session-rules.ts exactly as the
// sessions fold decides them. `metric_limit` (1000 values per set per app-year) and the document
// byte budget are enforced against the meta the processor loaded (`known`), no I/O needed.
//
// Documents: `<appId>_<YYYY>:<M>_<shard>` and `<appId>_<YYYY>:0_<shard>`, shard = valueShard(v)
// (32 shards; sizes in known-meta.ts). Countly caps 1000 values per *shard*; we cap per set.
import { DocsDraft, incMonth, incZero, monthPeriod, yearPeriod, type DocRef, type PendingDocs } from './aggregate-doc.ts';
import { RecordDraft } from './draft.ts';
import type { AppDataReset } from './events.ts';
import { belongsToApp, handles, maxSeq, PROJECTION_EVENT_TYPES, type FoldEvent } from './fold.ts';
import { valueShard } from './hash.ts';
import { admitValue, EMPTY_META, metricValueCostBytes, type KnownMeta } from './known-meta.ts';
import { CITY_FAMILY, METRIC_FAMILIES, type MetricCollection, type MetricFamily } from './metric-families.ts';
import { escapeMetricValue } from './metric-normalize.ts';
import { normalizedRequestOf, type NormalizedRequest } from './request.ts';
import { periodBefore, resetCutoff } from './reset.ts';
import { resolveDevice, stepDevice, type DeviceState, type SessionStart } from './session-rules.ts';

/** `metric_limit` (§2.16): distinct values per meta set per app and year. */
export const METRIC_LIMIT = 1000;

export interface MetricsState {
  readonly devices: Readonly<Record<string, DeviceState | null>>;
  /** Known meta values by `metricMetaKey(appId, collection, year)`. */
  readonly known: Readonly<Record<string, KnownMeta>>;
  readonly docs: PendingDocs;
  readonly lastSeq: number | null;
}

export interface MetricsInputs {
  readonly devices?: Readonly<Record<string, DeviceState | null>>;
  readonly known?: Readonly<Record<string, KnownMeta>>;
}

export const metricsHandles = PROJECTION_EVENT_TYPES;

export const initialMetrics = (inputs: MetricsInputs = {}): MetricsState => ({
  devices: inputs.devices ?? {},
  known: inputs.known ?? {},
  docs: {},
  lastSeq: null,
});

/** Key of the known meta of one (app, collection, year): all sets of the collection's year docs. */
export const metricMetaKey = (appId: string, collection: MetricCollection, year: number): string => `${appId}|${collection}|${year}`;

/** Id of a metric document: `<appId>_<YYYY>:<M|0>_<shard>`. */
export const metricDocId = (appId: string, period: string, shard: number): string => `${appId}_${period}_${shard}`;

const metricRef = (collection: MetricCollection, appId: string, period: string, shard: number): DocRef => ({
  collection,
  id: metricDocId(appId, period, shard),
  appId,
  period,
  fields: { a: appId, m: period },
});

interface Drafts {
  readonly devices: RecordDraft<DeviceState | null>;
  readonly known: RecordDraft<KnownMeta>;
  readonly docs: DocsDraft;
}

type NewSession = Extract<SessionStart, { kind: 'new' }>;

/** §3.6 for one metric value that passed the limits; `before` is the user's value before the request. */
function writeValue(docs: DocsDraft, req: NormalizedRequest, session: NewSession, family: MetricFamily, value: string, before: string | undefined): void {
  const t = req.time;
  const shard = valueShard(value);
  const month = docs.open(metricRef(family.collection, req.appId, monthPeriod(t), shard));
  const year = docs.open(metricRef(family.collection, req.appId, yearPeriod(t), shard));
  incMonth(month, t, `${value}.t`);
  year.flag(`meta_v2.${family.set}.${value}`);
  if (session.newUser) {
    incMonth(month, t, `${value}.n`);
    incMonth(month, t, `${value}.u`);
    incZero(year, t, `${value}.u`);
    return;
  }
  if (before !== value) {
    incMonth(month, t, `${value}.u`);
    incZero(year, t, `${value}.u`);
    return;
  }
  const u = session.uniques;
  if (u.day) month.inc(`d.${t.day}.${value}.u`);
  if (u.week) year.inc(`d.w${t.weekly}.${value}.u`);
  if (u.month) year.inc(`d.${t.month}.${value}.u`);
  if (u.year) year.inc(`d.${value}.u`);
}

/** One value under `metric_limit` and the document budget, then written. */
function admitAndWrite(d: Drafts, req: NormalizedRequest, session: NewSession, family: MetricFamily, value: string, before: string | undefined): void {
  const key = metricMetaKey(req.appId, family.collection, req.time.year);
  const admitted = admitValue(d.known.get(key) ?? EMPTY_META, family.set, value, METRIC_LIMIT, metricValueCostBytes(value));
  if (admitted === null) return;
  d.known.set(key, admitted);
  writeValue(d.docs, req, session, family, value, before);
}

function applyRequest(d: Drafts, req: NormalizedRequest): void {
  const step = stepDevice(resolveDevice(d.devices, req), req);
  d.devices.set(req.deviceKey, step.device);
  const session = step.session;
  if (session.kind !== 'new') return;
  for (const family of METRIC_FAMILIES) {
    const value = req.metrics?.[family.field];
    if (value !== undefined) admitAndWrite(d, req, session, family, value, session.before.metrics[family.field]);
  }
  if (req.cityValue !== null) {
    const before = session.before.cty === null ? undefined : escapeMetricValue(session.before.cty);
    admitAndWrite(d, req, session, CITY_FAMILY, req.cityValue, before);
  }
}

function applyReset(d: Drafts, reset: AppDataReset): void {
  const cutoff = resetCutoff(reset);
  const ofApp = (key: string): boolean => key.startsWith(`${reset.appId}|`);
  if (cutoff === null) {
    d.devices.dropWhere((key) => belongsToApp(key, reset.appId));
    d.known.dropWhere(ofApp);
    d.docs.dropApp(reset.appId);
    return;
  }
  d.known.dropWhere((key) => ofApp(key) && Number(key.split('|')[2]) < cutoff.year);
  d.docs.dropApp(reset.appId, (doc) => periodBefore(doc.period, cutoff));
}

/** Folds a batch in order; same result as evolving event by event, in linear time. */
export function foldMetrics(state: MetricsState, events: readonly FoldEvent[]): MetricsState {
  const d: Drafts = { devices: new RecordDraft(state.devices), known: new RecordDraft(state.known), docs: new DocsDraft(state.docs) };
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.type === 'SdkRequestReceived') applyRequest(d, normalizedRequestOf(event));
    else if (event.type === 'AppDataReset') applyReset(d, event);
    else continue;
    lastSeq = maxSeq(lastSeq, event);
  }
  return { devices: d.devices.result(), known: d.known.result(), docs: d.docs.result(), lastSeq };
}

/** One event; unknown event types return the same state object. Prefer foldMetrics for batches. */
export const evolveMetrics = (state: MetricsState, event: FoldEvent): MetricsState => (handles(event) ? foldMetrics(state, [event]) : state);
