// Normalisation of the `metrics` object (§2.7), before any aggregation or app-user write.
import { own } from './dict.ts';
import type { BrowserFacts } from './events.ts';
import { stripEdgeSpace } from './json.ts';
import type { MetricValues } from './metric-families.ts';
import { browserValues, operatorName, sourceOf } from './metric-sources.ts';

/** Lower-cased `_os` → `_os_version` prefix (§2.7). */
const OS_CODES: Readonly<Record<string, string>> = {
  webos: 'webos',
  brew: 'brew',
  unknown: 'unk',
  undefined: 'unk',
  tvos: 'atv',
  'apple tv': 'atv',
  watchos: 'wos',
  'unity editor': 'uty',
  qnx: 'qnx',
  'os/2': 'os2',
  'amazon fire tv': 'aft',
  amazon: 'amz',
  web: 'web',
  windows: 'mw',
  'open bsd': 'ob',
  searchbot: 'sb',
  'sun os': 'so',
  solaris: 'so',
  beos: 'bo',
  'mac osx': 'o',
  macos: 'o',
  mac: 'o',
  osx: 'o',
  linux: 'l',
  unix: 'u',
  ios: 'i',
  android: 'a',
  blackberry: 'b',
  'windows phone': 'w',
  wp: 'w',
  roku: 'r',
  symbian: 's',
  chrome: 'c',
  debian: 'd',
  nokia: 'n',
  firefox: 'f',
  tizen: 't',
  arch: 'l',
};

const APPLE_OSES = new Set(['iOS', 'watchOS', 'tvOS', 'macOS']);

/** True for numbers and numeric strings, like Countly's `common.isNumber`. */
export function isNumeric(v: unknown): v is number | string {
  if (typeof v === 'number') return Number.isFinite(v);
  return typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v));
}

/** A metric value as Countly reads it: truthy primitives only, as a string. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return v === 0 || Number.isNaN(v) ? undefined : String(v);
  if (v === true) return 'true';
  return undefined;
}

/** Stored metric values: leading `$` removed, every `.` → `:` (§2.7, §9.2). */
export function escapeMetricValue(value: string): string {
  // NUL as in segment values (§2.9 step 7): BSON keys are C strings.
  return stripEdgeSpace(value.replace(/^\$+/, '').replace(/\./g, ':').replaceAll('\u0000', '&#9647'));
}

/**
 * `_carrier` cleaning: 16-char strings without spaces and `--` are dropped; 5–6 digit MCC+MNC
 * codes become the operator's name (dropped when unknown); the result is title-cased word by word.
 */
export function cleanCarrier(raw: string): string | undefined {
  if (raw.length === 16 && !raw.includes(' ')) return undefined;
  if (raw === '--') return undefined;
  const carrier = /^[0-9]{5,6}$/.test(raw) ? operatorName(raw) : raw;
  if (carrier === undefined) return undefined;
  return carrier.replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());
}

/** Language of a locale (locale plugin): `en_US` → `en`; Chinese by script/region, else none. */
export function languageFromLocale(locale: string): string | undefined {
  const parts = locale.toLowerCase().split(/[-_]+/);
  const lang = parts[0] ?? '';
  if (lang !== 'zh') return lang === '' ? undefined : lang;
  if (parts.length !== 2) return undefined;
  const region = parts[1] ?? '';
  if (['hans', 'cn'].includes(region)) return 'zh_hans';
  if (['hant', 'tw', 'hk'].includes(region)) return 'zh_hant';
  return undefined;
}

function deviceTypeOf(os: string | undefined, device: string | undefined): string | undefined {
  if (os === undefined || device === undefined) return undefined;
  if (os === 'iOS' && (device.startsWith('iPhone') || device.startsWith('iPod'))) return 'mobile';
  if (os === 'iOS' && device.startsWith('iPad')) return 'tablet';
  if (os === 'watchOS' && device.startsWith('Watch')) return 'wearable';
  if (os === 'tvOS' && device.startsWith('AppleTV')) return 'smarttv';
  if (os === 'macOS' && (device.startsWith('Mac') || device.startsWith('iMac'))) return 'desktop';
  return undefined;
}

/** Prefix for OS-dependent values: the table code, or `[<os>]` for an unknown OS. */
function osPrefix(os: string): string {
  return own(OS_CODES, os.toLowerCase()) ?? `[${os.replace(/[[\]]/g, '')}]`;
}

function hingeOf(raw: unknown): string {
  return raw === true || raw === 'true' || raw === 'hinged' ? 'hinged' : 'not_hinged';
}

function densityOf(raw: unknown, os: string | undefined): string | undefined {
  const value = text(raw);
  if (value === undefined) return undefined;
  const fixed = isNumeric(value) ? Number.parseFloat(value).toFixed(2) : value;
  return os === undefined ? fixed : osPrefix(os) + fixed;
}

/** Result of normalising one `metrics` object. */
export interface NormalizedMetrics {
  /** Escaped values per app-user field, only those present after cleaning. */
  readonly values: MetricValues;
  /** Raw `_locale`, stored on the user as `lo`. */
  readonly locale: string | undefined;
}

/** What the request knows besides `metrics`, for the plugin families (browser, sources). */
export interface MetricContext {
  /** Browser of the user agent, read at ingest (session starts only). */
  readonly browser?: BrowserFacts | undefined;
  /** The app's type; `web` apps' `_store` is a referrer URL. */
  readonly appType?: string | undefined;
}

/** Applies every §2.7 rule to a parsed `metrics` object. */
export function normalizeMetrics(raw: Readonly<Record<string, unknown>>, context: MetricContext = {}): NormalizedMetrics {
  const rawOs = text(raw._os);
  const os = rawOs !== undefined && own(OS_CODES, rawOs.toLowerCase()) === undefined ? rawOs.replace(/[[\]]/g, '') : rawOs;
  const rawVersion = text(raw._os_version);
  const osVersion = rawVersion !== undefined && rawOs !== undefined ? osPrefix(rawOs) + rawVersion : rawVersion;
  const rawAppVersion = text(raw._app_version);
  const appVersion = rawAppVersion !== undefined && !rawAppVersion.includes('.') && isNumeric(rawAppVersion) ? `${rawAppVersion}.0` : rawAppVersion;
  const device = text(raw._device);
  const carrier = text(raw._carrier);
  const locale = text(raw._locale);
  const browser = browserValues(text(raw._browser), text(raw._browser_version), context.browser);
  const unescaped: Record<string, string | undefined> = {
    c: carrier === undefined ? undefined : cleanCarrier(carrier),
    d: device,
    mnf: text(raw._manufacturer) ?? (rawOs !== undefined && APPLE_OSES.has(rawOs) ? 'Apple' : undefined),
    av: appVersion,
    p: os,
    dt: text(raw._device_type) ?? deviceTypeOf(rawOs, device),
    pv: osVersion,
    r: text(raw._resolution),
    hh: '_has_hinge' in raw ? hingeOf(raw._has_hinge) : undefined,
    la: locale === undefined ? undefined : languageFromLocale(locale),
    dnst: densityOf(raw._density, rawOs),
    brw: browser.brw,
    brwv: browser.brwv,
    src: sourceOf(text(raw._store), rawOs, context.appType),
  };
  const values: Partial<Record<keyof MetricValues, string>> = {};
  for (const [field, value] of Object.entries(unescaped)) {
    if (value === undefined) continue;
    const escaped = escapeMetricValue(value);
    if (escaped !== '' && isMetricField(field)) values[field] = escaped;
  }
  return { values, locale };
}

const FIELDS = new Set<string>(['c', 'd', 'mnf', 'av', 'p', 'dt', 'pv', 'r', 'hh', 'la', 'dnst', 'brw', 'brwv', 'src']);
function isMetricField(field: string): field is keyof MetricValues {
  return FIELDS.has(field);
}
