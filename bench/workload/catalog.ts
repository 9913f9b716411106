// What the simulated apps look like: their event catalogue (100 keys with Zipf popularity,
// 10 segments each with < 100 values) and the device mix their users run.
import { Rng, Weighted, Zipf } from './rng.ts';

/** Countly's `metrics` object as an SDK sends it on begin_session (spec §2.7). */
export interface DeviceMetrics {
  readonly _os: string;
  readonly _os_version: string;
  readonly _device: string;
  readonly _manufacturer?: string;
  readonly _resolution: string;
  readonly _carrier?: string;
  readonly _app_version: string;
  readonly _locale: string;
  readonly _density?: string;
  readonly _browser?: string;
}

export interface EventSpec {
  readonly key: string;
  /** Segment name → its possible values (each list shorter than 100). */
  readonly segments: readonly { readonly name: string; readonly values: readonly string[]; readonly zipf: Zipf }[];
  readonly hasSum: boolean;
  readonly hasDur: boolean;
}

export const EVENT_KEY_COUNT = 100;
export const SEGMENTS_PER_EVENT = 10;
const VERBS = ['view', 'tap', 'open', 'close', 'add', 'remove', 'share', 'search', 'complete', 'purchase'];
const NOUNS = ['product', 'cart', 'article', 'level', 'video', 'profile', 'settings', 'notification', 'coupon', 'workout'];
const SEGMENT_NAMES = [
  'category',
  'source',
  'screen',
  'variant',
  'plan',
  'currency',
  'level',
  'country',
  'payment_method',
  'network',
  'theme',
  'position',
  'campaign',
  'tab',
  'difficulty',
  'brand',
  'size',
  'color',
  'referrer',
  'experiment',
  'language',
  'device_class',
  'tier',
  'content_type',
  'author',
  'genre',
  'duration_bucket',
  'result',
  'step',
  'origin',
];

function buildEvent(rng: Rng, key: string): EventSpec {
  const names = rng.shuffle(SEGMENT_NAMES).slice(0, SEGMENTS_PER_EVENT);
  const segments = names.map((name) => {
    const count = rng.int(2, 99);
    const values = Array.from({ length: count }, (_, i) => `${name}_${i + 1}`);
    return { name, values, zipf: new Zipf(count, 1.2) };
  });
  return { key, segments, hasSum: key.startsWith('purchase') || key.startsWith('add_'), hasDur: key.startsWith('view') || key.startsWith('complete') };
}

/** The 100 event keys, in popularity order (rank 0 is the most frequent). */
export function buildEventCatalog(seed: number): { readonly events: readonly EventSpec[]; readonly popularity: Zipf } {
  const rng = new Rng(seed);
  const keys = rng.shuffle(VERBS.flatMap((v) => NOUNS.map((n) => `${v}_${n}`)));
  return { events: keys.map((k) => buildEvent(rng, k)), popularity: new Zipf(EVENT_KEY_COUNT, 1.0) };
}

const ANDROID_VERSIONS = new Weighted([
  ['14', 35],
  ['13', 25],
  ['12', 15],
  ['11', 10],
  ['10', 8],
  ['9', 7],
] as const);
const IOS_VERSIONS = new Weighted([
  ['17.5.1', 30],
  ['17.4', 15],
  ['18.0', 15],
  ['16.7.8', 20],
  ['15.8', 10],
  ['17.2', 10],
] as const);
const ANDROID_DEVICES = new Weighted([
  [['SM-S918B', 'Samsung', '1440x3088', '3.5'], 18],
  [['SM-A546B', 'Samsung', '1080x2340', '2.625'], 22],
  [['Pixel 8', 'Google', '1080x2400', '2.625'], 10],
  [['Pixel 7a', 'Google', '1080x2400', '2.625'], 8],
  [['Redmi Note 12', 'Xiaomi', '1080x2400', '2.75'], 20],
  [['CPH2449', 'OnePlus', '1240x2772', '3.0'], 7],
  [['moto g54 5G', 'Motorola', '1080x2400', '2.5'], 15],
] as const);
const IOS_DEVICES = new Weighted([
  [['iPhone15,2', '1179x2556'], 25],
  [['iPhone14,5', '1170x2532'], 30],
  [['iPhone16,1', '1179x2556'], 20],
  [['iPhone12,1', '828x1792'], 15],
  [['iPad13,1', '1640x2360'], 10],
] as const);
const DESKTOP = new Weighted([
  [['Windows', '10', 'Chrome', '1920x1080'], 45],
  [['Windows', '11', 'Edge', '2560x1440'], 15],
  [['macOS', '14.5', 'Safari', '2880x1800'], 20],
  [['Linux', '6.5', 'Firefox', '1920x1080'], 5],
  [['Android', '14', 'Chrome', '412x915'], 15],
] as const);
const APP_VERSIONS = new Weighted([
  ['3.4.1', 50],
  ['3.4.0', 20],
  ['3.3.2', 15],
  ['3.2', 10],
  ['2.9.5', 5],
] as const);

/** Per-country carriers and locales, so each app's users look local. */
const LOCAL: Readonly<Record<string, { carriers: readonly string[]; locales: readonly string[] }>> = {
  US: { carriers: ['Verizon', 'T-Mobile', 'AT&T'], locales: ['en_US', 'es_US'] },
  TR: { carriers: ['Turkcell', 'Vodafone TR', 'Turk Telekom'], locales: ['tr_TR', 'en_US'] },
  JP: { carriers: ['NTT DOCOMO', 'au', 'SoftBank'], locales: ['ja_JP'] },
  AU: { carriers: ['Telstra', 'Optus', 'Vodafone AU'], locales: ['en_AU'] },
};

export type Platform = 'mobile' | 'web';

function mobileMetrics(rng: Rng, local: (typeof LOCAL)[string]): DeviceMetrics {
  const base = { _app_version: APP_VERSIONS.sample(rng), _locale: rng.pick(local.locales), _carrier: rng.pick(local.carriers) };
  if (rng.chance(0.6)) {
    const [device, manufacturer, resolution, density] = ANDROID_DEVICES.sample(rng);
    return {
      ...base,
      _os: 'Android',
      _os_version: ANDROID_VERSIONS.sample(rng),
      _device: device,
      _manufacturer: manufacturer,
      _resolution: resolution,
      _density: density,
    };
  }
  const [device, resolution] = IOS_DEVICES.sample(rng);
  return { ...base, _os: 'iOS', _os_version: IOS_VERSIONS.sample(rng), _device: device, _resolution: resolution };
}

/** One device's metrics, drawn from the platform's OS/device/app-version mix. */
export function deviceMetrics(rng: Rng, platform: Platform, country: string): DeviceMetrics {
  const local = LOCAL[country] ?? { carriers: ['Vodafone'], locales: ['en_US'] };
  if (platform === 'mobile') return mobileMetrics(rng, local);
  const [os, version, browser, resolution] = DESKTOP.sample(rng);
  return {
    _os: os,
    _os_version: version,
    _device: os === 'Android' ? 'Mobile' : 'Desktop',
    _resolution: resolution,
    _browser: browser,
    _app_version: APP_VERSIONS.sample(rng),
    _locale: rng.pick(local.locales),
  };
}
