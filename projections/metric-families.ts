// The aggregated metric families of §2.7: which app-user field feeds which collection and meta set.

/** App-user field short codes that hold a metric value (§2.7 table). */
export type MetricField = 'c' | 'd' | 'mnf' | 'av' | 'p' | 'dt' | 'pv' | 'r' | 'hh' | 'la' | 'dnst' | 'brw' | 'brwv' | 'src' | 'cty';

/** Aggregate collections written by the metrics fold (`method=` of the read API). */
export type MetricCollection = 'carriers' | 'devices' | 'device_details' | 'langs' | 'density' | 'browser' | 'sources' | 'cities';

export interface MetricFamily {
  readonly field: MetricField;
  /** SDK metric key the value comes from (`_lang` is derived from `_locale`). */
  readonly metricKey: string;
  readonly collection: MetricCollection;
  /** Meta set name: year docs hold `meta_v2.<set>.<value> = true`. */
  readonly set: string;
}

export const METRIC_FAMILIES: readonly MetricFamily[] = [
  { field: 'c', metricKey: '_carrier', collection: 'carriers', set: 'carriers' },
  { field: 'd', metricKey: '_device', collection: 'devices', set: 'devices' },
  { field: 'mnf', metricKey: '_manufacturer', collection: 'devices', set: 'manufacturers' },
  { field: 'av', metricKey: '_app_version', collection: 'device_details', set: 'app_versions' },
  { field: 'p', metricKey: '_os', collection: 'device_details', set: 'os' },
  { field: 'dt', metricKey: '_device_type', collection: 'device_details', set: 'device_type' },
  { field: 'pv', metricKey: '_os_version', collection: 'device_details', set: 'os_versions' },
  { field: 'r', metricKey: '_resolution', collection: 'device_details', set: 'resolutions' },
  { field: 'hh', metricKey: '_has_hinge', collection: 'device_details', set: 'has_hinge' },
  { field: 'la', metricKey: '_lang', collection: 'langs', set: 'langs' },
  { field: 'dnst', metricKey: '_density', collection: 'density', set: 'density' },
  { field: 'brw', metricKey: '_browser', collection: 'browser', set: 'browser' },
  { field: 'brwv', metricKey: '_browser_version', collection: 'browser', set: 'browser_version' },
  { field: 'src', metricKey: '_store', collection: 'sources', set: 'sources' },
];

/**
 * Cities (§2.7): the user's city, aggregated only when the user's country is the app's. The
 * value comes from the location (§2.8), not from `metrics`, and the app-user field `cty` is the
 * location's, unescaped; so this family is not in METRIC_FAMILIES.
 */
export const CITY_FAMILY: MetricFamily = { field: 'cty', metricKey: 'city', collection: 'cities', set: 'cities' };

export const METRIC_COLLECTIONS: readonly MetricCollection[] = ['carriers', 'devices', 'device_details', 'langs', 'density', 'browser', 'sources', 'cities'];

/** Normalised metric values of one request, keyed by app-user field. */
export type MetricValues = Readonly<Partial<Record<MetricField, string>>>;
