import { describe, expect, it } from 'vitest';
import { countryName, TIMEZONES } from './countries.ts';

describe('app timezones', () => {
  it('accepts current IANA names that ICU lists under a legacy id, and the legacy ids', () => {
    for (const zone of ['Asia/Kolkata', 'Asia/Calcutta', 'Europe/Kyiv', 'Asia/Ho_Chi_Minh', 'America/Argentina/Buenos_Aires', 'America/Nuuk']) {
      expect({ zone, ok: TIMEZONES.has(zone) }).toEqual({ zone, ok: true });
    }
  });

  it('refuses UTC, Etc zones and names Intl does not know', () => {
    for (const zone of ['UTC', 'Etc/GMT+2', 'Mars/Olympus', 'Europe/Nowhere', 'asia/kolkata', '']) {
      expect({ zone, ok: TIMEZONES.has(zone) }).toEqual({ zone, ok: false });
    }
  });
});

describe("country names from Countly's table", () => {
  it('given codes Countly names differently from CLDR, then its names', () => {
    expect(countryName('TR')).toBe('Turkey');
    expect(countryName('CZ')).toBe('Czech Republic');
    expect(countryName('MK')).toBe('Macedonia');
    expect(countryName('us')).toBe('United States');
  });

  it('given a code outside the table, Unknown itself or a prototype name, then Unknown', () => {
    for (const code of ['SS', 'XK', 'Unknown', 'constructor', '__proto__', '']) expect(countryName(code)).toBe('Unknown');
  });
});
