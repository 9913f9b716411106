// Event collections and the per-app event registry (§2.9 steps 4 and 7 limits, §3.7). Events
// arrive cleaned by normalizeRequest; this fold enforces `event_limit` (500 keys per app),
// `event_segmentation_limit` (100 segments per key) and `event_segmentation_value_limit`
// (1000 values per segment and year) against the registry and meta the processor loaded.
//
// Documents (collection `events_data`, fields a = app, e = event hash, s = segment, m = period):
// - `<appId>_<eventHash>_no-segment_<YYYY>:<M>`: `d.<D>.{c,s,dur}` and `d.<D>.<H>.{c,s,dur}`
//   (≤ 31 × 25 × 3 counters ≈ 40 KB);
// - `<appId>_<eventHash>_no-segment_<YYYY>:0`: `meta_v2.segments.<segKey>` (≤ 100 keys);
// - `<appId>_<eventHash>_<segKey>_<YYYY>:<M>_<shard>`: `d.<D>.<value>.{c,s,dur}` (no hours);
// - `<appId>_<eventHash>_<segKey>_<YYYY>:0_<shard>`: `meta_v2.<segKey>.<value>`;
//   shard = valueShard(value) of 32; each shard's documents stay under 1 MB by the byte
//   budget in known-meta.ts (1000 values × 31 days × {c,s,dur} in one document would not).
// Registry (collection `events`, id = app id): `list.<eventHash> = {key, at}` and
// `segments.<eventHash>.<segKey> = at` (at = first-seen ms, for insertion order): plain `$set`s.
import { own } from './dict.ts';
import { DocsDraft, incMonth, monthPeriod, yearPeriod, type DocHandle, type DocRef, type PendingDocs } from './aggregate-doc.ts';
import { NestedRecordDraft, RecordDraft } from './draft.ts';
import type { CleanEvent, CleanSegment } from './event-clean.ts';
import type { AppDataReset } from './events.ts';
import { handles, maxSeq, PROJECTION_EVENT_TYPES, type FoldEvent } from './fold.ts';
import { eventHash, valueShard } from './hash.ts';
import { admitValue, EMPTY_META, segmentValueCostBytes, type KnownMeta } from './known-meta.ts';
import { RegistriesDraft, type EventRegistry } from './registry-draft.ts';
import { normalizedRequestOf, type NormalizedRequest } from './request.ts';
import { periodBefore, resetCutoff } from './reset.ts';
import { timeObject, type TimeObject } from './time.ts';

/** `event_limit`: distinct event keys per app. */
export const EVENT_LIMIT = 500;
/** `event_segmentation_limit`: segment keys per event key. */
export const EVENT_SEGMENTATION_LIMIT = 100;
/** `event_segmentation_value_limit`: values per segment per year. */
export const EVENT_SEGMENTATION_VALUE_LIMIT = 1000;

export const EMPTY_REGISTRY: EventRegistry = { list: [], segments: {} };

/** A registry `$set` value: `{key, at}` for `list.<hash>`, `at` for `segments.<hash>.<seg>`. */
export type RegistryEntry = { readonly key: string; readonly at: number } | number;

export interface EventsState {
  /** Registries by app id: as loaded, plus what this batch registered. */
  readonly registries: Readonly<Record<string, EventRegistry>>;
  /** Pending registry `$set`s by app id: dotted path → entry. */
  readonly registryAdds: Readonly<Record<string, Readonly<Record<string, RegistryEntry>>>>;
  /** Known segment values by `segmentMetaKey(...)`; the meta set is the segment key. */
  readonly known: Readonly<Record<string, KnownMeta>>;
  readonly docs: PendingDocs;
  readonly lastSeq: number | null;
}

export interface EventsInputs {
  readonly registries?: Readonly<Record<string, EventRegistry>>;
  readonly known?: Readonly<Record<string, KnownMeta>>;
}

export const eventsHandles = PROJECTION_EVENT_TYPES;

export const initialEvents = (inputs: EventsInputs = {}): EventsState => ({
  registries: inputs.registries ?? {},
  registryAdds: {},
  known: inputs.known ?? {},
  docs: {},
  lastSeq: null,
});

/** Key of the known values of one segment of one event in one year. */
export const segmentMetaKey = (appId: string, hash: string, segKey: string, year: number): string => `${appId}|${hash}|${segKey}|${year}`;

/** Id of an event document (before the group suffix): `<appId>_<hash>_<segment>_<period>[_<shard>]`. */
export const eventDocId = (appId: string, hash: string, segment: string, period: string, shard?: number): string =>
  `${appId}_${hash}_${segment}_${period}${shard === undefined ? '' : `_${shard}`}`;

const eventRef = (appId: string, hash: string, segment: string, period: string, shard?: number): DocRef => ({
  collection: 'events_data',
  id: eventDocId(appId, hash, segment, period, shard),
  appId,
  period,
  fields: shard === undefined ? { a: appId, e: hash, s: segment, m: period } : { a: appId, e: hash, s: segment, m: period, shard },
});

interface Drafts {
  readonly registries: RegistriesDraft;
  readonly registryAdds: NestedRecordDraft<RegistryEntry>;
  readonly known: RecordDraft<KnownMeta>;
  readonly docs: DocsDraft;
}

function writeCounters(doc: DocHandle, t: TimeObject, prefix: string, e: CleanEvent): void {
  incMonth(doc, t, `${prefix}c`, e.count);
  if (e.sum !== null) incMonth(doc, t, `${prefix}s`, e.sum);
  if (e.dur !== null) incMonth(doc, t, `${prefix}dur`, e.dur);
}

/** One segment pair of an accepted event: segment and value limits, then the writes. */
function applySegment(d: Drafts, req: NormalizedRequest, e: CleanEvent, hash: string, t: TimeObject, seg: CleanSegment): void {
  const segments = own((d.registries.get(req.appId) ?? EMPTY_REGISTRY).segments, e.key) ?? [];
  const isNewSegment = !segments.includes(seg.key);
  if (isNewSegment && segments.length >= EVENT_SEGMENTATION_LIMIT) return;
  const metaKey = segmentMetaKey(req.appId, hash, seg.key, t.year);
  const cost = segmentValueCostBytes(seg.value);
  const admitted = admitValue(d.known.get(metaKey) ?? EMPTY_META, seg.key, seg.value, EVENT_SEGMENTATION_VALUE_LIMIT, cost);
  if (admitted === null) return;
  d.known.set(metaKey, admitted);
  const shard = valueShard(seg.value);
  writeCounters(d.docs.open(eventRef(req.appId, hash, seg.key, monthPeriod(t), shard)), t, `${seg.value}.`, e);
  d.docs.open(eventRef(req.appId, hash, seg.key, yearPeriod(t), shard)).flag(`meta_v2.${seg.key}.${seg.value}`);
  d.docs.open(eventRef(req.appId, hash, 'no-segment', yearPeriod(t))).flag(`meta_v2.segments.${seg.key}`);
  if (isNewSegment) {
    d.registries.addSegment(req.appId, e.key, seg.key);
    d.registryAdds.setIn(req.appId, `segments.${hash}.${seg.key}`, t.timestampMs);
  }
}

function applyEvent(d: Drafts, req: NormalizedRequest, e: CleanEvent): void {
  const registry = d.registries.get(req.appId) ?? EMPTY_REGISTRY;
  const isNewKey = !registry.list.includes(e.key);
  if (isNewKey && registry.list.length >= EVENT_LIMIT) return;
  const hash = eventHash(e.key, req.appId);
  const t = e.timeMs === req.time.timestampMs ? req.time : timeObject(e.timeMs, req.timezone);
  if (isNewKey) {
    d.registries.addKey(req.appId, e.key);
    d.registryAdds.setIn(req.appId, `list.${hash}`, { key: e.key, at: t.timestampMs });
  }
  writeCounters(d.docs.open(eventRef(req.appId, hash, 'no-segment', monthPeriod(t))), t, '', e);
  for (const seg of e.segments) applySegment(d, req, e, hash, t, seg);
}

function applyReset(d: Drafts, reset: AppDataReset): void {
  const cutoff = resetCutoff(reset);
  const ofApp = (key: string): boolean => key.startsWith(`${reset.appId}|`);
  if (cutoff === null) {
    d.registries.dropApp(reset.appId);
    d.registryAdds.dropWhere((appId) => appId === reset.appId);
    d.known.dropWhere(ofApp);
    d.docs.dropApp(reset.appId);
    return;
  }
  d.known.dropWhere((key) => ofApp(key) && Number(key.split('|')[3]) < cutoff.year);
  d.docs.dropApp(reset.appId, (doc) => periodBefore(doc.period, cutoff));
}

/** Folds a batch in order; same result as evolving event by event, in linear time. */
export function foldEvents(state: EventsState, events: readonly FoldEvent[]): EventsState {
  const d: Drafts = {
    registries: new RegistriesDraft(state.registries),
    registryAdds: new NestedRecordDraft(state.registryAdds),
    known: new RecordDraft(state.known),
    docs: new DocsDraft(state.docs),
  };
  let lastSeq = state.lastSeq;
  for (const event of events) {
    if (event.type === 'SdkRequestReceived') {
      const req = normalizedRequestOf(event);
      for (const e of req.events) applyEvent(d, req, e);
    } else if (event.type === 'AppDataReset') applyReset(d, event);
    else continue;
    lastSeq = maxSeq(lastSeq, event);
  }
  return {
    registries: d.registries.result(),
    registryAdds: d.registryAdds.result(),
    known: d.known.result(),
    docs: d.docs.result(),
    lastSeq,
  };
}

/** One event; unknown event types return the same state object. Prefer foldEvents for batches. */
export const evolveEvents = (state: EventsState, event: FoldEvent): EventsState => (handles(event) ? foldEvents(state, [event]) : state);
