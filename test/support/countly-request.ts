// The reference model's reading of one stored SDK request (spec §2.1, §2.5–2.10), written from
// the spec only. It covers the metric keys, OSes and event shapes the end-to-end traffic uses.
import type { StoredRequest } from './stream.ts';

export interface ModelEvent {
  readonly key: string;
  readonly count: number;
  readonly sum: number | null;
  readonly dur: number | null;
  /** Cleaned (segment key, value) pairs. */
  readonly segments: readonly (readonly [string, string])[];
  readonly timeMs: number;
}

export interface Facts {
  readonly id: string;
  readonly did: string;
  readonly oldDid: string | null;
  readonly receivedAtMs: number;
  readonly timeMs: number;
  readonly begin: boolean;
  readonly end: boolean;
  readonly ignoreCooldown: boolean;
  /** Counted `session_duration` after §2.6 rules; null when ignored. */
  readonly durationS: number | null;
  /** `session_duration` present and JS-truthy: no plain request, even when its value is ignored (§3.3). */
  readonly durationGiven: boolean;
  readonly countryCode: string | null;
  readonly city: string | null;
  readonly region: string | null;
  /** Normalised metric values by app-user field (§2.7). */
  readonly metrics: Readonly<Record<string, string>> | null;
  readonly locale: string | null;
  readonly events: readonly ModelEvent[];
  readonly userDetails: Readonly<Record<string, unknown>> | null;
  readonly sdk: { readonly name: string; readonly version: string } | null;
  readonly idType: number | null;
  readonly tz: string | null;
}

const truthy = (v: unknown): boolean => Boolean(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const isNumeric = (v: unknown): boolean =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));
const obj = (v: unknown): Record<string, unknown> | null => {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : null;
};

/** §2.1: 10-digit seconds or 13-digit milliseconds; anything else, or the future, is the receive time. */
function timeMsOf(raw: unknown, receivedAtMs: number): number {
  if (!isNumeric(raw)) return receivedAtMs;
  const n = Number(raw);
  const digits = String(Math.floor(n)).length;
  const ms = digits === 13 ? n : digits === 10 ? n * 1000 : receivedAtMs;
  return Math.min(ms, receivedAtMs);
}

/** §2.6: parseInt; 0 or NaN ignored; negative → 30; capped at 86400. */
function durationOf(raw: unknown): number | null {
  const v = Number.parseInt(typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '', 10);
  if (!v) return null;
  return v < 0 ? 30 : Math.min(v, 86_400);
}

const OS_CODES: Readonly<Record<string, string>> = { android: 'a', ios: 'i', windows: 'mw', linux: 'l', macos: 'o' };
const escape = (v: string): string => v.replace(/^\$/, '').replace(/\./g, ':');
const titleCase = (v: string): string =>
  v
    .split(' ')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join(' ');

/** §2.7 normalisation for the metric keys the traffic sends. */
function metricsOf(raw: Record<string, unknown>): Record<string, string> {
  const os = str(raw._os);
  const version = str(raw._os_version);
  const device = str(raw._device);
  const appVersion = str(raw._app_version);
  const locale = str(raw._locale);
  const values: Record<string, string | null> = {
    p: os,
    pv: version === null ? null : os === null ? version : (OS_CODES[os.toLowerCase()] ?? `[${os}]`) + version,
    d: device,
    dt: str(raw._device_type) ?? (os === 'iOS' && device?.startsWith('iPhone') ? 'mobile' : null),
    mnf: str(raw._manufacturer) ?? (os === 'iOS' ? 'Apple' : null),
    av: appVersion !== null && !appVersion.includes('.') && isNumeric(appVersion) ? `${appVersion}.0` : appVersion,
    c: str(raw._carrier) === null ? null : titleCase(String(raw._carrier)),
    r: str(raw._resolution),
    la: locale === null ? null : (locale.toLowerCase().split(/[-_]/)[0] ?? null),
    // Plugins on by default: sources (`_store`, else `_os`; `$` and `.` entity-encoded), browser.
    src: (str(raw._store) ?? os)?.slice(0, 100).replace(/^\$/, '&#36;').replace(/\./g, '&#46;') ?? null,
    brw: str(raw._browser),
    brwv: str(raw._browser_version) === null ? null : `[${String(raw._browser).toLowerCase()}]_${String(raw._browser_version)}`,
  };
  return Object.fromEntries(Object.entries(values).flatMap(([field, v]) => (v === null ? [] : [[field, escape(v)]])));
}

/** §2.9 step 7: `$` runs and dots deleted from keys; values escaped, day-like values prefixed. */
function segmentsOf(raw: unknown): (readonly [string, string])[] {
  const seg = obj(raw) ?? {};
  return Object.entries(seg).flatMap(([k, v]): (readonly [string, string])[] => {
    const key = k.replace(/^\$+/, '').replace(/\./g, '');
    if (key === '' || Array.isArray(v)) return [];
    const value = escape(String(v).replace(/^\$+/, ''));
    if (value === '') return [];
    return [[key, /^([1-9]|[12]\d|3[01])$/.test(value) ? `[CLY]${value}` : value]];
  });
}

/** §2.9 steps 1–3, 6, 8 for the aggregated events of one request. */
function eventsOf(raw: unknown, requestMs: number, receivedAtMs: number): ModelEvent[] {
  const list: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown): ModelEvent[] => {
    const e = obj(item);
    const key = e === null ? null : str(e.key);
    if (e === null || key === null || key.startsWith('[CLY]_')) return [];
    const sum = isNumeric(e.sum) && Number(e.sum) !== 0 ? Math.round(Number(e.sum) * 1e5) / 1e5 : null;
    const dur = isNumeric(e.dur) && Number(e.dur) !== 0 ? Number(e.dur) : null;
    const count = isNumeric(e.count) && Number(e.count) !== 0 ? Number.parseInt(String(e.count), 10) : 1;
    const timeMs = e.timestamp === undefined ? requestMs : timeMsOf(e.timestamp, receivedAtMs);
    return [{ key: key.replace(/system\.|\.\.|\$/g, ''), count, sum, dur, segments: segmentsOf(e.segmentation), timeMs }];
  });
}

export function factsOf(r: StoredRequest): Facts {
  const p = r.params;
  const timeMs = timeMsOf(p.timestamp, r.receivedAtMs);
  const metrics = obj(p.metrics);
  const old = str(p.old_device_id);
  return {
    id: r.id,
    did: r.deviceId,
    oldDid: old !== null && old !== r.deviceId ? old : null,
    receivedAtMs: r.receivedAtMs,
    timeMs,
    begin: truthy(p.begin_session),
    end: truthy(p.end_session),
    ignoreCooldown: truthy(p.ignore_cooldown),
    durationS: durationOf(p.session_duration),
    durationGiven: truthy(p.session_duration),
    countryCode: str(p.country_code),
    city: str(p.city),
    region: str(p.region),
    metrics: metrics === null ? null : metricsOf(metrics),
    locale: metrics === null ? null : str(metrics._locale),
    events: eventsOf(p.events, timeMs, r.receivedAtMs),
    userDetails: obj(p.user_details),
    sdk: str(p.sdk_name) === null ? null : { name: String(p.sdk_name), version: String(p.sdk_version) },
    idType: isNumeric(p.t) ? Number(p.t) : null,
    tz: str(p.tz),
  };
}
