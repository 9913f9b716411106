// Which collection and meta set serve each `method=` time object and each analytics `metric`.
import { CITY_FAMILY, METRIC_FAMILIES } from '../projections/index.ts';
import type { Family } from './read/index.ts';

export interface FamilySource {
  /** Logical aggregate collection. */
  readonly collection: string;
  readonly family: Family;
}

const USERS: FamilySource = { collection: 'users', family: 'users' };
const metric = (collection: string): FamilySource => ({ collection, family: 'metric' });

/**
 * `/o?method=<m>` time objects (§4.3). `null`: a family nothing writes (the never-written
 * countries collection, consents) answers `{}`.
 */
export const TIME_OBJECT_METHODS: Readonly<Record<string, FamilySource | null>> = {
  sessions: USERS,
  users: USERS,
  locations: USERS,
  device_details: metric('device_details'),
  app_versions: metric('device_details'),
  devices: metric('devices'),
  carriers: metric('carriers'),
  langs: metric('langs'),
  density: metric('density'),
  cities: metric('cities'),
  countries: null,
  browser: metric('browser'),
  sources: metric('sources'),
  consents: null,
};

export interface MetricSource extends FamilySource {
  /** Meta set listing the metric's values. */
  readonly set: string;
}

const ALIASES: Readonly<Record<string, string>> = { platforms: 'os', platform_version: 'os_versions', platform_versions: 'os_versions' };

/** Collection and meta set of an analytics `metric` (`/o/analytics/metric`, `tops`); undefined when nothing stores it. */
export function metricSource(name: string): MetricSource | undefined {
  if (name === 'countries' || name === 'locations') return { ...USERS, set: 'countries' };
  const set = ALIASES[name] ?? name;
  const family = [...METRIC_FAMILIES, CITY_FAMILY].find((f) => f.set === set);
  return family === undefined ? undefined : { ...metric(family.collection), set };
}
