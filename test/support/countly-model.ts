// A reference model of Countly's per-request processing, written from the spec (§2.6–2.10, §2.17,
// §3.3–3.8, §6.4) and independent of Tally's folds: it replays the stored SDK requests in stream
// order and computes the expected aggregate counters, app-user documents, merge records and
// metric changes. §3.8 is emulated as Countly observes it: `e`, `d` and `ds` of a users shard
// wait until the shard's first new session in that period, then show with everything stored
// before. One reading the spec leaves open follows Tally's documented choice: a closing duration
// bucket is recorded at the end_session itself (§2.6).
import { Aggregates, durationRange, eventFamily, frequencyBucket, type UniqueLevels } from './countly-aggregates.ts';
import { applyUserDetails, mergeUsers, type Doc } from './countly-app-user.ts';
import { base62, calendar, md5Shard, sha1Hex, startOf, type Calendar } from './countly-calendar.ts';
import { factsOf, type Facts } from './countly-request.ts';
import type { StoredRequest } from './stream.ts';

/** App-user field → (collection, meta set) of the aggregated metric families (§2.7). */
const FAMILIES: readonly (readonly [string, string, string])[] = [
  ['c', 'carriers', 'carriers'],
  ['d', 'devices', 'devices'],
  ['mnf', 'devices', 'manufacturers'],
  ['av', 'device_details', 'app_versions'],
  ['p', 'device_details', 'os'],
  ['dt', 'device_details', 'device_type'],
  ['pv', 'device_details', 'os_versions'],
  ['r', 'device_details', 'resolutions'],
  ['la', 'langs', 'langs'],
  ['src', 'sources', 'sources'],
  ['brw', 'browser', 'browser'],
  ['brwv', 'browser', 'browser_version'],
];

export interface ExpectedMerge {
  readonly survivorDid: string;
  readonly oldDid: string;
  readonly ts: number;
  readonly lu: number;
}

type NewSession = { readonly newUser: boolean; readonly levels: UniqueLevels; readonly countryChanged: boolean };

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export class CountlyModel {
  readonly aggregates = new Aggregates();
  /** App-user documents by device id (uids follow stream order; Tally may number them differently). */
  readonly users = new Map<string, Doc>();
  readonly merges: ExpectedMerge[] = [];
  readonly metricChanges: { readonly did: string; readonly doc: Doc }[] = [];
  /** Event key → segment keys (the `get_events` registry). */
  readonly registry = new Map<string, Set<string>>();
  /** Stubs created: every device that became a user, merged-away ones included. */
  stubs = 0;
  private readonly visible = new Set<string>();
  /** Users counts of a (period, shard) that has had no new session yet, by `<period>|<shard>`. */
  private readonly hidden = new Map<string, Aggregates>();

  constructor(
    private readonly appKey: string,
    private readonly timeZone: string,
    /** The app's country: cities are counted only for users in it (§2.7). */
    private readonly appCountry = 'TR',
  ) {}

  apply(r: StoredRequest): void {
    const f = factsOf(r);
    let doc = this.users.get(f.did) ?? this.stub(f.did);
    const old = f.oldDid === null ? undefined : this.users.get(f.oldDid);
    if (f.oldDid !== null && old !== undefined) {
      doc = mergeUsers(doc, old, f.receivedAtMs);
      this.users.delete(f.oldDid);
      this.merges.push({ survivorDid: f.did, oldDid: f.oldDid, ts: Math.floor(f.timeMs / 1000), lu: f.receivedAtMs });
    }
    const before = { ...doc };
    const session = this.session(f, doc, before);
    if (session !== null) this.metrics(f, before, session);
    this.events(f);
    this.userFields(f, doc, before, session);
    this.users.set(f.did, doc);
  }

  private stub(did: string): Doc {
    this.stubs += 1;
    return { _id: sha1Hex(this.appKey + did), uid: base62(this.stubs), did };
  }

  private isVisible(period: string, did: string): boolean {
    return this.visible.has(`${period}|${md5Shard(did)}`);
  }

  /** Where a users count of this device's shard goes now: shown, or waiting for the shard (§3.8). */
  private usersTarget(period: string, did: string): Aggregates {
    if (this.isVisible(period, did)) return this.aggregates;
    const key = `${period}|${md5Shard(did)}`;
    const waiting = this.hidden.get(key) ?? new Aggregates();
    this.hidden.set(key, waiting);
    return waiting;
  }

  /** The shard's first new session of the period: it shows, with everything it stored before. */
  private reveal(period: string, did: string): void {
    const key = `${period}|${md5Shard(did)}`;
    if (this.visible.has(key)) return;
    this.visible.add(key);
    const waiting = this.hidden.get(key);
    if (waiting === undefined) return;
    for (const [k, n] of waiting.counters) this.aggregates.inc(k, n);
    for (const flag of waiting.flags) this.aggregates.flags.add(flag);
    this.hidden.delete(key);
  }

  /** §2.6 and §3.3–3.5: session state on the document, users counters; the new session, if any. */
  private session(f: Facts, doc: Doc, before: Doc): NewSession | null {
    const nowS = Math.floor(f.timeMs / 1000);
    const c = calendar(f.timeMs, this.timeZone);
    const lest = num(before.lest);
    let started: NewSession | null = null;
    let closedS: number | null = null;
    if (f.durationS !== null) {
      doc.sd = (num(doc.sd) ?? 0) + f.durationS;
      doc.tsd = (num(doc.tsd) ?? 0) + f.durationS;
    }
    if (f.begin) {
      const extended = !f.ignoreCooldown && lest !== undefined && nowS - lest < 15;
      if (!extended) {
        if (before.hos === true) closedS = num(doc.sd) ?? 0;
        started = this.newSession(f, before, c);
        if (before.hos === true) doc.sd = 0;
        doc.fs = num(before.fs) ?? nowS;
        doc.ls = Math.max(num(before.ls) ?? nowS, nowS);
        doc.sc = (num(before.sc) ?? 0) + 1;
      }
      doc.hos = true;
      doc.lbst = nowS;
    } else if (f.end) {
      doc.lest = nowS;
      delete doc.hos;
      if (before.fs !== undefined) {
        closedS = num(doc.sd) ?? 0;
        doc.sd = 0;
      }
    }
    const month = this.usersTarget(`${c.year}:${c.month}`, f.did);
    if (f.durationS !== null) {
      month.month('users', c, 'e');
      month.month('users', c, 'd', f.durationS);
    }
    if (!f.begin && !f.durationGiven) month.month('users', c, 'e');
    if (closedS !== null) {
      const range = durationRange(closedS);
      month.month('users', c, `ds.${range}`);
      const year = this.usersTarget(`${c.year}:0`, f.did);
      year.zero('users', c, `ds.${range}`);
      year.meta('users', c.year, 'd-ranges', range);
    }
    return started;
  }

  private levels(lsS: number, f: Facts, c: Calendar): UniqueLevels {
    const last = calendar(lsS * 1000, this.timeZone);
    return {
      hour: lsS < startOf('hour', f.timeMs, this.timeZone),
      day: lsS < startOf('day', f.timeMs, this.timeZone),
      week: last.year === c.year && last.week < c.week,
      month: lsS < startOf('month', f.timeMs, this.timeZone),
      year: lsS < startOf('year', f.timeMs, this.timeZone),
    };
  }

  /** §3.3 new-session rows and §3.4 uniques of the users family. */
  private newSession(f: Facts, before: Doc, c: Calendar): NewSession {
    const a = this.aggregates;
    const cc = f.countryCode ?? 'Unknown';
    for (const period of [`${c.year}:${c.month}`, `${c.year}:0`]) this.reveal(period, f.did);
    for (const prop of ['e', 't', `${cc}.t`]) a.month('users', c, prop);
    a.meta('users', c.year, 'countries', cc);
    const fs = num(before.fs);
    if (fs === undefined) {
      for (const prop of ['n', 'u', `${cc}.n`, `${cc}.u`, 'f.0']) a.month('users', c, prop);
      for (const prop of ['u', `${cc}.u`, 'f.0']) a.zero('users', c, prop);
      a.meta('users', c.year, 'f-ranges', '0');
      return { newUser: true, levels: { hour: true, day: true, week: true, month: true, year: true }, countryChanged: false };
    }
    const ls = num(before.ls) ?? fs;
    const bucket = frequencyBucket(Math.floor(f.timeMs / 1000) - ls);
    if (bucket !== null) {
      a.month('users', c, `f.${bucket}`);
      a.zero('users', c, `f.${bucket}`);
      a.meta('users', c.year, 'f-ranges', bucket);
    }
    const countryChanged = before.cc !== cc;
    if (countryChanged) {
      a.month('users', c, `${cc}.u`);
      a.zero('users', c, `${cc}.u`);
    }
    const levels = this.levels(ls, f, c);
    const month = `${c.year}:${c.month}`;
    const zero = `${c.year}:0`;
    const unique = (period: string, prefix: string): void => {
      a.at('users', period, `${prefix}u`);
      if (!countryChanged) a.at('users', period, `${prefix}${cc}.u`);
    };
    if (levels.hour) a.at('users', month, `d.${c.day}.${c.hour}.u`);
    if (levels.day) unique(month, `d.${c.day}.`);
    if (levels.week) unique(zero, `d.w${c.week}.`);
    if (levels.month) unique(zero, `d.${c.month}.`);
    if (levels.year) unique(zero, 'd.');
    return { newUser: false, levels, countryChanged };
  }

  /** §3.6: metric values of a new session; the city only when the session's country is the app's. */
  private metrics(f: Facts, before: Doc, s: NewSession): void {
    const c = calendar(f.timeMs, this.timeZone);
    const a = this.aggregates;
    const city: Record<string, string> =
      (f.countryCode ?? 'Unknown') === this.appCountry ? { cty: (f.city ?? 'Unknown').replace(/^\$/, '').replace(/\./g, ':') } : {};
    const values: Record<string, string> = { ...f.metrics, ...city };
    const stored: Doc = { ...before, cty: typeof before.cty === 'string' ? before.cty.replace(/^\$/, '').replace(/\./g, ':') : undefined };
    for (const [field, collection, set] of [...FAMILIES, ['cty', 'cities', 'cities'] as const]) {
      const v = values[field];
      if (v === undefined) continue;
      a.month(collection, c, `${v}.t`);
      a.meta(collection, c.year, set, v);
      if (s.newUser || stored[field] !== v) {
        if (s.newUser) a.month(collection, c, `${v}.n`);
        a.month(collection, c, `${v}.u`);
        a.zero(collection, c, `${v}.u`);
        continue;
      }
      if (s.levels.day) a.at(collection, `${c.year}:${c.month}`, `d.${c.day}.${v}.u`);
      if (s.levels.week) a.at(collection, `${c.year}:0`, `d.w${c.week}.${v}.u`);
      if (s.levels.month) a.at(collection, `${c.year}:0`, `d.${c.month}.${v}.u`);
      if (s.levels.year) a.at(collection, `${c.year}:0`, `d.${v}.u`);
    }
  }

  /** §3.7 and the registry of §2.9. */
  private events(f: Facts): void {
    const a = this.aggregates;
    for (const e of f.events) {
      const c = calendar(e.timeMs, this.timeZone);
      const segs = this.registry.get(e.key) ?? new Set<string>();
      this.registry.set(e.key, segs);
      const counters: [string, number | null][] = [
        ['c', e.count],
        ['s', e.sum],
        ['dur', e.dur],
      ];
      for (const [prop, n] of counters) if (n !== null) a.month(eventFamily(e.key, 'no-segment'), c, prop, n);
      for (const [k, v] of e.segments) {
        segs.add(k);
        for (const [prop, n] of counters) if (n !== null) a.month(eventFamily(e.key, k), c, `${v}.${prop}`, n);
        a.meta(eventFamily(e.key, k), c.year, k, v);
        a.meta(eventFamily(e.key, 'no-segment'), c.year, 'segments', k);
      }
    }
  }

  /** §2.7 user fields, §2.8 location, §2.10 details, §2.17 bookkeeping and metric changes. */
  private userFields(f: Facts, doc: Doc, before: Doc, s: NewSession | null): void {
    const nowS = Math.floor(f.timeMs / 1000);
    doc.did = f.did;
    if (f.begin) Object.assign(doc, { cc: f.countryCode ?? 'Unknown', cty: f.city ?? 'Unknown', rgn: f.region ?? 'Unknown' });
    if (f.metrics !== null) Object.assign(doc, f.metrics);
    if (f.locale !== null) doc.lo = f.locale;
    if (f.sdk !== null) doc.sdk = { ...f.sdk };
    if (f.idType !== null) doc.t = f.idType;
    if (f.idType === 0) doc.hasInfo = true;
    if (f.tz !== null) doc.tz = f.tz;
    if (doc.fac === undefined) doc.fac = Math.min(num(doc.fs) ?? nowS, nowS);
    if (doc.first_sync === undefined) doc.first_sync = Math.floor(f.receivedAtMs / 1000);
    doc.lac = Math.max(num(doc.lac) ?? nowS, nowS);
    doc.last_sync = Math.floor(f.receivedAtMs / 1000);
    doc.lu = f.receivedAtMs;
    doc.req_count = Math.min((num(doc.req_count) ?? 0) + 1, 100);
    if (f.userDetails !== null) applyUserDetails(doc, f.userDetails);
    if (s === null || s.newUser) return;
    const changes: Doc = {};
    for (const [field, v] of Object.entries(f.metrics ?? {}))
      if (before[field] !== v) changes[field] = before[field] === undefined ? { n: v } : { o: before[field], n: v };
    if (s.countryChanged) changes.cc = { o: before.cc, n: f.countryCode ?? 'Unknown' };
    if (Object.keys(changes).length > 0) this.metricChanges.push({ did: f.did, doc: { uid: doc.uid, ts: nowS, cd: f.receivedAtMs, ...changes } });
  }
}
