// Member rights per app (spec §4.2), pure: global admin; app admin (`_.a`); read, create,
// update and delete per feature. Unlike Countly, a member with no entry for an app has no right
// on it (Countly's write check treats such a member as the app's admin; not copied).
import type { MemberRecord } from '../projections/index.ts';

/** c = create, r = read, u = update, d = delete. */
export type Right = 'c' | 'r' | 'u' | 'd';

/** Features checked by core routes (plugins add their own names). */
export const CORE_FEATURE = 'core';

type Member = Pick<MemberRecord, 'global_admin' | 'permission'>;

/** Global admins administer every app; others the apps listed in `permission._.a`. */
export function isAppAdmin(member: Member, appId: string): boolean {
  return member.global_admin || member.permission._.a.includes(appId);
}

/** `right` on `feature` of `appId`: global or app admin, or `permission.<right>.<appId>` with `all` or the feature allowed. */
export function hasRight(member: Member, right: Right, appId: string, feature: string): boolean {
  if (isAppAdmin(member, appId)) return true;
  const entry = member.permission[right][appId];
  if (entry === undefined) return false;
  return entry.all === true || entry.allowed?.[feature] === true;
}

/** Apps a member administers explicitly (global admins: see `listApps`). */
export function adminAppIds(member: Member): string[] {
  return [...member.permission._.a];
}

/** Apps a member may read anything of: admin apps, `_.u` groups, and any read right. */
export function readableAppIds(member: Member): string[] {
  const ids = new Set<string>(member.permission._.a);
  for (const id of member.permission._.u) ids.add(id);
  for (const [appId, entry] of Object.entries(member.permission.r)) {
    if (entry.all === true || Object.values(entry.allowed ?? {}).some(Boolean)) ids.add(appId);
  }
  return [...ids];
}

/**
 * The member's rights limited to `appIds` (an app-limited token): no global admin right, and
 * per-app rights only on those apps; a global admin becomes the admin of those apps.
 */
export function narrowToApps<M extends Member>(member: M, appIds: readonly string[]): M {
  const keep = new Set(appIds);
  const only = <V>(byApp: Record<string, V>): Record<string, V> => Object.fromEntries(Object.entries(byApp).filter(([id]) => keep.has(id)));
  const p = member.permission;
  const admin = member.global_admin ? [...keep] : p._.a.filter((id) => keep.has(id));
  return {
    ...member,
    global_admin: false,
    permission: { c: only(p.c), r: only(p.r), u: only(p.u), d: only(p.d), _: { a: admin, u: p._.u.filter((id) => keep.has(id)) } },
  };
}
