import { describe, expect, it } from 'vitest';
import { cleanSegmentValue } from './event-clean.ts';
import { request } from './given.test-support.ts';
import { cleanCarrier, languageFromLocale, normalizeMetrics } from './metric-normalize.ts';
import { normalizeRequest, sessionDurationOf } from './request.ts';

const at = '2024-10-15T08:20:00Z';
const norm = (params: Record<string, unknown>) => normalizeRequest(request(at, params));
const metrics = (raw: Record<string, unknown>) => normalizeMetrics(raw).values;

describe('metric normalisation (§2.7)', () => {
  it('prefixes the OS version with the OS code and escapes dots: Android 4.4 → a4:4', () => {
    expect(metrics({ _os: 'Android', _os_version: '4.4' })).toEqual({ p: 'Android', pv: 'a4:4', src: 'Android' });
    expect(metrics({ _os_version: '4.4' })).toEqual({ pv: '4:4' });
  });

  it('brackets an unknown OS in the version prefix and strips brackets from the OS', () => {
    expect(metrics({ _os: '[Plan9]', _os_version: '4' })).toEqual({ p: 'Plan9', pv: '[Plan9]4', src: '[Plan9]' });
  });

  it('derives device type and manufacturer for Apple platforms', () => {
    expect(metrics({ _os: 'iOS', _device: 'iPhone12,1' })).toMatchObject({ dt: 'mobile', mnf: 'Apple', d: 'iPhone12,1' });
    expect(metrics({ _os: 'iOS', _device: 'iPad8,1' })).toMatchObject({ dt: 'tablet' });
    expect(metrics({ _os: 'watchOS', _device: 'Watch5,1' })).toMatchObject({ dt: 'wearable', mnf: 'Apple' });
    expect(metrics({ _os: 'tvOS', _device: 'AppleTV6,2' })).toMatchObject({ dt: 'smarttv' });
    expect(metrics({ _os: 'macOS', _device: 'MacBookPro' })).toMatchObject({ dt: 'desktop' });
    expect(metrics({ _os: 'iOS', _device: 'iPhone', _device_type: 'phablet', _manufacturer: 'X' })).toMatchObject({ dt: 'phablet', mnf: 'X' });
    expect(metrics({ _os: 'Android', _device: 'Pixel' })).not.toHaveProperty('dt');
  });

  it('appends .0 to dotless numeric app versions', () => {
    expect(metrics({ _app_version: 1 })).toEqual({ av: '1:0' });
    expect(metrics({ _app_version: '2.1' })).toEqual({ av: '2:1' });
    expect(metrics({ _app_version: 'beta' })).toEqual({ av: 'beta' });
  });

  it('cleans carriers: random ids and "--" dropped, MCC/MNC codes named (unknown ones dropped), words title-cased', () => {
    expect(cleanCarrier('vodafone uk')).toBe('Vodafone Uk');
    expect(cleanCarrier('abcdef0123456789')).toBeUndefined();
    expect(cleanCarrier('--')).toBeUndefined();
    expect(cleanCarrier('23415')).toBe('Vodafone Uk');
    expect(cleanCarrier('28601')).toBe('Turkcell');
    expect(cleanCarrier('00000')).toBeUndefined();
    expect(metrics({ _carrier: 'T-MOBILE' })).toEqual({ c: 'T-mobile' });
  });

  it('maps has_hinge, resolution, density and language', () => {
    expect(metrics({ _has_hinge: 'true' })).toEqual({ hh: 'hinged' });
    expect(metrics({ _has_hinge: false })).toEqual({ hh: 'not_hinged' });
    expect(metrics({ _resolution: '1080x1920' })).toEqual({ r: '1080x1920' });
    expect(metrics({ _density: '2', _os: 'Android' })).toMatchObject({ dnst: 'a2:00' });
    expect(normalizeMetrics({ _locale: 'en_US' })).toEqual({ values: { la: 'en' }, locale: 'en_US' });
    expect(languageFromLocale('zh-Hant-TW')).toBeUndefined();
    expect(languageFromLocale('zh_TW')).toBe('zh_hant');
  });

  it('names browsers (the SDK before the user agent) and sources (`_store`, else `_os`; referrers of web apps)', () => {
    const chrome = { name: 'Chrome', version: '120.0.1' };
    expect(normalizeMetrics({}, { browser: chrome }).values).toEqual({ brw: 'Chrome', brwv: '[chrome]_120:0:1' });
    expect(normalizeMetrics({ _browser: 'Firefox', _browser_version: '[firefox]_121' }, { browser: chrome }).values).toEqual({
      brw: 'Firefox',
      brwv: '[firefox]_121',
    });
    expect(metrics({ _store: 'com.android.vending', _os: 'Android' })).toMatchObject({ src: 'com&#46;android&#46;vending' });
    const web = (store: string) => normalizeMetrics({ _store: store }, { appType: 'web' }).values.src;
    expect(web('https://www.google.com/search?q=tally&client=x')).toBe('google&#46;com/search?q=tally');
    expect(web('https://example.org/page/?utm_source=mail&id=7')).toBe('example&#46;org/page/?id=7');
    expect(web('http://example.org/')).toBe('example&#46;org');
  });

  it('removes a leading $ and never keeps empty or falsy values', () => {
    expect(metrics({ _device: '$Phone.X', _resolution: '', _carrier: 0 })).toEqual({ d: 'Phone:X' });
  });
});

describe('request flags, duration and location', () => {
  it('reads flags with JavaScript truthiness, as Countly does', () => {
    expect(norm({ begin_session: '1' }).beginSession).toBe(true);
    expect(norm({ begin_session: '0' }).beginSession).toBe(true);
    expect(norm({ begin_session: 0 }).beginSession).toBe(false);
    expect(norm({}).endSession).toBe(false);
  });

  it('applies the session_duration rules', () => {
    expect(sessionDurationOf('30')).toBe(30);
    expect(sessionDurationOf('12.7')).toBe(12);
    expect(sessionDurationOf(0)).toBeNull();
    expect(sessionDurationOf('abc')).toBeNull();
    expect(sessionDurationOf(-1)).toBe(30);
    expect(sessionDurationOf(90_000)).toBe(86_400);
  });

  it('uses country_code, else Unknown on a session start; opting out clears location', () => {
    expect(norm({ begin_session: 1 }).location).toMatchObject({ cc: 'Unknown', cty: 'Unknown', rgn: 'Unknown' });
    expect(norm({ begin_session: 1, country_code: 'DE', city: 'Berlin' }).country).toBe('DE');
    expect(norm({ country_code: 'DE' }).location).toMatchObject({ cc: 'DE', cty: null });
    expect(norm({ begin_session: 1, country_code: 'DE', location: '' }).location).toMatchObject({ cc: 'Unknown', optedOut: true });
    expect(norm({ location: '41.0,29.0' }).location.coordinates).toEqual({ lat: 41, lon: 29 });
    expect(norm({ location: 'x,y' }).location.coordinates).toBeNull();
  });

  it('fills a session start from the looked-up location; the request and opting out win', () => {
    const geo = { country: 'DE', region: 'Bavaria', city: 'Nuremberg' };
    const withGeo = (params: Record<string, unknown>, appCountry = 'DE') => normalizeRequest({ ...request(at, params), geo, appCountry });
    expect(withGeo({ begin_session: 1 }).location).toMatchObject({ cc: 'DE', rgn: 'Bavaria', cty: 'Nuremberg' });
    expect(withGeo({ begin_session: 1 }).cityValue).toBe('Nuremberg');
    expect(withGeo({ begin_session: 1 }, 'TR').cityValue).toBeNull();
    expect(withGeo({ begin_session: 1, city: 'Fürth' }).location).toMatchObject({ cc: 'DE', cty: 'Fürth', rgn: 'Bavaria' });
    expect(withGeo({ begin_session: 1, country_code: 'FR' }).location).toMatchObject({ cc: 'FR', cty: 'Unknown', rgn: 'Unknown' });
    expect(withGeo({ begin_session: 1, location: '' }).location).toMatchObject({ cc: 'Unknown', cty: 'Unknown', optedOut: true });
    expect(withGeo({ session_duration: 5 }).location).toMatchObject({ cc: null, cty: null });
  });

  it('parses JSON parameters sent as strings and drops junk', () => {
    const r = norm({ metrics: '{"_os":"Android"}', events: 'not json', user_details: '[1,2]' });
    expect(r.metrics).toEqual({ p: 'Android', src: 'Android' });
    expect(r.events).toEqual([]);
    expect(r.userEventCount).toBe('not json'.length); // Countly iterates the string (quirk)
    expect(r.userDetails).toBeNull();
  });

  it('keeps identity facts: shard, old device, sdk, t, tz', () => {
    const r = norm({ old_device_id: 'prev', sdk_name: 'js', sdk_version: '24.1', t: '0', tz: 180 });
    expect(r).toMatchObject({ oldDeviceId: 'prev', sdkName: 'js', sdkVersion: '24.1', deviceIdType: 0, tz: '180' });
    expect(r.deviceShard).toMatch(/^[A-Za-z0-9+/]$/);
    expect(norm({ old_device_id: 'dev-1' }).oldDeviceId).toBeNull();
  });
});

describe('event cleaning (§2.9)', () => {
  const events = (list: unknown[]) => norm({ events: list }).events;

  it('stringifies non-string keys, drops empty and internal keys but keeps aggregated internal ones', () => {
    expect(events([{ key: 5 }, { key: '' }, { key: '[CLY]_view' }, { key: '[CLY]_star_rating' }]).map((e) => e.key)).toEqual(['5', '[CLY]_star_rating']);
  });

  it('cleans keys and drops keys of 128+ characters', () => {
    expect(events([{ key: 'system.a..b$c' }]).map((e) => e.key)).toEqual(['abc']);
    expect(events([{ key: 'k'.repeat(128) }, { key: 'k'.repeat(127) }])).toHaveLength(1);
  });

  it('parses count, sum and dur', () => {
    const [a, b, c] = events([
      { key: 'a', count: '3', sum: '1.234567', dur: 2 },
      { key: 'b', count: 0, sum: 0 },
      { key: 'c', count: -2, sum: 'x' },
    ]);
    expect(a).toMatchObject({ count: 3, sum: 1.23457, dur: 2 });
    expect(b).toMatchObject({ count: 1, sum: null, dur: null });
    expect(c).toMatchObject({ count: -2, sum: null });
  });

  it('cleans segmentation keys and values; arrays are not aggregated', () => {
    const [e] = events([{ key: 'buy', segmentation: { '$a.b': 'x.y', list: ['a'], n: 50, day: '7', empty: '', nul: 'a\u0000b', '': 'z' } }]);
    expect(e?.segments).toEqual([
      { key: 'ab', value: 'x:y' },
      { key: 'n', value: '50' },
      { key: 'day', value: '[CLY]7' },
      { key: 'nul', value: 'a&#9647b' },
    ]);
    expect(cleanSegmentValue('$$v')).toBe('v');
    expect(cleanSegmentValue('32')).toBe('32');
  });

  it('buckets an event by its own timestamp, clamped to the receive time', () => {
    const own = Date.parse('2024-10-14T10:00:00Z');
    const [e1, e2] = events([
      { key: 'a', timestamp: own },
      { key: 'b', timestamp: Date.parse('2030-01-01T00:00:00Z') },
    ]);
    expect(e1?.timeMs).toBe(own);
    expect(e2?.timeMs).toBe(Date.parse(at));
  });

  it('counts user events and takes the orientation mode', () => {
    const r = norm({ events: [{ key: 'a' }, { key: '[CLY]_orientation', segmentation: { mode: 'portrait' } }] });
    expect(r.userEventCount).toBe(1);
    expect(r.orientation).toBe('portrait');
  });
});

describe('user_details parsing (§2.10)', () => {
  it('keeps profile fields, "" as unset, and custom operators', () => {
    const r = norm({ user_details: { name: 'Ann', email: '', byear: '1990', custom: { a: 1, 'b.c': { $inc: 2 }, d: '', e: { $push: ['x', 'y'] } } } });
    expect(r.userDetails).toEqual({
      profile: { name: 'Ann', email: null, byear: 1990 },
      custom: { a: [{ op: 'set', value: 1 }], 'b:c': [{ op: '$inc', value: 2 }], d: [{ op: 'unset' }], e: [{ op: '$push', values: ['x', 'y'] }] },
    });
  });
});
