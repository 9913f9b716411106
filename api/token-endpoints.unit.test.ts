import { describe, expect, it } from 'vitest';
import { isPathPattern, isValuePattern, pathPatternMatches, valuePatternMatches } from './token-endpoints.ts';

describe('token endpoint patterns', () => {
  it('a plain path admits itself and the paths below it, nothing else', () => {
    expect(['/o/analytics/dashboard', '/o/analytics/dashboard/x'].map((p) => pathPatternMatches('/o/analytics/dashboard', p))).toEqual([true, true]);
    expect(
      ['/o/analytics/dashboards', '/o/users/me', '/x/o/analytics/dashboard', '/o/analytics'].map((p) => pathPatternMatches('/o/analytics/dashboard', p)),
    ).toEqual([false, false, false, false]);
    expect(pathPatternMatches('^/o/analytics/', '/o/analytics/sessions')).toBe(true);
  });

  it('$ asks for equality, a trailing * or .* for a prefix', () => {
    expect(['/o', '/o/users/me'].map((p) => pathPatternMatches('^/o$', p))).toEqual([true, false]);
    expect(['/o/apps', '/o/apps_x', '/o/ap'].map((p) => pathPatternMatches('/o/apps*', p))).toEqual([true, true, false]);
    expect(pathPatternMatches('/o/analytics/.*', '/o/analytics/events')).toBe(true);
    expect(['get_events', 'get_events_x', 'x_get_events'].map((v) => valuePatternMatches('^get_events$', v))).toEqual([true, false, false]);
    expect(['get_events', 'get_events_x'].map((v) => valuePatternMatches('get_events', v))).toEqual([true, false]);
    expect(valuePatternMatches('get_*', 'get_events')).toBe(true);
  });

  it('regular-expression syntax is literal text, so catastrophic patterns cost one comparison', () => {
    const long = 'a'.repeat(100_000);
    expect(pathPatternMatches('(a|a)*b', `/${long}`)).toBe(false);
    expect(valuePatternMatches('(a|a)*b', long)).toBe(false);
    expect(pathPatternMatches('^/o/users/(me|all)$', '/o/users/me')).toBe(false);
    expect(pathPatternMatches('^/o/users/(me|all)$', '/o/users/(me|all)')).toBe(true);
  });

  it('creation accepts paths and plain values only', () => {
    expect(['/o/analytics/dashboard', '^/o/analytics/', '^/o$', '/o/analytics/.*', '/o/openapi.json'].every(isPathPattern)).toBe(true);
    expect(['(a|a)*b', '/o/.+', '^/o$|^/i', 'o/users', '/o/users/(me|all)', `/${'a'.repeat(200)}`].some(isPathPattern)).toBe(false);
    expect(['^get_events$', 'sessions', 'a,b', '*'].every(isValuePattern)).toBe(true);
    expect(['(a|a)*b', 'a+', '[ab]', 'a\\d'].some(isValuePattern)).toBe(false);
  });
});
