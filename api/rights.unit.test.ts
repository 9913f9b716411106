import { describe, expect, it } from 'vitest';
import type { Permission } from '../projections/index.ts';
import { adminAppIds, hasRight, isAppAdmin, narrowToApps, readableAppIds } from './rights.ts';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const empty = (): Permission => ({ c: {}, r: {}, u: {}, d: {}, _: { a: [], u: [] } });
const member = (permission: Permission, global_admin = false) => ({ global_admin, permission });

describe('rights', () => {
  it('global admins have every right on every app', () => {
    const admin = member(empty(), true);
    for (const right of ['c', 'r', 'u', 'd'] as const) expect(hasRight(admin, right, A, 'core')).toBe(true);
    expect(isAppAdmin(admin, B)).toBe(true);
  });

  it('app admins (`_.a`) have every right on their apps only', () => {
    const m = member({ ...empty(), _: { a: [A], u: [] } });
    expect(hasRight(m, 'd', A, 'anything')).toBe(true);
    expect(hasRight(m, 'r', B, 'core')).toBe(false);
    expect(isAppAdmin(m, A)).toBe(true);
    expect(isAppAdmin(m, B)).toBe(false);
    expect(adminAppIds(m)).toEqual([A]);
  });

  it('per-feature rights: all, or the feature allowed, for that right only', () => {
    const m = member({ ...empty(), r: { [A]: { all: false, allowed: { core: true } } }, u: { [A]: { all: true } } });
    expect(hasRight(m, 'r', A, 'core')).toBe(true);
    expect(hasRight(m, 'r', A, 'events')).toBe(false);
    expect(hasRight(m, 'u', A, 'events')).toBe(true);
    expect(hasRight(m, 'c', A, 'core')).toBe(false);
    expect(hasRight(m, 'd', A, 'core')).toBe(false);
  });

  it('no entry for an app means no right (Countly treats it as admin; not copied)', () => {
    const m = member({ ...empty(), r: { [B]: { all: true } } });
    for (const right of ['c', 'r', 'u', 'd'] as const) expect(hasRight(m, right, A, 'core')).toBe(false);
    expect(isAppAdmin(m, A)).toBe(false);
  });

  it('readable apps: admin apps, user groups and read rights', () => {
    const m = member({ ...empty(), r: { [B]: { allowed: { core: true } } }, _: { a: [A], u: ['c'.repeat(24)] } });
    expect(readableAppIds(m).sort()).toEqual([A, B, 'c'.repeat(24)].sort());
  });

  it('narrowToApps keeps rights on the given apps only; a global admin becomes their admin', () => {
    const admin = narrowToApps(member(empty(), true), [A]);
    expect(admin.global_admin).toBe(false);
    expect([isAppAdmin(admin, A), isAppAdmin(admin, B), hasRight(admin, 'd', B, 'core')]).toEqual([true, false, false]);
    const full = { all: true, allowed: {} };
    const reader = narrowToApps(member({ ...empty(), r: { [A]: full, [B]: full }, _: { a: [B], u: [A, B] } }), [A]);
    expect(reader.permission).toEqual({ ...empty(), r: { [A]: full }, _: { a: [], u: [A] } });
    expect(readableAppIds(reader)).toEqual([A]);
  });
});
